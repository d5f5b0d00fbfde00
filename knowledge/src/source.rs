//! Locating things in `pack.toml`: byte offset -> line/column, a field path -> its span, and a
//! span -> the field that holds it, so every manifest error names file, line and field.

use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::Issue;

/// One step of a field path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A path to a field, e.g. `rules[2].phrases`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldPath(pub(crate) Vec<Seg>);

impl FieldPath {
    pub(crate) fn key(&self, key: &str) -> Self {
        let mut segs = self.0.clone();
        segs.push(Seg::Key(key.to_owned()));
        Self(segs)
    }

    pub(crate) fn index(&self, index: usize) -> Self {
        let mut segs = self.0.clone();
        segs.push(Seg::Index(index));
        Self(segs)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A manifest's text with its spanned parse tree, for turning paths and spans into issues.
pub(crate) struct SourceMap<'a> {
    file: &'a str,
    text: &'a str,
    root: Spanned<DeTable<'a>>,
}

impl<'a> SourceMap<'a> {
    /// Parses `text` leniently (a syntax error still leaves the parts before it mapped).
    pub(crate) fn new(file: &'a str, text: &'a str) -> (Self, Vec<toml::de::Error>) {
        let (root, errors) = DeTable::parse_recoverable(text);
        (Self { file, text, root }, errors)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(self.text, offset)
    }

    /// An issue at `path`; the line is the field's, or its nearest existing parent's.
    pub(crate) fn issue_at(&self, path: &FieldPath, message: impl Into<String>) -> Issue {
        let span = (0..=path.0.len())
            .rev()
            .find_map(|n| self.span_of(&path.0[..n]));
        let (line, column) = match span {
            Some(span) if !path.0.is_empty() => {
                let (l, c) = self.line_col(span.start);
                (Some(l), Some(c))
            }
            _ => (None, None),
        };
        Issue {
            file: self.file.to_owned(),
            line,
            column,
            field: (!path.0.is_empty()).then(|| path.to_string()),
            message: message.into(),
        }
    }

    /// An issue at a byte span (e.g. from a TOML error), naming the field that holds it.
    pub(crate) fn issue_at_span(&self, span: Option<Range<usize>>, message: &str) -> Issue {
        let (line, column, field) = match span {
            Some(span) => {
                let (l, c) = self.line_col(span.start);
                let field = field_at(&self.root, span.start)
                    .or_else(|| key_on_line(&self.root, self.text, span.start))
                    .filter(|p| !p.0.is_empty());
                (Some(l), Some(c), field.map(|p| p.to_string()))
            }
            None => (None, None, None),
        };
        let message = message.trim().to_owned();
        Issue {
            file: self.file.to_owned(),
            line,
            column,
            field,
            message,
        }
    }

    /// The span of the value at `segs` (for a key whose value spans lines, where it starts).
    fn span_of(&self, segs: &[Seg]) -> Option<Range<usize>> {
        let mut value: Option<&Spanned<DeValue<'a>>> = None;
        let mut key_span = None;
        for seg in segs {
            let (next, key) = match (seg, value.map(|v| v.get_ref())) {
                (Seg::Key(k), None) => lookup(self.root.get_ref(), k)?,
                (Seg::Key(k), Some(DeValue::Table(t))) => lookup(t, k)?,
                (Seg::Index(i), Some(DeValue::Array(a))) => (a.get(*i)?, None),
                _ => return None,
            };
            value = Some(next);
            key_span = key;
        }
        // A key's own span is where a reader looks; array-of-tables elements have no key.
        key_span.or_else(|| value.map(Spanned::span))
    }
}

fn lookup<'t, 'a>(
    table: &'t DeTable<'a>,
    key: &str,
) -> Option<(&'t Spanned<DeValue<'a>>, Option<Range<usize>>)> {
    table
        .iter()
        .find(|(k, _)| k.get_ref() == key)
        .map(|(k, v)| (v, Some(k.span())))
}

/// The deepest field whose key or value span contains `offset`.
fn field_at(root: &Spanned<DeTable<'_>>, offset: usize) -> Option<FieldPath> {
    fn in_table(table: &DeTable<'_>, offset: usize, path: &FieldPath) -> Option<FieldPath> {
        for (key, value) in table {
            let here = path.key(key.get_ref());
            if key.span().contains(&offset) {
                return Some(here);
            }
            if value.span().contains(&offset) || value.span().start == offset {
                return Some(in_value(value.get_ref(), offset, &here).unwrap_or(here));
            }
        }
        // Array-of-tables elements can sit after other keys: search nested values too.
        table
            .iter()
            .find_map(|(key, value)| in_value(value.get_ref(), offset, &path.key(key.get_ref())))
    }
    fn in_value(value: &DeValue<'_>, offset: usize, path: &FieldPath) -> Option<FieldPath> {
        match value {
            DeValue::Table(t) => in_table(t, offset, path),
            DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
                let here = path.index(i);
                let inner = in_value(item.get_ref(), offset, &here);
                inner.or_else(|| item.span().contains(&offset).then_some(here))
            }),
            _ => None,
        }
    }
    in_table(root.get_ref(), offset, &FieldPath::default())
}

/// The last key written on the line of `offset`, before it (for syntax errors, whose span
/// often lies past the value the parser could recover).
fn key_on_line(root: &Spanned<DeTable<'_>>, text: &str, offset: usize) -> Option<FieldPath> {
    fn walk(table: &DeTable<'_>, path: &FieldPath, found: &mut Vec<(usize, FieldPath)>) {
        for (key, value) in table {
            let here = path.key(key.get_ref());
            found.push((key.span().start, here.clone()));
            match value.get_ref() {
                DeValue::Table(t) => walk(t, &here, found),
                DeValue::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if let DeValue::Table(t) = item.get_ref() {
                            walk(t, &here.index(i), found);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut keys = Vec::new();
    walk(root.get_ref(), &FieldPath::default(), &mut keys);
    let line = line_col(text, offset).0;
    keys.into_iter()
        .filter(|(start, _)| *start <= offset && line_col(text, *start).0 == line)
        .max_by_key(|(start, _)| *start)
        .map(|(_, path)| path)
}

/// 1-based line and column (in characters) of a byte offset in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let text = "a = 1\n名字 = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 6 + "名字 ".len()), (2, 4));
    }

    #[test]
    fn field_paths_display_with_indices() {
        let p = FieldPath::default().key("rules").index(2).key("phrases");
        assert_eq!(p.to_string(), "rules[2].phrases");
    }

    #[test]
    fn issue_at_finds_nested_fields() {
        let text = "id = \"x\"\n\n[[rules]]\nid = \"a\"\n\n[[rules]]\nid = \"b\"\nphrases = []\n";
        let (map, errors) = SourceMap::new("pack.toml", text);
        assert!(errors.is_empty());
        let rule1 = FieldPath::default().key("rules").index(1);
        let issue = map.issue_at(&rule1.key("phrases"), "empty");
        assert_eq!(
            (issue.line, issue.field.as_deref()),
            (Some(8), Some("rules[1].phrases"))
        );
        // A missing field points at its table.
        let issue = map.issue_at(&rule1.key("message"), "missing");
        assert_eq!(issue.line, Some(6), "{issue}");
    }
}
