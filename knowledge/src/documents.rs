//! Chooses and decodes a pack's documents: the `[[documents]]` list when present (paths must
//! stay inside the pack and exist), else every `.md`/`.markdown`/`.txt` file under `docs/`,
//! with its kind inferred from its name (see `infer_kind`).

use crate::archive::{EntryPath, PackFiles, clean_entry_path};
use crate::error::{ArchiveError, Issue};
use crate::manifest::{DocumentKind, Manifest};
use crate::source::{FieldPath, SourceMap, line_col};

/// Folder scanned when `pack.toml` has no `[[documents]]`.
pub const DEFAULT_DOCS_DIR: &str = "docs/";
/// Extensions (lower-case) loaded from `docs/` by default.
const DEFAULT_EXTENSIONS: [&str; 3] = ["md", "markdown", "txt"];

/// One loaded document: UTF-8 text with `\n` line ends and no byte-order mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Path relative to the pack root, `/`-separated.
    pub path: String,
    pub kind: DocumentKind,
    pub text: String,
}

impl Document {
    /// Whether the text is Markdown (headings structure its chunks) rather than plain text.
    pub fn is_markdown(&self) -> bool {
        let ext = extension(&self.path);
        ext == "md" || ext == "markdown"
    }
}

/// Loads the documents `manifest` names (or the default set), adding any problem to `issues`.
pub(crate) fn load_documents(
    manifest: &Manifest,
    files: &PackFiles,
    map: &SourceMap<'_>,
    issues: &mut Vec<Issue>,
) -> Vec<Document> {
    let chosen = match &manifest.documents {
        Some(entries) => listed(entries, files, map, issues),
        None => files
            .paths()
            .filter(|p| p.starts_with(DEFAULT_DOCS_DIR))
            .filter(|p| DEFAULT_EXTENSIONS.contains(&extension(p).as_str()))
            .map(|p| (p.to_owned(), infer_kind(p)))
            .collect(),
    };
    let mut documents = Vec::with_capacity(chosen.len());
    for (path, kind) in chosen {
        let bytes = files.get(&path).unwrap_or_default();
        match decode_text(&path, bytes) {
            Ok(text) => documents.push(Document { path, kind, text }),
            Err(issue) => issues.push(issue),
        }
    }
    documents
}

/// Checks each `[[documents]]` entry; returns those that exist, once each.
fn listed(
    entries: &[crate::manifest::DocumentEntry],
    files: &PackFiles,
    map: &SourceMap<'_>,
    issues: &mut Vec<Issue>,
) -> Vec<(String, DocumentKind)> {
    let mut chosen: Vec<(String, DocumentKind)> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let field = FieldPath::default().key("documents").index(i).key("path");
        let raw = &entry.path;
        let path = match clean_entry_path(raw) {
            Ok(EntryPath::Keep(path)) => path,
            Ok(EntryPath::Skip) => {
                let msg = format!("`{raw}` is empty or hidden; packs do not load hidden files");
                issues.push(map.issue_at(&field, msg));
                continue;
            }
            Err(ArchiveError::UnsafePath { reason, .. }) => {
                let msg = format!("document path `{raw}` escapes the pack ({reason})");
                issues.push(map.issue_at(&field, msg));
                continue;
            }
            Err(other) => {
                issues.push(map.issue_at(&field, other.to_string()));
                continue;
            }
        };
        if chosen.iter().any(|(p, _)| *p == path) {
            issues.push(map.issue_at(&field, format!("document `{path}` is listed twice")));
        } else if files.get(&path).is_none() {
            let msg = format!("document file `{path}` is missing from the pack");
            issues.push(map.issue_at(&field, msg));
        } else {
            chosen.push((path, entry.kind));
        }
    }
    chosen
}

/// Decodes a document as UTF-8 (without BOM), normalising `\r\n` and `\r` to `\n`.
fn decode_text(path: &str, bytes: &[u8]) -> Result<String, Issue> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.replace("\r\n", "\n").replace('\r', "\n")),
        Err(e) => {
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
            let (line, column) = line_col(valid, valid.len());
            Err(Issue {
                file: path.to_owned(),
                line: Some(line),
                column: Some(column),
                field: None,
                message: format!("not valid UTF-8 (byte offset {})", e.valid_up_to()),
            })
        }
    }
}

/// A document's kind when `[[documents]]` does not say: the first kind named by the file stem,
/// else by the nearest enclosing folder, else `product`. Names are split into words
/// (`customer-cases` -> `customer`, `cases`); English singular/plural and common Chinese
/// names count (`案例`, `话术`, …).
pub fn infer_kind(path: &str) -> DocumentKind {
    let mut parts: Vec<&str> = path.split('/').collect();
    let file = parts.pop().unwrap_or_default();
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    std::iter::once(stem)
        .chain(parts.into_iter().rev())
        .find_map(kind_named_by)
        .unwrap_or(DocumentKind::Product)
}

fn kind_named_by(name: &str) -> Option<DocumentKind> {
    const ZH: [(&str, DocumentKind); 9] = [
        ("案例", DocumentKind::Case),
        ("法律", DocumentKind::Legal),
        ("合规", DocumentKind::Legal),
        ("常见问题", DocumentKind::Faq),
        ("问答", DocumentKind::Faq),
        ("竞品", DocumentKind::Competitor),
        ("竞争", DocumentKind::Competitor),
        ("话术", DocumentKind::Script),
        ("产品", DocumentKind::Product),
    ];
    let lower = name.to_lowercase();
    let word_kind = lower
        .split(|c: char| !c.is_alphanumeric())
        .find_map(|word| {
            let singular = word.strip_suffix('s').unwrap_or(word);
            DocumentKind::ALL
                .into_iter()
                .find(|k| k.as_str() == singular || k.as_str() == word)
        });
    word_kind.or_else(|| {
        ZH.iter()
            .find(|(zh, _)| lower.contains(zh))
            .map(|(_, k)| *k)
    })
}

fn extension(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use DocumentKind::*;

    #[test]
    fn infers_kind_from_stem_then_folders() {
        assert_eq!(infer_kind("docs/en/customer-cases.md"), Case);
        assert_eq!(infer_kind("docs/en/legal-compliance.md"), Legal);
        assert_eq!(infer_kind("docs/en/call-script.md"), Script);
        assert_eq!(infer_kind("docs/en/competitors.md"), Competitor);
        assert_eq!(infer_kind("docs/faq.txt"), Faq);
        assert_eq!(infer_kind("docs/en/pricing.md"), Product);
        assert_eq!(infer_kind("docs/cases/hospital-a.md"), Case);
        assert_eq!(infer_kind("docs/scripts/en/opening.md"), Script);
        assert_eq!(infer_kind("docs/zh/客户案例.md"), Case);
        assert_eq!(infer_kind("docs/zh/销售话术.md"), Script);
        assert_eq!(
            infer_kind("docs/showcase.md"),
            Product,
            "no partial-word matches"
        );
    }

    #[test]
    fn decodes_utf8_and_normalises_line_ends() {
        let text = decode_text("a.md", b"\xEF\xBB\xBF# T\r\nline\rend").unwrap();
        assert_eq!(text, "# T\nline\nend");
    }

    #[test]
    fn invalid_utf8_names_file_and_line() {
        let issue = decode_text("docs/zh/faq.md", b"ok\nstill ok\nbad \xFF here").unwrap_err();
        assert_eq!(issue.file, "docs/zh/faq.md");
        assert_eq!(issue.line, Some(3));
        assert!(issue.message.contains("UTF-8"), "{issue}");
    }
}
