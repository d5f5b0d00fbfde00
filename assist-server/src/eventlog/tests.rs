//! Unit tests of the event log: durability across reopen, filters, tenant isolation, and
//! exactly-once in-order delivery across the backlog/live boundary and after lagging.

use std::time::Duration;

use callassist_proto::v1::stream_call_response::Event;
use callassist_proto::v1::{EventEnvelope, RiskEvent, StreamCallResponse, TranscriptEvent};
use futures::{Stream, StreamExt};

use super::*;

fn ev(call_id: &str, seq: u64, risk: bool) -> StreamCallResponse {
    let event = if risk {
        Event::Risk(RiskEvent {
            rule_id: format!("r{seq}"),
            ..Default::default()
        })
    } else {
        Event::Transcript(TranscriptEvent {
            text: format!("utterance {seq}"),
            is_final: true,
            ..Default::default()
        })
    };
    StreamCallResponse {
        call_id: call_id.into(),
        seq,
        audio_ms: seq * 1000,
        event: Some(event),
    }
}

fn open(dir: &tempfile::TempDir) -> EventLog {
    EventLog::open(&dir.path().join("events.db")).unwrap()
}

fn all() -> EventFilter {
    EventFilter::default()
}

/// Takes `n` envelopes, failing the test if they do not come within a few seconds.
async fn take<S>(stream: &mut S, n: usize) -> Vec<EventEnvelope>
where
    S: Stream<Item = Result<EventEnvelope, EventLogError>> + Unpin,
{
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let next = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} events arrived", out.len()));
        out.push(next.expect("stream ended").unwrap());
    }
    out
}

/// Asserts nothing more arrives for a short while.
async fn quiet<S>(stream: &mut S)
where
    S: Stream<Item = Result<EventEnvelope, EventLogError>> + Unpin,
{
    if let Ok(Some(extra)) = tokio::time::timeout(Duration::from_millis(200), stream.next()).await {
        panic!("unexpected event {extra:?}");
    }
}

fn cursors(envs: &[EventEnvelope]) -> Vec<u64> {
    envs.iter().map(|e| e.cursor.parse().unwrap()).collect()
}

fn seqs(envs: &[EventEnvelope]) -> Vec<u64> {
    envs.iter().map(|e| e.event.as_ref().unwrap().seq).collect()
}

#[tokio::test]
async fn append_flush_and_reopen_keep_cursors_increasing() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(&dir);
    let mut before = Vec::new();
    for seq in 1..=3 {
        before.push(log.append("t", ev("c1", seq, false)).await.unwrap());
    }
    assert!(before.windows(2).all(|w| w[0] < w[1]), "{before:?}");
    for seq in 4..=8 {
        log.append_nowait("t", ev("c1", seq, false)).await.unwrap();
    }
    log.flush().await.unwrap();
    drop(log);

    let log = open(&dir);
    let after = log.append("t", ev("c1", 9, false)).await.unwrap();
    assert!(after > before[2] + 5, "{after} after {before:?}");

    let mut sub = Box::pin(log.subscribe("t", None, all()));
    let got = take(&mut sub, 9).await;
    assert_eq!(seqs(&got), (1..=9).collect::<Vec<_>>());
    let c = cursors(&got);
    assert!(c.windows(2).all(|w| w[0] < w[1]), "{c:?}");
    assert_eq!(c[8], after);
    assert!(got.iter().all(|e| e.tenant_id == "t" && e.logged_at_ms > 0));
    quiet(&mut sub).await;

    // Resuming after a cursor gives exactly what follows it.
    let mut resumed = Box::pin(log.subscribe("t", Some(c[5]), all()));
    assert_eq!(seqs(&take(&mut resumed, 3).await), vec![7, 8, 9]);
    quiet(&mut resumed).await;
}

#[tokio::test]
async fn filters_by_type_and_call_id_in_backlog_and_live() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(&dir);
    for seq in 1..=6u64 {
        let call = if seq.is_multiple_of(2) { "c2" } else { "c1" };
        log.append_nowait("t", ev(call, seq, seq.is_multiple_of(3)))
            .await
            .unwrap();
    }
    log.flush().await.unwrap();
    let filter = |types: &[&str], calls: &[&str]| EventFilter {
        types: types.iter().map(|s| s.to_string()).collect(),
        call_ids: calls.iter().map(|s| s.to_string()).collect(),
    };
    let mut risks = Box::pin(log.subscribe("t", None, filter(&["risk"], &[])));
    let mut c2 = Box::pin(log.subscribe("t", None, filter(&[], &["c2"])));
    let mut both = Box::pin(log.subscribe("t", None, filter(&["risk", "end"], &["c2"])));
    assert_eq!(seqs(&take(&mut risks, 2).await), vec![3, 6]);
    assert_eq!(seqs(&take(&mut c2, 3).await), vec![2, 4, 6]);
    assert_eq!(seqs(&take(&mut both, 1).await), vec![6]);

    // Live events pass the same filters.
    for seq in 7..=12u64 {
        let call = if seq.is_multiple_of(2) { "c2" } else { "c1" };
        log.append("t", ev(call, seq, seq.is_multiple_of(3)))
            .await
            .unwrap();
    }
    assert_eq!(seqs(&take(&mut risks, 2).await), vec![9, 12]);
    assert_eq!(seqs(&take(&mut c2, 3).await), vec![8, 10, 12]);
    assert_eq!(seqs(&take(&mut both, 1).await), vec![12]);
    quiet(&mut risks).await;
    quiet(&mut c2).await;
    quiet(&mut both).await;
}

#[tokio::test]
async fn a_tenant_never_sees_another_tenants_events() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(&dir);
    for seq in 1..=4 {
        log.append("a", ev("ca", seq, false)).await.unwrap();
    }
    log.append("b", ev("cb", 1, false)).await.unwrap();
    let mut b = Box::pin(log.subscribe("b", None, all()));
    let got = take(&mut b, 1).await;
    assert_eq!(got[0].event.as_ref().unwrap().call_id, "cb");

    // Live: a's events (even with b's call id) never reach b.
    for seq in 5..=8 {
        log.append("a", ev("cb", seq, false)).await.unwrap();
    }
    log.append("b", ev("cb", 2, false)).await.unwrap();
    let got = take(&mut b, 1).await;
    assert_eq!((got[0].tenant_id.as_str(), seqs(&got)[0]), ("b", 2));
    quiet(&mut b).await;

    let mut nobody = Box::pin(log.subscribe("c", None, all()));
    quiet(&mut nobody).await;
}

#[tokio::test]
async fn a_lagging_subscriber_gets_every_event_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let opts = EventLogOptions {
        queue: 64,
        live_capacity: 8,
        page_size: 16,
    };
    let log = EventLog::open_with(&dir.path().join("events.db"), opts).unwrap();
    let mut sub = Box::pin(log.subscribe("t", None, all()));
    log.append("t", ev("c", 1, false)).await.unwrap();
    assert_eq!(seqs(&take(&mut sub, 1).await), vec![1]);

    // The subscriber is live now; a burst far over the broadcast capacity overruns it.
    for seq in 2..=501 {
        log.append_nowait("t", ev("c", seq, seq.is_multiple_of(7)))
            .await
            .unwrap();
    }
    log.flush().await.unwrap();
    let got = take(&mut sub, 500).await;
    assert_eq!(seqs(&got), (2..=501).collect::<Vec<_>>());
    let c = cursors(&got);
    assert!(c.windows(2).all(|w| w[0] < w[1]));
    quiet(&mut sub).await;
}

#[tokio::test]
async fn no_gap_between_backlog_and_live_under_concurrent_appends() {
    let dir = tempfile::tempdir().unwrap();
    let opts = EventLogOptions {
        queue: 32,
        live_capacity: 16,
        page_size: 50,
    };
    let log = EventLog::open_with(&dir.path().join("events.db"), opts).unwrap();
    for seq in 1..=300 {
        log.append_nowait("t", ev("c", seq, false)).await.unwrap();
    }
    let writer = log.clone();
    let appending = tokio::spawn(async move {
        for seq in 301..=2000 {
            writer
                .append_nowait("t", ev("c", seq, false))
                .await
                .unwrap();
            if seq.is_multiple_of(100) {
                tokio::task::yield_now().await;
            }
        }
        writer.flush().await.unwrap();
    });
    // Subscribe while the writer is busy: part backlog, part live, part lag re-reads.
    let mut sub = Box::pin(log.subscribe("t", None, all()));
    let got = take(&mut sub, 2000).await;
    appending.await.unwrap();
    assert_eq!(seqs(&got), (1..=2000).collect::<Vec<_>>());
    quiet(&mut sub).await;
}

#[tokio::test]
async fn bad_input_is_refused_not_logged() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(&dir);
    let mut empty = ev("c", 1, false);
    empty.event = None;
    assert!(matches!(
        log.append("t", empty).await,
        Err(EventLogError::EmptyEvent { .. })
    ));
    let bad = EventFilter {
        types: vec!["transcripts".into()],
        call_ids: vec![],
    };
    let mut sub = Box::pin(log.subscribe("t", None, bad));
    let first = sub.next().await.unwrap();
    assert!(matches!(first, Err(EventLogError::UnknownType { .. })));
    assert!(sub.next().await.is_none());

    // A huge resume cursor means "nothing yet", not an error.
    let mut far = Box::pin(log.subscribe("t", Some(u64::MAX), all()));
    log.append("t", ev("c", 2, false)).await.unwrap();
    quiet(&mut far).await;
}
