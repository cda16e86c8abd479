//! The receiver's HTTPS: its certificate chain and key, and optionally the
//! CA whose client certificates it requires (Ceilometer's publisher sends
//! one with `clientcert`/`clientkey`). Errors name the option and the file.

use std::sync::Arc;

use rustls_pki_types::pem::{self, PemObject};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{Error, Result};
use crate::tls::PemError;

/// PEM files as the options name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: String,
    pub key: String,
    pub client_ca: Option<String>,
}

/// Where the options live, for error messages (`http.source`).
const AT: &str = "http.source";

/// The acceptor for `files`.
pub fn acceptor(files: &TlsFiles) -> Result<tokio_rustls::TlsAcceptor> {
    let bad =
        |key: &str, path: &str, e: &dyn std::fmt::Display| Error::config(format!("{AT}.{key}"), format!("{path}: {e}"));
    // a file that cannot be opened or read is shown by its I/O error alone (PemError)
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| bad("tls_cert", &files.cert, &PemError(e)))?;
    if certs.is_empty() {
        return Err(bad("tls_cert", &files.cert, &"no PEM certificate in it"));
    }
    let key = match PrivateKeyDer::from_pem_file(&files.key) {
        Ok(key) => key,
        Err(pem::Error::NoItemsFound) => return Err(bad("tls_key", &files.key, &"no PEM private key in it")),
        Err(e) => return Err(bad("tls_key", &files.key, &PemError(e))),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config(format!("{AT}.tls_cert"), e.to_string()))?;
    let builder = match &files.client_ca {
        None => builder.with_no_client_auth(),
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            for ca in CertificateDer::pem_file_iter(path).map_err(|e| bad("client_ca", path, &PemError(e)))? {
                let ca = ca.map_err(|e| bad("client_ca", path, &PemError(e)))?;
                roots.add(ca).map_err(|e| bad("client_ca", path, &e))?;
            }
            if roots.is_empty() {
                return Err(bad("client_ca", path, &"no PEM certificate in it"));
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| bad("client_ca", path, &e))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let config = builder.with_single_cert(certs, key).map_err(|e| bad("tls_key", &files.key, &e))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        format!("{}/tests/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    fn files(cert: &str, key: &str, client_ca: Option<&str>) -> TlsFiles {
        TlsFiles { cert: cert.to_owned(), key: key.to_owned(), client_ca: client_ca.map(str::to_owned) }
    }

    /// The option and message of the acceptor's error.
    fn refused(files: &TlsFiles) -> (String, String) {
        match acceptor(files) {
            Err(Error::Config { key, message }) => (key, message),
            Err(other) => panic!("not a configuration error: {other:?}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn pem_files_make_an_acceptor() {
        assert!(acceptor(&files(&fixture("leaf.pem"), &fixture("leaf.key"), None)).is_ok());
        assert!(acceptor(&files(&fixture("leaf.pem"), &fixture("leaf.key"), Some(&fixture("ca.pem")))).is_ok());
    }

    #[test]
    fn errors_name_the_option_and_the_file() {
        let (key, message) = refused(&files("/nonexistent/cert.pem", &fixture("leaf.key"), None));
        assert_eq!(key, "http.source.tls_cert");
        assert!(message.starts_with("/nonexistent/cert.pem: ") && !message.contains("I/O error"), "{message}");
        let readme = fixture("README.md");
        let (key, message) = refused(&files(&fixture("leaf.pem"), &readme, None));
        assert_eq!((key.as_str(), message), ("http.source.tls_key", format!("{readme}: no PEM private key in it")));
        let (key, message) = refused(&files(&readme, &fixture("leaf.key"), None));
        assert_eq!((key.as_str(), message), ("http.source.tls_cert", format!("{readme}: no PEM certificate in it")));
        let (key, message) = refused(&files(&fixture("leaf.pem"), &fixture("leaf.key"), Some(&readme)));
        assert_eq!((key.as_str(), message), ("http.source.client_ca", format!("{readme}: no PEM certificate in it")));
    }

    #[test]
    fn a_truncated_pem_file_says_which_end_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let truncated = dir.path().join("truncated.pem");
        let leaf = std::fs::read_to_string(fixture("leaf.pem")).unwrap();
        std::fs::write(&truncated, &leaf[..leaf.len() / 2]).unwrap();
        let truncated = truncated.to_str().unwrap();
        let (key, message) = refused(&files(truncated, &fixture("leaf.key"), None));
        assert_eq!(key, "http.source.tls_cert");
        assert_eq!(message, format!("{truncated}: section end \"-----END CERTIFICATE-----\" missing"));
        let (key, message) = refused(&files(&fixture("leaf.pem"), &fixture("leaf.key"), Some(truncated)));
        assert_eq!((key.as_str(), message.contains("section end")), ("http.source.client_ca", true), "{message}");
    }
}
