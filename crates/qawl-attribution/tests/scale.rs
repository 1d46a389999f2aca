//! A long article (about 300 KB, many quotes and sentences) is attributed in reasonable time.

use qawl_attribution::{RuleAttributor, RuleSegmenter};
use qawl_core::{Attributor, Language, SentenceSegmenter};
use std::time::{Duration, Instant};

#[test]
fn a_long_article_is_attributed_quickly() {
    let seed = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/muscat-talks.ar.txt"
    ));
    let paragraph =
        "\"We will not give up,\" he said. Officials said the talks ended, according to Reuters. ";
    let mut text = String::new();
    while text.len() < 300_000 {
        text.push_str(seed);
        text.push_str("\n\n");
        text.push_str(&paragraph.repeat(20));
        text.push_str("\n\n");
    }
    let started = Instant::now();
    let sentences = RuleSegmenter::default().segment(&text, Language::Arabic);
    let result = RuleAttributor::default().attribute(&text, Language::Arabic, &sentences);
    let elapsed = started.elapsed();
    assert!(!result.claims.is_empty());
    // Generous for unoptimised test builds on a shared machine.
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
    println!(
        "{} bytes, {} sentences, {} claims in {elapsed:?}",
        text.len(),
        sentences.len(),
        result.claims.len()
    );
}
