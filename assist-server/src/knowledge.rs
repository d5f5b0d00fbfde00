//! The server's knowledge base: the tenant-scoped store (SQLite + vector and keyword indexes)
//! behind a lock, used from blocking threads, plus the embedding worker pool. Uploads are
//! parsed, chunked, embedded in batches and stored atomically; searches embed the query and
//! fuse vector and keyword hits.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::assist::tenant::TenantRules;
use callassist_inference::embed::{EmbedKind, EmbedPool};
use callassist_knowledge::{
    ChunkConfig, DocumentKind, KnowledgeStore, Limits, PackSummary, SearchHit, StoreError,
};

/// Chunks embedded per request to the embedding workers.
const EMBED_BATCH: usize = 16;

/// What a knowledge operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    /// The pack is malformed: the message names file, line and field.
    #[error("{0}")]
    BadPack(String),
    /// Bad request parameters.
    #[error("{0}")]
    Invalid(String),
    #[error("no pack {0:?} for this tenant")]
    NotFound(String),
    #[error("knowledge store: {0}")]
    Store(#[from] StoreError),
    #[error("embedding: {0}")]
    Embed(#[from] callassist_inference::InferenceError),
    #[error("knowledge worker stopped")]
    Worker,
    #[error("rules: {0}")]
    Rules(#[from] callassist_knowledge::rules::RuleError),
}

/// Compiled rules by (tenant, pack filter).
type RulesCache = HashMap<(String, Vec<String>), Arc<TenantRules>>;

/// Shared handle to the knowledge base.
#[derive(Clone)]
pub struct Knowledge {
    store: Arc<Mutex<KnowledgeStore>>,
    embed: EmbedPool,
    pub limits: Limits,
    chunking: ChunkConfig,
    /// Compiled rules per (tenant, pack filter); dropped when the tenant's packs change.
    rules: Arc<Mutex<RulesCache>>,
}

impl std::fmt::Debug for Knowledge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Knowledge")
            .field("embedder", &self.embed.name())
            .finish()
    }
}

impl Knowledge {
    /// Opens (or creates) the store under `dir` for `embed`'s vector size.
    pub fn open(dir: &Path, embed: EmbedPool) -> Result<Self, KnowledgeError> {
        std::fs::create_dir_all(dir).map_err(StoreError::from)?;
        let store = KnowledgeStore::open(dir, embed.dim())?;
        Ok(Self {
            store: Arc::new(Mutex::new(store)),
            embed,
            limits: Limits::default(),
            chunking: ChunkConfig::default(),
            rules: Arc::default(),
        })
    }

    async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut KnowledgeStore) -> Result<T, KnowledgeError> + Send + 'static,
    ) -> Result<T, KnowledgeError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = store.lock().map_err(|_| KnowledgeError::Worker)?;
            f(&mut guard)
        })
        .await
        .map_err(|_| KnowledgeError::Worker)?
    }

    /// Parses, chunks, embeds and stores an uploaded archive for `tenant`.
    pub async fn upload(
        &self,
        tenant: &str,
        archive: Vec<u8>,
    ) -> Result<PackSummary, KnowledgeError> {
        let limits = self.limits.clone();
        let cfg = self.chunking.clone();
        let (pack, chunks) = tokio::task::spawn_blocking(move || {
            let pack = callassist_knowledge::load_pack_bytes(&archive, &limits)
                .map_err(|e| KnowledgeError::BadPack(e.to_string()))?;
            let chunks = callassist_knowledge::chunk_pack(&pack, &cfg);
            Ok::<_, KnowledgeError>((pack, chunks))
        })
        .await
        .map_err(|_| KnowledgeError::Worker)??;
        let mut vectors = Vec::with_capacity(chunks.len());
        for batch in chunks.chunks(EMBED_BATCH) {
            let texts = batch.iter().map(|c| c.embedding_text()).collect();
            vectors.extend(self.embed.embed(texts, EmbedKind::Passage).await?);
        }
        let tenant = tenant.to_string();
        let t = tenant.clone();
        let out = self
            .with_store(move |s| Ok(s.put_pack(&t, &pack, &chunks, &vectors)?))
            .await;
        self.forget_rules(&tenant);
        out
    }

    fn forget_rules(&self, tenant: &str) {
        if let Ok(mut cache) = self.rules.lock() {
            cache.retain(|(t, _), _| t != tenant);
        }
    }

    /// The tenant's rules and stages compiled for a call (cached until its packs change);
    /// only `packs` when not empty.
    pub async fn tenant_rules(
        &self,
        tenant: &str,
        packs: &[String],
    ) -> Result<Arc<TenantRules>, KnowledgeError> {
        let key = (tenant.to_string(), packs.to_vec());
        if let Some(hit) = self.rules.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(hit);
        }
        let t = tenant.to_string();
        let filter = packs.to_vec();
        let compiled = self
            .with_store(move |s| {
                let rules = s.rules(&t)?;
                let stages = s.stages(&t)?;
                Ok(Arc::new(TenantRules::compile(rules, stages, &filter)?))
            })
            .await?;
        if let Ok(mut cache) = self.rules.lock() {
            if cache.len() >= 1024 {
                cache.clear();
            }
            cache.insert(key, compiled.clone());
        }
        Ok(compiled)
    }

    /// Query vectors of `texts` (for semantic matching of utterances and rule phrases).
    pub async fn embed_queries(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, KnowledgeError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(EMBED_BATCH) {
            out.extend(self.embed.embed(batch.to_vec(), EmbedKind::Query).await?);
        }
        Ok(out)
    }

    /// The embedded objection phrases of `rules` (computed once per compiled rule set).
    pub async fn objection_vectors(
        &self,
        rules: &TenantRules,
    ) -> Result<Arc<crate::assist::semantic::ObjectionVectors>, KnowledgeError> {
        let phrases = || crate::assist::semantic::objection_phrases(rules);
        self.rule_vectors(&rules.semantic, phrases).await
    }

    /// The embedded forbidden phrases of `rules` (computed once per compiled rule set).
    pub async fn forbidden_vectors(
        &self,
        rules: &TenantRules,
    ) -> Result<Arc<crate::assist::semantic::ObjectionVectors>, KnowledgeError> {
        let phrases = || crate::assist::semantic::forbidden_phrases(rules);
        self.rule_vectors(&rules.forbidden, phrases).await
    }

    /// `phrases()` and the neutral anchors embedded once into `cell`.
    async fn rule_vectors(
        &self,
        cell: &tokio::sync::OnceCell<Arc<crate::assist::semantic::ObjectionVectors>>,
        phrases: impl FnOnce() -> Vec<(usize, String)>,
    ) -> Result<Arc<crate::assist::semantic::ObjectionVectors>, KnowledgeError> {
        use crate::assist::semantic::{NEUTRAL_ANCHORS, ObjectionVectors};
        cell.get_or_try_init(|| async {
            let phrases = phrases();
            let texts = phrases.iter().map(|(_, p)| p.clone()).collect();
            let vectors = self.embed_queries(texts).await?;
            let anchors = NEUTRAL_ANCHORS.iter().map(|a| a.to_string()).collect();
            let anchors = self.embed_queries(anchors).await?;
            Ok(Arc::new(ObjectionVectors::new(&phrases, vectors, anchors)))
        })
        .await
        .cloned()
    }

    /// The tenant's packs.
    pub async fn list(&self, tenant: &str) -> Result<Vec<PackSummary>, KnowledgeError> {
        let tenant = tenant.to_string();
        self.with_store(move |s| Ok(s.list_packs(&tenant)?)).await
    }

    /// Deletes a pack of the tenant.
    pub async fn delete(&self, tenant: &str, pack_id: &str) -> Result<(), KnowledgeError> {
        let (t, id) = (tenant.to_string(), pack_id.to_string());
        let out = self
            .with_store(move |s| match s.delete_pack(&t, &id)? {
                true => Ok(()),
                false => Err(KnowledgeError::NotFound(id)),
            })
            .await;
        self.forget_rules(tenant);
        out
    }

    /// The `k` best chunks of the tenant's knowledge for `query`.
    pub async fn search(
        &self,
        tenant: &str,
        query: &str,
        k: usize,
        kinds: &[String],
    ) -> Result<Vec<SearchHit>, KnowledgeError> {
        let kinds = kinds
            .iter()
            .map(|k| {
                DocumentKind::ALL
                    .into_iter()
                    .find(|d| d.as_str() == k)
                    .ok_or_else(|| {
                        KnowledgeError::Invalid(format!(
                            "kinds contains {k:?}: use product, case, legal, faq, competitor or script"
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let vector = self
            .embed
            .embed(vec![query.to_string()], EmbedKind::Query)
            .await?
            .pop()
            .unwrap_or_default();
        let (tenant, query) = (tenant.to_string(), query.to_string());
        self.with_store(move |s| Ok(s.search(&tenant, &query, &vector, k, &kinds)?))
            .await
    }
}
