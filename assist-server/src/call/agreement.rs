//! Local agreement for streaming transcripts: while an utterance is still being spoken, each
//! partial hypothesis is compared with the previous one. The words both agree on give the
//! partial's stability, and leading segments both agree on that end well before the audio
//! does are committed as a final that never changes; later decodes start at the committed
//! audio's end (the buffer is trimmed at a segment end). At the end of speech only the rest
//! is decoded, so a long monologue's final is not late by a whole-utterance decode.

use callassist_inference::asr::AsrSegment;

/// A segment is committed only if it ends at least this long before the decoded audio does
/// (words at the edge are still changing).
const EDGE_GUARD_MS: u64 = 1_000;
/// Nothing is committed before the uncommitted audio is this long.
const MIN_AUDIO_MS: u64 = 3_000;

/// A piece of an utterance committed early.
#[derive(Clone, Debug, PartialEq)]
pub struct Committed {
    /// Utterance id of this piece.
    pub id: String,
    pub text: String,
    /// Times relative to the decoded slice's start (like the recognizer's segments).
    pub segments: Vec<AsrSegment>,
}

/// Agreement state of one channel's current utterance.
#[derive(Debug, Default)]
pub struct Agreement {
    utt: String,
    /// Audio already committed, ms from the utterance start.
    committed_ms: u64,
    /// Pieces committed so far.
    parts: u32,
    /// The previous partial's segments, ms from the utterance start.
    prev: Vec<AsrSegment>,
}

/// Normalised words of `text`, for comparing hypotheses.
fn words(text: &str) -> Vec<String> {
    let cjk = text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let cleaned: String = text
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    if cjk {
        cleaned
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(String::from)
            .collect()
    } else {
        cleaned.split_whitespace().map(String::from).collect()
    }
}

impl Agreement {
    /// Switches to utterance `id` (a new utterance starts from scratch).
    pub fn follow(&mut self, id: &str) {
        if self.utt != id {
            *self = Agreement {
                utt: id.to_string(),
                ..Default::default()
            };
        }
    }

    /// Audio of the current utterance already committed: decode from here.
    pub fn offset_ms(&self) -> u64 {
        self.committed_ms
    }

    /// Utterance id of the piece now being decoded: the utterance's own id first, then
    /// `id.2`, `id.3`, ... after early commits.
    pub fn part_id(&self) -> String {
        match self.parts {
            0 => self.utt.clone(),
            n => format!("{}.{}", self.utt, n + 1),
        }
    }

    /// Commits the audio up to `end_ms` (from the utterance start) after it was decoded as a
    /// final of its own (a pause settled it); `emitted` tells whether that final was sent
    /// (under the current [`Self::part_id`]) or had nothing to say.
    pub fn settle(&mut self, end_ms: u64, emitted: bool) {
        self.committed_ms = self.committed_ms.max(end_ms);
        if emitted {
            self.parts += 1;
        }
        self.prev.clear();
    }

    /// Takes a partial over the uncommitted audio (`segments` relative to its start,
    /// `audio_ms` long). Returns the partial's stability (the share of its words the previous
    /// partial agreed on) and what it commits, if anything.
    pub fn on_partial(
        &mut self,
        segments: &[AsrSegment],
        audio_ms: u64,
    ) -> (f32, Option<Committed>) {
        let off = self.committed_ms;
        let current: Vec<AsrSegment> = segments
            .iter()
            .map(|s| AsrSegment {
                start_ms: s.start_ms + off,
                end_ms: s.end_ms + off,
                text: s.text.clone(),
            })
            .collect();
        let cur_words: Vec<String> = current.iter().flat_map(|s| words(&s.text)).collect();
        let prev_words: Vec<String> = self.prev.iter().flat_map(|s| words(&s.text)).collect();
        let agreed = cur_words
            .iter()
            .zip(&prev_words)
            .take_while(|(a, b)| a == b)
            .count();
        let stability = if cur_words.is_empty() {
            0.0
        } else {
            agreed as f32 / cur_words.len() as f32
        };
        // Leading segments both hypotheses agree on...
        let same = current
            .iter()
            .zip(&self.prev)
            .take_while(|(a, b)| words(&a.text) == words(&b.text) && !words(&a.text).is_empty())
            .count();
        // ...of which those ending clear of the audio's edge are committed.
        let edge = off + audio_ms.saturating_sub(EDGE_GUARD_MS);
        let n = current[..same]
            .iter()
            .rposition(|s| s.end_ms <= edge)
            .map_or(0, |i| i + 1);
        if n == 0 || audio_ms < MIN_AUDIO_MS {
            self.prev = current;
            return (stability, None);
        }
        let committed = Committed {
            id: self.part_id(),
            text: join(&segments[..n]),
            segments: segments[..n].to_vec(),
        };
        self.committed_ms = current[n - 1].end_ms;
        self.parts += 1;
        self.prev = current[n..].to_vec();
        (stability, Some(committed))
    }
}

/// Segment texts joined (spaces between Latin-script pieces, none for Chinese).
fn join(segments: &[AsrSegment]) -> String {
    let mut s = String::new();
    for seg in segments {
        let t = seg.text.trim();
        let cjk = |c: char| {
            ('\u{3000}'..='\u{9fff}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c)
        };
        let touches_cjk = s.chars().last().is_some_and(cjk) || t.chars().next().is_some_and(cjk);
        if !s.is_empty() && !touches_cjk {
            s.push(' ');
        }
        s.push_str(t);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(start_ms: u64, end_ms: u64, text: &str) -> AsrSegment {
        AsrSegment {
            start_ms,
            end_ms,
            text: text.into(),
        }
    }

    #[test]
    fn agreed_segments_clear_of_the_edge_are_committed_once() {
        let mut a = Agreement::default();
        a.follow("agent-1");
        // First partial: nothing to agree with.
        let (st, c) = a.on_partial(&[seg(0, 2_000, "We looked at three vendors.")], 3_000);
        assert_eq!((st, c), (0.0, None));
        // Second partial agrees on the first segment, which ends 2 s before the edge.
        let (st, c) = a.on_partial(
            &[
                seg(0, 2_000, "We looked at three vendors."),
                seg(2_000, 3_800, "Yours is the most"),
            ],
            4_000,
        );
        let c = c.unwrap();
        assert_eq!(c.id, "agent-1");
        assert_eq!(c.text, "We looked at three vendors.");
        assert!(st > 0.5 && st < 1.0, "{st}");
        assert_eq!(a.offset_ms(), 2_000);
        assert_eq!(a.part_id(), "agent-1.2");
        // The next partial decodes from 2 s on; its times are relative to that.
        let (_, c) = a.on_partial(&[seg(0, 1_800, "Yours is the most expensive.")], 2_500);
        assert_eq!(c, None);
        // A new utterance starts over.
        a.follow("agent-2");
        assert_eq!((a.offset_ms(), a.part_id().as_str()), (0, "agent-2"));
    }

    #[test]
    fn settled_pieces_move_the_offset_and_number_the_parts() {
        let mut a = Agreement::default();
        a.follow("agent-4");
        a.on_partial(&[seg(0, 1_000, "So the plan")], 1_200);
        // A pause settled the first 2.5 s and its final was sent as "agent-4".
        a.settle(2_500, true);
        assert_eq!((a.offset_ms(), a.part_id().as_str()), (2_500, "agent-4.2"));
        // The earlier partial is forgotten: the next one has nothing to agree with.
        let (st, c) = a.on_partial(&[seg(0, 1_000, "So the plan")], 1_200);
        assert_eq!((st, c), (0.0, None));
        // A settled piece with nothing in it moves the offset but not the numbering.
        a.settle(4_000, false);
        assert_eq!((a.offset_ms(), a.part_id().as_str()), (4_000, "agent-4.2"));
    }

    #[test]
    fn disagreement_or_text_at_the_edge_commits_nothing() {
        let mut a = Agreement::default();
        a.follow("customer-1");
        a.on_partial(&[seg(0, 3_500, "The price is too")], 4_000);
        // Changed words: not committed.
        let (st, c) = a.on_partial(&[seg(0, 3_600, "The prices are too high")], 4_500);
        assert_eq!(c, None);
        assert!(st < 0.5, "{st}");
        // Agreed but ending inside the last second: not committed.
        let (st, c) = a.on_partial(&[seg(0, 4_900, "The prices are too high")], 5_200);
        assert_eq!(c, None);
        assert!((st - 1.0).abs() < 1e-6);
    }

    #[test]
    fn chinese_compares_by_character_and_joins_without_spaces() {
        let mut a = Agreement::default();
        a.follow("customer-3");
        a.on_partial(
            &[seg(0, 1_500, "预算不够，"), seg(1_500, 3_000, "能不能")],
            3_200,
        );
        let (_, c) = a.on_partial(
            &[
                seg(0, 1_500, "预算不够。"),
                seg(1_500, 3_000, "能不能便宜"),
                seg(3_000, 4_400, "一点"),
            ],
            4_600,
        );
        let c = c.unwrap();
        assert_eq!(c.text, "预算不够。");
        assert_eq!(words("能不能 便宜"), ["能", "不", "能", "便", "宜"]);
    }
}
