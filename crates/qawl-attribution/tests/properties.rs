//! Properties on arbitrary input: segmentation covers the text in order on char boundaries, and
//! attribution never panics and only returns spans and indices that are valid. Plus the layout
//! of the seed article.

use proptest::prelude::*;
use qawl_attribution::{RuleAttributor, RuleSegmenter};
use qawl_core::{Attributor, Language, SentenceKind, SentenceSegmenter};
use std::sync::OnceLock;

fn segmenter() -> &'static RuleSegmenter {
    static SEGMENTER: OnceLock<RuleSegmenter> = OnceLock::new();
    SEGMENTER.get_or_init(RuleSegmenter::default)
}

fn attributor() -> &'static RuleAttributor {
    static ATTRIBUTOR: OnceLock<RuleAttributor> = OnceLock::new();
    ATTRIBUTOR.get_or_init(RuleAttributor::default)
}

fn assert_attribution_is_valid(text: &str, language: Language) {
    let sentences = segmenter().segment(text, language);
    let result = attributor().attribute(text, language, &sentences);
    for claim in &result.claims {
        assert!(
            claim.sentence_index < sentences.len(),
            "claim of a missing sentence"
        );
        assert!(
            claim.span.slice(text).is_some(),
            "claim span {:?} off char boundaries",
            claim.span
        );
        assert!(
            claim.cue.is_none_or(|c| c.slice(text).is_some()),
            "cue span off char boundaries"
        );
        for who in [claim.speaker, claim.relayed_by].into_iter().flatten() {
            assert!(who < result.speakers.len(), "claim names a missing speaker");
        }
    }
    for speaker in &result.speakers {
        assert!(
            !speaker.mentions.is_empty() || speaker.kind == qawl_core::SpeakerKind::Gpe,
            "{speaker:?}"
        );
        for mention in &speaker.mentions {
            assert!(
                mention.slice(text).is_some(),
                "mention {mention:?} off char boundaries"
            );
        }
    }
}

fn assert_covers(text: &str, language: Language) {
    let sentences = segmenter().segment(text, language);
    let mut covered_to = 0;
    for sentence in &sentences {
        let span = sentence.span;
        assert!(span.start < span.end, "empty sentence {span:?}");
        assert!(
            span.start >= covered_to,
            "sentences overlap or are out of order: {sentences:?}"
        );
        assert!(
            span.slice(text).is_some(),
            "span {span:?} is not on char boundaries"
        );
        let gap = &text[covered_to..span.start];
        assert!(gap.trim().is_empty(), "text {gap:?} belongs to no sentence");
        covered_to = span.end;
    }
    assert!(
        text[covered_to..].trim().is_empty(),
        "the tail belongs to no sentence"
    );
}

/// Text mixing the marks the segmenter reacts to, so the rules are exercised, not just skipped.
fn newsy_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "قال",
        "2026",
        "آخر",
        " ",
        "\n",
        "\n\n",
        ".",
        "؟",
        "۔",
        "؛",
        "«",
        "»",
        "“",
        "”",
        "„",
        "‘",
        "’",
        "\"",
        "'",
        "(",
        ")",
        "Dr",
        "U.S",
        "7",
        "Februar",
        "فبراير",
        "Iran's",
        "– ",
        "LONDON",
        "a",
        "ש",
        "é",
        "ё",
        "İ",
        "\u{200C}",
        "\u{064E}",
        "\u{0301}",
        "!",
        "…",
        ":",
        "-",
        "\r\n",
        "\t",
    ]);
    prop::collection::vec(pieces, 0..160).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_unicode_is_covered_in_order(text in any::<String>(), lang in 0usize..10) {
        assert_covers(&text, Language::ALL[lang]);
    }

    #[test]
    fn newsy_text_is_covered_in_order(text in newsy_text(), lang in 0usize..10) {
        assert_covers(&text, Language::ALL[lang]);
    }

    #[test]
    fn attribution_of_arbitrary_unicode_is_valid(text in any::<String>(), lang in 0usize..10) {
        assert_attribution_is_valid(&text, Language::ALL[lang]);
    }

    #[test]
    fn attribution_of_newsy_text_is_valid(text in newsy_text(), lang in 0usize..10) {
        assert_attribution_is_valid(&text, Language::ALL[lang]);
    }
}

#[test]
fn the_seed_article_has_its_headline_datelines_and_sentences() {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/muscat-talks.ar.txt"
    ));
    let sentences = segmenter().segment(text, Language::Arabic);
    let of_kind = |kind| {
        sentences
            .iter()
            .filter(|s| s.kind == kind)
            .map(|s| &text[s.span.start..s.span.end])
            .collect::<Vec<_>>()
    };
    let headline = "إيران ترفض طلباً أمريكياً بوقف تخصيب اليورانيوم في محادثات مسقط";
    assert_eq!(of_kind(SentenceKind::Headline), [headline, headline]);
    assert_eq!(
        of_kind(SentenceKind::Dateline),
        ["7 فبراير 2026", "آخر تحديث :"]
    );
    let body = of_kind(SentenceKind::Body);
    assert!(body[0].starts_with("كشف دبلوماسي إيراني") && body[0].ends_with("في المنطقة."));
    assert!(body[1].starts_with("وأفادت مصادر") && body[1].contains("‘مستوى ونقاء’"));
    assert!(body.iter().any(|s| s.starts_with("وتابع المصدر")));
    assert_eq!(body.len(), 13, "{body:#?}");
    assert_eq!(sentences.last().map(|s| s.paragraph), Some(8));
}
