//! The certificates of `http.ca_file` / `http.ca_pem`: trust anchors for
//! chains, and certificates a server may present as its own.

use rustls_pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;

use super::{PemError, TlsError};

/// The certificates of a PEM bundle, in its order.
#[derive(Debug, Clone, Default)]
pub struct TrustedCertificates(Vec<CertificateDer<'static>>);

impl TrustedCertificates {
    /// The `CERTIFICATE` blocks of `pem` (other blocks are skipped, as
    /// OpenSSL does).
    pub fn from_pem(pem: &[u8]) -> Result<Self, TlsError> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::CaPem(PemError(e)))?;
        Ok(TrustedCertificates(certs))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn certificates(&self) -> &[CertificateDer<'static>] {
        &self.0
    }

    /// Whether `presented` is, byte for byte, one of the certificates.
    pub fn holds(&self, presented: &CertificateDer<'_>) -> bool {
        self.0.iter().any(|cert| cert.as_ref() == presented.as_ref())
    }
}
