//! The push receiver as the binding drives it, the way it drives the
//! polling engine: `start` opens the spool (taking its lock) and binds the
//! port; `next_batch` waits for spooled events; `delivered(n)` acknowledges
//! the first `n` events handed out (their block returned), `requeue` hands
//! the others out again first; `stop` closes the port.

use std::collections::VecDeque;
use std::sync::Arc;

use super::options::PushOptions;
use super::receiver::{Counts, Receiver};
use super::record;
use super::server::{Server, ServerConfig};
use super::tls;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::shared::{Level, Shared};
use crate::spool::{self, Position, Spool, SpoolOptions};

/// The most events one `next_batch` hands out.
const BATCH: usize = 1000;

pub struct PushMonitor {
    options: PushOptions,
    server_config: ServerConfig,
    max_nesting: usize,
    shared: Arc<Shared>,
    running: Option<Running>,
    /// Positions of the events handed out and not yet acknowledged, oldest
    /// first.
    handed: VecDeque<Position>,
}

struct Running {
    spool: Arc<Spool>,
    server: Server,
    counts: Arc<Counts>,
}

impl PushMonitor {
    /// Checks the options (TLS files read now, so their errors come at
    /// `new`); binds nothing.
    pub fn new(options: PushOptions, max_header_bytes: usize, max_nesting: usize, shared: Arc<Shared>) -> Result<Self> {
        let tls = options.tls.as_ref().map(tls::acceptor).transpose()?;
        for (_, secret) in &options.gate.users {
            shared.scrubber.add(secret.expose());
        }
        if let Some((_, token)) = &options.gate.token {
            shared.scrubber.add(token.expose());
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
        Ok(PushMonitor { options, server_config, max_nesting, shared, running: None, handed: VecDeque::new() })
    }

    /// The address listened on, once started.
    pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
        self.running.as_ref().map(|r| r.server.local_addr())
    }

    /// Opens the spool and binds the port (on the current runtime).
    pub fn start(&mut self) -> Result<()> {
        if self.running.is_some() {
            return Ok(());
        }
        let dir = match &self.options.spool_dir {
            Some(dir) => dir.clone(),
            None => spool::default_dir(self.options.listen.port()).map_err(|e| spool_error(&e))?,
        };
        let spool_options = SpoolOptions { max_spool_bytes: self.options.max_spool_bytes, ..SpoolOptions::default() };
        let spool = Arc::new(Spool::open(&dir, spool_options).map_err(|e| spool_error(&e))?);
        for notice in spool.take_notices() {
            self.shared.log_message(Level::Error, notice.to_string());
        }
        let receiver =
            Receiver::new(Arc::clone(&spool), self.options.formats.clone(), self.max_nesting, Arc::clone(&self.shared));
        let counts = receiver.counts();
        let server = Server::start(self.server_config.clone(), Arc::new(receiver))?;
        let scheme = if self.server_config.tls.is_some() { "https" } else { "http" };
        self.shared.log_message(
            Level::Info,
            format!(
                "receiving pushed events on {scheme}://{}{}, spool {}",
                server.local_addr(),
                self.options.path,
                dir.display()
            ),
        );
        if self.options.allow_anonymous && self.options.gate.is_open() {
            self.shared.log_message(
                Level::Warn,
                format!("anyone who reaches {} may push events (http.source.allow_anonymous)", server.local_addr()),
            );
        }
        self.handed.clear();
        self.running = Some(Running { spool, server, counts });
        Ok(())
    }

    /// Waits for spooled events not yet handed out; `Ok(None)` once stopped.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<Event>>> {
        if self.shared.is_stopped() {
            return Ok(None);
        }
        self.start()?;
        let Some(running) = &self.running else { return Ok(None) };
        let spool = Arc::clone(&running.spool);
        let mut committed = spool.subscribe();
        loop {
            committed.borrow_and_update();
            let records = spool.next_batch(BATCH).map_err(|e| spool_error(&e))?;
            if !records.is_empty() {
                let mut events = Vec::with_capacity(records.len());
                for r in records {
                    match record::decode(&r.payload) {
                        Ok(event) => {
                            self.handed.push_back(r.position);
                            events.push(event);
                        }
                        Err(reason) => {
                            // written by another version: nothing to deliver, acknowledged with the next
                            self.shared.log_message(
                                Level::Error,
                                format!("spooled event {:?} cannot be read ({reason}); dropped", r.message_id),
                            );
                            self.handed.push_back(r.position);
                            self.acknowledge_up_to(self.handed.len())?;
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

    /// The first `n` events handed out were delivered.
    pub fn delivered(&mut self, n: usize) -> Result<()> {
        self.acknowledge_up_to(n)
    }

    fn acknowledge_up_to(&mut self, n: usize) -> Result<()> {
        let n = n.min(self.handed.len());
        if n == 0 {
            return Ok(());
        }
        let last = self.handed.drain(..n).next_back();
        match (&self.running, last) {
            (Some(running), Some(position)) => running.spool.acknowledge(position).map_err(|e| spool_error(&e)),
            _ => Ok(()),
        }
    }

    /// Events handed out and not delivered come first again.
    pub fn requeue(&mut self) {
        if let Some(running) = &self.running {
            running.spool.requeue_unacknowledged();
        }
        self.handed.clear();
    }

    /// Closes the port and every connection; the spool stays as it is.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.server.stop().await;
        }
        self.handed.clear();
    }

    pub fn counts(&self) -> Option<Arc<Counts>> {
        self.running.as_ref().map(|r| Arc::clone(&r.counts))
    }
}

fn spool_error(e: &spool::SpoolError) -> Error {
    Error::config("http.source.spool_dir", e.to_string())
}

#[cfg(test)]
#[path = "monitor_tests.rs"]
mod tests;
