//! Reading a labelled eval file: one JSON object per line, every fault reported with its line.

use std::path::Path;

use qawl_core::StanceLabel;
use serde::Deserialize;

use crate::cli::CliError;

/// A (premise, hypothesis) pair with its gold stance.
#[derive(Debug)]
pub struct StanceRecord {
    pub id: String,
    pub premise: String,
    pub hypothesis: String,
    pub label: StanceLabel,
}

/// A sentence with whether it carries a check-worthy claim.
#[derive(Debug)]
pub struct ClaimRecord {
    pub id: String,
    pub text: String,
    pub label: bool,
}

/// Words with their BIO tags (types other than PER, ORG, LOC read as O).
#[derive(Debug)]
pub struct NerRecord {
    pub id: String,
    pub tokens: Vec<String>,
    pub tags: Vec<String>,
}

#[derive(Deserialize)]
struct RawStance {
    id: serde_json::Value,
    premise: String,
    hypothesis: String,
    label: String,
}

#[derive(Deserialize)]
struct RawClaim {
    id: serde_json::Value,
    text: String,
    label: serde_json::Value,
}

#[derive(Deserialize)]
struct RawNer {
    id: serde_json::Value,
    tokens: Vec<String>,
    tags: Vec<String>,
}

/// Gold stance labels, with the names NLI and stance corpora use for them.
fn stance_label(name: &str) -> Option<StanceLabel> {
    match name {
        "entails" | "entailment" | "agree" => Some(StanceLabel::Entails),
        "contradicts" | "contradiction" | "disagree" => Some(StanceLabel::Contradicts),
        "neutral" | "other" | "unrelated" | "discuss" => Some(StanceLabel::Neutral),
        _ => None,
    }
}

fn id_text(id: &serde_json::Value) -> String {
    match id {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Parses every non-blank line of `path` with `parse`; the first fault stops with its line.
fn read_lines<T, R: for<'de> Deserialize<'de>>(
    path: &Path,
    parse: impl Fn(R) -> Result<T, String>,
) -> Result<Vec<T>, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("{}: cannot read: {e}", path.display())))?;
    let mut records = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fault =
            |reason: String| CliError::Usage(format!("{}:{}: {reason}", path.display(), index + 1));
        let raw: R = serde_json::from_str(line).map_err(|e| fault(e.to_string()))?;
        records.push(parse(raw).map_err(fault)?);
    }
    if records.is_empty() {
        return Err(CliError::Usage(format!(
            "{}: no records to evaluate",
            path.display()
        )));
    }
    Ok(records)
}

pub fn read_stance(path: &Path) -> Result<Vec<StanceRecord>, CliError> {
    read_lines(path, |raw: RawStance| {
        let label = stance_label(&raw.label).ok_or_else(|| {
            format!(
                "label {:?} is not entails, contradicts or neutral",
                raw.label
            )
        })?;
        if raw.premise.trim().is_empty() || raw.hypothesis.trim().is_empty() {
            return Err("premise and hypothesis must not be empty".into());
        }
        Ok(StanceRecord {
            id: id_text(&raw.id),
            premise: raw.premise,
            hypothesis: raw.hypothesis,
            label,
        })
    })
}

pub fn read_claims(path: &Path) -> Result<Vec<ClaimRecord>, CliError> {
    read_lines(path, |raw: RawClaim| {
        let label = match &raw.label {
            serde_json::Value::Number(n) if n.as_u64() == Some(1) => true,
            serde_json::Value::Number(n) if n.as_u64() == Some(0) => false,
            serde_json::Value::Bool(b) => *b,
            other => return Err(format!("label {other} is not 0 or 1")),
        };
        if raw.text.trim().is_empty() {
            return Err("text must not be empty".into());
        }
        Ok(ClaimRecord {
            id: id_text(&raw.id),
            text: raw.text,
            label,
        })
    })
}

pub fn read_ner(path: &Path) -> Result<Vec<NerRecord>, CliError> {
    read_lines(path, |raw: RawNer| {
        if raw.tokens.len() != raw.tags.len() {
            return Err(format!(
                "{} tokens but {} tags",
                raw.tokens.len(),
                raw.tags.len()
            ));
        }
        if raw.tokens.is_empty() || raw.tokens.iter().any(|t| t.trim().is_empty()) {
            return Err("tokens must be non-empty words".into());
        }
        let tags = raw
            .tags
            .iter()
            .map(|tag| match tag.split_once('-') {
                Some(("B" | "I", "PER" | "ORG" | "LOC")) => Ok(tag.clone()),
                // The tagger knows three types; others (MISC, …) are outside it.
                Some(("B" | "I", _)) => Ok("O".to_string()),
                None if tag == "O" => Ok(tag.clone()),
                _ => Err(format!("tag {tag:?} is not BIO")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NerRecord {
            id: id_text(&raw.id),
            tokens: raw.tokens,
            tags,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(lines: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), lines).expect("write");
        file
    }

    #[test]
    fn corpus_label_names_map_onto_the_three_stances() {
        let f = file(
            r#"{"id": 1, "premise": "a", "hypothesis": "b", "label": "disagree"}
{"id": "x", "premise": "a", "hypothesis": "b", "label": "entailment"}
"#,
        );
        let records = read_stance(f.path()).expect("valid");
        assert_eq!(records[0].label, StanceLabel::Contradicts);
        assert_eq!(records[0].id, "1");
        assert_eq!(records[1].label, StanceLabel::Entails);
    }

    #[test]
    fn a_bad_line_is_named_with_its_number_and_reason() {
        let f = file(
            r#"{"id": 1, "text": "fine", "label": 1}

{"id": 2, "text": "bad", "label": "yes"}
"#,
        );
        let message = read_claims(f.path()).err().map(|e| e.to_string());
        assert!(message.is_some_and(|m| m.contains(":3:") && m.contains("not 0 or 1")));
        let f = file(r#"{"id": 1, "tokens": ["a", "b"], "tags": ["O"]}"#);
        let message = read_ner(f.path()).err().map(|e| e.to_string());
        assert!(message.is_some_and(|m| m.contains(":1:") && m.contains("2 tokens but 1 tags")));
    }

    #[test]
    fn entity_types_outside_the_tagger_read_as_outside() {
        let f = file(r#"{"id": 1, "tokens": ["a", "b", "c"], "tags": ["B-MISC", "I-PER", "O"]}"#);
        let records = read_ner(f.path()).expect("valid");
        assert_eq!(records[0].tags, ["O", "I-PER", "O"]);
    }
}
