//! The server-certificate verifier of the HTTP client: webpki's, and — as
//! OpenSSL trusts a certificate that is itself in its trust store — a
//! server certificate byte-identical to one of the CA file's, when webpki
//! refuses it only because it is a CA certificate (`CaUsedAsEndEntity`) or
//! because no anchor issued it (`UnknownIssuer`). Such a certificate must
//! still name the server, allow server authentication (extendedKeyUsage)
//! and be within its validity; the handshake signatures are always
//! verified, so the server must hold its key.

use std::sync::Arc;

use tokio_rustls::rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use tokio_rustls::rustls::client::{verify_server_name, WebPkiServerVerifier};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::server::ParsedCertificate;
use tokio_rustls::rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, Error, OtherError, SignatureScheme,
};

use super::{ExtendedKeyUsage, Rejection, TrustedCertificates, Validity, When};

/// webpki's verifier, and the certificates of the CA file a server may
/// present as its own.
#[derive(Debug)]
pub struct CaFileVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    trusted: TrustedCertificates,
}

impl CaFileVerifier {
    /// `webpki` verifies chains (its anchors include `trusted`); `trusted`
    /// are the CA file's certificates.
    pub fn new(webpki: Arc<WebPkiServerVerifier>, trusted: TrustedCertificates) -> Self {
        CaFileVerifier { webpki, trusted }
    }

    /// `end_entity`, which webpki refused with `refused`, checked as a
    /// certificate trusted as itself.
    fn verify_as_trusted(
        &self,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
        refused: Error,
    ) -> Result<ServerCertVerified, Error> {
        if !self.trusted.holds(end_entity) {
            return Err(if is_ca_used_as_end_entity(&refused) { rejection(Rejection::CaNotInCaFile) } else { refused });
        }
        let parsed = ParsedCertificate::try_from(end_entity)?;
        verify_server_name(&parsed, server_name)?;
        let usage = ExtendedKeyUsage::of(end_entity.as_ref()).map_err(|e| rejection(Rejection::Unreadable(e)))?;
        if !usage.allows_server_auth() {
            return Err(rejection(Rejection::NotForServers));
        }
        let validity = Validity::of(end_entity.as_ref()).map_err(|e| rejection(Rejection::Unreadable(e)))?;
        match validity.at(now) {
            When::Within => Ok(ServerCertVerified::assertion()),
            When::Before => Err(CertificateError::NotValidYetContext {
                time: now,
                not_before: UnixTime::since_unix_epoch(std::time::Duration::from_secs(validity.not_before)),
            }
            .into()),
            When::After => Err(CertificateError::ExpiredContext {
                time: now,
                not_after: UnixTime::since_unix_epoch(std::time::Duration::from_secs(validity.not_after)),
            }
            .into()),
        }
    }
}

fn rejection(reason: Rejection) -> Error {
    CertificateError::Other(OtherError(Arc::new(reason))).into()
}

fn is_ca_used_as_end_entity(error: &Error) -> bool {
    matches!(error, Error::InvalidCertificate(CertificateError::Other(OtherError(inner)))
        if matches!(inner.downcast_ref::<webpki::Error>(), Some(webpki::Error::CaUsedAsEndEntity)))
}

/// The refusals a certificate of the CA file may overcome.
fn may_be_trusted_as_itself(error: &Error) -> bool {
    matches!(error, Error::InvalidCertificate(CertificateError::UnknownIssuer)) || is_ca_used_as_end_entity(error)
}

impl ServerCertVerifier for CaFileVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        match self.webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(refused) if may_be_trusted_as_itself(&refused) => {
                self.verify_as_trusted(end_entity, server_name, now, refused)
            }
            verdict => verdict,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }

    fn root_hint_subjects(&self) -> Option<&[DistinguishedName]> {
        self.webpki.root_hint_subjects()
    }
}
