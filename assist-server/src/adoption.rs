//! The AI adoption index: per tenant and agent, how many suggestions were issued, shown,
//! accepted and dismissed, kept in SQLite (`adoption.db` beside the event log) so it survives
//! restarts. Only valid feedback reaches it; the index is accepted / shown.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, params};

use crate::assist::suggest::FeedbackRecord;
use callassist_proto::v1::FeedbackAction;

/// What the adoption store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AdoptionError {
    #[error("adoption store: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("adoption store worker stopped")]
    Worker,
}

/// Counters of one agent (or a tenant's total when `agent` is empty).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentAdoption {
    pub agent: String,
    pub issued: u64,
    pub shown: u64,
    pub accepted: u64,
    pub dismissed: u64,
}

impl AgentAdoption {
    /// accepted / shown, 0 when nothing was shown.
    pub fn index(&self) -> f32 {
        if self.shown == 0 {
            0.0
        } else {
            self.accepted as f32 / self.shown as f32
        }
    }
}

/// Shared handle to the adoption counters.
#[derive(Clone, Debug)]
pub struct AdoptionStore {
    conn: Arc<Mutex<Connection>>,
}

impl AdoptionStore {
    /// Opens or creates the store at `path`.
    pub fn open(path: &Path) -> Result<Self, AdoptionError> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             CREATE TABLE IF NOT EXISTS adoption (
               tenant TEXT NOT NULL, agent TEXT NOT NULL,
               issued INTEGER NOT NULL DEFAULT 0, shown INTEGER NOT NULL DEFAULT 0,
               accepted INTEGER NOT NULL DEFAULT 0, dismissed INTEGER NOT NULL DEFAULT 0,
               PRIMARY KEY (tenant, agent));",
        )?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, AdoptionError> + Send + 'static,
    ) -> Result<T, AdoptionError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let guard = conn.lock().map_err(|_| AdoptionError::Worker)?;
            f(&guard)
        })
        .await
        .map_err(|_| AdoptionError::Worker)?
    }

    async fn add(&self, tenant: &str, agent: &str, delta: [u64; 4]) -> Result<(), AdoptionError> {
        let (t, a) = (tenant.to_string(), agent.to_string());
        self.with(move |c| {
            c.execute(
                "INSERT INTO adoption (tenant, agent, issued, shown, accepted, dismissed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (tenant, agent) DO UPDATE SET
                   issued = issued + ?3, shown = shown + ?4,
                   accepted = accepted + ?5, dismissed = dismissed + ?6",
                params![
                    t,
                    a,
                    delta[0] as i64,
                    delta[1] as i64,
                    delta[2] as i64,
                    delta[3] as i64
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// Counts a valid piece of feedback (errors are logged: adoption must not break a call).
    pub async fn record(&self, tenant: &str, agent: &str, fb: &FeedbackRecord) {
        let delta = [
            0,
            u64::from(fb.first_shown),
            u64::from(fb.action == FeedbackAction::Accepted),
            u64::from(fb.action == FeedbackAction::Dismissed),
        ];
        if let Err(e) = self.add(tenant, agent, delta).await {
            tracing::error!("recording adoption failed: {e}");
        }
    }

    /// Counts suggestions issued on a finished call.
    pub async fn issued(&self, tenant: &str, agent: &str, n: u64) {
        if n == 0 {
            return;
        }
        if let Err(e) = self.add(tenant, agent, [n, 0, 0, 0]).await {
            tracing::error!("recording adoption failed: {e}");
        }
    }

    /// Per-agent counters of `tenant` (only `agent` when not empty), by agent id.
    pub async fn report(
        &self,
        tenant: &str,
        agent: &str,
    ) -> Result<Vec<AgentAdoption>, AdoptionError> {
        let (t, a) = (tenant.to_string(), agent.to_string());
        self.with(move |c| {
            let mut stmt = c.prepare(
                "SELECT agent, issued, shown, accepted, dismissed FROM adoption
                 WHERE tenant = ?1 AND (?2 = '' OR agent = ?2) ORDER BY agent",
            )?;
            let rows = stmt.query_map(params![t, a], |r| {
                Ok(AgentAdoption {
                    agent: r.get(0)?,
                    issued: r.get::<_, i64>(1)? as u64,
                    shown: r.get::<_, i64>(2)? as u64,
                    accepted: r.get::<_, i64>(3)? as u64,
                    dismissed: r.get::<_, i64>(4)? as u64,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_per_tenant_and_agent() {
        let dir = tempfile::tempdir().unwrap();
        let store = AdoptionStore::open(&dir.path().join("a.db")).unwrap();
        let rec = |action, first_shown| FeedbackRecord {
            suggestion_id: "s1".into(),
            action,
            first_shown,
            accepted: Vec::new(),
        };
        store.issued("t1", "amy", 3).await;
        store
            .record("t1", "amy", &rec(FeedbackAction::Shown, true))
            .await;
        store
            .record("t1", "amy", &rec(FeedbackAction::Accepted, false))
            .await;
        store
            .record("t1", "amy", &rec(FeedbackAction::Dismissed, true))
            .await;
        store
            .record("t2", "bob", &rec(FeedbackAction::Accepted, true))
            .await;
        let r = store.report("t1", "").await.unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].issued, r[0].shown, r[0].accepted, r[0].dismissed),
            (3, 2, 1, 1)
        );
        assert!((r[0].index() - 0.5).abs() < 1e-6);
        assert!(store.report("t1", "bob").await.unwrap().is_empty());
        drop(store);
        let again = AdoptionStore::open(&dir.path().join("a.db")).unwrap();
        assert_eq!(again.report("t2", "bob").await.unwrap()[0].accepted, 1);
    }
}
