//! The receiver's HTTPS: its certificate chain and key, and optionally the
//! CA whose client certificates it requires (Ceilometer's publisher sends
//! one with `clientcert`/`clientkey`). Errors name the option and the file.

use std::fs::File;
use std::io::BufReader;
use std::sync::Arc;

use tokio_rustls::rustls;

use crate::error::{Error, Result};

/// PEM files as the options name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: String,
    pub key: String,
    pub client_ca: Option<String>,
}

/// Where the options live, for error messages (`http.source`).
const AT: &str = "http.source";

fn open(key: &str, path: &str) -> Result<BufReader<File>> {
    File::open(path).map(BufReader::new).map_err(|e| Error::config(format!("{AT}.{key}"), format!("{path}: {e}")))
}

/// The acceptor for `files`.
pub fn acceptor(files: &TlsFiles) -> Result<tokio_rustls::TlsAcceptor> {
    let bad =
        |key: &str, path: &str, e: &dyn std::fmt::Display| Error::config(format!("{AT}.{key}"), format!("{path}: {e}"));
    let certs = rustls_pemfile::certs(&mut open("tls_cert", &files.cert)?)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad("tls_cert", &files.cert, &e))?;
    if certs.is_empty() {
        return Err(bad("tls_cert", &files.cert, &"no PEM certificate in it"));
    }
    let key = rustls_pemfile::private_key(&mut open("tls_key", &files.key)?)
        .map_err(|e| bad("tls_key", &files.key, &e))?
        .ok_or_else(|| bad("tls_key", &files.key, &"no PEM private key in it"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config(format!("{AT}.tls_cert"), e.to_string()))?;
    let builder = match &files.client_ca {
        None => builder.with_no_client_auth(),
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            for ca in rustls_pemfile::certs(&mut open("client_ca", path)?) {
                let ca = ca.map_err(|e| bad("client_ca", path, &e))?;
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
