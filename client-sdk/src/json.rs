//! One JSON object per server event, as `callassist ... --json` prints them (the contract in
//! `spec/cli.md`): `type`, `call_id`, `seq`, `audio_ms`, then the fields of each event type.

use serde_json::{Value, json};

use crate::pb::{self, StreamCallResponse, stream_call_response::Event};

fn role(r: i32) -> &'static str {
    match pb::Role::try_from(r) {
        Ok(pb::Role::Agent) => "agent",
        Ok(pb::Role::Customer) => "customer",
        _ => "unspecified",
    }
}

fn severity(s: i32) -> &'static str {
    match pb::Severity::try_from(s) {
        Ok(pb::Severity::Low) => "low",
        Ok(pb::Severity::Medium) => "medium",
        Ok(pb::Severity::High) => "high",
        _ => "unspecified",
    }
}

fn risk_kind(k: i32) -> &'static str {
    match pb::RiskKind::try_from(k) {
        Ok(pb::RiskKind::Forbidden) => "forbidden",
        Ok(pb::RiskKind::Required) => "required",
        Ok(pb::RiskKind::Objection) => "objection",
        Ok(pb::RiskKind::Competitor) => "competitor",
        _ => "unspecified",
    }
}

fn speech_type(t: i32) -> &'static str {
    match pb::SpeechEventType::try_from(t) {
        Ok(pb::SpeechEventType::SpeechBegin) => "speech_begin",
        Ok(pb::SpeechEventType::SpeechEnd) => "speech_end",
        Ok(pb::SpeechEventType::EndOfTurn) => "end_of_turn",
        _ => "unspecified",
    }
}

fn citations(c: &[pb::Citation]) -> Value {
    Value::from(c.iter().map(|c| c.chunk_id.clone()).collect::<Vec<_>>())
}

/// The event's `type` name.
pub fn event_type(ev: &StreamCallResponse) -> &'static str {
    match &ev.event {
        Some(Event::Transcript(_)) => "transcript",
        Some(Event::Speech(_)) => "speech",
        Some(Event::Risk(_)) => "risk",
        Some(Event::Suggestion(_)) => "suggestion",
        Some(Event::Emotion(_)) => "emotion",
        Some(Event::Stage(_)) => "stage",
        Some(Event::Metrics(_)) => "metrics",
        Some(Event::Summary(_)) => "summary",
        Some(Event::End(_)) => "end",
        Some(Event::Error(_)) => "error",
        None => "unknown",
    }
}

/// Converts one event to its JSON line object.
pub fn event_json(ev: &StreamCallResponse) -> Value {
    let mut v = json!({
        "type": event_type(ev),
        "call_id": ev.call_id,
        "seq": ev.seq,
        "audio_ms": ev.audio_ms,
    });
    let fields = match &ev.event {
        Some(Event::Transcript(t)) => json!({
            "role": role(t.role), "channel": t.channel, "utterance_id": t.utterance_id,
            "text": t.text, "is_final": t.is_final, "stability": t.stability,
            "start_ms": t.start_ms, "end_ms": t.end_ms, "language": t.language_code,
            "confidence": t.confidence,
            "words": t.words.iter().map(|w| json!({"word": w.word, "start_ms": w.start_ms, "end_ms": w.end_ms})).collect::<Vec<_>>(),
        }),
        Some(Event::Speech(s)) => json!({
            "role": role(s.role), "channel": s.channel, "event": speech_type(s.r#type),
        }),
        Some(Event::Risk(r)) => json!({
            "rule_id": r.rule_id, "kind": risk_kind(r.kind), "role": role(r.role),
            "utterance_id": r.utterance_id, "matched": r.matched, "severity": severity(r.severity),
            "message": r.message, "pack_id": r.pack_id, "semantic": r.semantic,
            "confidence": r.confidence,
        }),
        Some(Event::Suggestion(s)) => json!({
            "suggestion_id": s.suggestion_id, "text": s.text, "citations": citations(&s.citations),
            "trigger": s.trigger, "supersedes": s.supersedes, "is_final": s.is_final,
            "min_choices": s.min_choices, "withdrawn": s.withdrawn,
            "options": s.options.iter().map(|o| json!({"option_id": o.option_id, "text": o.text, "citations": citations(&o.citations)})).collect::<Vec<_>>(),
        }),
        Some(Event::Emotion(e)) => json!({
            "role": role(e.role), "label": e.label, "score": e.score, "strategy": e.strategy,
            "utterance_id": e.utterance_id,
        }),
        Some(Event::Stage(s)) => json!({
            "stage_id": s.stage_id, "previous": s.previous,
            "evidence_utterance_id": s.evidence_utterance_id, "confidence": s.confidence,
            "evidence": s.evidence,
        }),
        Some(Event::Metrics(m)) => json!({
            "talk_ratio": m.talk_ratio, "coverage": m.coverage, "interruptions": m.interruptions,
            "longest_monologue_ms": m.longest_monologue_ms, "silence_ms": m.silence_ms,
            "agent_questions": m.agent_questions, "agent_talk_ms": m.agent_talk_ms,
            "customer_talk_ms": m.customer_talk_ms, "suggestions": m.suggestions,
            "suggestions_accepted": m.suggestions_accepted, "adoption": m.adoption,
            "suggestions_blocked": m.suggestions_blocked,
        }),
        Some(Event::Summary(s)) => json!({
            "text": s.text, "action_items": s.action_items, "final_stage": s.final_stage,
            "language": s.language_code,
        }),
        Some(Event::End(e)) => json!({
            "total_audio_ms": e.audio_ms, "utterances": e.utterances, "events": e.events,
            "frames": e.frames, "frames_out_of_order": e.frames_out_of_order,
        }),
        Some(Event::Error(e)) => json!({"code": e.code, "message": e.message}),
        None => json!({}),
    };
    if let (Value::Object(base), Value::Object(extra)) = (&mut v, fields) {
        base.extend(extra);
    }
    v
}

/// A one-line human rendering of an event, or `None` for events not worth a line.
pub fn event_text(ev: &StreamCallResponse) -> Option<String> {
    let at = format!("{:>3}.{:01}s", ev.audio_ms / 1000, ev.audio_ms % 1000 / 100);
    match &ev.event {
        Some(Event::Transcript(t)) if t.is_final => {
            Some(format!("[{at}] {:<8} {}", role(t.role), t.text))
        }
        Some(Event::Risk(r)) if r.matched.is_empty() => Some(format!(
            "[{at}] MISSING {} ({}) {}",
            r.rule_id,
            severity(r.severity),
            r.message
        )),
        Some(Event::Risk(r)) => Some(format!(
            "[{at}] RISK {} ({}) {}: {:?}{}",
            r.rule_id,
            severity(r.severity),
            r.message,
            r.matched,
            if r.semantic { " (by meaning)" } else { "" }
        )),
        // Streaming updates of a generated suggestion show once, when final.
        Some(Event::Suggestion(s)) if s.withdrawn => Some(format!(
            "[{at}] WITHDRAWN {} (failed the compliance guard)",
            s.suggestion_id
        )),
        Some(Event::Suggestion(s)) if s.is_final => {
            let cites: Vec<&str> = s.citations.iter().map(|c| c.chunk_id.as_str()).collect();
            Some(format!(
                "[{at}] SUGGEST ({}) {}{}",
                s.trigger,
                s.text,
                if cites.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", cites.join(", "))
                }
            ))
        }
        Some(Event::Suggestion(_)) => None,
        Some(Event::Emotion(e)) => Some(format!(
            "[{at}] EMOTION {} {:.2}: {}",
            e.label, e.score, e.strategy
        )),
        Some(Event::Stage(s)) => Some(format!("[{at}] STAGE {} -> {}", s.previous, s.stage_id)),
        Some(Event::Summary(s)) => Some(format!(
            "SUMMARY ({}, final stage {}) {}{}",
            s.language_code,
            if s.final_stage.is_empty() {
                "-"
            } else {
                &s.final_stage
            },
            s.text,
            s.action_items
                .iter()
                .map(|a| format!("\n  - {a}"))
                .collect::<String>()
        )),
        Some(Event::End(e)) => Some(format!(
            "END {} ms of audio, {} utterances, {} events",
            e.audio_ms, e.utterances, e.events
        )),
        Some(Event::Error(e)) => Some(format!("[{at}] ERROR {}: {}", e.code, e.message)),
        _ => None,
    }
}

/// A one-line human rendering of any event (partials, speech and metrics included).
pub fn event_line(ev: &StreamCallResponse) -> String {
    if let Some(line) = event_text(ev) {
        return line;
    }
    let at = format!("{:>3}.{:01}s", ev.audio_ms / 1000, ev.audio_ms % 1000 / 100);
    match &ev.event {
        Some(Event::Transcript(t)) => format!("[{at}] {:<8} ({}...)", role(t.role), t.text),
        Some(Event::Speech(s)) => {
            format!("[{at}] SPEECH {} {}", role(s.role), speech_type(s.r#type))
        }
        Some(Event::Metrics(m)) => format!(
            "[{at}] METRICS talk ratio {:.2}, coverage {:.2}, {} interruptions",
            m.talk_ratio, m.coverage, m.interruptions
        ),
        _ => format!("[{at}] {}", event_type(ev)),
    }
}

/// The JSON object of one logged event (`callassist subscribe --json`): [`event_json`] plus
/// `cursor` (a string: pass it back as `--from`), `tenant_id` and `logged_at_ms`.
pub fn envelope_json(env: &pb::EventEnvelope) -> Value {
    let mut v = match &env.event {
        Some(ev) => event_json(ev),
        None => json!({"type": "unknown"}),
    };
    if let Value::Object(o) = &mut v {
        o.insert("cursor".into(), env.cursor.clone().into());
        o.insert("tenant_id".into(), env.tenant_id.clone().into());
        o.insert("logged_at_ms".into(), env.logged_at_ms.into());
    }
    v
}

/// One human line per logged event: cursor, UTC time logged, call id, then the event.
pub fn envelope_text(env: &pb::EventEnvelope) -> String {
    let ms = env.logged_at_ms.max(0) as u64;
    let day_ms = ms % 86_400_000;
    let time = format!(
        "{:02}:{:02}:{:02}.{:03}",
        day_ms / 3_600_000,
        day_ms / 60_000 % 60,
        day_ms / 1000 % 60,
        day_ms % 1000
    );
    match &env.event {
        Some(ev) => format!("{:>8} {time} {} {}", env.cursor, ev.call_id, event_line(ev)),
        None => format!("{:>8} {time} (empty event)", env.cursor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcript_has_the_contract_fields() {
        let ev = StreamCallResponse {
            call_id: "c1".into(),
            seq: 3,
            audio_ms: 1200,
            event: Some(Event::Transcript(pb::TranscriptEvent {
                role: pb::Role::Customer as i32,
                utterance_id: "customer-1".into(),
                text: "hi".into(),
                is_final: true,
                start_ms: 100,
                end_ms: 1200,
                ..Default::default()
            })),
        };
        let v = event_json(&ev);
        for k in [
            "type",
            "call_id",
            "seq",
            "audio_ms",
            "role",
            "utterance_id",
            "text",
            "is_final",
            "start_ms",
            "end_ms",
        ] {
            assert!(v.get(k).is_some(), "missing {k}");
        }
        assert_eq!(v["type"], "transcript");
        assert_eq!(v["role"], "customer");
    }

    #[test]
    fn envelope_adds_cursor_tenant_and_time() {
        let env = pb::EventEnvelope {
            cursor: "17".into(),
            tenant_id: "acme".into(),
            logged_at_ms: 3_723_004,
            event: Some(StreamCallResponse {
                call_id: "c1".into(),
                seq: 2,
                audio_ms: 1500,
                event: Some(Event::Speech(pb::SpeechEvent {
                    role: pb::Role::Agent as i32,
                    channel: 0,
                    r#type: pb::SpeechEventType::SpeechBegin as i32,
                })),
            }),
        };
        let v = envelope_json(&env);
        assert_eq!(v["cursor"], "17");
        assert_eq!(v["tenant_id"], "acme");
        assert_eq!(v["logged_at_ms"], 3_723_004);
        assert_eq!(v["type"], "speech");
        assert_eq!(v["call_id"], "c1");
        let line = envelope_text(&env);
        assert!(line.contains("17 01:02:03.004 c1"), "{line}");
        assert!(line.contains("SPEECH agent speech_begin"), "{line}");
    }
}
