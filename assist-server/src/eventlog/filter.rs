//! Event type names and the subscription filter (by type and by call id).

use callassist_proto::v1::StreamCallResponse;
use callassist_proto::v1::stream_call_response::Event;

use super::EventLogError;

/// Every event type name a filter may use, in the order of the `event` oneof.
pub use callassist_proto::EVENT_TYPES;

/// Most call ids one filter may name.
pub const MAX_FILTER_CALL_IDS: usize = 256;

/// The type name of a call event, as stored and as filters name it.
pub fn event_type_name(ev: &Event) -> &'static str {
    match ev {
        Event::Transcript(_) => "transcript",
        Event::Speech(_) => "speech",
        Event::Risk(_) => "risk",
        Event::Suggestion(_) => "suggestion",
        Event::Emotion(_) => "emotion",
        Event::Stage(_) => "stage",
        Event::Metrics(_) => "metrics",
        Event::Summary(_) => "summary",
        Event::End(_) => "end",
        Event::Error(_) => "error",
    }
}

/// Which events a subscriber wants; an empty list means "all".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Event type names (see [`EVENT_TYPES`]).
    pub types: Vec<String>,
    /// Call ids.
    pub call_ids: Vec<String>,
}

impl EventFilter {
    /// Checks the type names and the number of call ids.
    pub fn validate(&self) -> Result<(), EventLogError> {
        if let Some(bad) = self
            .types
            .iter()
            .find(|t| !EVENT_TYPES.contains(&t.as_str()))
        {
            return Err(EventLogError::UnknownType { name: bad.clone() });
        }
        if self.call_ids.len() > MAX_FILTER_CALL_IDS {
            return Err(EventLogError::InvalidFilter(format!(
                "{} call ids given; a subscription may name at most {MAX_FILTER_CALL_IDS} \
                 (leave call_ids empty for all calls)",
                self.call_ids.len()
            )));
        }
        Ok(())
    }

    /// Whether `ev` passes the filter.
    pub fn matches(&self, ev: &StreamCallResponse) -> bool {
        let type_ok = self.types.is_empty()
            || ev
                .event
                .as_ref()
                .is_some_and(|e| self.types.iter().any(|t| t == event_type_name(e)));
        type_ok && (self.call_ids.is_empty() || self.call_ids.contains(&ev.call_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callassist_proto::v1::{CallEnd, ErrorEvent};

    #[test]
    fn names_cover_every_type_and_unknown_ones_are_refused() {
        assert_eq!(event_type_name(&Event::End(CallEnd::default())), "end");
        assert_eq!(
            event_type_name(&Event::Error(ErrorEvent::default())),
            "error"
        );
        let f = EventFilter {
            types: vec!["risk".into(), "riks".into()],
            call_ids: vec![],
        };
        let e = f.validate().unwrap_err().to_string();
        assert!(
            e.contains("\"riks\"") && e.contains("transcript, speech"),
            "{e}"
        );
        let many = EventFilter {
            types: vec![],
            call_ids: vec!["c".into(); MAX_FILTER_CALL_IDS + 1],
        };
        assert!(matches!(
            many.validate(),
            Err(EventLogError::InvalidFilter(_))
        ));
    }

    #[test]
    fn matches_by_type_and_call() {
        let ev = StreamCallResponse {
            call_id: "c1".into(),
            seq: 1,
            audio_ms: 0,
            event: Some(Event::End(CallEnd::default())),
        };
        assert!(EventFilter::default().matches(&ev));
        let by_type = |t: &str| EventFilter {
            types: vec![t.into()],
            call_ids: vec![],
        };
        assert!(by_type("end").matches(&ev));
        assert!(!by_type("risk").matches(&ev));
        let by_call = |c: &str| EventFilter {
            types: vec![],
            call_ids: vec![c.into()],
        };
        assert!(by_call("c1").matches(&ev));
        assert!(!by_call("c2").matches(&ev));
    }
}
