//! TLS end to end with certificates made at test time (rcgen): a client that trusts the
//! server's self-signed `localhost` certificate makes RPCs over `https://`; a plaintext client,
//! a client trusting an unrelated CA and a client checking the wrong name all fail promptly;
//! mutual TLS admits only clients presenting a certificate from the configured CA; and bad
//! certificate files stop `serve` with their names.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use callassist_client::call::{CallOptions, text_requests};
use callassist_client::{Client, ClientError, TlsOptions};
use callassist_inference::asr::{AsrPool, Recognizer};
use callassist_inference::testing::FakeRecognizer;
use callassist_proto::v1::{self as pb, Role};
use callassist_server::{AppState, ServerConfig};
use common::TestServer;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// Every failure must come back within this, never hang.
const PROMPT: Duration = Duration::from_secs(10);

/// A certificate and its key, as PEM files.
struct Pem {
    cert: PathBuf,
    key: PathBuf,
}

fn write_pem(dir: &Path, name: &str, cert: &str, key: &str) -> anyhow::Result<Pem> {
    let pem = Pem {
        cert: dir.join(format!("{name}.crt")),
        key: dir.join(format!("{name}.key")),
    };
    std::fs::write(&pem.cert, cert)?;
    std::fs::write(&pem.key, key)?;
    Ok(pem)
}

/// A self-signed certificate for `localhost`.
fn self_signed_localhost(dir: &Path, name: &str) -> anyhow::Result<Pem> {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    write_pem(dir, name, &ck.cert.pem(), &ck.signing_key.serialize_pem())
}

/// A CA, written to `dir/<name>.crt` (its key stays in memory).
fn ca(dir: &Path, name: &str) -> anyhow::Result<CertifiedIssuer<'static, KeyPair>> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(params, KeyPair::generate()?)?;
    std::fs::write(dir.join(format!("{name}.crt")), ca.pem())?;
    Ok(ca)
}

/// A certificate for `names` signed by `ca`.
fn leaf(
    dir: &Path,
    name: &str,
    names: &[&str],
    ca: &CertifiedIssuer<'static, KeyPair>,
) -> anyhow::Result<Pem> {
    let key = KeyPair::generate()?;
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names)?;
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.signed_by(&key, &**ca)?;
    write_pem(dir, name, &cert.pem(), &key.serialize_pem())
}

fn tls_config(server: &Pem, client_ca: Option<&Path>) -> ServerConfig {
    ServerConfig {
        tls_cert: Some(server.cert.clone()),
        tls_key: Some(server.key.clone()),
        tls_client_ca: client_ca.map(Path::to_path_buf),
        ..common::config()
    }
}

/// A weight-free server state with `cfg`.
fn state(cfg: ServerConfig) -> AppState {
    let rec: Box<dyn Recognizer> = Box::new(FakeRecognizer {
        delay: Duration::ZERO,
    });
    AppState::new(cfg, AsrPool::new(vec![rec], 4))
}

/// `https://127.0.0.1:PORT` of a test server (whose `url` says `http://`).
fn https(server: &TestServer) -> String {
    server.url.replacen("http://", "https://", 1)
}

/// Connects, then asks grpc.health for the server's overall status; any failure as text.
async fn health(url: &str, tls: &TlsOptions) -> Result<ServingStatus, String> {
    let attempt = async {
        let client = Client::connect_with_tls(url, None, tls)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let reply = HealthClient::new(client.channel())
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .map_err(|s| format!("rpc: {s}"))?;
        Ok(reply.into_inner().status())
    };
    tokio::time::timeout(PROMPT, attempt)
        .await
        .map_err(|_| format!("no answer within {PROMPT:?} (hung)"))?
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_clients_that_trust_its_certificate_and_only_those() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server_pem = self_signed_localhost(dir.path(), "server")?;
    let server = TestServer::start(state(tls_config(&server_pem, None))).await;
    let url = https(&server);
    let trusting = TlsOptions::default()
        .with_ca_file(&server_pem.cert)?
        .with_domain("localhost");

    // Trusting the self-signed certificate: health and a whole text call over TLS.
    assert_eq!(health(&url, &trusting).await, Ok(ServingStatus::Serving));
    let client = Client::connect_with_tls(&url, None, &trusting).await?;
    let script = vec![
        (Role::Agent, "hello, thanks for calling".to_string()),
        (
            Role::Customer,
            "hi, I have a question about pricing".to_string(),
        ),
    ];
    let events = tokio::time::timeout(
        PROMPT,
        common::run_requests(&client, text_requests(&script, &CallOptions::default())),
    )
    .await
    .context("text call over TLS hung")??;
    assert!(
        matches!(
            events.last().and_then(|e| e.event.as_ref()),
            Some(pb::stream_call_response::Event::End(_))
        ),
        "the call over TLS did not end normally: {events:?}"
    );

    // (a) Plaintext against the TLS port fails (at connect or at the first RPC), promptly.
    let plain = health(&server.url, &TlsOptions::default()).await;
    assert!(plain.is_err(), "plaintext client got {plain:?}");

    // (b) Trusting an unrelated CA: a TLS error about the certificate, promptly.
    ca(dir.path(), "other-ca")?;
    let other = TlsOptions::default()
        .with_ca_file(&dir.path().join("other-ca.crt"))?
        .with_domain("localhost");
    let err = tokio::time::timeout(PROMPT, Client::connect_with_tls(&url, None, &other))
        .await
        .context("connect trusting another CA hung")?
        .err()
        .context("a client trusting an unrelated CA connected")?;
    assert!(matches!(err, ClientError::Tls { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("certificate"), "{msg}");

    // (c) The right certificate but another name: refused too.
    let wrong_name = TlsOptions::default()
        .with_ca_file(&server_pem.cert)?
        .with_domain("example.com");
    let err = tokio::time::timeout(PROMPT, Client::connect_with_tls(&url, None, &wrong_name))
        .await
        .context("connect with a wrong name hung")?
        .err()
        .context("a client checking another name connected")?;
    assert!(
        matches!(err, ClientError::Tls { .. }) && err.to_string().contains("certificate"),
        "{err:?}"
    );

    // TLS settings with an http:// URL are refused rather than silently ignored.
    let err = Client::connect_with_tls(&server.url, None, &trusting)
        .await
        .err()
        .context("TLS options with http:// were accepted")?;
    assert!(err.to_string().contains("https://"), "{err}");

    server.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_admits_only_clients_with_a_certificate_from_the_client_ca() -> anyhow::Result<()>
{
    let dir = tempfile::tempdir()?;
    let server_ca = ca(dir.path(), "server-ca")?;
    let client_ca = ca(dir.path(), "client-ca")?;
    let rogue_ca = ca(dir.path(), "rogue-ca")?;
    let server_pem = leaf(dir.path(), "server", &["localhost"], &server_ca)?;
    let good = leaf(dir.path(), "good-client", &["good-client"], &client_ca)?;
    let rogue = leaf(dir.path(), "rogue-client", &["rogue-client"], &rogue_ca)?;
    let client_ca_file = dir.path().join("client-ca.crt");
    let server = TestServer::start(state(tls_config(&server_pem, Some(&client_ca_file)))).await;
    let url = https(&server);
    let base = || -> anyhow::Result<TlsOptions> {
        Ok(TlsOptions::default()
            .with_ca_file(&dir.path().join("server-ca.crt"))?
            .with_domain("localhost"))
    };

    assert_eq!(
        health(&url, &base()?.with_identity_files(&good.cert, &good.key)?).await,
        Ok(ServingStatus::Serving)
    );
    let anonymous = health(&url, &base()?).await;
    assert!(
        anonymous.is_err(),
        "no client certificate, got {anonymous:?}"
    );
    let rogue = health(&url, &base()?.with_identity_files(&rogue.cert, &rogue.key)?).await;
    assert!(
        rogue.is_err(),
        "client certificate from another CA, got {rogue:?}"
    );

    server.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tls_files_stop_the_server_naming_the_file() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let good = self_signed_localhost(dir.path(), "good")?;
    let other = self_signed_localhost(dir.path(), "other")?;
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n")?;
    let missing = dir.path().join("missing.key");

    let cases = [
        (good.cert.clone(), missing.clone(), "missing.key"),
        (junk.clone(), good.key.clone(), "junk.pem"),
        (good.cert.clone(), junk.clone(), "junk.pem"),
        // A key that belongs to another certificate: both files are named.
        (good.cert.clone(), other.key.clone(), "other.key"),
    ];
    for (cert, key, named) in cases {
        let cfg = ServerConfig {
            tls_cert: Some(cert),
            tls_key: Some(key),
            ..common::config()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let result = tokio::time::timeout(
            PROMPT,
            callassist_server::serve(listener, state(cfg), std::future::pending()),
        )
        .await
        .context("serve started despite bad TLS files")?;
        let err = format!(
            "{:#}",
            result.err().context("serve accepted bad TLS files")?
        );
        assert!(err.contains(named), "error does not name {named}: {err}");
    }
    Ok(())
}
