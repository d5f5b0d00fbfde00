//! Whisper's special token ids, looked up by name in the model's tokenizer (they differ between
//! English-only and multilingual vocabularies).

use tokenizers::Tokenizer;

use crate::InferenceError;

/// Ids of the control tokens the decoder needs.
#[derive(Clone, Debug)]
pub struct SpecialTokens {
    pub sot: u32,
    pub eot: u32,
    pub transcribe: u32,
    pub no_speech: Option<u32>,
    /// `<|startofprev|>`: opens the previous-text prompt.
    pub prev: Option<u32>,
    /// First timestamp token (`<|0.00|>`); every id from here up is a timestamp (0.02 s each).
    pub timestamp_begin: u32,
    /// Language tokens (`<|en|>`, `<|zh|>`, ...) with their codes; empty for English-only models.
    pub languages: Vec<(u32, String)>,
}

fn id(tok: &Tokenizer, name: &str) -> Result<u32, InferenceError> {
    tok.token_to_id(name)
        .ok_or_else(|| InferenceError::Tokenizer(format!("token {name} missing from tokenizer")))
}

impl SpecialTokens {
    /// Reads the ids from `tok`; `multilingual` says whether language tokens exist.
    pub fn from_tokenizer(tok: &Tokenizer, multilingual: bool) -> Result<Self, InferenceError> {
        let sot = id(tok, "<|startoftranscript|>")?;
        let translate = tok.token_to_id("<|translate|>");
        let no_timestamps = id(tok, "<|notimestamps|>")?;
        let languages = match (multilingual, translate) {
            (true, Some(tr)) => (sot + 1..tr)
                .filter_map(|i| {
                    let t = tok.id_to_token(i)?;
                    let code = t.strip_prefix("<|")?.strip_suffix("|>")?.to_string();
                    Some((i, code))
                })
                .collect(),
            _ => Vec::new(),
        };
        Ok(Self {
            sot,
            eot: id(tok, "<|endoftext|>")?,
            transcribe: id(tok, "<|transcribe|>")?,
            no_speech: tok
                .token_to_id("<|nospeech|>")
                .or_else(|| tok.token_to_id("<|nocaptions|>")),
            prev: tok.token_to_id("<|startofprev|>"),
            timestamp_begin: no_timestamps + 1,
            languages,
        })
    }

    /// The bytes of token `id` (`None` for an unknown id). Whisper's vocabulary is GPT-2's
    /// byte-level BPE: each byte is written as one printable character.
    pub fn bytes(tok: &Tokenizer, id: u32) -> Option<Vec<u8>> {
        let table = byte_table();
        tok.id_to_token(id)?
            .chars()
            .map(|c| table.iter().position(|&t| t == c).map(|b| b as u8))
            .collect()
    }

    /// The token for language `code`, if the model has one.
    pub fn language(&self, code: &str) -> Option<u32> {
        self.languages
            .iter()
            .find(|(_, c)| c == code)
            .map(|(id, _)| *id)
    }
}

/// The character GPT-2's byte-level BPE writes for each byte: printable Latin-1 bytes stand for
/// themselves, the others for the characters from U+0100 up, in byte order.
fn byte_table() -> [char; 256] {
    let printable = |b: u32| matches!(b, 0x21..=0x7E | 0xA1..=0xAC | 0xAE..=0xFF);
    let mut table = ['\0'; 256];
    let mut next = 0x100;
    for (b, slot) in table.iter_mut().enumerate() {
        let b = b as u32;
        *slot = if printable(b) {
            char::from_u32(b).unwrap_or('\0')
        } else {
            next += 1;
            char::from_u32(next - 1).unwrap_or('\0')
        };
    }
    table
}

#[cfg(test)]
mod tests {
    use super::byte_table;

    #[test]
    fn byte_level_characters() {
        let t = byte_table();
        assert_eq!(t[b' ' as usize], '\u{120}');
        assert_eq!(t[b'a' as usize], 'a');
        assert_eq!(t[0], '\u{100}');
        assert_eq!(t[0xAD], '\u{143}');
    }
}
