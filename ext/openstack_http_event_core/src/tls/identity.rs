//! The client certificate (`http.client_cert`) and its key
//! (`http.client_key`) the client presents when a server asks.

use rustls_pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::{PemError, TlsError};

/// A certificate chain and its private key.
#[derive(Debug)]
pub struct ClientIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl ClientIdentity {
    /// The chain and key from their PEM texts. Either text may hold both
    /// (one combined file named twice): the certificates are those of both,
    /// the key the first one found.
    pub fn from_pem(cert: &[u8], key: &[u8]) -> Result<Self, TlsError> {
        let mut both = cert.to_vec();
        both.push(b'\n');
        both.extend_from_slice(key);
        let chain = CertificateDer::pem_slice_iter(&both)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::IdentityPem(PemError(e)))?;
        if chain.is_empty() {
            return Err(TlsError::NoClientCertificate);
        }
        let key = match PrivateKeyDer::from_pem_slice(&both) {
            Ok(key) => key,
            Err(pem::Error::NoItemsFound) => return Err(TlsError::NoClientKey),
            Err(e) => return Err(TlsError::IdentityPem(PemError(e))),
        };
        Ok(ClientIdentity { chain, key })
    }
}

impl Clone for ClientIdentity {
    fn clone(&self) -> Self {
        ClientIdentity { chain: self.chain.clone(), key: self.key.clone_key() }
    }
}
