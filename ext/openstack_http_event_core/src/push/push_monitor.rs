//! The push receiver as the binding drives it, the way it drives the
//! polling engine: `start` opens the spool (taking its lock) and binds the
//! port; `next_batch` waits for spooled events; `delivered(n)` acknowledges
//! the first `n` events handed out (their block returned), `requeue` hands
//! the others out again first; `stop` closes the port.

use std::collections::VecDeque;
use std::sync::Arc;

use super::config::PushOptions;
use super::config::SpoolChoice;
use super::receiver::Receiver;
use super::record;
use super::server::{Server, ServerConfig};
use super::server_tls;
use crate::error::{Error, Result};
use crate::model::event::Event;
use crate::shared::{Level, Shared};
use crate::spool::{self, FileSpool, Position, PostgresOptions, PostgresSpool, Spool, SpoolError, SpoolOptions};

/// The most events one `next_batch` hands out.
const BATCH: usize = 1000;

pub struct PushMonitor {
    options: PushOptions,
    server_config: ServerConfig,
    max_nesting: usize,
    shared: Arc<Shared>,
    /// Opened by the first `start`, kept across stops (it holds the lock).
    spool: Option<Arc<dyn Spool>>,
    server: Option<Listening>,
    /// Positions of the events handed out and not yet acknowledged, oldest
    /// first.
    handed: VecDeque<Position>,
    caught_up: bool,
    /// A consumer only (`listen: false`) has started reading.
    reading: bool,
}

/// A bound server, closed by a task once the monitor is stopped — so
/// `stop` from any thread frees the port, whoever holds the monitor.
struct Listening {
    addr: std::net::SocketAddr,
    closer: tokio::task::JoinHandle<()>,
}

impl PushMonitor {
    /// Checks the options (TLS files read now, so their errors come at
    /// `new`); binds nothing.
    pub fn new(options: PushOptions, max_header_bytes: usize, max_nesting: usize, shared: Arc<Shared>) -> Result<Self> {
        let tls = options.tls.as_ref().map(server_tls::acceptor).transpose()?;
        for (_, secret) in &options.gate.users {
            shared.scrubber.add(secret.expose());
        }
        if let Some((_, token)) = &options.gate.token {
            shared.scrubber.add(token.expose());
        }
        if let SpoolChoice::Postgres(pg) = &options.spool {
            if let Some(password) = url::Url::parse(pg.url.expose()).ok().and_then(|u| u.password().map(str::to_owned))
            {
                shared.scrubber.add(&password);
                shared.scrubber.add(&crate::util::scrub::percent_decode(&password));
            }
        }
        let server_config = ServerConfig {
            listen: options.listen,
            path: options.path.clone(),
            gate: options.gate.clone(),
            tls,
            max_body_bytes: options.max_body_bytes,
            max_header_bytes,
            request_timeout: options.request_timeout,
            max_connections: options.max_connections,
        };
        Ok(PushMonitor {
            options,
            server_config,
            max_nesting,
            shared,
            spool: None,
            server: None,
            handed: VecDeque::new(),
            caught_up: false,
            reading: false,
        })
    }

    pub fn shared(&self) -> Arc<Shared> {
        Arc::clone(&self.shared)
    }

    /// The address listened on, while listening.
    pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
        self.server.as_ref().filter(|s| !s.closer.is_finished()).map(|s| s.addr)
    }

    fn spool_dir(&self) -> Result<std::path::PathBuf> {
        let port = self.options.listen.port();
        match (&self.options.spool_dir, &self.options.state_dir) {
            (Some(dir), _) => Ok(dir.clone()),
            (None, Some(state)) => Ok(spool::dir_under(state, port)),
            (None, None) => spool::default_dir(port).map_err(|e| spool_error(&e)),
        }
    }

    /// The database spool's options for this monitor.
    fn postgres_options(&self, pg: &PostgresOptions) -> PostgresOptions {
        PostgresOptions {
            consumer: self.options.consumer.clone(),
            max_spool_bytes: self.options.max_spool_bytes,
            ..pg.clone()
        }
    }

    fn open_file_spool(&self) -> Result<FileSpool> {
        let dir = self.spool_dir()?;
        let options = SpoolOptions { max_spool_bytes: self.options.max_spool_bytes, ..SpoolOptions::default() };
        FileSpool::open(&dir, options).map_err(|e| spool_error(&e))
    }

    async fn open_spool(&mut self) -> Result<Arc<dyn Spool>> {
        if let Some(spool) = &self.spool {
            return Ok(Arc::clone(spool));
        }
        let spool: Arc<dyn Spool> = match &self.options.spool {
            SpoolChoice::File => Arc::new(self.open_file_spool()?),
            SpoolChoice::Postgres(pg) => {
                Arc::new(PostgresSpool::open(self.postgres_options(pg)).await.map_err(|e| spool_error(&e))?)
            }
        };
        for notice in spool.take_notices() {
            self.shared.log_message(Level::Error, notice.to_string());
        }
        self.spool = Some(Arc::clone(&spool));
        Ok(spool)
    }

    /// Opens the spool and binds the port, on the shared runtime; again
    /// after a stop. Closed by [`Shared::stop`].
    pub async fn start(&mut self) -> Result<()> {
        if self.local_addr().is_some() {
            return Ok(());
        }
        let spool = self.open_spool().await?;
        if !self.options.receive {
            if !self.reading {
                self.reading = true;
                self.handed.clear();
                self.shared.log_message(
                    Level::Info,
                    format!(
                        "reading pushed events from spool {} as consumer {:?} (not listening: http.source.listen false)",
                        spool.location(),
                        self.options.consumer
                    ),
                );
            }
            return Ok(());
        }
        let runtime = crate::runtime::shared()
            .map_err(|e| Error::Connection { url: "push receiver".into(), message: e.to_string() })?;
        let _context = runtime.enter();
        let receiver =
            Receiver::new(Arc::clone(&spool), self.options.formats.clone(), self.max_nesting, Arc::clone(&self.shared));
        let server = Server::start(self.server_config.clone(), Arc::new(receiver))?;
        let addr = server.local_addr();
        let shared = Arc::clone(&self.shared);
        let closer = runtime.spawn(async move {
            shared.stopped().await;
            server.stop().await;
        });
        let scheme = if self.server_config.tls.is_some() { "https" } else { "http" };
        self.shared.log_message(
            Level::Info,
            format!("receiving pushed events on {scheme}://{addr}{}, spool {}", self.options.path, spool.location()),
        );
        if self.options.allow_anonymous && self.options.gate.is_open() {
            self.shared.log_message(
                Level::Warn,
                format!("anyone who reaches {addr} may push events (http.source.allow_anonymous)"),
            );
        }
        self.handed.clear();
        self.server = Some(Listening { addr, closer });
        Ok(())
    }

    /// Whether the receiver could start: the spool opens and the port can
    /// be bound (then both are let go again unless already in use here).
    pub async fn check(&mut self) -> Result<()> {
        if self.local_addr().is_some() {
            return Ok(());
        }
        if self.spool.is_none() {
            match &self.options.spool {
                SpoolChoice::File => drop(self.open_file_spool()?),
                SpoolChoice::Postgres(pg) => {
                    PostgresSpool::probe(&self.postgres_options(pg)).await.map_err(|e| spool_error(&e))?;
                }
            }
        }
        if !self.options.receive {
            return Ok(());
        }
        std::net::TcpListener::bind(self.options.listen).map(drop).map_err(|e| Error::Connection {
            url: format!("listen {}", self.options.listen),
            message: format!("cannot listen: {e}"),
        })
    }

    /// Waits for spooled events not yet handed out; `Ok(None)` once stopped.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<Event>>> {
        if self.shared.is_stopped() {
            return Ok(None);
        }
        self.start().await?;
        let spool = self.open_spool().await?;
        let mut committed = spool.subscribe();
        loop {
            committed.borrow_and_update();
            let records = match spool.next_batch(BATCH).await {
                Ok(records) => records,
                // the database went away: wait for it, as the receiver does
                Err(e @ SpoolError::Database { .. }) => {
                    self.shared.log_message(Level::Warn, format!("{e}; reading again in 1s"));
                    tokio::select! {
                        biased;
                        _ = self.shared.stopped() => return Ok(None),
                        _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => continue,
                    }
                }
                Err(e) => return Err(spool_error(&e)),
            };
            self.caught_up = records.len() < BATCH;
            if !records.is_empty() {
                let mut events = Vec::with_capacity(records.len());
                for r in records {
                    self.handed.push_back(r.position);
                    match record::decode(&r.payload) {
                        Ok(event) => events.push(event),
                        Err(reason) => {
                            // written by another version: nothing to deliver
                            self.shared.log_message(
                                Level::Error,
                                format!("spooled event {:?} cannot be read ({reason}); dropped", r.message_id),
                            );
                            if events.is_empty() {
                                let n = self.handed.len();
                                self.acknowledge_up_to(n).await?;
                            }
                        }
                    }
                }
                if !events.is_empty() {
                    return Ok(Some(events));
                }
                continue;
            }
            tokio::select! {
                biased;
                _ = self.shared.stopped() => return Ok(None),
                changed = committed.changed() => {
                    if changed.is_err() {
                        return Err(Error::config("http.source.spool_dir", "the spool closed"));
                    }
                }
            }
        }
    }

    /// Whether the last wait handed out everything spooled.
    pub fn caught_up(&self) -> bool {
        self.caught_up
    }

    /// The first `n` events handed out were delivered.
    pub async fn delivered(&mut self, n: usize) -> Result<()> {
        self.acknowledge_up_to(n).await
    }

    async fn acknowledge_up_to(&mut self, n: usize) -> Result<()> {
        let n = n.min(self.handed.len());
        if n == 0 {
            return Ok(());
        }
        let last = self.handed.drain(..n).next_back();
        match (&self.spool, last) {
            (Some(spool), Some(position)) => spool.acknowledge(position).await.map_err(|e| spool_error(&e)),
            _ => Ok(()),
        }
    }

    /// Events handed out and not delivered come first again.
    pub fn requeue(&mut self) {
        if let Some(spool) = &self.spool {
            spool.requeue_unacknowledged();
        }
        self.handed.clear();
    }

    /// Stops the monitor and waits until the port and every connection
    /// are closed; the spool stays as it is.
    pub async fn stop(&mut self) {
        self.shared.stop();
        self.reading = false;
        if let Some(listening) = self.server.take() {
            let _ = listening.closer.await;
        }
        self.handed.clear();
    }

    /// Once stopped with nothing handed out unacknowledged: waits for the
    /// port to close and lets the spool (and its lock) go, so another
    /// receiver — of this process or another — may open it. `start` opens
    /// it again.
    pub async fn release(&mut self) {
        if !self.handed.is_empty() || !self.shared.is_stopped() {
            return;
        }
        if let Some(listening) = self.server.take() {
            let _ = listening.closer.await;
        }
        self.spool = None;
    }
}

fn spool_error(e: &SpoolError) -> Error {
    match e {
        // the database may come back: polling retries
        SpoolError::Database { spool, message } => {
            Error::Connection { url: spool.clone(), message: format!("the spool's database: {message}") }
        }
        SpoolError::Schema { .. } | SpoolError::Option { .. } => Error::config("http.source.spool", e.to_string()),
        _ => Error::config("http.source.spool_dir", e.to_string()),
    }
}

#[cfg(test)]
#[path = "push_monitor_tests.rs"]
mod tests;
