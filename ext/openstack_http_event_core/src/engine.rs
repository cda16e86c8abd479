//! What the binding drives: the polling engine ([`Monitor`]) for the
//! sources that are asked, or the push receiver ([`PushMonitor`]) for the
//! one that is sent to — the same calls either way.

use std::sync::Arc;

use chrono::NaiveDateTime;

use crate::config::Config;
use crate::error::Result;
use crate::model::event::Event;
use crate::poll::monitor::Monitor;
use crate::push::PushMonitor;
use crate::shared::Shared;

pub enum Engine {
    Poll(Box<Monitor>),
    Push(Box<PushMonitor>),
}

impl Engine {
    /// The engine `config` asks for, reporting through `shared`.
    pub fn with_shared(config: Config, shared: Arc<Shared>) -> Result<Engine> {
        match config.push.clone() {
            Some(push) => {
                let options = (*push).clone();
                let header_bytes = usize::try_from(config.limits.max_header_bytes).unwrap_or(usize::MAX);
                let nesting = config.limits.max_nesting;
                Ok(Engine::Push(Box::new(PushMonitor::new(options, header_bytes, nesting, shared)?)))
            }
            None => Ok(Engine::Poll(Box::new(Monitor::with_shared(config, shared)?))),
        }
    }

    pub fn new(config: Config) -> Result<Engine> {
        Self::with_shared(config, Arc::new(Shared::new()))
    }

    pub fn shared(&self) -> Arc<Shared> {
        match self {
            Engine::Poll(m) => m.shared(),
            Engine::Push(m) => m.shared(),
        }
    }

    /// Ready to take events: the push receiver binds its port here; the
    /// polling engine needs nothing.
    pub async fn start(&mut self) -> Result<()> {
        match self {
            Engine::Poll(_) => Ok(()),
            Engine::Push(m) => m.start().await,
        }
    }

    pub async fn next_batch(&mut self) -> Result<Option<Vec<Event>>> {
        match self {
            Engine::Poll(m) => m.next_batch().await,
            Engine::Push(m) => m.next_batch().await,
        }
    }

    pub async fn check(&mut self) -> Result<()> {
        match self {
            Engine::Poll(m) => m.check().await,
            Engine::Push(m) => m.check().await,
        }
    }

    /// Where polling starts; pushed events come when they are sent.
    pub fn start_from(&mut self, since: NaiveDateTime) {
        if let Engine::Poll(m) = self {
            m.start_from(since);
        }
    }

    pub fn caught_up(&self) -> bool {
        match self {
            Engine::Poll(m) => m.caught_up(),
            Engine::Push(m) => m.caught_up(),
        }
    }

    /// Stopped: lets go of what another monitor may want (the push
    /// spool's lock) once nothing handed out awaits acknowledgement.
    pub async fn release(&mut self) {
        if let Engine::Push(m) = self {
            m.release().await;
        }
    }

    /// Whether an acknowledgement writes to disk (the push receiver's
    /// spool, a poller's state file), so is best made at once and without
    /// holding up other threads; a poller without a state file only
    /// counts, and may be told later (before its next poll).
    pub fn acknowledges(&self) -> bool {
        match self {
            Engine::Poll(m) => m.keeps_state_file(),
            Engine::Push(_) => true,
        }
    }

    /// The first `n` events handed out were delivered (their block
    /// returned): the push spool lets go of them; the poller's state moves
    /// past them.
    pub async fn acknowledge(&mut self, n: usize) -> Result<()> {
        match self {
            Engine::Poll(m) => m.acknowledge(n),
            Engine::Push(m) => m.delivered(n).await,
        }
    }

    /// The poller's state of what was acknowledged, as a state file holds
    /// it; `None` for a receiver (its spool keeps its place), or see
    /// [`Monitor::state`].
    pub fn state(&mut self) -> Option<crate::state::Snapshot> {
        match self {
            Engine::Poll(m) => m.state(),
            Engine::Push(_) => None,
        }
    }

    /// Writes the poller's state file with what was acknowledged so far.
    pub fn flush_state(&mut self) -> Result<()> {
        match self {
            Engine::Poll(m) => m.flush_state(),
            Engine::Push(_) => Ok(()),
        }
    }
}
