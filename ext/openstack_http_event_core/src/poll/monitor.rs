//! The polling engine behind one `OpenstackHTTPEventMonitor`: session,
//! requests, prefetch and statistics, driving the cursor ([`crate::poll::cursor`]),
//! the paging decisions ([`crate::poll::paging`]) and the back-off
//! ([`crate::util::backoff`]). It knows nothing of Ruby; the binding drives
//! [`Monitor::next_batch`] on the shared runtime without the GVL and reads
//! [`Shared`] (in [`crate::shared`]) from any thread.

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use rand::Rng;
use tokio::time::Instant;
use url::Url;

use crate::auth::{self, Authenticator, Credentials};
use crate::config::{AllTenants, Auth, Config, KeystoneVersion};
use crate::error::{Error, Result};
use crate::http::{self, Http, Reply};
use crate::model::event::{Event, Page};
use crate::poll::cursor::{Admitted, CapReached, Cursor};
use crate::poll::paging::{Notice, Paging, Summary};
use crate::poll::politeness::rate_limit;
use crate::poll::politeness::service_wait::Asked;
use crate::poll::politeness::{Heard, Politeness};
use crate::shared::{Level, Shared};
use crate::source::{Kind, Query, Response, Source};
use crate::state::file::{self as state_file, StateFile};
use crate::state::keeper::Keeper;
use crate::state::Snapshot;
use crate::util::clip::clip_at;
use crate::util::{backoff, clock, timestamp};
/// The longest piece of service text (an id, a reason) put in a log line.
const SHOWN_CHARS: usize = 200;
/// The longest error message (which quotes the service) put in a log line.
const ERROR_SHOWN_CHARS: usize = 500;
/// Failures in a row past which a retried failure is logged as an error.
const FAILURES_BEFORE_ERROR: u32 = 10;

/// The count of failures in a row at which the next retry warning is logged.
fn next_report(n: u32) -> u32 {
    let power = n.checked_next_power_of_two().unwrap_or(u32::MAX);
    let power = if power == n { n.saturating_mul(2) } else { power };
    if n < FAILURES_BEFORE_ERROR && power > FAILURES_BEFORE_ERROR {
        FAILURES_BEFORE_ERROR
    } else {
        power
    }
}

/// The event service's URL and what authenticates requests to it.
struct Session {
    endpoint: Url,
    credentials: Credentials,
    /// Whether the credentials carry the admin role (`all_tenants`); `None`
    /// when unknown (every auth type but Keystone).
    admin: Option<bool>,
    /// The token's project, as `"name" (id …)`, for messages.
    project: String,
}

/// What an events request came to, short of a failure.
enum Answer {
    /// A page, with the service's clock when it answered and what its
    /// headers say of the requests to come (a `304 Not Modified` to a
    /// conditional request is an empty page).
    Page(Page, NaiveDateTime, Box<Heard>),
    /// 401/403, with the service's message.
    Unauthorized(String),
}

/// Awaits a request and reads its answer: a page, a refusal, or an error
/// (status, transport, a body that is not a page). `conditional`: the
/// request carried `If-None-Match`.
async fn request_page(
    request: impl std::future::Future<Output = Result<Reply>>,
    shown: String,
    asked: (Url, Query),
    source: Arc<dyn Source>,
    max_nesting: usize,
    conditional: bool,
) -> Result<Answer> {
    let reply = request.await?;
    let status = reply.status.as_u16();
    let now = clock::service_now(&reply.headers);
    // a spent rate limit refuses with 403 or 429: retried after its reset,
    // not taken for refused credentials
    if status == 403 || status == 429 {
        if let Some(spent) = rate_limit::exhausted(&reply.headers, now) {
            return Err(Error::Status {
                url: shown,
                status,
                message: format!("rate limit exceeded ({}: 0): {}", spent.header, http::error_message(&reply.body)),
                retry_after: spent.reset_in.or_else(|| http::retry_after(&reply.headers)),
            });
        }
    }
    if status == 401 || status == 403 {
        return Ok(Answer::Unauthorized(http::error_message(&reply.body)));
    }
    if status == 304 {
        if !conditional {
            return Err(Error::Status {
                url: shown,
                status,
                message: "304 Not Modified to a request without If-None-Match".into(),
                retry_after: None,
            });
        }
        let (url, query) = asked;
        let heard =
            Box::new(Heard { url, first: query.marker.is_none(), not_modified: true, headers: reply.headers, now });
        return Ok(Answer::Page(Page::default(), now, heard));
    }
    if !reply.status.is_success() {
        return Err(Error::Status {
            url: shown,
            status,
            message: http::error_message(&reply.body),
            retry_after: http::retry_after(&reply.headers),
        });
    }
    let (url, query) = asked;
    let response = Response { url: &url, query: &query, headers: &reply.headers, body: &reply.body };
    let page = source.read(&response, max_nesting).map_err(|message| Error::Parse { url: shown, message })?;
    let heard =
        Box::new(Heard { url, first: query.marker.is_none(), not_modified: false, headers: reply.headers, now });
    Ok(Answer::Page(page, now, heard))
}

/// The next page of a drain, requested ahead.
struct Prefetch {
    query: Query,
    task: tokio::task::JoinHandle<Result<Answer>>,
}

pub struct Monitor {
    config: Config,
    /// The service's dialect: `http.source`, else from the catalog's
    /// service type, else Panko. Shared with the prefetch task, which
    /// parses what it fetched.
    source: Arc<dyn Source>,
    http: Http,
    auth: Box<dyn Authenticator>,
    session: Option<Session>,
    cursor: Cursor,
    paging: Paging,
    /// No poll starts before this instant (poll interval or back-off).
    not_before: Option<Instant>,
    failures: u32,
    caught_up: bool,
    prefetch: Option<Prefetch>,
    /// The process that made `prefetch`: a forked child must not wait for
    /// a task of its parent's runtime.
    pid: u32,
    shared: Arc<Shared>,
    /// Whether the warning that a non-admin token reads only its own
    /// project was logged.
    warned_own_project: bool,
    /// `ETag`, rate limit, poll interval header, capped service waits.
    politeness: Politeness,
    /// The state of what was acknowledged (and its file, `http.state`).
    keeper: Keeper,
    /// Whether the cursor was read back from the state file: then it, not
    /// `start_from`, says where polling starts.
    resumed: bool,
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.drop_prefetch();
    }
}

impl Monitor {
    pub fn new(config: Config) -> Result<Self> {
        Self::with_shared(config, Arc::new(Shared::new()))
    }

    /// A monitor that reports through `shared` (stop, stats and logs of an
    /// earlier one, e.g. in a forked child).
    pub fn with_shared(config: Config, shared: Arc<Shared>) -> Result<Self> {
        let mut http = Http::new(&config)?;
        if let Some(path) = &config.record {
            http.record(Arc::new(crate::http::cassette::Recorder::create(path, Arc::clone(&shared))?));
        }
        let mut cursor = new_cursor(&config, config.since);
        let file = config.state.clone().map(|path| StateFile::new(path).guarded(Arc::clone(&shared)));
        let saved = match &file {
            Some(file) => file.read()?,
            None => None,
        };
        if let (Some(saved), Some(file)) = (&saved, &file) {
            if saved.stream.id != config.stream.id {
                return Err(Error::config(
                    state_file::OPTION,
                    format!(
                        "{} holds the state of another stream ({}), not of this one ({}): give another file, or \
                         remove it to start afresh",
                        file.path().display(),
                        saved.stream.described,
                        config.stream.described
                    ),
                ));
            }
            cursor = cursor.restored(&saved.position);
        }
        let source = match &config.json {
            Some(json) => Arc::clone(json) as Arc<dyn Source>,
            None => config.source.unwrap_or(Kind::Panko).source(),
        };
        let paging = if source.supports_marker() {
            Paging::new(config.page_size, config.limits.max_page_size)
        } else {
            Paging::without_marker(config.page_size, config.limits.max_page_size)
        };
        let mut paging = match source.resumes() {
            Some(kind) => paging.resuming(kind),
            None => paging,
        };
        let resumed = saved.is_some();
        if let Some(saved) = &saved {
            paging.resume_from(saved.service_cursor.clone());
            shared.log(
                Level::Info,
                format!(
                    "resuming from {}: newest event seen {}, {} message_id(s) remembered",
                    file.as_ref().map_or_else(String::new, |f| f.path().display().to_string()),
                    saved.position.newest.map_or_else(|| "none".to_owned(), timestamp::format),
                    cursor.remembered()
                ),
            );
        }
        let keeper = Keeper::new(file, saved);
        for secret in config.auth.secrets() {
            shared.scrubber.add(secret.expose());
        }
        let auth = auth::build(&config)?;
        for secret in auth.derived_secrets() {
            shared.scrubber.add(&secret);
        }
        for password in crate::util::scrub::proxy_passwords(config.proxy.as_ref()) {
            shared.scrubber.add(&password);
        }
        for secret in source.secrets() {
            shared.scrubber.add(&secret);
        }
        shared.lock_stats().cursor = cursor.position().map(timestamp::format);
        let politeness = Politeness::new(&config);
        Ok(Monitor {
            config,
            source,
            http,
            auth,
            session: None,
            cursor,
            paging,
            not_before: None,
            failures: 0,
            caught_up: false,
            prefetch: None,
            pid: std::process::id(),
            shared,
            warned_own_project: false,
            politeness,
            keeper,
            resumed,
        })
    }

    /// The state of what was acknowledged (see [`Keeper`]); `None` when
    /// first asked for while a poll's events are being delivered, without
    /// a state file (the state before that poll was not kept).
    pub fn state(&mut self) -> Option<Snapshot> {
        self.keeper.track();
        self.keeper.current(|| snapshot_of(&self.config, &self.cursor, &self.paging))
    }

    /// Whether acknowledgements write a state file (so they are best
    /// made without holding up other threads).
    pub fn keeps_state_file(&self) -> bool {
        self.keeper.keeps_file()
    }

    /// The first `n` events handed out and not yet acknowledged were
    /// delivered: once a whole poll's are, the state moves past them (and
    /// the state file is written).
    pub fn acknowledge(&mut self, n: usize) -> Result<()> {
        if self.keeper.acknowledge(n) {
            let (config, cursor, paging) = (&self.config, &self.cursor, &self.paging);
            self.keeper.settle(|| snapshot_of(config, cursor, paging)).map_err(|e| self.shared.scrub_error(e))?;
        }
        Ok(())
    }

    /// Writes the state file with what was acknowledged so far, a part of
    /// a poll's events included.
    pub fn flush_state(&mut self) -> Result<()> {
        let (config, cursor, paging) = (&self.config, &self.cursor, &self.paging);
        self.keeper.flush(|| snapshot_of(config, cursor, paging)).map_err(|e| self.shared.scrub_error(e))
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The source polled (it may change once, when the Keystone catalog
    /// offers only `metering`).
    pub fn source(&self) -> &dyn Source {
        self.source.as_ref()
    }

    pub fn shared(&self) -> Arc<Shared> {
        Arc::clone(&self.shared)
    }

    /// Sets where the first poll starts (ManageIQ's newest stored event),
    /// unless a start was configured or polling has begun.
    pub fn start_from(&mut self, since: NaiveDateTime) {
        if self.resumed || self.config.since.is_some() || self.cursor.position().is_some() {
            return;
        }
        self.cursor = new_cursor(&self.config, Some(since));
        self.shared.lock_stats().cursor = Some(timestamp::format(since));
    }

    /// Whether the last poll reached the end of what the service holds: its
    /// last page proved there is nothing newer (not merely a short page from
    /// a service that may cap pages).
    pub fn caught_up(&self) -> bool {
        self.caught_up
    }

    /// One poll: waits for the poll interval (or back-off), fetches one page
    /// and returns its new events, in service order. `Ok(None)` when stopped.
    /// A failure that polling can ride out is logged and counted, and gives
    /// an empty batch; an `Err` needs an operator (credentials, catalog).
    pub async fn next_batch(&mut self) -> Result<Option<Vec<Event>>> {
        let shared = self.shared();
        if shared.is_stopped() {
            return Ok(None);
        }
        if self.pid != std::process::id() {
            std::mem::forget(self.prefetch.take());
            self.pid = std::process::id();
        }
        {
            let (config, cursor, paging) = (&self.config, &self.cursor, &self.paging);
            self.keeper.before_poll(|| snapshot_of(config, cursor, paging));
        }
        let result = tokio::select! {
            biased;
            _ = shared.stopped() => Ok(None),
            batch = self.poll() => batch.map(Some),
        };
        if let Ok(Some(events)) = &result {
            let cursor = &self.cursor;
            self.keeper.handed(events.len(), || events.iter().map(|e| cursor.remembered_as(&e.message_id)).collect());
            if self.keeper.settled() {
                // nothing to deliver: the state moves at once (past filtered events, say)
                let (config, cursor, paging) = (&self.config, &self.cursor, &self.paging);
                self.keeper.settle(|| snapshot_of(config, cursor, paging))?;
            }
        }
        result.map_err(|e| shared.scrub_error(e))
    }

    async fn poll(&mut self) -> Result<Vec<Event>> {
        // politeness: a spent rate limit (even one `check` met) holds polls too
        if let Some(at) = self.not_before.max(self.politeness.paused()) {
            tokio::time::sleep_until(at).await;
        }
        let started = Instant::now();
        self.shared.lock_stats().polls += 1;
        loop {
            // provisional before the first session; `fetch` decides again
            let query = self.paging.next_query(self.cursor.floor(), self.all_tenants().unwrap_or(false));
            let error = match self.fetch(&query).await {
                Ok((page, now)) => {
                    self.failures = 0;
                    let events = self.admit(page, now, &query);
                    self.caught_up = self.paging.caught_up();
                    self.not_before = if self.paging.draining() {
                        // politeness: an ETag covers a whole drain only; no
                        // prefetch while a spent rate limit pauses requests
                        self.politeness.drain_went_on();
                        match self.politeness.paused() {
                            Some(until) => Some(until),
                            None => {
                                let next = self
                                    .paging
                                    .next_query(self.cursor.floor(), self.all_tenants().unwrap_or(query.all_tenants));
                                self.start_prefetch(next);
                                None
                            }
                        }
                    } else {
                        Some(self.politeness.next_poll(started, self.config.poll_interval))
                    };
                    return Ok(events);
                }
                Err(error) => error,
            };
            if query.marker.is_some() && !self.paging.resumes() && matches!(error, Error::Status { status: 400, .. }) {
                // Ceilometer's own v2 events API refuses marker: page by
                // timestamp from now on, and ask again at once
                self.shared.log(
                    Level::Warn,
                    format!(
                        "{}; the service does not take marker: paging by timestamp only from now on",
                        clip_at(&error.to_string(), ERROR_SHOWN_CHARS)
                    ),
                );
                let notices = self.paging.marker_rejected();
                self.report(notices);
                if self.paging.draining() {
                    continue;
                }
                self.caught_up = false;
                self.not_before = Some(started + self.config.poll_interval);
                return Ok(Vec::new());
            }
            self.drop_prefetch();
            self.paging.abandon();
            self.caught_up = false;
            self.record_error(&error);
            if !error.is_retryable() {
                self.not_before = None;
                return Err(error);
            }
            let wait = self.backoff(error.retry_after());
            self.shared.lock_stats().retries += 1;
            // said at the first failure, then at growing intervals (2, 4, 8,
            // … in a row, and when it turns into an error): a dead service
            // does not fill the log
            let n = self.failures;
            if n.is_power_of_two() || n == FAILURES_BEFORE_ERROR {
                let level = if n < FAILURES_BEFORE_ERROR { Level::Warn } else { Level::Error };
                let in_a_row = match n {
                    1 => String::new(),
                    n => format!(" ({n} failures in a row; said again at {})", next_report(n)),
                };
                self.shared.log(
                    level,
                    format!(
                        "{}{in_a_row}; retrying in {:.1}s",
                        clip_at(&error.to_string(), ERROR_SHOWN_CHARS),
                        wait.as_secs_f64()
                    ),
                );
            }
            self.not_before = Some(Instant::now() + wait);
            return Ok(Vec::new());
        }
    }

    /// Takes in one page: skipped rows reported once, events de-duplicated
    /// and filtered, the paging decision made. Returns the events to deliver.
    fn admit(&mut self, page: Page, now: NaiveDateTime, query: &Query) -> Vec<Event> {
        let rows = page.rows;
        let horizon = clock::horizon(now, self.config.limits.max_clock_skew);
        let marker = query.marker.as_deref().filter(|_| self.source.marker_is_id());
        let mut summary = Summary::of(&page, marker, horizon);
        // a malformed row re-read with the window is counted and logged once
        let skipped = self.cursor.note_skipped(&page.skipped, query.floor);
        if let Some(first) = skipped.first() {
            self.shared.log(
                Level::Warn,
                format!(
                    "skipped {} malformed event(s) of {rows}; first: {} ({})",
                    skipped.len(),
                    first.message_id.as_deref().map_or("no message_id".to_owned(), clip),
                    clip(&first.reason)
                ),
            );
        }
        // a row without message_id is new every time: it is no progress
        let recognisable = skipped.iter().filter(|s| s.message_id.is_some()).count();
        let skipped = skipped.len();
        let Admitted { mut fresh, duplicates, ahead, first_ahead } = self.cursor.admit(page.events, horizon);
        if let Some((id, generated)) = first_ahead {
            self.shared.log(
                Level::Warn,
                format!(
                    "{ahead} event(s) stamped more than {}s after the service's clock ({}): delivered, but the \
                     cursor does not move to them; first: {} generated {}",
                    self.config.limits.max_clock_skew.as_secs_f64(),
                    timestamp::format(now),
                    clip(&id),
                    clip(&generated)
                ),
            );
        }
        for cap in self.cursor.take_notices() {
            let message = match cap {
                CapReached::Ids(n) => format!(
                    "{n} message_ids remembered (http.max_remembered_ids): the oldest are forgotten from now on, \
                     so one re-read inside the back-read window may be delivered again"
                ),
                CapReached::Skipped(n) => format!(
                    "{n} malformed rows remembered (http.max_remembered_skipped): the oldest are forgotten from \
                     now on and counted again if served again"
                ),
            };
            self.shared.log(Level::Warn, message);
        }
        summary.fresh = fresh.len() + recognisable;
        let notices = self.paging.after_page(query, &summary);
        self.report(notices);
        let before = fresh.len();
        if let Some(filter) = &self.config.event_types {
            fresh.retain(|e| filter.matches(&e.event_type));
        }
        let mut stats = self.shared.lock_stats();
        stats.skipped += skipped as u64;
        stats.duplicates_dropped += duplicates as u64;
        stats.filtered += (before - fresh.len()) as u64;
        stats.cursor = self.cursor.position().map(timestamp::format);
        drop(stats);
        self.shared.log(
            Level::Debug,
            format!("{rows} row(s): {} new, {duplicates} duplicate(s), {} filtered", fresh.len(), before - fresh.len()),
        );
        fresh
    }

    /// Logs what paging learned about the service.
    fn report(&self, notices: Vec<Notice>) {
        for notice in notices {
            match notice {
                Notice::MarkerIgnored => self.shared.log(
                    Level::Warn,
                    "the service ignores marker (it served the marker's row again): paging by timestamp only \
                     from now on"
                        .into(),
                ),
                Notice::RepeatedPage => self.shared.log(
                    Level::Warn,
                    "the service served the same page again (same rows, same next page): ending this drain; the \
                     next poll starts again from the cursor"
                        .into(),
                ),
                Notice::PageCap(rows) => self
                    .shared
                    .log(Level::Info, format!("the service returns at most {rows} rows per page, fewer than asked")),
                Notice::Overfull { at, rows, cap } => {
                    self.shared.lock_stats().unreadable += 1;
                    self.shared.log(
                        Level::Error,
                        format!(
                            "at least {rows} events share generated {}, and one page holds at most {cap} \
                             (http.max_page_size or the service's cap) on a service without a working marker: \
                             events on that timestamp past those {rows} cannot be read; moving past it",
                            timestamp::format(at)
                        ),
                    );
                }
                Notice::ShortTimestamp { at, rows, limit } => self.shared.log(
                    Level::Warn,
                    format!(
                        "asked for {limit} events the service answered {rows}, all generated {}, yet it holds \
                         later ones: if it caps pages at {rows}, events on that timestamp past those were not read",
                        timestamp::format(at)
                    ),
                ),
            }
        }
    }

    fn record_error(&self, error: &Error) {
        let mut stats = self.shared.lock_stats();
        stats.errors += 1;
        stats.last_error = Some(self.shared.scrubber.scrub(&error.to_string()));
    }

    fn backoff(&mut self, asked: Option<Duration>) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let asked = asked.map(|a| self.politeness.service_wait(Asked::RetryAfter, a, &self.shared));
        backoff::delay(self.failures, asked, rand::thread_rng().gen::<f64>())
    }

    /// Whether queries ask for every project's events. Panko honours
    /// `all_tenants` only from a token with the admin role; from anyone else
    /// it is a trait filter that matches nothing (an empty answer, no error),
    /// so with Keystone it is sent only when the token is an admin's.
    /// Before a session exists the answer is provisional.
    fn all_tenants(&self) -> Result<bool> {
        if !self.source.supports_all_tenants() {
            if self.config.all_tenants == AllTenants::Always {
                return Err(Error::config(
                    "http.all_tenants",
                    format!(
                        "is true, but the event service is read as source {} (from the catalog), which has no \
                         all_tenants; leave it :auto",
                        self.source.name()
                    ),
                ));
            }
            return Ok(false);
        }
        let admin = self.session.as_ref().and_then(|s| s.admin);
        match (self.config.all_tenants, admin) {
            (AllTenants::Never, _) => Ok(false),
            (AllTenants::Always, Some(false)) => {
                let project = self.session.as_ref().map_or("", |s| s.project.as_str());
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
            (AllTenants::Auto, _) if matches!(&self.config.auth, Auth::Keystone(k) if k.version == KeystoneVersion::V2) => {
                Ok(false)
            }
            (AllTenants::Auto, admin) => Ok(admin != Some(false)),
        }
    }

    /// Checks that the service can be reached and answers an events query:
    /// authenticates, finds the endpoint and asks for one event.
    pub async fn check(&mut self) -> Result<()> {
        let query = Query {
            floor: None,
            all_tenants: self.all_tenants().unwrap_or(false),
            limit: 1,
            marker: None,
            resume: None,
        };
        let result = self.fetch(&query).await.map(|_| ());
        if result.is_ok() {
            let source = &self.source;
            let endpoint = self.session.as_ref().map(|s| crate::util::scrub::redact(&s.endpoint));
            {
                let mut stats = self.shared.lock_stats();
                stats.source = Some(source.name().to_owned());
                stats.endpoint = endpoint;
            }
            self.shared.log(
                Level::Info,
                format!("the event service answers as source {}: {}", source.name(), source.describe()),
            );
        }
        result.map_err(|e| self.shared.scrub_error(e))
    }

    /// One page for `query`: the prefetched answer when it matches, else a
    /// request; a refused Keystone token is renewed once.
    async fn fetch(&mut self, query: &Query) -> Result<(Page, NaiveDateTime)> {
        let mut renewed = false;
        if let Some(prefetch) = self.prefetch.take() {
            if prefetch.query == *query {
                match prefetch.task.await {
                    Ok(Ok(Answer::Page(page, now, heard))) => {
                        self.politeness.heard(&heard, &self.shared);
                        return Ok((page, now));
                    }
                    // a failure counts and backs off like any other
                    Ok(Err(error)) => return Err(error),
                    Ok(Ok(Answer::Unauthorized(_))) => {
                        self.shared.log(Level::Info, "the service refused the token; authenticating again".into());
                        self.invalidate_session();
                        renewed = true;
                    }
                    // cancelled or panicked: ask again below
                    Err(_) => {}
                }
            } else {
                prefetch.task.abort();
            }
        }
        loop {
            let fresh_token = self.ensure_session().await?;
            // the session's roles decide all_tenants
            let query = &Query { all_tenants: self.all_tenants()?, ..query.clone() };
            let (request, shown, renewable, url) = self.start_request(query)?;
            let conditional = self.politeness.if_none_match(&url).is_some();
            let source = Arc::clone(&self.source);
            let asked = (url, query.clone());
            let nesting = self.config.limits.max_nesting;
            match request_page(request, shown.clone(), asked, source, nesting, conditional).await? {
                Answer::Page(page, now, heard) => {
                    self.politeness.heard(&heard, &self.shared);
                    return Ok((page, now));
                }
                Answer::Unauthorized(_) if renewable && !renewed && !fresh_token => {
                    // expired or revoked: authenticate once more and retry
                    self.shared.log(Level::Info, format!("{shown} refused the token; authenticating again"));
                    self.invalidate_session();
                    renewed = true;
                }
                Answer::Unauthorized(message) => {
                    self.invalidate_session();
                    return Err(Error::Authentication {
                        url: shown,
                        message: format!("{} credentials refused: {message}", self.auth.kind()),
                    });
                }
            }
        }
    }

    /// Forgets the session and the authenticator's cached credentials (the
    /// service refused them).
    fn invalidate_session(&mut self) {
        self.session = None;
        self.auth.invalidate();
    }

    /// Starts the request for `query` on the current session; the future
    /// owns all it needs. Also returns the URL to show and whether a refusal
    /// is worth new credentials.
    fn start_request(
        &mut self,
        query: &Query,
    ) -> Result<(impl std::future::Future<Output = Result<Reply>> + Send + 'static, String, bool, Url)> {
        let session = self.session.as_ref().ok_or_else(|| Error::config("http.auth", "no session"))?;
        let asked = self.source.request(&session.endpoint, query);
        let url = asked.url;
        let shown = crate::util::scrub::redact(&url);
        self.shared.log(Level::Info, format!("{} {shown}: {}", asked.method, query.describe()));
        self.shared.lock_stats().requests += 1;
        let renewable = session.credentials.renewable;
        // the source's own headers; a conditional request (http.source.etag) adds If-None-Match
        let mut headers = session.credentials.headers.clone();
        headers.extend(asked.headers);
        headers.extend(self.politeness.if_none_match(&url));
        let request = self.http.send(asked.method, url.clone(), &headers, asked.body)?;
        Ok((request, shown, renewable, url))
    }

    /// Fetches and parses the next page of a drain in a task of its own
    /// while Ruby handles the current one. Only a page that came back whole
    /// is used; anything else is asked again.
    fn start_prefetch(&mut self, query: Query) {
        let fresh = self.session.as_ref().is_some_and(|s| !s.credentials.due(Utc::now()));
        if !fresh {
            return;
        }
        if let Ok((request, shown, _, url)) = self.start_request(&query) {
            let conditional = self.politeness.if_none_match(&url).is_some();
            let source = Arc::clone(&self.source);
            let asked = (url, query.clone());
            let nesting = self.config.limits.max_nesting;
            let task = tokio::spawn(request_page(request, shown, asked, source, nesting, conditional));
            self.prefetch = Some(Prefetch { query, task });
        }
    }

    fn drop_prefetch(&mut self) {
        if let Some(prefetch) = self.prefetch.take() {
            prefetch.task.abort();
        }
    }

    /// Makes sure a session exists; `true` when it was just created.
    async fn ensure_session(&mut self) -> Result<bool> {
        if self.session.as_ref().is_some_and(|s| !s.credentials.due(Utc::now())) {
            return Ok(false);
        }
        if let Some(announce) = self.auth.announce() {
            self.shared.log(Level::Info, announce);
            let mut stats = self.shared.lock_stats();
            stats.requests += 1;
            stats.authentications += 1;
        }
        let credentials = self.auth.credentials(&mut self.http, &self.shared.scrubber).await?;
        let endpoint = match (&self.config.url, &credentials.endpoint) {
            (Some(url), _) => url.clone(),
            (None, Some(url)) => {
                self.shared.log(Level::Info, format!("event service from the catalog: {url}"));
                if let Some(service_type) = credentials.service_type {
                    self.source_from_catalog(service_type);
                }
                url.clone()
            }
            (None, None) => return Err(Error::config("http.url", "is required")),
        };
        let admin = credentials.admin();
        let project = credentials.project.clone().unwrap_or_default();
        if admin == Some(false) && self.config.all_tenants == AllTenants::Auto && !self.warned_own_project {
            self.warned_own_project = true;
            self.shared.log(
                Level::Warn,
                format!(
                    "the token for project {project} has no admin role: reading only that project's events \
                     (Panko shows every project's events to an admin only; see http.all_tenants)"
                ),
            );
        }
        self.session = Some(Session { endpoint, credentials, admin, project });
        Ok(true)
    }
}

impl Monitor {
    /// Without `http.source`, the catalog's service type chooses the
    /// dialect: `metering` (no `event` in the catalog) is Ceilometer's own
    /// v2 events API, read without marker from then on.
    fn source_from_catalog(&mut self, found: &'static str) {
        if self.config.source.is_some() || self.config.json.is_some() {
            return;
        }
        let Some(kind) = Kind::for_catalog_type(found) else { return };
        if kind.name() == self.source.name() {
            return;
        }
        let source = kind.source();
        self.shared.log(
            Level::Info,
            format!(
                "the catalog offers {:?}, not {:?}: reading it as source {} ({})",
                found,
                crate::auth::keystone::EVENT_SERVICE_TYPES[0],
                source.name(),
                source.describe()
            ),
        );
        if !source.supports_marker() {
            let notices = self.paging.stop_marker();
            self.report(notices);
        }
        self.source = source;
    }
}

/// Where polling stands, as a state file holds it.
fn snapshot_of(config: &Config, cursor: &Cursor, paging: &Paging) -> Snapshot {
    Snapshot {
        stream: config.stream.clone(),
        position: cursor.position_state(),
        floor: cursor.floor(),
        service_cursor: paging.kept().map(str::to_owned),
    }
}

fn new_cursor(config: &Config, since: Option<NaiveDateTime>) -> Cursor {
    let cursor = Cursor::new(since, config.backread)
        .with_caps(config.limits.max_remembered_ids, config.limits.max_remembered_skipped);
    // polls ask from the service's own cursor: older stamps are late arrivals
    match &config.json {
        Some(json) if json.resumes().is_some() => cursor.keeping_late(),
        _ => cursor,
    }
}

/// Service text cut to a length fit for a log line.
fn clip(text: &str) -> String {
    clip_at(text, SHOWN_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    /// A real HTTP server on 127.0.0.1 that answers each request with the
    /// next body (200, with `headers`), then `[]`.
    fn serve(headers: &'static str, bodies: Vec<String>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let mut bodies = bodies.into_iter();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                crate::testing::read_request_head(&mut stream);
                let body = bodies.next().unwrap_or_else(|| "[]".into());
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        url
    }

    /// A real HTTP server on 127.0.0.1 that answers each request with the
    /// next whole response (status line and headers, no body).
    fn serve_heads(heads: Vec<&'static str>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for (stream, head) in listener.incoming().zip(heads) {
                let Ok(mut stream) = stream else { break };
                crate::testing::read_request_head(&mut stream);
                let _ = write!(stream, "{head}Connection: close\r\n\r\n");
            }
        });
        url
    }

    #[test]
    fn a_403_with_a_spent_rate_limit_is_retried_a_plain_403_refuses_the_credentials() {
        let spent = "HTTP/1.1 403 Forbidden\r\nX-RateLimit-Remaining: 0\r\nRetry-After: 0\r\nContent-Length: 0\r\n";
        let refused = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n";
        let mut m = monitor(&serve_heads(vec![spent, refused]));
        let shared = m.shared();
        assert_eq!(block_on(m.next_batch()).unwrap().unwrap().len(), 0, "retried, no error raised");
        let last = shared.stats().last_error.unwrap();
        assert!(last.contains("HTTP 403: rate limit exceeded (X-RateLimit-Remaining: 0)"), "{last}");
        m.not_before = None;
        let error = block_on(m.next_batch()).unwrap_err();
        assert!(matches!(error, Error::Authentication { .. }), "{error}");
    }

    #[test]
    fn a_304_to_a_request_without_if_none_match_is_a_retried_error() {
        let mut m = monitor(&serve_heads(vec!["HTTP/1.1 304 Not Modified\r\n"]));
        let shared = m.shared();
        assert_eq!(block_on(m.next_batch()).unwrap().unwrap().len(), 0);
        let last = shared.stats().last_error.unwrap();
        assert!(last.contains("HTTP 304: 304 Not Modified to a request without If-None-Match"), "{last}");
        assert_eq!(shared.stats().errors, 1);
    }

    fn monitor(url: &str) -> Monitor {
        let mut config = Config::from_value(&serde_json::json!({"url": url})).unwrap();
        config.poll_interval = std::time::Duration::ZERO; // below the option's floor: tests poll back to back
        Monitor::new(config).unwrap()
    }

    fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
    }

    fn row(id: &str, generated: &str) -> String {
        format!(r#"{{"message_id":"{id}","event_type":"e","generated":"{generated}","traits":[]}}"#)
    }

    #[test]
    fn events_count_when_delivered_not_when_fetched() {
        let page = format!("[{},{}]", row("a", "2026-01-01T00:00:00"), row("b", "2026-01-01T00:00:01"));
        let mut m = monitor(&serve("", vec![page]));
        let shared = m.shared();
        let batch = block_on(m.next_batch()).unwrap().unwrap();
        assert_eq!(batch.len(), 2);
        assert_eq!(shared.stats().events, 0, "fetched, not yet delivered");
        shared.count_delivered(2);
        assert_eq!(shared.stats().events, 2);
        m.not_before = None;
        assert_eq!(block_on(m.next_batch()).unwrap().unwrap().len(), 0);
        assert_eq!(shared.stats().events, 2);
    }

    fn monitor_with_state(url: &str, state: &std::path::Path) -> Result<Monitor> {
        let mut config = Config::from_value(&serde_json::json!({"url": url, "state": state})).unwrap();
        config.poll_interval = std::time::Duration::ZERO;
        Monitor::new(config)
    }

    fn ids(events: &[Event]) -> Vec<&str> {
        events.iter().map(|e| e.message_id.as_str()).collect()
    }

    #[test]
    fn a_restart_reads_again_what_was_not_acknowledged_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let page = format!(
            "[{},{},{}]",
            row("a", "2026-01-01T00:00:00"),
            row("b", "2026-01-01T00:00:01"),
            row("c", "2026-01-01T00:00:02")
        );
        let url = serve("", vec![page.clone(), page.clone(), page]);
        let mut m = monitor_with_state(&url, &state).unwrap();
        assert_eq!(ids(&block_on(m.next_batch()).unwrap().unwrap()), vec!["a", "b", "c"]);
        m.acknowledge(1).unwrap();
        assert!(!state.exists(), "mid-batch: nothing written yet");
        m.flush_state().unwrap();
        drop(m); // the process dies with b and c in the block
        let mut m = monitor_with_state(&url, &state).unwrap();
        assert_eq!(ids(&block_on(m.next_batch()).unwrap().unwrap()), vec!["b", "c"]);
        m.acknowledge(2).unwrap();
        drop(m);
        let mut m = monitor_with_state(&url, &state).unwrap();
        assert!(block_on(m.next_batch()).unwrap().unwrap().is_empty(), "all three acknowledged");
        // a state of another stream is refused, naming the option and the file
        let other = serve("", vec![]);
        let error = monitor_with_state(&format!("{other}/elsewhere"), &state).err().unwrap().to_string();
        assert!(error.starts_with("invalid option http.state: "), "{error}");
        assert!(error.contains(&state.display().to_string()) && error.contains("another stream"), "{error}");
    }

    #[test]
    fn a_body_that_is_not_json_is_an_error_after_ten_failures_in_a_row() {
        let mut m = monitor(&serve("", vec!["<html>proxy error</html>".into(); 12]));
        let shared = m.shared();
        let mut levels = Vec::new();
        let mut said_at = Vec::new();
        for n in 1..=12 {
            m.not_before = None; // skip the back-off wait, not the counting
            assert_eq!(block_on(m.next_batch()).unwrap().unwrap().len(), 0);
            let retried: Vec<_> = shared.drain_logs().into_iter().filter(|(_, l)| l.contains("retrying in")).collect();
            assert!(retried.len() <= 1);
            if let Some(line) = retried.first() {
                said_at.push(n);
                levels.push(line.clone());
            }
        }
        // the first failure, then 2, 4, 8 in a row, and the tenth as an error
        assert_eq!(said_at, vec![1, 2, 4, 8, 10]);
        assert!(levels[..4].iter().all(|(level, _)| *level == Level::Warn), "{levels:?}");
        assert_eq!(levels[4].0, Level::Error, "{levels:?}");
        assert!(levels[0].1.contains("unparseable") && !levels[0].1.contains("in a row"));
        assert!(levels[1].1.contains("(2 failures in a row; said again at 4)"), "{}", levels[1].1);
        assert!(levels[3].1.contains("(8 failures in a row; said again at 10)"), "{}", levels[3].1);
        assert!(levels[4].1.contains("(10 failures in a row; said again at 16)"), "{}", levels[4].1);
        assert_eq!(m.failures, 12);
        assert_eq!(shared.stats().errors, 12);
    }

    #[test]
    fn the_cursor_stays_within_the_skew_of_the_services_date_header() {
        // the service's clock says 2015: a 2026 event is far ahead of it
        let page = format!("[{},{}]", row("then", "2015-10-21T07:27:00"), row("ahead", "2026-01-01T00:00:00"));
        let mut m = monitor(&serve("Date: Wed, 21 Oct 2015 07:28:00 GMT\r\n", vec![page]));
        let shared = m.shared();
        let batch = block_on(m.next_batch()).unwrap().unwrap();
        assert_eq!(batch.iter().map(|e| e.message_id.as_str()).collect::<Vec<_>>(), vec!["then", "ahead"]);
        assert_eq!(shared.stats().cursor.as_deref(), Some("2015-10-21T07:27:00.000000"));
        let warned: Vec<_> = shared.drain_logs().into_iter().filter(|(l, _)| *l == Level::Warn).collect();
        assert_eq!(warned.len(), 1, "{warned:?}");
        assert!(warned[0].1.contains("ahead generated 2026-01-01T00:00:00"), "{}", warned[0].1);
    }
}
