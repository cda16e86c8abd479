//! The HTTP client's TLS: the rustls configuration reqwest is given
//! ([`client_config`](mod@client_config)), and the server-certificate verifier that trusts a
//! server presenting, as its own, a certificate held in `http.ca_file` /
//! `http.ca_pem` — as curl `--cacert` and Ruby's Net::HTTP (OpenSSL) do for
//! the self-signed `basicConstraints CA:TRUE` certificates of labs and
//! devstack, which webpki alone refuses (`CaUsedAsEndEntity`).

mod accept_any;
mod client_config;
mod der;
mod error;
mod fields;
mod identity;
mod key_usage;
mod roots;
mod trusted;
mod validity;
mod verifier;

pub use accept_any::AcceptAnyCertificate;
pub use client_config::{client_config, TlsSettings};
pub use error::{rustls_error, ParseError, PemError, Rejection, TlsError};
pub use fields::CertificateFields;
pub use identity::ClientIdentity;
pub use key_usage::ExtendedKeyUsage;
pub use roots::roots;
pub use trusted::TrustedCertificates;
pub use validity::{Validity, When};
pub use verifier::CaFileVerifier;

#[cfg(test)]
mod tests;
