//! The polling engine behind one `OpenstackHTTPEventMonitor`: the poll
//! loop. Each poll waits for the poll interval (or back-off), fetches a page
//! through the [`Sessions`] (and the [`Prefetch`] of the drain's next page),
//! lets the cursor ([`crate::poll::cursor`]) admit its events and paging
//! ([`crate::poll::paging`]) decide what comes next, and reports through the
//! [`Reporter`]; the [`Keeper`] moves the state file past what was
//! acknowledged. It knows nothing of Ruby; the binding drives
//! [`Monitor::next_batch`] on the shared runtime without the GVL and reads
//! [`Shared`] from any thread.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use rand::Rng;
use tokio::time::Instant;
use url::Url;

use super::answer::{request_page, Answer};
use super::prefetch::Prefetch;
use super::report::Reporter;
use super::session::Sessions;
use crate::auth;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::{Http, Reply};
use crate::model::event::{Event, Page};
use crate::poll::cursor::{Admitted, Cursor};
use crate::poll::paging::{Paging, Summary};
use crate::poll::politeness::service_wait::Asked;
use crate::poll::politeness::Politeness;
use crate::shared::{Level, Shared};
use crate::source::{Kind, Query, Source};
use crate::state::file::{self as state_file, StateFile};
use crate::state::keeper::Keeper;
use crate::state::Snapshot;
use crate::util::{backoff, clock, timestamp};

pub struct Monitor {
    config: Config,
    /// The service's dialect: `http.source`, else from the catalog's
    /// service type, else Panko. Shared with the prefetch task, which
    /// parses what it fetched.
    source: Arc<dyn Source>,
    http: Http,
    sessions: Sessions,
    cursor: Cursor,
    paging: Paging,
    /// No poll starts before this instant (poll interval or back-off).
    not_before: Option<Instant>,
    failures: u32,
    caught_up: bool,
    prefetch: Prefetch,
    shared: Arc<Shared>,
    report: Reporter,
    /// `ETag`, rate limit, poll interval header, capped service waits.
    politeness: Politeness,
    /// The state of what was acknowledged (and its file, `http.state`).
    keeper: Keeper,
    /// Whether the cursor was read back from the state file: then it, not
    /// `start_from`, says where polling starts.
    resumed: bool,
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
            sessions: Sessions::new(auth),
            cursor,
            paging,
            not_before: None,
            failures: 0,
            caught_up: false,
            prefetch: Prefetch::new(),
            report: Reporter::new(Arc::clone(&shared)),
            shared,
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
        self.prefetch.forget_if_forked();
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
                self.report.marker_refused(&error);
                let notices = self.paging.marker_rejected();
                self.report.notices(notices);
                if self.paging.draining() {
                    continue;
                }
                self.caught_up = false;
                self.not_before = Some(started + self.config.poll_interval);
                return Ok(Vec::new());
            }
            self.prefetch.abort();
            self.paging.abandon();
            self.caught_up = false;
            self.report.error(&error);
            if !error.is_retryable() {
                self.not_before = None;
                return Err(error);
            }
            let wait = self.backoff(error.retry_after());
            self.report.retrying(self.failures, &error, wait);
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
        self.report.skipped(&skipped, rows);
        // a row without message_id is new every time: it is no progress
        let recognisable = skipped.iter().filter(|s| s.message_id.is_some()).count();
        let skipped = skipped.len();
        let Admitted { mut fresh, duplicates, ahead, first_ahead } = self.cursor.admit(page.events, horizon);
        if let Some((id, generated)) = first_ahead {
            self.report.ahead(ahead, self.config.limits.max_clock_skew, now, (&id, &generated));
        }
        self.report.caps(self.cursor.take_notices());
        summary.fresh = fresh.len() + recognisable;
        let notices = self.paging.after_page(query, &summary);
        self.report.notices(notices);
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

    fn backoff(&mut self, asked: Option<Duration>) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let asked = asked.map(|a| self.politeness.service_wait(Asked::RetryAfter, a, &self.shared));
        backoff::delay(self.failures, asked, rand::thread_rng().gen::<f64>())
    }

    /// Whether queries ask for every project's events (see
    /// [`Sessions::all_tenants`]).
    fn all_tenants(&self) -> Result<bool> {
        self.sessions.all_tenants(&self.config, self.source.as_ref())
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
            let endpoint = self.sessions.current().map(|s| crate::util::scrub::redact(&s.endpoint));
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
        if let Some(task) = self.prefetch.take(query) {
            match task.await {
                Ok(Ok(Answer::Page(page, now, heard))) => {
                    self.politeness.heard(&heard, &self.shared);
                    return Ok((page, now));
                }
                // a failure counts and backs off like any other
                Ok(Err(error)) => return Err(error),
                Ok(Ok(Answer::Unauthorized(_))) => {
                    self.shared.log(Level::Info, "the service refused the token; authenticating again".into());
                    self.sessions.invalidate();
                    renewed = true;
                }
                // cancelled or panicked: ask again below
                Err(_) => {}
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
                    self.sessions.invalidate();
                    renewed = true;
                }
                Answer::Unauthorized(message) => {
                    self.sessions.invalidate();
                    return Err(Error::Authentication {
                        url: shown,
                        message: format!("{} credentials refused: {message}", self.sessions.kind()),
                    });
                }
            }
        }
    }

    /// Starts the request for `query` on the current session; the future
    /// owns all it needs. Also returns the URL to show and whether a refusal
    /// is worth new credentials.
    fn start_request(
        &mut self,
        query: &Query,
    ) -> Result<(impl std::future::Future<Output = Result<Reply>> + Send + 'static, String, bool, Url)> {
        let session = self.sessions.current().ok_or_else(|| Error::config("http.auth", "no session"))?;
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
        if !self.sessions.fresh() {
            return;
        }
        if let Ok((request, shown, _, url)) = self.start_request(&query) {
            let conditional = self.politeness.if_none_match(&url).is_some();
            let source = Arc::clone(&self.source);
            let asked = (url, query.clone());
            let nesting = self.config.limits.max_nesting;
            self.prefetch.start(query, request_page(request, shown, asked, source, nesting, conditional));
        }
    }

    /// Makes sure a session exists; `true` when it was just created. An
    /// endpoint from the catalog may choose the dialect
    /// ([`switch_source`]).
    async fn ensure_session(&mut self) -> Result<bool> {
        let Monitor { sessions, http, config, shared, source, paging, report, .. } = self;
        sessions
            .ensure(http, config, shared, |found| switch_source(config, source, paging, report, shared, found))
            .await
    }
}

/// Without `http.source`, the catalog's service type chooses the dialect:
/// `metering` (no `event` in the catalog) is Ceilometer's own v2 events
/// API, read without marker from then on.
fn switch_source(
    config: &Config,
    source: &mut Arc<dyn Source>,
    paging: &mut Paging,
    report: &Reporter,
    shared: &Shared,
    found: &'static str,
) {
    if config.source.is_some() || config.json.is_some() {
        return;
    }
    let Some(kind) = Kind::for_catalog_type(found) else { return };
    if kind.name() == source.name() {
        return;
    }
    let new = kind.source();
    shared.log(
        Level::Info,
        format!(
            "the catalog offers {:?}, not {:?}: reading it as source {} ({})",
            found,
            crate::auth::keystone::EVENT_SERVICE_TYPES[0],
            new.name(),
            new.describe()
        ),
    );
    if !new.supports_marker() {
        report.notices(paging.stop_marker());
    }
    *source = new;
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

#[cfg(test)]
#[path = "monitor_tests.rs"]
mod tests;
