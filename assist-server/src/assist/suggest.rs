//! Suggestions issued on a call and the agent's feedback on them (the human-AI SOP): every
//! suggestion has options with ids; feedback must name a suggestion this call issued, and an
//! acceptance must pick at least `min_choices` known options. Invalid feedback changes nothing.

use std::collections::{HashMap, VecDeque};

use callassist_proto::v1::{self as pb, FeedbackAction};

/// Suggestions remembered per call for feedback (the oldest are forgotten beyond this).
const REMEMBERED: usize = 512;

/// Why feedback was refused; the message says what to fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FeedbackError {
    #[error("unknown suggestion_id {0:?}: this call has issued no suggestion with that id")]
    UnknownSuggestion(String),
    #[error("feedback.action is unspecified: send SHOWN, ACCEPTED or DISMISSED")]
    NoAction,
    #[error(
        "suggestion {id:?} needs at least {min} accepted option(s) (min_choices), got {got}: pick options from the suggestion's option ids"
    )]
    TooFewChoices { id: String, min: u32, got: usize },
    #[error("option {option:?} is not an option of suggestion {id:?}: valid ids are {valid}")]
    UnknownOption {
        id: String,
        option: String,
        valid: String,
    },
    #[error("option {0:?} is listed twice in accepted_option_ids")]
    DuplicateOption(String),
    #[error("accepted_option_ids must be empty when the action is {0}")]
    OptionsOnNonAccept(&'static str),
    #[error("suggestion {0:?} was already accepted or dismissed")]
    AlreadyAnswered(String),
}

#[derive(Debug)]
struct Issued {
    options: Vec<String>,
    min_choices: u32,
    shown: bool,
    answered: bool,
}

/// A valid piece of feedback, to be counted in adoption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackRecord {
    pub suggestion_id: String,
    pub action: FeedbackAction,
    /// First time this suggestion is reported shown.
    pub first_shown: bool,
    pub accepted: Vec<String>,
}

/// Suggestions issued on one call.
#[derive(Debug, Default)]
pub struct SuggestionBook {
    next: u64,
    issued: HashMap<String, Issued>,
    order: VecDeque<String>,
    pub issued_count: u64,
    pub accepted_count: u64,
    pub shown_count: u64,
}

impl SuggestionBook {
    /// Registers a new suggestion with `options` (their ids) and returns its id.
    pub fn issue(&mut self, options: Vec<String>, min_choices: u32) -> String {
        self.next += 1;
        let id = format!("s{}", self.next);
        if self.order.len() >= REMEMBERED
            && let Some(old) = self.order.pop_front()
        {
            self.issued.remove(&old);
        }
        self.order.push_back(id.clone());
        self.issued.insert(
            id.clone(),
            Issued {
                options,
                min_choices,
                shown: false,
                answered: false,
            },
        );
        self.issued_count += 1;
        id
    }

    /// Replaces the option ids of suggestion `id` (after retrieval added options).
    pub fn set_options(&mut self, id: &str, options: Vec<String>) {
        if let Some(s) = self.issued.get_mut(id) {
            s.options = options;
        }
    }

    /// Validates and records feedback; on error nothing changes.
    pub fn feedback(
        &mut self,
        fb: &pb::SuggestionFeedback,
    ) -> Result<FeedbackRecord, FeedbackError> {
        let id = fb.suggestion_id.clone();
        let s = self
            .issued
            .get_mut(&id)
            .ok_or_else(|| FeedbackError::UnknownSuggestion(id.clone()))?;
        let action = FeedbackAction::try_from(fb.action).unwrap_or(FeedbackAction::Unspecified);
        match action {
            FeedbackAction::Unspecified => return Err(FeedbackError::NoAction),
            FeedbackAction::Shown | FeedbackAction::Dismissed => {
                if !fb.accepted_option_ids.is_empty() {
                    return Err(FeedbackError::OptionsOnNonAccept(action.as_str_name()));
                }
            }
            FeedbackAction::Accepted => {
                let mut seen = std::collections::HashSet::new();
                for o in &fb.accepted_option_ids {
                    if !s.options.contains(o) {
                        return Err(FeedbackError::UnknownOption {
                            id,
                            option: o.clone(),
                            valid: s.options.join(", "),
                        });
                    }
                    if !seen.insert(o) {
                        return Err(FeedbackError::DuplicateOption(o.clone()));
                    }
                }
                let min = s.min_choices.max(u32::from(!s.options.is_empty()));
                if fb.accepted_option_ids.len() < min as usize {
                    return Err(FeedbackError::TooFewChoices {
                        id,
                        min,
                        got: fb.accepted_option_ids.len(),
                    });
                }
            }
        }
        if action != FeedbackAction::Shown && s.answered {
            return Err(FeedbackError::AlreadyAnswered(id));
        }
        // Valid: record. Accepting or dismissing implies it was shown.
        let first_shown = !s.shown;
        s.shown = true;
        if first_shown {
            self.shown_count += 1;
        }
        if action != FeedbackAction::Shown {
            s.answered = true;
        }
        if action == FeedbackAction::Accepted {
            self.accepted_count += 1;
        }
        Ok(FeedbackRecord {
            suggestion_id: id,
            action,
            first_shown,
            accepted: fb.accepted_option_ids.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fb(id: &str, action: FeedbackAction, opts: &[&str]) -> pb::SuggestionFeedback {
        pb::SuggestionFeedback {
            suggestion_id: id.into(),
            action: action as i32,
            accepted_option_ids: opts.iter().map(|s| s.to_string()).collect(),
            reason: String::new(),
        }
    }

    #[test]
    fn validates_and_records() {
        let mut b = SuggestionBook::default();
        let id = b.issue(vec!["o1".into(), "o2".into(), "o3".into()], 2);
        let err = b
            .feedback(&fb("s9", FeedbackAction::Shown, &[]))
            .unwrap_err();
        assert!(matches!(err, FeedbackError::UnknownSuggestion(_)));
        let err = b
            .feedback(&fb(&id, FeedbackAction::Accepted, &["o1"]))
            .unwrap_err();
        assert!(matches!(
            err,
            FeedbackError::TooFewChoices { min: 2, got: 1, .. }
        ));
        let err = b
            .feedback(&fb(&id, FeedbackAction::Accepted, &["o1", "o9"]))
            .unwrap_err();
        assert!(err.to_string().contains("o1, o2, o3"), "{err}");
        let err = b
            .feedback(&fb(&id, FeedbackAction::Accepted, &["o1", "o1"]))
            .unwrap_err();
        assert_eq!(err, FeedbackError::DuplicateOption("o1".into()));
        assert_eq!(
            (b.shown_count, b.accepted_count),
            (0, 0),
            "errors change nothing"
        );
        let ok = b
            .feedback(&fb(&id, FeedbackAction::Accepted, &["o1", "o3"]))
            .unwrap();
        assert!(ok.first_shown);
        assert_eq!((b.shown_count, b.accepted_count), (1, 1));
        let err = b
            .feedback(&fb(&id, FeedbackAction::Dismissed, &[]))
            .unwrap_err();
        assert!(matches!(err, FeedbackError::AlreadyAnswered(_)));
    }

    #[test]
    fn dismiss_takes_no_options() {
        let mut b = SuggestionBook::default();
        let id = b.issue(vec!["o1".into()], 0);
        assert!(
            b.feedback(&fb(&id, FeedbackAction::Dismissed, &["o1"]))
                .is_err()
        );
        assert!(
            b.feedback(&fb(&id, FeedbackAction::Unspecified, &[]))
                .is_err()
        );
        b.feedback(&fb(&id, FeedbackAction::Shown, &[])).unwrap();
        let r = b
            .feedback(&fb(&id, FeedbackAction::Dismissed, &[]))
            .unwrap();
        assert!(!r.first_shown);
        assert_eq!(b.shown_count, 1);
    }
}
