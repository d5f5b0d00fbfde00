//! Shared server state: configuration, the recognizer pool, and the registry of live calls
//! (a slot per call, released on drop however the call ends).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

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
    /// Calls in progress per tenant (entries removed at zero).
    per_tenant: Mutex<HashMap<String, usize>>,
}

impl CallRegistry {
    fn tenants(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        // The map holds plain counters, so a poisoned lock still holds valid data.
        self.per_tenant
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
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

/// Held by a live call once its tenant is known; frees the tenant's slot when dropped.
#[derive(Debug)]
pub struct TenantSlot {
    calls: Arc<CallRegistry>,
    tenant: String,
}

impl Drop for TenantSlot {
    fn drop(&mut self) {
        let mut map = self.calls.tenants();
        if let Some(n) = map.get_mut(&self.tenant) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.tenant);
            }
        }
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
                per_tenant: Mutex::default(),
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

    /// Reserves one of `tenant`'s `max_calls_per_tenant` slots, or says why not.
    pub fn admit_tenant_call(&self, tenant: &str) -> Result<TenantSlot, CallError> {
        let max = self.cfg.max_calls_per_tenant;
        let mut map = self.calls.tenants();
        let n = map.entry(tenant.to_string()).or_insert(0);
        if *n >= max {
            let n = *n;
            if n == 0 {
                map.remove(tenant);
            }
            return Err(CallError::Exhausted(format!(
                "tenant {tenant} already has {n} calls in progress (limit {max}, \
                 --max-calls-per-tenant); end a call or retry later"
            )));
        }
        *n += 1;
        Ok(TenantSlot {
            calls: self.calls.clone(),
            tenant: tenant.to_string(),
        })
    }

    /// Calls `tenant` has in progress.
    pub fn tenant_calls(&self, tenant: &str) -> usize {
        self.calls.tenants().get(tenant).copied().unwrap_or(0)
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
