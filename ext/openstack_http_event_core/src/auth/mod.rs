//! How requests to the event service are authenticated: one
//! [`Authenticator`] per `http.auth.type`, each in a file of its own, used by
//! the engine whatever the source.
//!
//! An authenticator hands out [`Credentials`]: the headers each request
//! carries and, for Keystone, the endpoint found in the catalog and what the
//! token says of its roles. The engine asks again when the credentials are
//! due for renewal, and after [`Authenticator::invalidate`] (a 401 from the
//! service). Every secret an authenticator obtains at runtime goes into the
//! [`Scrubber`](crate::util::scrub::Scrubber) before it is used.

mod authenticator;
mod basic;
mod bearer;
mod header;
pub(crate) mod keystone;
mod none;
mod oauth2;
mod token;

pub use authenticator::{ready, AuthFuture, Authenticator, Credentials};

use crate::config::{Auth, Config};
use crate::error::Result;

/// The authenticator for the configured auth type.
pub fn build(config: &Config) -> Result<Box<dyn Authenticator>> {
    Ok(match &config.auth {
        Auth::None => Box::new(none::NoAuth),
        Auth::Token(secret) => Box::new(token::TokenAuth::new(secret)?),
        Auth::Bearer(secret) => Box::new(bearer::BearerAuth::new(secret)?),
        Auth::Basic(b) => Box::new(basic::BasicAuth::new(b)?),
        Auth::Header(h) => Box::new(header::HeaderAuth::new(h)?),
        Auth::OAuth2(o) => Box::new(oauth2::OAuth2Auth::new(o.clone())),
        Auth::Keystone(k) => Box::new(keystone::KeystoneAuthenticator::new(k.clone(), config.url.is_none())),
    })
}
