//! Flat rows of an `Extract` response for Parquet output and `qawl batch --flatten`: one row per
//! claim × stance, one row for a claim without stances, one row of nulls for an article without
//! claims (so every article is visible in the output). Enum values are spelled as in the JSON output.

use qawl_batch::{FlatRow, RowFlattener};

use crate::proto::v1 as pb;

/// Flattens the canonical JSON of an [`pb::ExtractResponse`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ResponseRows;

impl RowFlattener for ResponseRows {
    fn rows(&self, article_id: &str, result: &serde_json::Value) -> Result<Vec<FlatRow>, String> {
        let response: pb::ExtractResponse =
            serde_json::from_value(result.clone()).map_err(|err| err.to_string())?;
        Ok(flat_rows(article_id, &response))
    }
}

/// The rows of one response (at least one).
pub fn flat_rows(article_id: &str, response: &pb::ExtractResponse) -> Vec<FlatRow> {
    let language = Some(response.language.clone()).filter(|code| !code.is_empty());
    let article = FlatRow {
        language,
        ..FlatRow::article_only(article_id)
    };
    if response.claims.is_empty() {
        return vec![article];
    }
    let mut rows = Vec::new();
    for (index, claim) in response.claims.iter().enumerate() {
        let speaker = response
            .speakers
            .iter()
            .find(|speaker| !claim.speaker_id.is_empty() && speaker.id == claim.speaker_id);
        let (claim_start_byte, claim_end_byte, claim_start_utf16, claim_end_utf16) =
            span_columns(claim.span.as_ref());
        let (cue_start_byte, cue_end_byte, cue_start_utf16, cue_end_utf16) =
            span_columns(claim.cue.as_ref());
        let claim_row = FlatRow {
            claim_index: u32::try_from(index).ok(),
            claim_id: Some(claim.id.clone()),
            claim_kind: Some(enum_name(pb::ClaimKind::try_from(claim.kind).ok(), |k| {
                k.as_str_name()
            })),
            claim_text: Some(claim.text.clone()).filter(|text| !text.is_empty()),
            claim_start_byte,
            claim_end_byte,
            claim_start_utf16,
            claim_end_utf16,
            cue_text: Some(claim.cue_text.clone()).filter(|text| !text.is_empty()),
            cue_start_byte,
            cue_end_byte,
            cue_start_utf16,
            cue_end_utf16,
            speaker_id: speaker.map(|s| s.id.clone()),
            speaker_name: speaker.map(|s| s.canonical_name.clone()),
            speaker_kind: speaker
                .map(|s| enum_name(pb::SpeakerKind::try_from(s.kind).ok(), |k| k.as_str_name())),
            claim_score: claim.claim_score,
            ..article.clone()
        };
        if claim.stances.is_empty() {
            rows.push(claim_row);
            continue;
        }
        for stance in &claim.stances {
            let probabilities = stance.probabilities.as_ref();
            rows.push(FlatRow {
                target_id: Some(stance.target_id.clone()),
                label: Some(enum_name(
                    pb::StanceLabel::try_from(stance.label).ok(),
                    |l| l.as_str_name(),
                )),
                p_entails: probabilities.map(|p| p.entails),
                p_contradicts: probabilities.map(|p| p.contradicts),
                p_neutral: probabilities.map(|p| p.neutral),
                ..claim_row.clone()
            });
        }
    }
    rows
}

type SpanColumns = (Option<u32>, Option<u32>, Option<u32>, Option<u32>);

fn span_columns(span: Option<&pb::Span>) -> SpanColumns {
    span.map_or((None, None, None, None), |s| {
        (
            Some(s.start_byte),
            Some(s.end_byte),
            Some(s.start_utf16),
            Some(s.end_utf16),
        )
    })
}

/// An enum's proto name; an unknown number (newer server) becomes `UNKNOWN`.
fn enum_name<E>(value: Option<E>, name: impl Fn(&E) -> &'static str) -> String {
    value.as_ref().map_or("UNKNOWN", name).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: u32, end: u32) -> Option<pb::Span> {
        Some(pb::Span {
            start_byte: start,
            end_byte: end,
            start_utf16: start / 2,
            end_utf16: end / 2,
        })
    }

    #[test]
    fn one_row_per_claim_and_stance_and_one_for_an_empty_article() {
        let response = pb::ExtractResponse {
            language: "ar".into(),
            claims: vec![
                pb::Claim {
                    id: "c0".into(),
                    span: span(10, 40),
                    cue: span(0, 8),
                    cue_text: "قال".into(),
                    kind: pb::ClaimKind::Indirect as i32,
                    speaker_id: "s0".into(),
                    stances: vec![
                        pb::Stance {
                            target_id: "halt".into(),
                            label: pb::StanceLabel::Contradicts as i32,
                            probabilities: Some(pb::StanceProbabilities {
                                entails: 0.1,
                                contradicts: 0.7,
                                neutral: 0.2,
                            }),
                        },
                        pb::Stance {
                            target_id: "talks".into(),
                            label: pb::StanceLabel::Neutral as i32,
                            probabilities: None,
                        },
                    ],
                    ..Default::default()
                },
                pb::Claim {
                    id: "c1".into(),
                    span: span(50, 60),
                    kind: pb::ClaimKind::Unattributed as i32,
                    ..Default::default()
                },
            ],
            speakers: vec![pb::Speaker {
                id: "s0".into(),
                kind: pb::SpeakerKind::Person as i32,
                canonical_name: "عباس عراقجي".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let json = serde_json::to_value(&response).expect("json");
        let rows = ResponseRows.rows("a1", &json).expect("rows");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].target_id.as_deref(), Some("halt"));
        assert_eq!(rows[0].label.as_deref(), Some("STANCE_LABEL_CONTRADICTS"));
        assert_eq!(rows[0].p_contradicts, Some(0.7));
        assert_eq!(rows[0].speaker_name.as_deref(), Some("عباس عراقجي"));
        assert_eq!(rows[0].speaker_kind.as_deref(), Some("SPEAKER_KIND_PERSON"));
        assert_eq!(rows[0].cue_text.as_deref(), Some("قال"));
        assert_eq!(
            (rows[0].claim_start_byte, rows[0].claim_end_utf16),
            (Some(10), Some(20))
        );
        assert_eq!(rows[1].p_entails, None, "no probabilities, no numbers");
        assert_eq!(rows[2].claim_index, Some(1));
        assert_eq!(rows[2].speaker_id, None, "unattributed claim");
        assert_eq!(
            rows[2].target_id, None,
            "a claim without stances keeps its row"
        );
        assert!(rows.iter().all(|row| row.article_id == "a1"));

        let empty = serde_json::to_value(pb::ExtractResponse {
            language: "en".into(),
            ..Default::default()
        })
        .expect("json");
        let rows = ResponseRows.rows("a2", &empty).expect("rows");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].language.as_deref(), Some("en"));
        assert_eq!(rows[0].claim_index, None);
    }
}
