//! `Tls`: the TLS options (`http.verify_ssl`, `http.ca_file`,
//! `http.ca_pem`, `http.client_cert`, `http.client_key`) and their parsing.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::util::options::Options;

#[derive(Debug, Clone)]
pub struct Tls {
    pub verify: bool,
    pub ca_file: Option<PathBuf>,
    /// Trusted CAs given as PEM text (ManageIQ keeps an endpoint's CA so);
    /// never with `ca_file`.
    pub ca_pem: Option<String>,
    /// Client certificate chain and its private key (PEM files).
    pub client_identity: Option<(PathBuf, PathBuf)>,
}

impl Tls {
    /// `http.ca_file`, `http.ca_pem`, `http.client_cert` and `http.client_key`,
    /// with `verify` left `true`: `http.verify_ssl` is read later, where
    /// [`Config::from_value`](super::Config::from_value) has always read it,
    /// so that the first error reported stays the same.
    pub(super) fn from_options(o: &Options) -> Result<Tls> {
        let file = |key: &str| -> Result<Option<PathBuf>> {
            let path = o.string(key)?.map(PathBuf::from);
            match path {
                Some(p) if !p.is_file() => {
                    Err(Error::config(format!("http.{key}"), format!("{} is not a readable file", p.display())))
                }
                other => Ok(other),
            }
        };
        let ca_file = file("ca_file")?;
        let ca_pem = o.string("ca_pem")?.filter(|pem| !pem.trim().is_empty());
        if ca_file.is_some() && ca_pem.is_some() {
            return Err(Error::config("http.ca_pem", "is given with http.ca_file: give one of them"));
        }
        let client_identity = match (file("client_cert")?, file("client_key")?) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            (Some(_), None) => return Err(Error::config("http.client_key", "is required with http.client_cert")),
            (None, Some(_)) => return Err(Error::config("http.client_cert", "is required with http.client_key")),
        };
        Ok(Tls { verify: true, ca_file, ca_pem, client_identity })
    }
}
