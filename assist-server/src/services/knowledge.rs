//! `Knowledge` service: pack upload (client stream of archive bytes), listing, deletion and
//! search, all scoped by tenant. Without a configured knowledge base every RPC answers
//! UNIMPLEMENTED rather than made-up data.

use callassist_proto::v1::knowledge_server::Knowledge as KnowledgeRpc;
use callassist_proto::v1::{
    DeletePackRequest, DeletePackResponse, ListPacksRequest, ListPacksResponse, PackSummary,
    SearchHit, SearchRequest, SearchResponse, UploadPackRequest, upload_pack_request,
};
use tonic::{Request, Response, Status, Streaming};

use crate::auth::{Principal, Role};
use crate::knowledge::{Knowledge, KnowledgeError};

/// Most hits one search returns.
const MAX_K: u32 = 50;

/// The knowledge service.
#[derive(Debug, Clone, Default)]
pub struct KnowledgeService {
    kb: Option<Knowledge>,
}

impl KnowledgeService {
    /// A service over `kb` (None: knowledge disabled).
    pub fn new(kb: Option<Knowledge>) -> Self {
        Self { kb }
    }

    fn kb(&self) -> Result<&Knowledge, Status> {
        self.kb.as_ref().ok_or_else(|| {
            Status::unimplemented("the knowledge base is not enabled on this server")
        })
    }
}

/// Checks a tenant id (shared by the knowledge and events services).
pub(crate) fn tenant(t: &str) -> Result<&str, Status> {
    if crate::call::spec::valid_id(t) {
        Ok(t)
    } else {
        Err(Status::invalid_argument(format!(
            "tenant_id {t:?} is invalid: use 1-128 characters of A-Z a-z 0-9 . _ : -"
        )))
    }
}

impl From<KnowledgeError> for Status {
    fn from(e: KnowledgeError) -> Self {
        match &e {
            KnowledgeError::BadPack(_) | KnowledgeError::Invalid(_) => {
                Status::invalid_argument(e.to_string())
            }
            KnowledgeError::NotFound(_) => Status::not_found(e.to_string()),
            KnowledgeError::Embed(callassist_inference::InferenceError::Overloaded(_)) => {
                Status::resource_exhausted(e.to_string())
            }
            _ => Status::internal(e.to_string()),
        }
    }
}

fn summary(s: callassist_knowledge::PackSummary) -> PackSummary {
    PackSummary {
        pack_id: s.pack_id,
        name: s.name,
        version: s.version,
        documents: s.documents as u32,
        chunks: s.chunks as u32,
        rules: s.rules as u32,
        stages: s.stages as u32,
        ..Default::default()
    }
}

#[tonic::async_trait]
impl KnowledgeRpc for KnowledgeService {
    async fn upload_pack(
        &self,
        request: Request<Streaming<UploadPackRequest>>,
    ) -> Result<Response<PackSummary>, Status> {
        let kb = self.kb()?;
        let who = Principal::of(&request);
        who.require(&[Role::Admin], "upload packs")?;
        let mut stream = request.into_inner();
        let meta = match stream.message().await? {
            Some(UploadPackRequest {
                request: Some(upload_pack_request::Request::Meta(m)),
            }) => m,
            _ => {
                return Err(Status::invalid_argument(
                    "the first UploadPackRequest must carry `meta` (tenant_id, format)",
                ));
            }
        };
        let tenant = tenant(&who.tenant_for(&meta.tenant_id)?)?.to_string();
        let max = kb.limits.max_archive_bytes;
        if meta.total_bytes > max {
            return Err(Status::invalid_argument(format!(
                "the archive is {} bytes, over the limit of {max} (--max-pack-bytes)",
                meta.total_bytes
            )));
        }
        let mut bytes = Vec::new();
        while let Some(msg) = stream.message().await? {
            match msg.request {
                Some(upload_pack_request::Request::Chunk(c)) => {
                    if bytes.len() as u64 + c.len() as u64 > max {
                        return Err(Status::invalid_argument(format!(
                            "the archive is over the limit of {max} bytes (--max-pack-bytes)"
                        )));
                    }
                    bytes.extend_from_slice(&c);
                }
                _ => {
                    return Err(Status::invalid_argument(
                        "after `meta`, send only `chunk` messages with the archive bytes",
                    ));
                }
            }
        }
        let s = kb.upload(&tenant, bytes).await?;
        tracing::info!(tenant, pack = %s.pack_id, version = %s.version, chunks = s.chunks, "pack stored");
        Ok(Response::new(summary(s)))
    }

    async fn list_packs(
        &self,
        request: Request<ListPacksRequest>,
    ) -> Result<Response<ListPacksResponse>, Status> {
        let who = Principal::of(&request);
        who.require(&[Role::Admin], "list packs")?;
        let r = request.into_inner();
        let packs = self
            .kb()?
            .list(tenant(&who.tenant_for(&r.tenant_id)?)?)
            .await?;
        Ok(Response::new(ListPacksResponse {
            packs: packs.into_iter().map(summary).collect(),
        }))
    }

    async fn delete_pack(
        &self,
        request: Request<DeletePackRequest>,
    ) -> Result<Response<DeletePackResponse>, Status> {
        let who = Principal::of(&request);
        who.require(&[Role::Admin], "delete packs")?;
        let r = request.into_inner();
        self.kb()?
            .delete(tenant(&who.tenant_for(&r.tenant_id)?)?, &r.pack_id)
            .await?;
        Ok(Response::new(DeletePackResponse { deleted: true }))
    }

    async fn search(
        &self,
        request: Request<SearchRequest>,
    ) -> Result<Response<SearchResponse>, Status> {
        let who = Principal::of(&request);
        who.require(&[Role::Admin, Role::Agent], "search knowledge")?;
        let r = request.into_inner();
        let asked = who.tenant_for(&r.tenant_id)?;
        if r.query.trim().is_empty() {
            return Err(Status::invalid_argument(
                "query is empty: say what to look for",
            ));
        }
        let k = if r.k == 0 { 5 } else { r.k.min(MAX_K) } as usize;
        let hits = self
            .kb()?
            .search(tenant(&asked)?, &r.query, k, &r.kinds)
            .await?;
        Ok(Response::new(SearchResponse {
            hits: hits
                .into_iter()
                .map(|h| SearchHit {
                    chunk_id: h.chunk_id,
                    pack_id: h.pack_id,
                    doc_path: h.doc_path,
                    kind: h.kind.as_str().to_string(),
                    score: h.score,
                    text: h.text,
                })
                .collect(),
        }))
    }
}
