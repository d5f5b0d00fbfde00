//! Knowledge-pack admin from the client side: turn a pack directory (or an existing .tar.gz /
//! .zip) into archive bytes, stream them to `UploadPack` with progress, and list, delete and
//! search a tenant's knowledge.

use std::path::Path;

use crate::AuthChannel;
use callassist_proto::v1::knowledge_client::KnowledgeClient;

use crate::pb::{self, upload_pack_request::Request};
use crate::{Client, ClientError};

/// Bytes per upload message.
const UPLOAD_CHUNK: usize = 256 * 1024;

/// Archive bytes of the pack at `path` and their format (`tar.gz` or `zip`). A directory is
/// packed as .tar.gz in memory; an archive file is sent as it is.
pub fn archive_bytes(path: &Path) -> Result<(Vec<u8>, &'static str), ClientError> {
    let err = |detail: String| ClientError::Input {
        path: path.display().to_string(),
        detail,
    };
    if path.is_dir() {
        if !path.join("pack.toml").is_file() {
            return Err(err(
                "no pack.toml in this directory: give the pack's root".into()
            ));
        }
        let enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let mut tar = tar::Builder::new(enc);
        tar.follow_symlinks(false);
        tar.append_dir_all(".", path)
            .map_err(|e| err(e.to_string()))?;
        let bytes = tar
            .into_inner()
            .and_then(|gz| gz.finish())
            .map_err(|e| err(e.to_string()))?;
        return Ok((bytes, "tar.gz"));
    }
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let format = match bytes.get(..4) {
        Some([0x1f, 0x8b, ..]) => "tar.gz",
        Some([b'P', b'K', 3, 4]) => "zip",
        _ => {
            return Err(err(
                "not a pack: give a directory, a .tar.gz or a .zip".into()
            ));
        }
    };
    Ok((bytes, format))
}

impl Client {
    fn knowledge(&self) -> KnowledgeClient<AuthChannel> {
        KnowledgeClient::new(self.channel())
    }

    /// Uploads archive bytes for `tenant`; `progress(sent, total)` is called per message.
    pub async fn upload_pack(
        &self,
        tenant: &str,
        bytes: Vec<u8>,
        format: &str,
        progress: impl Fn(u64, u64) + Send + 'static,
    ) -> Result<pb::PackSummary, ClientError> {
        let total = bytes.len() as u64;
        let meta = pb::UploadPackRequest {
            request: Some(Request::Meta(pb::UploadPackMeta {
                tenant_id: tenant.to_string(),
                format: format.to_string(),
                total_bytes: total,
            })),
        };
        let mut sent = 0u64;
        let chunks: Vec<pb::UploadPackRequest> = bytes
            .chunks(UPLOAD_CHUNK)
            .map(|c| pb::UploadPackRequest {
                request: Some(Request::Chunk(c.to_vec())),
            })
            .collect();
        let stream = tokio_stream::StreamExt::map(
            tokio_stream::iter(std::iter::once(meta).chain(chunks)),
            move |m| {
                if let Some(Request::Chunk(c)) = &m.request {
                    sent += c.len() as u64;
                    progress(sent, total);
                }
                m
            },
        );
        Ok(self.knowledge().upload_pack(stream).await?.into_inner())
    }

    /// The tenant's packs.
    pub async fn list_packs(&self, tenant: &str) -> Result<Vec<pb::PackSummary>, ClientError> {
        let r = pb::ListPacksRequest {
            tenant_id: tenant.to_string(),
        };
        Ok(self.knowledge().list_packs(r).await?.into_inner().packs)
    }

    /// Deletes one of the tenant's packs.
    pub async fn delete_pack(&self, tenant: &str, pack_id: &str) -> Result<(), ClientError> {
        let r = pb::DeletePackRequest {
            tenant_id: tenant.to_string(),
            pack_id: pack_id.to_string(),
        };
        self.knowledge().delete_pack(r).await?;
        Ok(())
    }

    /// Searches the tenant's knowledge.
    pub async fn search(
        &self,
        tenant: &str,
        query: &str,
        k: u32,
        kinds: Vec<String>,
    ) -> Result<Vec<pb::SearchHit>, ClientError> {
        let r = pb::SearchRequest {
            tenant_id: tenant.to_string(),
            query: query.to_string(),
            k,
            kinds,
        };
        Ok(self.knowledge().search(r).await?.into_inner().hits)
    }
}
