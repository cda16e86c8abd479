//! A certificate's extended key usage (RFC 5280 §4.2.1.12): whether it may
//! authenticate a TLS server.

use super::der::{expect, optional, BOOLEAN, OCTET_STRING, OID, SEQUENCE};
use super::{CertificateFields, ParseError};

/// id-ce-extKeyUsage, 2.5.29.37 (the OID's contents).
const EXT_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];
/// id-kp-serverAuth, 1.3.6.1.5.5.7.3.1.
const SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];

/// The purposes a certificate's extendedKeyUsage lists (OID contents), or
/// `None` without that extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendedKeyUsage<'a>(Option<Vec<&'a [u8]>>);

impl<'a> ExtendedKeyUsage<'a> {
    /// The extended key usage of the certificate `der`.
    pub fn of(der: &'a [u8]) -> Result<Self, ParseError> {
        let Some(mut extensions) = CertificateFields::of(der)?.extensions else { return Ok(ExtendedKeyUsage(None)) };
        while !extensions.is_empty() {
            let (extension, rest) = expect(extensions, SEQUENCE, "extension")?;
            extensions = rest;
            let (id, rest) = expect(extension, OID, "extnID")?;
            let (_, rest) = optional(rest, BOOLEAN)?;
            let (value, _) = expect(rest, OCTET_STRING, "extnValue")?;
            if id != EXT_KEY_USAGE {
                continue;
            }
            let (mut list, _) = expect(value, SEQUENCE, "extKeyUsage")?;
            let mut purposes = Vec::new();
            while !list.is_empty() {
                let (purpose, rest) = expect(list, OID, "KeyPurposeId")?;
                purposes.push(purpose);
                list = rest;
            }
            return Ok(ExtendedKeyUsage(Some(purposes)));
        }
        Ok(ExtendedKeyUsage(None))
    }

    /// Whether the certificate may authenticate a TLS server: it has no
    /// extendedKeyUsage, or one listing serverAuth (as OpenSSL requires).
    pub fn allows_server_auth(&self) -> bool {
        self.0.as_ref().is_none_or(|purposes| purposes.contains(&SERVER_AUTH))
    }
}
