//! Shared server state: configuration, the recognizer pool, and the registry of live calls
//! (a slot per call, released on drop however the call ends).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use callassist_inference::asr::AsrPool;
use tokio::sync::watch;

use crate::adoption::AdoptionStore;
use crate::auth::Auth;
use crate::config::ServerConfig;
use crate::error::CallError;
use crate::eventlog::EventLog;
use crate::knowledge::Knowledge;

/// Cloneable handle to everything a request handler needs.
#[derive(Clone, Debug)]
pub struct AppState {
    pub cfg: Arc<ServerConfig>,
    pub asr: AsrPool,
    /// The knowledge base, when enabled.
    pub knowledge: Option<Knowledge>,
    /// Suggestion adoption counters, when the server keeps data.
    pub adoption: Option<AdoptionStore>,
    /// How callers are authenticated (open unless a key file is in use).
    pub auth: Auth,
    /// The durable event log (CRM stream), when the server keeps data.
    pub event_log: Option<EventLog>,
    /// The local LLM for generated suggestions and summaries, when enabled.
    pub composer: Option<crate::assist::compose::Composer>,
    /// Per-tenant settings (PII redaction).
    pub tenants: Arc<crate::tenants::TenantSettings>,
    calls: Arc<CallRegistry>,
}

#[derive(Debug)]
struct CallRegistry {
    active: AtomicUsize,
    started: AtomicU64,
    draining: watch::Sender<bool>,
}

/// Held by a live call; frees its slot when dropped.
#[derive(Debug)]
pub struct CallSlot {
    calls: Arc<CallRegistry>,
}

impl Drop for CallSlot {
    fn drop(&mut self) {
        self.calls.active.fetch_sub(1, Ordering::SeqCst);
    }
}

impl AppState {
    /// State around an existing recognizer pool.
    pub fn new(cfg: ServerConfig, asr: AsrPool) -> Self {
        let tenants = Arc::new(crate::tenants::TenantSettings::for_server(&cfg));
        Self {
            cfg: Arc::new(cfg),
            asr,
            knowledge: None,
            adoption: None,
            auth: Auth::Open,
            event_log: None,
            composer: None,
            tenants,
            calls: Arc::new(CallRegistry {
                active: AtomicUsize::new(0),
                started: AtomicU64::new(0),
                draining: watch::channel(false).0,
            }),
        }
    }

    /// Adds a knowledge base.
    pub fn with_knowledge(mut self, kb: Knowledge) -> Self {
        self.knowledge = Some(kb);
        self
    }

    /// Authenticates callers with `auth`.
    pub fn with_auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Adds the adoption store.
    pub fn with_adoption(mut self, store: AdoptionStore) -> Self {
        self.adoption = Some(store);
        self
    }

    /// Adds the event log.
    pub fn with_event_log(mut self, log: EventLog) -> Self {
        self.event_log = Some(log);
        self
    }

    /// Adds the local LLM.
    pub fn with_composer(mut self, composer: crate::assist::compose::Composer) -> Self {
        self.composer = Some(composer);
        self
    }

    /// Becomes true when shutdown begins (long-lived streams end then).
    pub fn shutting_down(&self) -> watch::Receiver<bool> {
        self.calls.draining.subscribe()
    }

    /// Reserves a slot for a new call, or says why not.
    pub fn admit_call(&self) -> Result<CallSlot, CallError> {
        if *self.calls.draining.borrow() {
            return Err(CallError::ShuttingDown);
        }
        let max = self.cfg.max_calls;
        let prev = self.calls.active.fetch_add(1, Ordering::SeqCst);
        let slot = CallSlot {
            calls: self.calls.clone(),
        };
        if prev >= max {
            drop(slot);
            return Err(CallError::Exhausted(format!(
                "{max} calls already in progress on this server; retry later or on another replica"
            )));
        }
        self.calls.started.fetch_add(1, Ordering::Relaxed);
        Ok(slot)
    }

    /// Calls in progress.
    pub fn active_calls(&self) -> usize {
        self.calls.active.load(Ordering::SeqCst)
    }

    /// Calls admitted since start.
    pub fn calls_started(&self) -> u64 {
        self.calls.started.load(Ordering::Relaxed)
    }

    /// Stops admitting calls (shutdown has begun).
    pub fn start_draining(&self) {
        self.calls.draining.send_replace(true);
    }
}
