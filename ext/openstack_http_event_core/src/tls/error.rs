//! The TLS module's errors: [`TlsError`] while the configuration is built
//! (bad PEM, no key…), [`PemError`] for a PEM text that cannot be read,
//! [`Rejection`] when a server's certificate is refused for a reason rustls
//! has no variant of its own for.

use std::fmt;

use rustls_pki_types::pem;

/// A TLS configuration that cannot be built. The HTTP client turns it into
/// [`crate::Error::Config`] naming the option.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The trusted certificates' PEM text cannot be read.
    #[error("is not a PEM bundle: {0}")]
    CaPem(PemError),

    /// A trusted certificate that cannot be a trust anchor.
    #[error("certificate {index} of the bundle cannot be trusted: {source}")]
    CaCertificate { index: usize, source: tokio_rustls::rustls::Error },

    /// The client certificate and key's PEM text cannot be read.
    #[error("is not a PEM certificate and key: {0}")]
    IdentityPem(PemError),

    /// No certificate in the client certificate's PEM text.
    #[error("is not a PEM certificate and key: no PEM certificate in it")]
    NoClientCertificate,

    /// No private key in the client key's PEM text.
    #[error("is not a PEM certificate and key: no PEM private key in it")]
    NoClientKey,

    /// rustls refuses the client certificate and key.
    #[error("is not a usable certificate and key: {0}")]
    Identity(tokio_rustls::rustls::Error),

    /// The system's certificate store holds no usable certificate.
    #[error("no valid certificate in the system's store: {0}")]
    NativeRoots(String),

    /// rustls refuses the verifier's settings.
    #[error("cannot build the certificate verifier: {0}")]
    Verifier(#[from] tokio_rustls::rustls::client::VerifierBuilderError),

    /// rustls refuses the protocol versions.
    #[error("cannot build the TLS configuration: {0}")]
    Config(tokio_rustls::rustls::Error),
}

/// A PEM text that cannot be read. Its message shows the missing end line
/// or the bad start line as text (the PEM reader's own shows their bytes as
/// numbers), an I/O error as it is.
#[derive(Debug)]
pub struct PemError(pub pem::Error);

impl fmt::Display for PemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            pem::Error::MissingSectionEnd { end_marker } => {
                write!(f, "section end \"-----END {}-----\" missing", String::from_utf8_lossy(end_marker))
            }
            pem::Error::IllegalSectionStart { line } => {
                write!(f, "illegal section start: {:?}", String::from_utf8_lossy(line))
            }
            pem::Error::Io(e) => e.fmt(f),
            other => other.fmt(f),
        }
    }
}

impl std::error::Error for PemError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// Why a server's certificate was refused, when rustls's own
/// `CertificateError` variants do not say it. Reaches the user inside the
/// rustls error ("invalid peer certificate: …").
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    /// A CA certificate (`basicConstraints CA:TRUE`) presented as the
    /// server's own that the CA file does not hold.
    #[error(
        "the server presents a CA certificate (basicConstraints CA:TRUE, e.g. a self-signed one) as its own; it is \
         trusted only when http.ca_file (--ca-file, OS_CACERT) or http.ca_pem holds this very certificate"
    )]
    CaNotInCaFile,

    /// The CA file's certificate the server presents cannot be read.
    #[error("the server's certificate (held in the CA file) cannot be read: {0}")]
    Unreadable(#[from] ParseError),

    /// The CA file's certificate the server presents is not for servers.
    #[error(
        "the server's certificate (held in the CA file) does not allow TLS server authentication: its \
         extendedKeyUsage lacks serverAuth"
    )]
    NotForServers,
}

/// A certificate's field that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("bad DER in its {0}")]
    Der(&'static str),
    #[error("bad time {0:?}")]
    Time(String),
    #[error("a time before 1970")]
    BeforeEpoch,
}

impl Rejection {
    /// The rejection `error` carries: a rustls error refusing the
    /// certificate for one ([`rustls_error`]).
    pub fn carried_by<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Rejection> {
        use tokio_rustls::rustls::{CertificateError, Error, OtherError};
        match rustls_error(error)? {
            Error::InvalidCertificate(CertificateError::Other(OtherError(inner))) => inner.downcast_ref::<Rejection>(),
            _ => None,
        }
    }
}

/// The rustls error `error` is, or carries inside the I/O errors the
/// connection failed with (tokio-rustls wraps it in one, reqwest's
/// connector in another). An I/O error's `source()` skips the error it
/// wraps, so a walk of the source chain finds it only through this.
pub fn rustls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a tokio_rustls::rustls::Error> {
    let mut error = error;
    while let Some(inner) = error.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
        error = inner;
    }
    error.downcast_ref()
}
