//! Test audio: `jfk.wav`, the LibriVox clips and F5-TTS's Mandarin and English examples, with
//! their reference transcripts.
//!
//! Formats (checked when the catalogue was written): `jfk.wav` is 16 kHz mono 16-bit PCM,
//! 176,000 samples (11.0 s). The five LibriVox clips (Jane Austen, *Sense and Sensibility*
//! ch. 1, from Debian's `pocketsphinx-testdata`) are 16 kHz mono 16-bit PCM WAV, 3.0 to
//! 7.1 s each. Their references are lower-case words without punctuation, verbatim from the
//! package (clip 0920 reads "a more a amiable woman": keep that in mind when scoring WER).

use std::fs;
use std::path::PathBuf;

use crate::catalogue::Asset;
use crate::error::{IoContext, ModelError, Result};
use crate::home::ModelHome;
use crate::install::ensure;

/// What is said in `jfk.wav`.
pub const JFK_TRANSCRIPT: &str = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.";

/// Path of `jfk.wav`, fetching it first if needed.
pub fn jfk_wav(home: &ModelHome) -> Result<PathBuf> {
    Ok(ensure(home, Asset::JfkWav)?.join("jfk.wav"))
}

/// What is said in the Mandarin clip ([`mandarin_clip`]).
pub const MANDARIN_TRANSCRIPT: &str = "对，这就是我，万人敬仰的太乙真人。";

/// What is said in the English F5 clip ([`english_f5_clip`]).
pub const ENGLISH_F5_TRANSCRIPT: &str = "Some call me nature, others call me mother nature.";

/// Path of the Mandarin clip (6.8 s, 24 kHz mono PCM16; reference [`MANDARIN_TRANSCRIPT`]),
/// fetching it first if needed.
pub fn mandarin_clip(home: &ModelHome) -> Result<PathBuf> {
    Ok(ensure(home, Asset::AudioF5)?.join("zh.wav"))
}

/// Path of the English F5 clip (24 kHz mono PCM16; reference [`ENGLISH_F5_TRANSCRIPT`]).
pub fn english_f5_clip(home: &ModelHome) -> Result<PathBuf> {
    Ok(ensure(home, Asset::AudioF5)?.join("en.wav"))
}

/// The LibriVox clips as `(wav path, reference transcript)`, in file order, fetching them
/// first if needed.
pub fn librivox_clips(home: &ModelHome) -> Result<Vec<(PathBuf, String)>> {
    let dir = ensure(home, Asset::Librivox)?;
    let file = dir.join("transcription");
    let text = fs::read_to_string(&file).at(&file)?;
    let entries = parse_transcription(&text).map_err(|e| ModelError::format(&file, e))?;
    Ok(entries
        .into_iter()
        .map(|(id, words)| (dir.join(format!("{id}.wav")), words))
        .collect())
}

/// Parse a Sphinx `transcription` file: one `<s> words </s> (file_id)` per line (the
/// sentence markers are optional). Returns `(file_id, words)` pairs.
pub fn parse_transcription(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = || format!("line {}: expected `words (file_id)`, got {line:?}", n + 1);
        let body = line.strip_suffix(')').ok_or_else(bad)?;
        let open = body.rfind('(').ok_or_else(bad)?;
        let id = body[open + 1..].trim();
        if id.is_empty() {
            return Err(bad());
        }
        let words: Vec<&str> = body[..open]
            .split_whitespace()
            .filter(|w| !matches!(*w, "<s>" | "</s>"))
            .collect();
        out.push((id.to_string(), words.join(" ")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sphinx_transcriptions() {
        let text = "<s> he was not an ill disposed young man </s> (clip-0880)\n\
                    \n  no markers here (b)  \n";
        let parsed = parse_transcription(text).unwrap();
        assert_eq!(
            parsed,
            vec![
                (
                    "clip-0880".into(),
                    "he was not an ill disposed young man".into()
                ),
                ("b".into(), "no markers here".into()),
            ]
        );
    }

    #[test]
    fn rejects_lines_without_id() {
        assert!(parse_transcription("<s> words </s>").is_err());
        assert!(parse_transcription("words ()").is_err());
    }
}
