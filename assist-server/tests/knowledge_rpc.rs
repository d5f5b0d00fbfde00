//! Knowledge RPCs end to end over gRPC (weight-free embedder): upload a built-in pack as a
//! .tar.gz stream, list, search in Chinese and English, tenant isolation, delete, and a
//! malformed pack rejected with file:line while the stored pack keeps serving.

mod common;

use callassist_client::AuthChannel as Channel;
use callassist_client::pb::{self, knowledge_client::KnowledgeClient, upload_pack_request};
use callassist_inference::embed::EmbedPool;
use callassist_inference::testing::FakeEmbedder;
use callassist_server::knowledge::Knowledge;
use common::*;
use tonic::Code;

/// The pack directory as the CLI uploads it (.tar.gz made in memory).
fn tar_gz_dir(dir: &std::path::Path) -> Vec<u8> {
    callassist_client::packs::archive_bytes(dir).unwrap().0
}

fn medical_pack() -> Vec<u8> {
    tar_gz_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../knowledge/packs/medical-devices"),
    )
}

async fn upload(
    kc: &mut KnowledgeClient<Channel>,
    tenant: &str,
    bytes: Vec<u8>,
) -> Result<pb::PackSummary, tonic::Status> {
    let mut reqs = vec![pb::UploadPackRequest {
        request: Some(upload_pack_request::Request::Meta(pb::UploadPackMeta {
            tenant_id: tenant.into(),
            format: "tar.gz".into(),
            total_bytes: bytes.len() as u64,
        })),
    }];
    for c in bytes.chunks(64 * 1024) {
        reqs.push(pb::UploadPackRequest {
            request: Some(upload_pack_request::Request::Chunk(c.to_vec())),
        });
    }
    Ok(kc.upload_pack(tokio_stream::iter(reqs)).await?.into_inner())
}

async fn list(kc: &mut KnowledgeClient<Channel>, tenant: &str) -> Vec<pb::PackSummary> {
    kc.list_packs(pb::ListPacksRequest {
        tenant_id: tenant.into(),
    })
    .await
    .unwrap()
    .into_inner()
    .packs
}

async fn search(kc: &mut KnowledgeClient<Channel>, tenant: &str, q: &str) -> Vec<pb::SearchHit> {
    kc.search(pb::SearchRequest {
        tenant_id: tenant.into(),
        query: q.into(),
        k: 5,
        kinds: vec![],
    })
    .await
    .unwrap()
    .into_inner()
    .hits
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_list_search_delete_scoped_by_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let embed = EmbedPool::new(vec![Box::new(FakeEmbedder::default())], 4);
    let kb = Knowledge::open(dir.path(), embed).unwrap();
    let server = TestServer::start(fake_state(0).with_knowledge(kb)).await;
    let mut kc = KnowledgeClient::new(server.client().await.channel());

    let s = upload(&mut kc, "acme", medical_pack()).await.unwrap();
    assert_eq!(s.pack_id, "builtin-medical-devices");
    assert!(s.documents >= 12 && s.rules >= 15 && s.chunks > 50, "{s:?}");
    assert_eq!(list(&mut kc, "acme").await.len(), 1);

    // Chinese and English queries find the pack's text, and only for its tenant.
    for q in ["预算不足怎么办", "warranty terms"] {
        let hits = search(&mut kc, "acme", q).await;
        assert!(!hits.is_empty(), "{q}");
        assert!(
            hits.iter()
                .all(|h| h.pack_id == "builtin-medical-devices" && !h.text.is_empty())
        );
        assert!(search(&mut kc, "globex", q).await.is_empty());
    }
    assert!(list(&mut kc, "globex").await.is_empty());

    // A malformed re-upload is refused precisely and the stored pack keeps serving.
    let bad = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(bad.path().join("docs")).unwrap();
    std::fs::write(bad.path().join("docs/a.md"), "# A\nText.").unwrap();
    std::fs::write(
        bad.path().join("pack.toml"),
        "id = \"builtin-medical-devices\"\nname = \"x\"\nversion = \"2\"\nlanguages = [\"en\"]\nindustry = \"x\"\n\n[[rules]]\nid = \"r\"\nkind = \"complaint\"\nphrases = [\"a\"]\nmessage = \"m\"\n",
    )
    .unwrap();
    let err = upload(&mut kc, "acme", tar_gz_dir(bad.path()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().contains("pack.toml:9:") && err.message().contains("rules[0].kind"),
        "{}",
        err.message()
    );
    let packs = list(&mut kc, "acme").await;
    assert_eq!(packs.len(), 1);
    assert_eq!(packs[0].version, s.version);

    // Another tenant cannot delete it; its owner can.
    let err = kc
        .delete_pack(pb::DeletePackRequest {
            tenant_id: "globex".into(),
            pack_id: "builtin-medical-devices".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    kc.delete_pack(pb::DeletePackRequest {
        tenant_id: "acme".into(),
        pack_id: "builtin-medical-devices".into(),
    })
    .await
    .unwrap();
    assert!(list(&mut kc, "acme").await.is_empty());
    assert!(search(&mut kc, "acme", "预算不足怎么办").await.is_empty());
    server.stop().await.unwrap();
}
