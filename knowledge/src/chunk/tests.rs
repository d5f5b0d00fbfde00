//! Unit tests for chunking: sections, sizes, overlap, ids and character ranges.

use super::*;

fn doc(path: &str, text: &str) -> Document {
    Document {
        path: path.into(),
        kind: DocumentKind::Product,
        text: text.into(),
    }
}

fn chunks(text: &str, config: &ChunkConfig) -> Vec<Chunk> {
    chunk_document("acme", "1.0", &doc("docs/a.md", text), config)
}

fn char_slice(text: &str, range: &Range<usize>) -> String {
    text.chars().skip(range.start).take(range.len()).collect()
}

#[test]
fn never_spans_sections_and_carries_heading_path() {
    let text = "# Pricing\nOverview of pricing.\n## Tiers\nBasic is cheap. Pro is not.\n\
                ## Leasing\nLease for 60 months.\n";
    let got = chunks(text, &ChunkConfig::default());
    let summary: Vec<(String, &str)> = got
        .iter()
        .map(|c| (c.heading_path(), c.text.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("Pricing".to_owned(), "Overview of pricing."),
            ("Pricing > Tiers".to_owned(), "Basic is cheap. Pro is not."),
            ("Pricing > Leasing".to_owned(), "Lease for 60 months."),
        ]
    );
    assert_eq!(
        got[1].embedding_text(),
        "Pricing > Tiers\nBasic is cheap. Pro is not."
    );
}

#[test]
fn ids_are_stable_and_indexed_per_document() {
    let text = "# A\none.\n# B\ntwo.\n";
    let got = chunks(text, &ChunkConfig::default());
    let ids: Vec<&str> = got.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["acme@1.0:docs/a.md#0", "acme@1.0:docs/a.md#1"]);
    assert_eq!(got, chunks(text, &ChunkConfig::default()));
    assert!(
        got.iter()
            .all(|c| c.pack_id == "acme" && c.doc_path == "docs/a.md")
    );
}

#[test]
fn english_chunks_respect_target_and_overlap_by_sentences() {
    let sentences: Vec<String> = (0..40)
        .map(|i| format!("Sentence number {i} talks about the product."))
        .collect();
    let text = format!("# Specs\n{}\n", sentences.join(" "));
    let config = ChunkConfig {
        target_chars: 200,
        ..ChunkConfig::default()
    };
    let got = chunks(&text, &config);
    assert!(got.len() > 5);
    for c in &got {
        assert!(
            c.text.chars().count() <= 200,
            "{} chars",
            c.text.chars().count()
        );
        assert!(c.text.ends_with('.'));
    }
    for pair in got.windows(2) {
        let first_sentence = pair[1].text.split(". ").next().unwrap();
        assert!(
            pair[0].text.contains(first_sentence),
            "no overlap: {pair:?}"
        );
        assert!(
            pair[1]
                .text
                .contains(pair[0].text.rsplit(". ").next().unwrap())
        );
        assert!(pair[1].char_range.start < pair[0].char_range.end);
        assert!(pair[1].char_range.start > pair[0].char_range.start);
    }
    // Every sentence lands in some chunk.
    assert!(
        sentences
            .iter()
            .all(|s| got.iter().any(|c| c.text.contains(s.as_str())))
    );
}

#[test]
fn chinese_chunks_count_characters() {
    let sentence = "我们的输液泵支持五千条药物库记录并提供全天候服务。";
    let text = format!("# 产品\n{}", sentence.repeat(60));
    let got = chunks(&text, &ChunkConfig::default());
    assert!(got.len() >= 3, "{} chunks", got.len());
    for c in &got {
        let n = c.text.chars().count();
        assert!(n <= 500, "{n}");
        assert!(n >= 400 || c.index == got.len() - 1, "{n}");
        assert_eq!(c.headings, ["产品"]);
        assert!(c.text.starts_with("我们") && c.text.ends_with('。'));
    }
}

#[test]
fn char_ranges_index_characters_of_the_document() {
    let text = "前言。\n# 价格\n基础版一万元。Pro 版三万元！\n## Tiers\nBasic. Pro.\n";
    let d = doc("docs/p.md", text);
    let got = chunk_document(
        "p",
        "v",
        &d,
        &ChunkConfig {
            target_chars: 8,
            ..ChunkConfig::default()
        },
    );
    assert!(got.len() >= 4);
    for c in &got {
        assert_eq!(char_slice(text, &c.char_range), c.text);
    }
}

#[test]
fn overlong_sentence_is_cut_and_plain_text_has_no_headings() {
    let text = "# not a heading in txt\n".to_owned() + &"x".repeat(1200);
    let d = Document {
        path: "docs/a.txt".into(),
        kind: DocumentKind::Faq,
        text,
    };
    let got = chunk_document("p", "v", &d, &ChunkConfig::default());
    assert!(
        got.iter()
            .all(|c| c.headings.is_empty() && c.kind == DocumentKind::Faq)
    );
    assert!(got.iter().all(|c| c.text.chars().count() <= 500));
    assert!(got[0].text.starts_with("# not a heading"));
}

#[test]
fn empty_documents_have_no_chunks() {
    assert!(chunks("", &ChunkConfig::default()).is_empty());
    assert!(chunks("# Only a heading\n\n", &ChunkConfig::default()).is_empty());
}
