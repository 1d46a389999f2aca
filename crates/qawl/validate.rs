//! Request validation: every bound checked before any work starts, each failure naming its field.

use std::collections::HashSet;

use qawl_core::{Language, Target};

use crate::error::ServiceError;
use crate::limits::Limits;
use crate::proto::v1 as pb;

/// An `ExtractRequest` that passed validation.
#[derive(Debug, Clone)]
pub struct ValidExtract {
    pub request_id: String,
    pub text: String,
    /// `None`: detect from the text.
    pub language: Option<Language>,
    pub targets: Vec<Target>,
    pub options: pb::ExtractOptions,
}

pub fn validate_extract(
    request: pb::ExtractRequest,
    limits: &Limits,
) -> Result<ValidExtract, ServiceError> {
    check_id("request_id", &request.request_id, limits)?;
    if request.text.trim().is_empty() {
        return Err(ServiceError::invalid("text", "must not be empty"));
    }
    if request.text.len() > limits.max_article_bytes {
        return Err(ServiceError::invalid(
            "text",
            format!(
                "is {} bytes, over the limit of {} bytes",
                request.text.len(),
                limits.max_article_bytes
            ),
        ));
    }
    let language = match request.language.trim() {
        "" => None,
        code => Some(
            code.parse::<Language>()
                .map_err(|e| ServiceError::invalid("language", e.to_string()))?,
        ),
    };
    let targets = validate_targets(request.targets, limits)?;
    let options = request.options.unwrap_or_default();
    if !(0.0..=1.0).contains(&options.min_claim_score) {
        return Err(ServiceError::invalid(
            "options.min_claim_score",
            format!("must lie in [0, 1], got {}", options.min_claim_score),
        ));
    }
    Ok(ValidExtract {
        request_id: request.request_id,
        text: request.text,
        language,
        targets,
        options,
    })
}

fn validate_targets(
    targets: Vec<pb::Target>,
    limits: &Limits,
) -> Result<Vec<Target>, ServiceError> {
    if targets.len() > limits.max_targets {
        return Err(ServiceError::invalid(
            "targets",
            format!(
                "{} targets given, at most {} allowed",
                targets.len(),
                limits.max_targets
            ),
        ));
    }
    let mut seen = HashSet::new();
    targets
        .into_iter()
        .enumerate()
        .map(|(i, target)| {
            let id_field = format!("targets[{i}].id");
            if target.id.trim().is_empty() {
                return Err(ServiceError::invalid(id_field, "must not be empty"));
            }
            check_id(&id_field, &target.id, limits)?;
            if !seen.insert(target.id.clone()) {
                return Err(ServiceError::invalid(
                    id_field,
                    format!("duplicate target id {:?}", target.id),
                ));
            }
            let proposition_field = format!("targets[{i}].proposition");
            check_sentence(&proposition_field, &target.proposition, limits)?;
            Ok(Target {
                id: target.id,
                proposition: target.proposition.trim().to_string(),
            })
        })
        .collect()
}

/// Validates ClassifyStance pairs; returns (premise, proposition) in request order.
pub fn validate_stance_pairs(
    request: &pb::ClassifyStanceRequest,
    limits: &Limits,
) -> Result<Vec<(String, String)>, ServiceError> {
    if request.pairs.is_empty() {
        return Err(ServiceError::invalid("pairs", "must not be empty"));
    }
    if request.pairs.len() > limits.max_stance_pairs {
        return Err(ServiceError::invalid(
            "pairs",
            format!(
                "{} pairs given, at most {} allowed",
                request.pairs.len(),
                limits.max_stance_pairs
            ),
        ));
    }
    request
        .pairs
        .iter()
        .enumerate()
        .map(|(i, pair)| {
            check_id(&format!("pairs[{i}].id"), &pair.id, limits)?;
            check_sentence(&format!("pairs[{i}].premise"), &pair.premise, limits)?;
            check_sentence(
                &format!("pairs[{i}].proposition"),
                &pair.proposition,
                limits,
            )?;
            Ok((
                pair.premise.trim().to_string(),
                pair.proposition.trim().to_string(),
            ))
        })
        .collect()
}

fn check_id(field: &str, id: &str, limits: &Limits) -> Result<(), ServiceError> {
    if id.len() > limits.max_id_bytes {
        return Err(ServiceError::invalid(
            field,
            format!(
                "is {} bytes, over the limit of {} bytes",
                id.len(),
                limits.max_id_bytes
            ),
        ));
    }
    Ok(())
}

fn check_sentence(field: &str, text: &str, limits: &Limits) -> Result<(), ServiceError> {
    if text.trim().is_empty() {
        return Err(ServiceError::invalid(field, "must not be empty"));
    }
    if text.len() > limits.max_proposition_bytes {
        return Err(ServiceError::invalid(
            field,
            format!(
                "is {} bytes, over the limit of {} bytes",
                text.len(),
                limits.max_proposition_bytes
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> pb::ExtractRequest {
        pb::ExtractRequest {
            text: text.into(),
            ..Default::default()
        }
    }

    fn target(id: &str, proposition: &str) -> pb::Target {
        pb::Target {
            id: id.into(),
            proposition: proposition.into(),
        }
    }

    fn field_of(result: Result<ValidExtract, ServiceError>) -> String {
        result
            .expect_err("request should be refused")
            .field()
            .expect("a field")
            .to_string()
    }

    #[test]
    fn whitespace_only_text_is_refused() {
        assert_eq!(
            field_of(validate_extract(request(" \n\t"), &Limits::default())),
            "text"
        );
    }

    #[test]
    fn region_codes_are_accepted_and_unknown_codes_refused() {
        let mut req = request("قال");
        req.language = "ar-EG".into();
        let valid = validate_extract(req.clone(), &Limits::default()).expect("valid");
        assert_eq!(valid.language, Some(Language::Arabic));
        req.language = "klingon".into();
        assert_eq!(
            field_of(validate_extract(req, &Limits::default())),
            "language"
        );
    }

    #[test]
    fn target_errors_name_the_index() {
        let mut req = request("text");
        req.targets = vec![target("a", "p"), target("b", "  ")];
        assert_eq!(
            field_of(validate_extract(req.clone(), &Limits::default())),
            "targets[1].proposition"
        );
        req.targets = vec![target("a", "p"), target("a", "q")];
        assert_eq!(
            field_of(validate_extract(req.clone(), &Limits::default())),
            "targets[1].id"
        );
        req.targets = vec![target("", "p")];
        assert_eq!(
            field_of(validate_extract(req, &Limits::default())),
            "targets[0].id"
        );
    }

    #[test]
    fn out_of_range_min_claim_score_is_refused() {
        let mut req = request("text");
        req.options = Some(pb::ExtractOptions {
            min_claim_score: f32::NAN,
            ..Default::default()
        });
        assert_eq!(
            field_of(validate_extract(req, &Limits::default())),
            "options.min_claim_score"
        );
    }

    #[test]
    fn stance_pairs_are_bounded_and_checked() {
        let limits = Limits {
            max_stance_pairs: 1,
            ..Limits::default()
        };
        let pair = |premise: &str| pb::StancePair {
            id: "x".into(),
            premise: premise.into(),
            proposition: "p".into(),
        };
        let two = pb::ClassifyStanceRequest {
            pairs: vec![pair("a"), pair("b")],
        };
        let err = validate_stance_pairs(&two, &limits).expect_err("too many");
        assert_eq!(err.field(), Some("pairs"));
        let empty_premise = pb::ClassifyStanceRequest {
            pairs: vec![pair("")],
        };
        let err = validate_stance_pairs(&empty_premise, &limits).expect_err("empty");
        assert_eq!(err.field(), Some("pairs[0].premise"));
    }
}
