//! The trust anchors: the CA file's certificates, the system's store and
//! the Mozilla roots webpki-roots carries — what reqwest loaded itself with
//! its `rustls-tls` and `rustls-tls-native-roots` features.

use tokio_rustls::rustls::RootCertStore;

use super::{TlsError, TrustedCertificates};

/// The anchors for `trusted` (the CA file's certificates) and the built-in
/// stores. The system's store may hold certificates rustls cannot read
/// (old, or without extensions): they are skipped, and only a store that
/// holds nothing usable at all is an error.
pub fn roots(trusted: &TrustedCertificates) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for (index, cert) in trusted.certificates().iter().enumerate() {
        roots.add(cert.clone()).map_err(|source| TlsError::CaCertificate { index: index + 1, source })?;
    }
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let native = rustls_native_certs::load_native_certs();
    let (added, ignored) = roots.add_parsable_certificates(native.certs);
    if added == 0 && ignored > 0 {
        let reasons: Vec<String> = native.errors.iter().map(ToString::to_string).collect();
        let reasons = if reasons.is_empty() { "none could be parsed".to_owned() } else { reasons.join("; ") };
        return Err(TlsError::NativeRoots(reasons));
    }
    Ok(roots)
}
