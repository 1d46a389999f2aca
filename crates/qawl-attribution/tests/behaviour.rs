//! One behaviour per test, as an editor would see it: who is credited with which words.

use qawl_attribution::{RuleAttributor, RuleSegmenter};
use qawl_core::{Attribution, Attributor, ClaimKind, Language, SentenceSegmenter};
use std::sync::OnceLock;

fn run(text: &str, language: Language) -> Attribution {
    static STAGES: OnceLock<(RuleSegmenter, RuleAttributor)> = OnceLock::new();
    let (segmenter, attributor) =
        STAGES.get_or_init(|| (RuleSegmenter::default(), RuleAttributor::default()));
    attributor.attribute(text, language, &segmenter.segment(text, language))
}

/// (speaker, relayed by, kind, cue, content) of every claim.
fn claims(text: &str, language: Language) -> Vec<(String, String, ClaimKind, String, String)> {
    let result = run(text, language);
    let name =
        |i: Option<usize>| i.map_or(String::new(), |i| result.speakers[i].canonical_name.clone());
    let slice = |s: qawl_core::Span| text[s.start..s.end].to_string();
    result
        .claims
        .iter()
        .map(|c| {
            (
                name(c.speaker),
                name(c.relayed_by),
                c.kind,
                c.cue.map(slice).unwrap_or_default(),
                slice(c.span),
            )
        })
        .collect()
}

#[test]
fn arabic_verb_subject_order_zero_subject_and_participle() {
    let text = "قال مسؤول عراقي رفيع إن المحادثات انتهت. وأضاف أن الوفد سيعود غداً، مشيراً إلى أن الجولة المقبلة في بغداد.";
    let found = claims(text, Language::Arabic);
    let speakers: Vec<_> = found.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(speakers, ["مسؤول عراقي رفيع"; 3], "{found:?}");
    assert_eq!(found[0].4, "المحادثات انتهت");
    assert_eq!(found[2].4, "الجولة المقبلة في بغداد");
}

#[test]
fn a_surname_and_a_title_refer_back_to_the_full_name() {
    let text = "Foreign Ministry spokesman Esmaeil Baghaei said the talks had ended. Baghaei added that both sides were serious. The spokesman later said a new round was planned.";
    let result = run(text, Language::English);
    let speakers: Vec<_> = result.claims.iter().filter_map(|c| c.speaker).collect();
    assert_eq!(speakers.len(), 3);
    assert!(speakers.iter().all(|s| *s == speakers[0]));
    let baghaei = &result.speakers[speakers[0]];
    assert_eq!(baghaei.canonical_name, "Esmaeil Baghaei");
    assert_eq!(baghaei.role.as_deref(), Some("Foreign Ministry spokesman"));
}

#[test]
fn the_source_is_the_last_unnamed_source_that_is_one_person() {
    let text = "كشف دبلوماسي غربي أن الاتفاق قريب. وأفادت مصادر بأن الخلافات تقلصت. وتابع المصدر أن التوقيع قد يتم الأسبوع المقبل.";
    let found = claims(text, Language::Arabic);
    assert_eq!(found[2].0, "دبلوماسي غربي", "{found:?}");
}

#[test]
fn relayed_claims_name_both_sources() {
    let text = "Western diplomats quoted Deputy Foreign Minister Sergei Ryabkov as saying that Moscow wanted guarantees.";
    let found = claims(text, Language::English);
    assert_eq!(found[0].0, "Sergei Ryabkov");
    assert_eq!(found[0].1, "Western diplomats");
    assert_eq!(found[0].4, "Moscow wanted guarantees");
}

#[test]
fn according_to_works_before_and_after_the_source() {
    let turkish = claims(
        "Ekonomistlere göre, faiz indirimleri gelecek yıl başlayabilir.",
        Language::Turkish,
    );
    assert_eq!(
        (turkish[0].0.as_str(), turkish[0].2),
        ("Ekonomistlere", ClaimKind::AccordingTo)
    );
    let french = claims(
        "Selon une source diplomatique, les discussions reprendront lundi.",
        Language::French,
    );
    assert_eq!(french[0].0, "source diplomatique");
    assert_eq!(french[0].4, "les discussions reprendront lundi");
}

#[test]
fn a_quotation_with_a_pronoun_cue_belongs_to_the_person_just_named() {
    let text = "Governor Andrew Bailey spoke in London. \"We need to be sure that inflation stays low,\" he said.";
    let found = claims(text, Language::English);
    let quote = found
        .iter()
        .find(|c| c.2 == ClaimKind::DirectQuote)
        .expect("a direct quote");
    assert_eq!(quote.0, "Andrew Bailey");
    assert_eq!(quote.4, "We need to be sure that inflation stays low,");
}

#[test]
fn narrative_background_is_no_claim_but_a_bare_position_is() {
    let text = "وكانت المفاوضات قد انطلقت صباح الجمعة في مسقط.\n\nإيران رفضت دعوات الولايات المتحدة لوقف التخصيب.";
    let found = claims(text, Language::Arabic);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].2, ClaimKind::Unattributed);
}

#[test]
fn the_headline_is_a_claim_in_the_outlets_voice() {
    let text = "Iran rejects U.S. demand to halt enrichment\n\nThe talks ended on Friday.";
    let found = claims(text, Language::English);
    assert_eq!(found[0].2, ClaimKind::Headline);
    assert_eq!(found[0].0, "");
}

/// (speaker name, speaker kind) of every claim, with tagged names as a signal.
fn speakers_with_names(
    text: &str,
    language: Language,
    names: &[qawl_core::TaggedName],
) -> Vec<(String, qawl_core::SpeakerKind)> {
    let segmenter = RuleSegmenter::default();
    let result = RuleAttributor::default().attribute_with_names(
        text,
        language,
        &segmenter.segment(text, language),
        names,
    );
    result
        .claims
        .iter()
        .filter_map(|c| c.speaker)
        .map(|i| {
            (
                result.speakers[i].canonical_name.clone(),
                result.speakers[i].kind,
            )
        })
        .collect()
}

#[test]
fn a_tagged_person_name_the_lexicons_lack_becomes_the_speaker() {
    // "Gotschalk" is in no given-name list: the rules alone cannot tell it is a person.
    let text = "قال برند جوتشولك إن السوق ما زال يفتقر إلى الخطوط الواضحة.";
    let start = text.find("برند").expect("name");
    let end = text.find(" إن").expect("cue");
    let tagged = [qawl_core::TaggedName {
        kind: qawl_core::NameKind::Person,
        span: qawl_core::Span::new(start, end),
        score: 0.9,
    }];
    let with = speakers_with_names(text, Language::Arabic, &tagged);
    assert_eq!(
        with,
        [("برند جوتشولك".to_string(), qawl_core::SpeakerKind::Person)],
        "with the tagger"
    );
    let without = speakers_with_names(text, Language::Arabic, &[]);
    assert_ne!(
        without, with,
        "without the tagger the rules should not find this name"
    );
    // Names of places and organisations do not make people.
    let place = [qawl_core::TaggedName {
        kind: qawl_core::NameKind::Location,
        ..tagged[0]
    }];
    assert_eq!(speakers_with_names(text, Language::Arabic, &place), without);
}

#[test]
fn a_tagged_organisation_the_lexicons_lack_becomes_an_organisation_speaker() {
    // "Novatek" has no head noun ("company", "ministry") the rules could recognise it by.
    let text = "وقالت نوفاتيك إن إنتاج الغاز سيرتفع العام المقبل.";
    let start = text.find("نوفاتيك").expect("name");
    let tagged = [qawl_core::TaggedName {
        kind: qawl_core::NameKind::Organization,
        span: qawl_core::Span::new(start, start + "نوفاتيك".len()),
        score: 0.8,
    }];
    let with = speakers_with_names(text, Language::Arabic, &tagged);
    assert_eq!(
        with,
        [("نوفاتيك".to_string(), qawl_core::SpeakerKind::Organization)],
        "with the tagger"
    );
    assert_ne!(
        speakers_with_names(text, Language::Arabic, &[]),
        with,
        "without the tagger the rules should not know this organisation"
    );
}
