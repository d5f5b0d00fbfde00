//! Fault tests with the real server binary: `kill -9` in the middle of a pack upload and in
//! the middle of a live call, then a restart on the same data directory. After the restart
//! no partial pack is visible (the old version serves), the event log holds every event a
//! subscriber saw, and a CRM subscriber that follows with [`Client::follow`] resumes from its
//! cursor with nothing lost and nothing repeated.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use callassist_client::follow::{Backoff, Followed};
use callassist_client::pb::{self, Role, StreamCallRequest, stream_call_request::Request};
use callassist_client::{Client, packs};
use futures::StreamExt;
use tokio_stream::wrappers::ReceiverStream;

/// The server as a child process on a fixed port and data directory.
struct ServerProcess {
    child: Child,
    url: String,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl ServerProcess {
    /// Starts `callassist-server serve` (tiny.en, e5, no LLM) and waits until it answers.
    async fn start(data: &Path, port: u16) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_callassist-server"))
            .args(["serve", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data")
            .arg(data)
            .args([
                "--asr-model",
                "tiny.en",
                "--embed-model",
                "e5",
                "--llm",
                "off",
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start callassist-server");
        let mut server = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the server exited during start-up: {status}");
            }
            if let Ok(c) = Client::connect(&self.url).await
                && c.list_packs("probe").await.is_ok()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not start in 120 s"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// SIGKILL: no shutdown code runs.
    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes a pack directory with `paragraphs` paragraphs of product text.
fn write_pack(dir: &Path, version: &str, paragraphs: usize) -> PathBuf {
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    std::fs::write(
        dir.join("pack.toml"),
        format!(
            "id = \"crash-pack\"\nname = \"Crash test\"\nversion = \"{version}\"\n\
             languages = [\"en\"]\nindustry = \"test\"\n"
        ),
    )
    .unwrap();
    let mut doc = format!("# Product notes, version {version}\n\n");
    for i in 0..paragraphs {
        doc.push_str(&format!(
            "## Topic {i}\n\nVersion {version} of the Nimbus plan covers feature number {i}: \
             the forecasting dashboard exports report {i} every morning, keeps audit history \
             for {i} days and routes alerts to the on-call team within {i} minutes of a \
             threshold breach.\n\n"
        ));
    }
    std::fs::write(dir.join("docs/notes.md"), doc).unwrap();
    dir.to_path_buf()
}

async fn upload(url: &str, dir: &Path) -> Result<pb::PackSummary, callassist_client::ClientError> {
    let (bytes, format) = packs::archive_bytes(dir).unwrap();
    let client = Client::connect(url).await?;
    client.upload_pack("acme", bytes, format, |_, _| {}).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_during_pack_upload_leaves_the_previous_version_serving() {
    let data = tempfile::tempdir().unwrap();
    let packs_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = ServerProcess::start(data.path(), port).await;

    let v1 = write_pack(&packs_dir.path().join("v1"), "1", 2);
    let s1 = upload(&server.url, &v1).await.unwrap();
    assert_eq!(s1.version, "1");

    // Version 2 is large enough that embedding it takes many seconds: kill the server while
    // it is being ingested.
    let v2 = write_pack(&packs_dir.path().join("v2"), "2", 300);
    let url = server.url.clone();
    let upload_v2 = tokio::spawn(async move { upload(&url, &v2).await });
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        !upload_v2.is_finished(),
        "the upload finished before the kill: the test would prove nothing"
    );
    server.kill9();
    let err = upload_v2.await.unwrap().unwrap_err();
    eprintln!("upload interrupted as expected: {err}");

    let server = ServerProcess::start(data.path(), port).await;
    let client = Client::connect(&server.url).await.unwrap();
    let listed = client.list_packs("acme").await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].version, "1");
    assert_eq!(listed[0].chunks, s1.chunks);
    let hits = client
        .search("acme", "forecasting dashboard report", 10, vec![])
        .await
        .unwrap();
    assert!(!hits.is_empty());
    assert!(
        hits.iter().all(|h| h.text.contains("Version 1 ")),
        "a chunk of the interrupted version is visible: {hits:?}"
    );

    // The store is usable: the same upload goes through after the restart.
    let v2 = packs_dir.path().join("v2");
    let s2 = upload(&server.url, &v2).await.unwrap();
    assert_eq!(s2.version, "2");
    let listed = client.list_packs("acme").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].version, "2");
}

/// A text call whose utterances are sent one at a time, `gap` apart.
async fn start_paced_call(
    url: &str,
    call_id: &str,
    lines: Vec<(Role, String)>,
    gap: Duration,
) -> tokio::task::JoinHandle<Vec<pb::StreamCallResponse>> {
    let client = Client::connect(url).await.unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let config = StreamCallRequest {
        request: Some(Request::Config(pb::CallConfig {
            call_id: call_id.into(),
            tenant_id: "acme".into(),
            agent_id: "agent-7".into(),
            ..Default::default()
        })),
    };
    tokio::spawn(async move {
        let mut events = Vec::new();
        tx.send(config).await.unwrap();
        let sender = tokio::spawn(async move {
            for (role, text) in lines {
                tokio::time::sleep(gap).await;
                let req = StreamCallRequest {
                    request: Some(Request::Text(pb::TextUtterance {
                        role: role as i32,
                        text,
                    })),
                };
                if tx.send(req).await.is_err() {
                    return;
                }
            }
            let _ = tx
                .send(StreamCallRequest {
                    request: Some(Request::Finalize(pb::Finalize {})),
                })
                .await;
        });
        if let Ok(resp) = client.calls().stream_call(ReceiverStream::new(rx)).await {
            let mut stream = resp.into_inner();
            while let Ok(Some(ev)) = stream.message().await {
                events.push(ev);
            }
        }
        sender.abort();
        events
    })
}

fn script(n: usize) -> Vec<(Role, String)> {
    (0..n)
        .map(|i| {
            if i % 2 == 0 {
                (
                    Role::Agent,
                    format!("Thanks for joining, this is point {i}."),
                )
            } else {
                (
                    Role::Customer,
                    format!("We are comparing prices for item {i} this quarter."),
                )
            }
        })
        .collect()
}

/// What identifies one logged event.
fn key(env: &pb::EventEnvelope) -> (u64, Vec<u8>) {
    use prost::Message;
    (
        env.cursor.parse().unwrap(),
        env.event.as_ref().unwrap().encode_to_vec(),
    )
}

/// Reads `tenant`'s whole log (backlog only: stops once nothing arrives for a while).
async fn read_log(url: &str) -> Vec<pb::EventEnvelope> {
    let client = Client::connect(url).await.unwrap();
    let mut stream = client.subscribe("acme", None, vec![]).await.unwrap();
    let mut out = Vec::new();
    while let Ok(Some(item)) = tokio::time::timeout(Duration::from_secs(2), stream.next()).await {
        out.push(item.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_during_a_live_call_keeps_the_log_and_the_subscriber_resumes() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = ServerProcess::start(data.path(), port).await;
    let url = server.url.clone();

    // The CRM plugin follows the tenant's events from the beginning and keeps following.
    let follower = Client::connect(&url).await.unwrap();
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
    let follow = tokio::spawn(async move {
        let request = pb::SubscribeRequest {
            tenant_id: "acme".into(),
            ..Default::default()
        };
        let backoff = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(500),
        };
        let stream = follower.follow(request, backoff);
        tokio::pin!(stream);
        while let Some(item) = stream.next().await {
            if seen_tx.send(item.unwrap()).is_err() {
                return;
            }
        }
    });

    // Call 1 completes; call 2 is killed half-way through.
    let call1 = start_paced_call(&url, "call-1", script(4), Duration::from_millis(20)).await;
    let call1 = call1.await.unwrap();
    assert!(
        call1
            .iter()
            .any(|e| matches!(e.event, Some(pb::stream_call_response::Event::End(_)))),
        "call 1 did not end normally"
    );
    let call2 = start_paced_call(&url, "call-2", script(40), Duration::from_millis(150)).await;

    let mut before = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    // Until the subscriber has seen at least three of call 2's transcripts.
    while before
        .iter()
        .filter(|e: &&pb::EventEnvelope| {
            let ev = e.event.as_ref().unwrap();
            ev.call_id == "call-2"
                && matches!(
                    ev.event,
                    Some(pb::stream_call_response::Event::Transcript(_))
                )
        })
        .count()
        < 3
    {
        assert!(
            Instant::now() < deadline,
            "no events of call 2 reached the subscriber"
        );
        match tokio::time::timeout(Duration::from_secs(10), seen_rx.recv()).await {
            Ok(Some(Followed::Event(env))) => before.push(*env),
            Ok(Some(other)) => panic!("unexpected before the kill: {other:?}"),
            _ => panic!("the subscriber stopped receiving"),
        }
    }
    server.kill9();
    let call2 = call2.await.unwrap();
    assert!(
        !call2
            .iter()
            .any(|e| matches!(e.event, Some(pb::stream_call_response::Event::End(_)))),
        "call 2 ended before the kill: the test would prove nothing"
    );

    // Restart on the same data directory and port; run call 3 there.
    let server = ServerProcess::start(data.path(), port).await;
    let call3 = start_paced_call(&server.url, "call-3", script(4), Duration::from_millis(20)).await;
    let call3 = call3.await.unwrap();
    let call3_logged = call3.len();
    assert!(call3_logged > 0);

    // The log after the restart: every event the subscriber saw before the kill is still
    // there, with the same cursor and the same bytes, and the log is in cursor order.
    let log = read_log(&server.url).await;
    let cursors: Vec<u64> = log.iter().map(|e| key(e).0).collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");
    let logged: std::collections::HashMap<u64, Vec<u8>> = log.iter().map(key).collect();
    for env in &before {
        let (cursor, bytes) = key(env);
        assert_eq!(
            logged.get(&cursor),
            Some(&bytes),
            "event {cursor} seen before the kill is missing or changed after the restart"
        );
    }
    let call3_in_log = log
        .iter()
        .filter(|e| e.event.as_ref().unwrap().call_id == "call-3")
        .count();
    assert!(call3_in_log > 0, "call 3's events were not logged");

    // The follower, which never restarted, resumed after its last cursor: before + after is
    // exactly the log, each event once, in order.
    let mut after = Vec::new();
    let mut resumed = false;
    let deadline = Instant::now() + Duration::from_secs(60);
    while before.len() + after.len() < log.len() {
        assert!(
            Instant::now() < deadline,
            "the follower got {} of {} logged events",
            before.len() + after.len(),
            log.len()
        );
        match tokio::time::timeout(Duration::from_secs(10), seen_rx.recv()).await {
            Ok(Some(Followed::Event(env))) => after.push(*env),
            Ok(Some(Followed::Resumed { from_cursor })) => {
                // The cursor of the last event yielded before the disconnection.
                let last = after.last().or(before.last()).map(|e| e.cursor.clone());
                assert_eq!(from_cursor, last, "resumed from the wrong cursor");
                resumed = true;
            }
            Ok(Some(Followed::Disconnected { .. })) => {}
            _ => panic!("the follower stopped"),
        }
    }
    assert!(resumed, "the follower never reported resuming");
    let followed: Vec<(u64, Vec<u8>)> = before.iter().chain(&after).map(key).collect();
    let whole: Vec<(u64, Vec<u8>)> = log.iter().map(key).collect();
    assert_eq!(followed.len(), whole.len());
    assert!(
        followed == whole,
        "the follower's events differ from the log (lost, repeated or reordered)"
    );
    follow.abort();
    drop(server);
}
