//! Chunking documents for retrieval: sections at Markdown headings (a chunk never spans two),
//! sentence units inside a section (English and Chinese), packed up to `target_chars`
//! characters with a one-to-two sentence overlap. Chunk ids are stable:
//! `{pack}@{version}:{path}#{index}`.

mod markdown;
mod sentences;

use std::ops::Range;

use crate::documents::Document;
use crate::manifest::DocumentKind;
use crate::pack::LoadedPack;

/// How documents are cut into chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkConfig {
    /// Target chunk length in characters (not bytes or words); a longer sentence is cut.
    pub target_chars: usize,
    /// At most this many trailing sentences of a chunk open the next one ...
    pub overlap_sentences: usize,
    /// ... as long as together they hold at most this many characters.
    pub max_overlap_chars: usize,
}

impl Default for ChunkConfig {
    fn default() -> Self {
        Self {
            target_chars: 500,
            overlap_sentences: 2,
            max_overlap_chars: 150,
        }
    }
}

/// A retrievable piece of one document section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// `{pack}@{version}:{path}#{index}`, stable for the same pack version and config.
    pub id: String,
    pub pack_id: String,
    pub pack_version: String,
    pub doc_path: String,
    pub kind: DocumentKind,
    /// Enclosing Markdown headings, outermost first (empty before the first heading).
    pub headings: Vec<String>,
    /// Position of the chunk in its document, from 0.
    pub index: usize,
    /// The chunk's text, as in the document (line breaks kept).
    pub text: String,
    /// Character (not byte) range of `text` in `Document::text`.
    pub char_range: Range<usize>,
}

impl Chunk {
    /// The heading path as context, e.g. `Pricing > Tiers`.
    pub fn heading_path(&self) -> String {
        self.headings.join(" > ")
    }

    /// The text to embed: heading path (when any) on its own line, then the chunk text.
    pub fn embedding_text(&self) -> String {
        if self.headings.is_empty() {
            self.text.clone()
        } else {
            format!("{}\n{}", self.heading_path(), self.text)
        }
    }
}

/// The stable id of chunk `index` of `path` in pack `pack`@`version`.
pub fn chunk_id(pack: &str, version: &str, path: &str, index: usize) -> String {
    format!("{pack}@{version}:{path}#{index}")
}

/// Chunks every document of `pack`, in document order.
pub fn chunk_pack(pack: &LoadedPack, config: &ChunkConfig) -> Vec<Chunk> {
    let (id, version) = (&pack.manifest.id, &pack.manifest.version);
    pack.documents
        .iter()
        .flat_map(|doc| chunk_document(id, version, doc, config))
        .collect()
}

/// Chunks one document of pack `pack_id`@`version`.
pub fn chunk_document(
    pack_id: &str,
    version: &str,
    doc: &Document,
    config: &ChunkConfig,
) -> Vec<Chunk> {
    let target = config.target_chars.max(1);
    let mut chars = CharIndex::default();
    let mut out = Vec::new();
    for section in markdown::sections(&doc.text, doc.is_markdown()) {
        let units: Vec<Unit> = sentences::units(&doc.text, section.body.clone(), target)
            .into_iter()
            .map(|bytes| Unit {
                chars: chars.range(&doc.text, &bytes),
                bytes,
            })
            .collect();
        for group in pack_units(&units, target, config) {
            let (first, last) = (&units[group.start], &units[group.end - 1]);
            let index = out.len();
            out.push(Chunk {
                id: chunk_id(pack_id, version, &doc.path, index),
                pack_id: pack_id.to_owned(),
                pack_version: version.to_owned(),
                doc_path: doc.path.clone(),
                kind: doc.kind,
                headings: section.headings.clone(),
                index,
                text: doc.text[first.bytes.start..last.bytes.end].to_owned(),
                char_range: first.chars.start..last.chars.end,
            });
        }
    }
    out
}

/// A sentence unit's byte and character ranges in the document.
struct Unit {
    bytes: Range<usize>,
    chars: Range<usize>,
}

/// Groups consecutive units into chunks of about `target` characters; each chunk after the
/// first starts with up to `overlap_sentences` units of the previous one, and adds at least one
/// new unit.
fn pack_units(units: &[Unit], target: usize, config: &ChunkConfig) -> Vec<Range<usize>> {
    let span = |a: usize, b: usize| units[b - 1].chars.end - units[a].chars.start;
    let mut groups = Vec::new();
    let (mut start, mut fresh) = (0, 0);
    while fresh < units.len() {
        let mut end = fresh + 1;
        while end < units.len() && span(start, end + 1) <= target {
            end += 1;
        }
        groups.push(start..end);
        fresh = end;
        start = end;
        while start > fresh.saturating_sub(config.overlap_sentences)
            && start - 1 > groups.last().map_or(0, |g| g.start)
            && span(start - 1, end) <= config.max_overlap_chars
        {
            start -= 1;
        }
    }
    groups
}

/// Converts increasing byte offsets to character offsets without rescanning from the start.
#[derive(Default)]
struct CharIndex {
    byte: usize,
    chars: usize,
}

impl CharIndex {
    fn range(&mut self, text: &str, bytes: &Range<usize>) -> Range<usize> {
        if bytes.start < self.byte {
            *self = Self::default();
        }
        self.chars += text[self.byte..bytes.start].chars().count();
        self.byte = bytes.start;
        self.chars..self.chars + text[bytes.clone()].chars().count()
    }
}

#[cfg(test)]
mod tests;
