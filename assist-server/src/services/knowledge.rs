//! `Knowledge` service: declared in the v1 API; pack upload, listing, deletion and search are
//! built by the knowledge-pack work. Until then every RPC answers UNIMPLEMENTED, never made-up
//! data.

use callassist_proto::v1::knowledge_server::Knowledge;
use callassist_proto::v1::{
    DeletePackRequest, DeletePackResponse, ListPacksRequest, ListPacksResponse, PackSummary,
    SearchRequest, SearchResponse, UploadPackRequest,
};
use tonic::{Request, Response, Status, Streaming};

/// The knowledge service (not implemented yet).
#[derive(Debug, Clone, Default)]
pub struct KnowledgeService;

fn not_yet(what: &str) -> Status {
    Status::unimplemented(format!(
        "{what} is not available in this build yet: knowledge packs are not implemented"
    ))
}

#[tonic::async_trait]
impl Knowledge for KnowledgeService {
    async fn upload_pack(
        &self,
        _request: Request<Streaming<UploadPackRequest>>,
    ) -> Result<Response<PackSummary>, Status> {
        Err(not_yet("Knowledge.UploadPack"))
    }

    async fn list_packs(
        &self,
        _request: Request<ListPacksRequest>,
    ) -> Result<Response<ListPacksResponse>, Status> {
        Err(not_yet("Knowledge.ListPacks"))
    }

    async fn delete_pack(
        &self,
        _request: Request<DeletePackRequest>,
    ) -> Result<Response<DeletePackResponse>, Status> {
        Err(not_yet("Knowledge.DeletePack"))
    }

    async fn search(
        &self,
        _request: Request<SearchRequest>,
    ) -> Result<Response<SearchResponse>, Status> {
        Err(not_yet("Knowledge.Search"))
    }
}
