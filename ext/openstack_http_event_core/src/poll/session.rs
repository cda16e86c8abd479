//! The monitor's session with the event service: the authenticator, the
//! credentials it handed out, the endpoint they lead to (configured, or from
//! the Keystone catalog) and what the token says of its roles, which decides
//! `all_tenants`.

use chrono::Utc;
use url::Url;

use crate::auth::{Authenticator, Credentials};
use crate::config::{AllTenants, Auth, Config, KeystoneVersion};
use crate::error::{Error, Result};
use crate::http::Http;
use crate::shared::{Level, Shared};
use crate::source::Source;

/// The event service's URL and what authenticates requests to it.
pub(super) struct Session {
    pub(super) endpoint: Url,
    pub(super) credentials: Credentials,
    /// Whether the credentials carry the admin role (`all_tenants`); `None`
    /// when unknown (every auth type but Keystone).
    admin: Option<bool>,
    /// The token's project, as `"name" (id …)`, for messages.
    project: String,
}

/// The authenticator and the session it made, made again when due or
/// refused.
pub(super) struct Sessions {
    auth: Box<dyn Authenticator>,
    current: Option<Session>,
    /// Whether the warning that a non-admin token reads only its own
    /// project was logged.
    warned_own_project: bool,
}

impl Sessions {
    pub(super) fn new(auth: Box<dyn Authenticator>) -> Self {
        Sessions { auth, current: None, warned_own_project: false }
    }

    pub(super) fn current(&self) -> Option<&Session> {
        self.current.as_ref()
    }

    /// Whether a session exists and its credentials are not due for renewal.
    pub(super) fn fresh(&self) -> bool {
        self.current.as_ref().is_some_and(|s| !s.credentials.due(Utc::now()))
    }

    /// The auth type, as `http.auth.type` names it.
    pub(super) fn kind(&self) -> &'static str {
        self.auth.kind()
    }

    /// Forgets the session and the authenticator's cached credentials (the
    /// service refused them).
    pub(super) fn invalidate(&mut self) {
        self.current = None;
        self.auth.invalidate();
    }

    /// Makes sure a session exists; `true` when it was just created. When
    /// the endpoint comes from the catalog, `from_catalog` hears the
    /// catalog's service type (it may choose the dialect).
    pub(super) async fn ensure(
        &mut self,
        http: &mut Http,
        config: &Config,
        shared: &Shared,
        from_catalog: impl FnOnce(&'static str),
    ) -> Result<bool> {
        if self.fresh() {
            return Ok(false);
        }
        if let Some(announce) = self.auth.announce() {
            shared.log(Level::Info, announce);
            let mut stats = shared.lock_stats();
            stats.requests += 1;
            stats.authentications += 1;
        }
        let credentials = self.auth.credentials(http, &shared.scrubber).await?;
        let endpoint = match (&config.url, &credentials.endpoint) {
            (Some(url), _) => url.clone(),
            (None, Some(url)) => {
                shared.log(Level::Info, format!("event service from the catalog: {url}"));
                if let Some(service_type) = credentials.service_type {
                    from_catalog(service_type);
                }
                url.clone()
            }
            (None, None) => return Err(Error::config("http.url", "is required")),
        };
        let admin = credentials.admin();
        let project = credentials.project.clone().unwrap_or_default();
        if admin == Some(false) && config.all_tenants == AllTenants::Auto && !self.warned_own_project {
            self.warned_own_project = true;
            shared.log(
                Level::Warn,
                format!(
                    "the token for project {project} has no admin role: reading only that project's events \
                     (Panko shows every project's events to an admin only; see http.all_tenants)"
                ),
            );
        }
        self.current = Some(Session { endpoint, credentials, admin, project });
        Ok(true)
    }

    /// Whether queries ask for every project's events. Panko honours
    /// `all_tenants` only from a token with the admin role; from anyone else
    /// it is a trait filter that matches nothing (an empty answer, no error),
    /// so with Keystone it is sent only when the token is an admin's.
    /// Before a session exists the answer is provisional.
    pub(super) fn all_tenants(&self, config: &Config, source: &dyn Source) -> Result<bool> {
        if !source.supports_all_tenants() {
            if config.all_tenants == AllTenants::Always {
                return Err(Error::config(
                    "http.all_tenants",
                    format!(
                        "is true, but the event service is read as source {} (from the catalog), which has no \
                         all_tenants; leave it :auto",
                        source.name()
                    ),
                ));
            }
            return Ok(false);
        }
        let admin = self.current.as_ref().and_then(|s| s.admin);
        match (config.all_tenants, admin) {
            (AllTenants::Never, _) => Ok(false),
            (AllTenants::Always, Some(false)) => {
                let project = self.current.as_ref().map_or("", |s| s.project.as_str());
                Err(Error::config(
                    "http.all_tenants",
                    format!(
                        "is true, but the Keystone token for project {project} has no admin role, and Panko \
                         ignores all_tenants from a non-admin (it answers an empty list); give the user the \
                         admin role, or set http.all_tenants to :auto to read only that project's events"
                    ),
                ))
            }
            (AllTenants::Always, _) => Ok(true),
            // Keystone v2 tokens make Panko reject all_tenants (ManageIQ
            // sends it only with v3)
            (AllTenants::Auto, _) if matches!(&config.auth, Auth::Keystone(k) if k.version == KeystoneVersion::V2) => {
                Ok(false)
            }
            (AllTenants::Auto, admin) => Ok(admin != Some(false)),
        }
    }
}
