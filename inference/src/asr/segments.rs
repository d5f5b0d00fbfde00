//! Splitting a window's decoded tokens into timed segments at Whisper's timestamp tokens
//! (20 ms each), the same for every backend.

use super::AsrSegment;
use crate::InferenceError;

/// A segment and where its text tokens lie in the decoded tokens.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Split {
    pub segment: AsrSegment,
    /// Indices (into the tokens given to [`split`]) of the segment's text tokens, in order.
    pub tokens: Vec<usize>,
}

/// Splits `tokens` (text ids below `eot`, timestamps from `timestamp_begin` up; anything else
/// is skipped) into segments. Times are `offset_ms` plus the timestamp's; text after the last
/// timestamp ends at `end_ms`. `text` decodes ids; segments whose text is blank are dropped.
pub(crate) fn split(
    tokens: &[u32],
    eot: u32,
    timestamp_begin: u32,
    offset_ms: u64,
    end_ms: u64,
    mut text: impl FnMut(&[u32]) -> Result<String, InferenceError>,
) -> Result<Vec<Split>, InferenceError> {
    let ts_ms = |t: u32| offset_ms + u64::from(t - timestamp_begin) * 20;
    let mut out = Vec::new();
    let mut start = offset_ms;
    let mut buf: Vec<usize> = Vec::new();
    let mut close = |buf: &mut Vec<usize>, start: u64, end: u64| -> Result<(), InferenceError> {
        if buf.is_empty() {
            return Ok(());
        }
        let ids: Vec<u32> = buf.iter().map(|&i| tokens[i]).collect();
        let text = text(&ids)?.trim().to_string();
        if !text.is_empty() {
            out.push(Split {
                segment: AsrSegment {
                    start_ms: start,
                    end_ms: end,
                    text,
                },
                tokens: std::mem::take(buf),
            });
        }
        buf.clear();
        Ok(())
    };
    for (i, &t) in tokens.iter().enumerate() {
        if t >= timestamp_begin {
            close(&mut buf, start, ts_ms(t))?;
            start = ts_ms(t);
        } else if t < eot {
            buf.push(i);
        }
    }
    close(&mut buf, start, end_ms)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(ids: &[u32]) -> Result<String, InferenceError> {
        Ok(format!(
            " {}",
            ids.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
        ))
    }

    #[test]
    fn splits_at_timestamp_pairs_and_keeps_token_indices() {
        // <0.00> 1 2 <1.00> <1.00> 3 <2.00>, then 4 with no closing timestamp.
        let tokens = [100, 1, 2, 150, 150, 3, 200, 4];
        let s = split(&tokens, 50, 100, 1_000, 9_000, text).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(
            s[0].segment,
            AsrSegment {
                start_ms: 1_000,
                end_ms: 2_000,
                text: "1,2".into()
            }
        );
        assert_eq!(s[0].tokens, vec![1, 2]);
        assert_eq!((s[1].segment.start_ms, s[1].segment.end_ms), (2_000, 3_000));
        assert_eq!(s[1].tokens, vec![5]);
        assert_eq!((s[2].segment.start_ms, s[2].segment.end_ms), (3_000, 9_000));
        assert_eq!(s[2].tokens, vec![7]);
    }

    #[test]
    fn blank_text_and_control_tokens_make_no_segment() {
        let blank = |_: &[u32]| Ok("  ".to_string());
        assert!(
            split(&[100, 1, 120], 50, 100, 0, 1_000, blank)
                .unwrap()
                .is_empty()
        );
        // 60 is a control token (between EOT and the timestamps): skipped.
        let s = split(&[60, 1, 60], 50, 100, 0, 1_000, text).unwrap();
        assert_eq!(s[0].tokens, vec![1]);
        assert_eq!((s[0].segment.start_ms, s[0].segment.end_ms), (0, 1_000));
    }
}
