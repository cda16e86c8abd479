//! The rustls configuration the HTTP client hands reqwest
//! (`use_preconfigured_tls`), built as reqwest built its own — TLS 1.2 and
//! 1.3, ring, the same roots, ALPN `http/1.1` — with
//! [`super::CaFileVerifier`] in place of webpki's verifier.

use std::sync::Arc;

use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::crypto::{ring, CryptoProvider};
use tokio_rustls::rustls::ClientConfig;

use super::{roots, AcceptAnyCertificate, CaFileVerifier, ClientIdentity, TlsError, TrustedCertificates};

/// What the configuration is made of; kept so a forked child can build its
/// own anew.
#[derive(Debug, Clone)]
pub struct TlsSettings {
    /// `false`: any certificate is accepted (`http.verify_ssl: false`).
    pub verify: bool,
    /// The CA file's certificates.
    pub trusted: TrustedCertificates,
    pub identity: Option<ClientIdentity>,
}

/// The client configuration for `settings`.
pub fn client_config(settings: &TlsSettings) -> Result<ClientConfig, TlsError> {
    let provider: Arc<CryptoProvider> = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(tokio_rustls::rustls::ALL_VERSIONS)
        .map_err(TlsError::Config)?
        .dangerous();
    let builder = if settings.verify {
        let anchors = Arc::new(roots(&settings.trusted)?);
        let webpki = WebPkiServerVerifier::builder_with_provider(anchors, provider).build()?;
        builder.with_custom_certificate_verifier(Arc::new(CaFileVerifier::new(webpki, settings.trusted.clone())))
    } else {
        builder.with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate::new(&provider)))
    };
    let mut config = match &settings.identity {
        None => builder.with_no_client_auth(),
        Some(identity) => builder
            .with_client_auth_cert(identity.chain.clone(), identity.key.clone_key())
            .map_err(TlsError::Identity)?,
    };
    // reqwest without its http2 feature offers HTTP/1.1 only
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
