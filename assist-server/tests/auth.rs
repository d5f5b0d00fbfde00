//! API keys and roles: the tenant comes from the key, never from the request. Tenant A's keys
//! cannot stream as, subscribe to, search, list or delete tenant B's data; an agent key cannot
//! upload packs; a missing or wrong key is UNAUTHENTICATED; a revoked key fails at once.

mod common;

use callassist_client::call::{CallOptions, text_requests};
use callassist_client::{Client, ClientError};
use callassist_inference::embed::EmbedPool;
use callassist_inference::testing::FakeEmbedder;
use callassist_proto::v1::{self as pb, Role as SpeakerRole};
use callassist_server::auth::{Auth, KeyStore, Role};
use callassist_server::knowledge::Knowledge;
use common::TestServer;
use tonic::Code;

fn code<T: std::fmt::Debug>(r: Result<T, ClientError>) -> Code {
    match r {
        Err(ClientError::Status { code, .. }) => code,
        other => panic!("expected a status, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_scope_every_rpc_to_their_tenant_and_role() {
    let dir = tempfile::tempdir().unwrap();
    let keys_path = dir.path().join("keys.json");
    let keys = KeyStore::new(&keys_path);
    let a_agent = keys.create("tenant-a", Role::Agent).unwrap();
    let a_admin = keys.create("tenant-a", Role::Admin).unwrap();
    let a_crm = keys.create("tenant-a", Role::Crm).unwrap();
    let b_admin = keys.create("tenant-b", Role::Admin).unwrap();
    let kb = Knowledge::open(
        &dir.path().join("kb"),
        EmbedPool::new(vec![Box::new(FakeEmbedder::default())], 8),
    )
    .unwrap();
    let state = common::with_event_log(common::fake_state(0), dir.path())
        .with_knowledge(kb)
        .with_auth(Auth::Keys(std::sync::Arc::new(KeyStore::new(&keys_path))));
    let server = TestServer::start(state).await;
    let as_key = |k: &str| {
        let (url, k) = (server.url.clone(), k.to_string());
        async move { Client::connect_with_key(&url, Some(&k)).await.unwrap() }
    };
    let (a_agent_c, a_admin_c, a_crm_c, b_admin_c) = (
        as_key(&a_agent.key).await,
        as_key(&a_admin.key).await,
        as_key(&a_crm.key).await,
        as_key(&b_admin.key).await,
    );
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../knowledge/packs");
    let pack = || {
        callassist_client::packs::archive_bytes(&root.join("b2b-saas"))
            .unwrap()
            .0
    };

    // B's admin stores a pack for B (the tenant comes from the key: none named here).
    let b_pack = b_admin_c
        .upload_pack("", pack(), "tar.gz", |_, _| {})
        .await
        .unwrap();
    assert_eq!(b_admin_c.list_packs("").await.unwrap().len(), 1);

    // No key, a made-up key: UNAUTHENTICATED.
    let anon = server.client().await;
    assert_eq!(
        code(anon.list_packs("tenant-b").await),
        Code::Unauthenticated
    );
    let forged = as_key("ca_0123456789ab_notakey").await;
    assert_eq!(
        code(forged.list_packs("tenant-b").await),
        Code::Unauthenticated
    );

    // A's keys against B's data: PERMISSION_DENIED, whatever the role.
    assert_eq!(
        code(a_admin_c.list_packs("tenant-b").await),
        Code::PermissionDenied
    );
    assert_eq!(
        code(a_admin_c.delete_pack("tenant-b", &b_pack.pack_id).await),
        Code::PermissionDenied
    );
    assert_eq!(
        code(a_admin_c.search("tenant-b", "budget", 3, Vec::new()).await),
        Code::PermissionDenied
    );
    assert_eq!(
        code(
            a_crm_c
                .subscribe("tenant-b", None, Vec::new())
                .await
                .map(|_| ())
        ),
        Code::PermissionDenied
    );
    // A's own view has none of B's packs or chunks.
    assert!(a_admin_c.list_packs("").await.unwrap().is_empty());
    assert!(
        a_admin_c
            .search("", "budget", 5, Vec::new())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        code(a_admin_c.delete_pack("", &b_pack.pack_id).await),
        Code::NotFound
    );

    // Roles: an agent cannot upload; a CRM key cannot list packs; an admin cannot stream.
    assert_eq!(
        code(a_agent_c.upload_pack("", pack(), "tar.gz", |_, _| {}).await),
        Code::PermissionDenied
    );
    assert_eq!(code(a_crm_c.list_packs("").await), Code::PermissionDenied);
    let script = vec![(SpeakerRole::Customer, "It is over our budget.".to_string())];
    let as_b = CallOptions {
        tenant: "tenant-b".into(),
        ..CallOptions::default()
    };
    let err = common::run_requests(&a_agent_c, text_requests(&script, &as_b))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    let err = common::run_requests(&a_admin_c, text_requests(&script, &CallOptions::default()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    // The agent's own call runs under tenant A (whose packs are empty: no risk events).
    let own = CallOptions {
        tenant: String::new(),
        ..CallOptions::default()
    };
    let events = common::run_requests(&a_agent_c, text_requests(&script, &own))
        .await
        .unwrap();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.event, Some(pb::stream_call_response::Event::Risk(_)))),
        "tenant B's rules applied to tenant A's call"
    );

    // Revoked (through the key file, as the CLI does): fails on the very next request.
    KeyStore::new(&keys_path)
        .revoke(&a_admin.record.id)
        .unwrap();
    assert_eq!(code(a_admin_c.list_packs("").await), Code::Unauthenticated);
    // B's data is intact.
    assert_eq!(b_admin_c.list_packs("").await.unwrap().len(), 1);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_server_requires_keys_from_the_first_key_on_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let keys_path = dir.path().join("keys.json");
    let state = common::with_event_log(common::fake_state(0), dir.path()).with_auth(
        Auth::OpenUntilKeys(std::sync::Arc::new(KeyStore::new(&keys_path))),
    );
    let server = TestServer::start(state).await;
    let subscribe = |client: Client| async move {
        client
            .subscribe("tenant-a", None, vec![])
            .await
            .map(|_| ())
            .map_err(|e| match e {
                callassist_client::ClientError::Status { code, .. } => code,
                other => panic!("{other}"),
            })
    };
    // No keys yet: open.
    let open = Client::connect(&server.url).await.unwrap();
    subscribe(open.clone()).await.unwrap();

    // The first key is created (as `callassist-server keys create` does): from now on a
    // request without a key, or with another tenant's, is refused; the key works.
    let crm = KeyStore::new(&keys_path)
        .create("tenant-a", Role::Crm)
        .unwrap();
    assert_eq!(
        subscribe(open).await.unwrap_err(),
        tonic::Code::Unauthenticated
    );
    let keyed = Client::connect_with_key(&server.url, Some(&crm.key))
        .await
        .unwrap();
    subscribe(keyed.clone()).await.unwrap();
    let other = keyed
        .subscribe("tenant-b", None, vec![])
        .await
        .map(|_| ())
        .unwrap_err();
    assert!(other.to_string().contains("PermissionDenied"), "{other}");
}
