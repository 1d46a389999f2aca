//! End to end through gRPC with the real rule pipeline on the seed article
//! (fixtures/muscat-talks.ar.txt, copied from the project's shared seed).

mod common;

use common::TestServer;
use qawl::limits::Limits;
use qawl::pipeline_factory::rule_pipeline;
use qawl::proto::v1 as pb;

const SEED: &str = include_str!("../fixtures/muscat-talks.ar.txt");

async fn analyse_seed() -> pb::ExtractResponse {
    let server = TestServer::start(rule_pipeline(), Limits::default()).await;
    server
        .client()
        .await
        .extract(pb::ExtractRequest {
            request_id: "seed".into(),
            text: SEED.into(),
            ..Default::default()
        })
        .await
        .expect("extract")
        .into_inner()
}

fn utf16_slice(text: &str, span: &pb::Span) -> String {
    let units: Vec<u16> = text.encode_utf16().collect();
    String::from_utf16(&units[span.start_utf16 as usize..span.end_utf16 as usize]).expect("utf16")
}

#[tokio::test]
async fn the_seed_is_detected_as_arabic_and_attributes_claims_to_their_sources() {
    let response = analyse_seed().await;
    assert_eq!(response.request_id, "seed");
    assert_eq!(response.language, "ar");
    assert!(response.language_detected);

    let speaker_named = |name: &str| {
        response
            .speakers
            .iter()
            .find(|s| s.canonical_name == name)
            .unwrap_or_else(|| panic!("speaker {name} in {:#?}", response.speakers))
    };
    let baghaei = speaker_named("إسماعيل بقائي");
    assert_eq!(baghaei.kind(), pb::SpeakerKind::Person);
    assert_eq!(baghaei.role, "متحدث وزارة الخارجية الإيرانية");
    let sources = speaker_named("مصادر");
    assert_eq!(sources.kind(), pb::SpeakerKind::Anonymous);

    let claim_with = |anchor: &str| {
        response
            .claims
            .iter()
            .find(|c| {
                let sentence = &response.sentences[c.sentence_index as usize];
                sentence.text.contains(anchor)
            })
            .unwrap_or_else(|| panic!("a claim in the sentence with {anchor}"))
    };
    let relayed = claim_with("ونقلت مصادر عن متحدث وزارة الخارجية");
    assert_eq!(relayed.speaker_id, baghaei.id);
    assert_eq!(relayed.relayed_by_speaker_id, sources.id);
    let refusal = claim_with("وأفادت مصادر بأن إيران رفضت");
    assert_eq!(refusal.speaker_id, sources.id);
    assert_eq!(refusal.cue_text, "أفادت");
    assert_eq!(refusal.kind(), pb::ClaimKind::Indirect);
    // The response is honest about what has not run: no claim model, no stance model, no stances.
    assert!(response
        .claims
        .iter()
        .all(|c| c.claim_score.is_none() && c.stances.is_empty()));
}

#[tokio::test]
async fn every_span_slices_the_same_text_in_bytes_and_in_utf16() {
    let response = analyse_seed().await;
    let mut spans = Vec::new();
    for sentence in &response.sentences {
        spans.push((sentence.span.expect("span"), sentence.text.clone()));
    }
    for claim in &response.claims {
        spans.push((claim.span.expect("span"), claim.text.clone()));
        if let Some(cue) = claim.cue {
            spans.push((cue, claim.cue_text.clone()));
        }
    }
    for speaker in &response.speakers {
        for mention in &speaker.mentions {
            spans.push((mention.span.expect("span"), mention.text.clone()));
        }
    }
    assert!(spans.len() > 20);
    for (span, text) in spans {
        let by_bytes = &SEED[span.start_byte as usize..span.end_byte as usize];
        assert_eq!(by_bytes, text);
        assert_eq!(utf16_slice(SEED, &span), text);
    }
}
