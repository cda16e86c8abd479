//! The fields of an X.509 certificate (RFC 5280 §4.1) that webpki checks
//! only while building a chain, which a certificate trusted as itself
//! (see [`super::CaFileVerifier`]) never gets: its validity and its
//! extensions.

use super::der::{self, expect, optional, SEQUENCE};
use super::ParseError;

/// The DER contents of a certificate's `validity` and of its
/// `extensions`, if any.
#[derive(Debug, Clone, Copy)]
pub struct CertificateFields<'a> {
    pub validity: &'a [u8],
    pub extensions: Option<&'a [u8]>,
}

impl<'a> CertificateFields<'a> {
    /// The fields of the certificate `der`.
    pub fn of(der: &'a [u8]) -> Result<Self, ParseError> {
        let (certificate, _) = expect(der, SEQUENCE, "certificate")?;
        let (tbs, _) = expect(certificate, SEQUENCE, "tbsCertificate")?;
        let (_, rest) = optional(tbs, der::explicit(0))?;
        let (_, rest) = expect(rest, der::INTEGER, "serialNumber")?;
        let (_, rest) = expect(rest, SEQUENCE, "signature")?;
        let (_, rest) = expect(rest, SEQUENCE, "issuer")?;
        let (validity, rest) = expect(rest, SEQUENCE, "validity")?;
        let (_, rest) = expect(rest, SEQUENCE, "subject")?;
        let (_, rest) = expect(rest, SEQUENCE, "subjectPublicKeyInfo")?;
        // issuerUniqueID [1] and subjectUniqueID [2] are IMPLICIT BIT STRINGs
        let (_, rest) = optional(rest, 0x81)?;
        let (_, rest) = optional(rest, 0x82)?;
        let (extensions, rest) = optional(rest, der::explicit(3))?;
        if !rest.is_empty() {
            return Err(ParseError::Der("tbsCertificate"));
        }
        let extensions = match extensions {
            Some(wrapped) => Some(expect(wrapped, SEQUENCE, "extensions")?.0),
            None => None,
        };
        Ok(CertificateFields { validity, extensions })
    }
}
