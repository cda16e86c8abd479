//! What every authenticator is ([`Authenticator`]) and what it hands out
//! ([`Credentials`]): the headers each request carries and, for Keystone,
//! the endpoint found in the catalog and what the token says of its roles.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderName, HeaderValue};
use url::Url;

use crate::error::Result;
use crate::http::Http;
use crate::util::scrub::Scrubber;

/// A future an authenticator returns; boxed so that authenticators can sit
/// behind one trait object.
pub type AuthFuture<'a> = Pin<Box<dyn Future<Output = Result<Credentials>> + Send + 'a>>;

/// What a request to the event service needs from authentication.
#[derive(Clone, Default)]
pub struct Credentials {
    /// Headers every request carries (values marked sensitive, so `Debug`
    /// of a header map hides them).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The event service found by authenticating (Keystone's catalog).
    pub endpoint: Option<Url>,
    /// The catalog's type for that service (`event`, `metering`).
    pub service_type: Option<&'static str>,
    /// When to obtain new credentials (expiry minus a margin); `None`: they
    /// last until the service refuses them.
    pub renew_at: Option<DateTime<Utc>>,
    /// Whether a 401 is worth one more try with fresh credentials (they were
    /// issued at runtime and may have expired or been revoked).
    pub renewable: bool,
    /// The roles the credentials carry, when the auth type knows them
    /// (Keystone); `None`: unknown.
    pub roles: Option<Vec<String>>,
    /// The project they are scoped to, as `"name" (id …)`, for messages.
    pub project: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Credentials")
            .field("headers", &names)
            .field("endpoint", &self.endpoint.as_ref().map(Url::as_str))
            .field("service_type", &self.service_type)
            .field("renew_at", &self.renew_at)
            .field("renewable", &self.renewable)
            .field("roles", &self.roles)
            .field("project", &self.project)
            .finish()
    }
}

impl Credentials {
    /// Credentials that never change: these headers, nothing else.
    pub fn fixed(headers: Vec<(HeaderName, HeaderValue)>) -> Self {
        Credentials { headers, ..Credentials::default() }
    }

    /// Whether the credentials are due for renewal at `now`.
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        self.renew_at.is_some_and(|at| at <= now)
    }

    /// Whether the roles include `admin` (any case); `None` when unknown.
    pub fn admin(&self) -> Option<bool> {
        let roles = self.roles.as_ref().filter(|r| !r.is_empty())?;
        Some(roles.iter().any(|r| r.eq_ignore_ascii_case("admin")))
    }
}

/// One way of authenticating.
pub trait Authenticator: Send {
    /// The auth type, as `http.auth.type` names it.
    fn kind(&self) -> &'static str;

    /// What the engine logs before [`Authenticator::credentials`] makes a
    /// request; `None` for types that make none (the header is built once).
    fn announce(&self) -> Option<String> {
        None
    }

    /// The credentials to send: cached ones while they are good, else new
    /// ones (which may take requests through `http`). Every secret obtained
    /// is added to `scrubber` before it is returned.
    fn credentials<'a>(&'a mut self, http: &'a mut Http, scrubber: &'a Scrubber) -> AuthFuture<'a>;

    /// Secrets derived from the configured ones that a service could echo
    /// (a Basic header's base64), for the scrubber.
    fn derived_secrets(&self) -> Vec<String> {
        Vec::new()
    }

    /// The service refused the credentials: forget any cached ones.
    fn invalidate(&mut self) {}
}

/// A future that is ready at once with `credentials`.
pub fn ready<'a>(credentials: Credentials) -> AuthFuture<'a> {
    Box::pin(std::future::ready(Ok(credentials)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_only_from_known_roles() {
        let mut c = Credentials::default();
        assert_eq!(c.admin(), None);
        c.roles = Some(Vec::new());
        assert_eq!(c.admin(), None);
        c.roles = Some(vec!["member".into(), "Admin".into()]);
        assert_eq!(c.admin(), Some(true));
        c.roles = Some(vec!["admin_of_nothing".into()]);
        assert_eq!(c.admin(), Some(false));
    }

    #[test]
    fn due_only_past_renew_at_and_debug_hides_values() {
        let now = Utc::now();
        let mut c = Credentials::fixed(vec![(
            HeaderName::from_static("x-key"),
            crate::util::http_header::secret_value("k", "hunter22").unwrap(),
        )]);
        assert!(!c.due(now));
        c.renew_at = Some(now - chrono::Duration::seconds(1));
        assert!(c.due(now));
        let shown = format!("{c:?}");
        assert!(shown.contains("x-key") && !shown.contains("hunter22"), "{shown}");
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// The credentials of an authenticator that makes no request.
    pub fn credentials(auth: &mut dyn Authenticator) -> Credentials {
        let config = crate::Config::from_value(&serde_json::json!({"url": "http://127.0.0.1:9"})).unwrap();
        let mut http = Http::new(&config).unwrap();
        let scrubber = Scrubber::new();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(auth.credentials(&mut http, &scrubber)).unwrap()
    }
}
