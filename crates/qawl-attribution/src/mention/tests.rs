//! Mention detection on single sentences.

use super::*;
use crate::gazetteer::{given_names, Gazetteer};
use crate::lexicon::Lexicon;

fn mentions(text: &str, language: Language) -> Vec<(String, String)> {
    let lexicon = Lexicon::embedded(language).expect("lexicon parses");
    let gazetteer = Gazetteer::embedded(language).expect("gazetteer parses");
    let names = given_names(language).expect("names parse");
    let words = Words::new(text, Span::new(0, text.len()), &lexicon, &names);
    let cue_words = vec![false; words.len()];
    let cx = MentionContext {
        cue_words: &cue_words,
        tagged_people: &[],
        tagged_organizations: &[],
        gazetteer: &gazetteer,
        known_surnames: &[],
        known_names: &[],
        modifiers_after_head: lexicon.modifiers_after_head,
        cased: !matches!(
            language,
            Language::Arabic | Language::Persian | Language::Urdu | Language::Hebrew
        ),
    };
    detect(&words, &cx)
        .into_iter()
        .map(|m| {
            let kind = match m.kind {
                MentionKind::Person {
                    role: Some(role), ..
                } => format!("person, role {}", &text[role.start..role.end]),
                other => format!("{other:?}")
                    .split([' ', '{'])
                    .next()
                    .unwrap_or_default()
                    .to_lowercase(),
            };
            (text[m.span.start..m.span.end].to_string(), kind)
        })
        .collect()
}

#[test]
fn a_title_splits_from_the_name_it_introduces() {
    let found = mentions(
        "ونقلت مصادر عن متحدث وزارة الخارجية الإيرانية إسماعيل بقائي قوله إن",
        Language::Arabic,
    );
    assert!(
        found.contains(&(
            "إسماعيل بقائي".into(),
            "person, role متحدث وزارة الخارجية الإيرانية".into()
        )),
        "{found:?}"
    );
    let found = mentions(
        "ذرائع نے وزیر اعظم شہباز شریف کے حوالے سے بتایا",
        Language::Urdu,
    );
    assert!(
        found.contains(&("شہباز شریف".into(), "person, role وزیر اعظم".into())),
        "{found:?}"
    );
    let found = mentions(
        "Foreign Ministry spokesman Esmaeil Baghaei said",
        Language::English,
    );
    assert!(
        found.contains(&(
            "Esmaeil Baghaei".into(),
            "person, role Foreign Ministry spokesman".into()
        )),
        "{found:?}"
    );
}

#[test]
fn unnamed_sources_take_their_qualifiers() {
    let found = mentions("كشف دبلوماسي إيراني عن طلب", Language::Arabic);
    assert_eq!(
        found,
        [("دبلوماسي إيراني".to_string(), "anonymous".to_string())]
    );
    let found = mentions("a senior Iranian official said", Language::English);
    assert_eq!(
        found,
        [(
            "senior Iranian official".to_string(),
            "anonymous".to_string()
        )]
    );
}
