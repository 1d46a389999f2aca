//! The `--format text` renderings: readable in a terminal, one line per claim.

use std::collections::HashMap;
use std::fmt::Write;

use crate::proto::v1 as pb;

/// One line per claim: `speaker [KIND] ← cue: claim`, then its stances and score.
pub fn extract(_text: &str, response: &pb::ExtractResponse) -> String {
    let mut out = String::new();
    let detected = if response.language_detected {
        " (detected)"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "language: {}{detected}  sentences: {}  claims: {}  speakers: {}",
        response.language,
        response.sentences.len(),
        response.claims.len(),
        response.speakers.len()
    );

    let speakers: HashMap<&str, &pb::Speaker> = response
        .speakers
        .iter()
        .map(|s| (s.id.as_str(), s))
        .collect();
    if !response.speakers.is_empty() {
        let _ = writeln!(out, "\nspeakers:");
    }
    for speaker in &response.speakers {
        let role = if speaker.role.is_empty() {
            String::new()
        } else {
            format!(" — {}", speaker.role)
        };
        let mentions: Vec<&str> = speaker.mentions.iter().map(|m| m.text.as_str()).collect();
        let _ = writeln!(
            out,
            "  {} {} [{}]{role}  mentions: {}",
            speaker.id,
            speaker.canonical_name,
            speaker_kind(speaker.kind),
            mentions.join(" | ")
        );
    }

    if !response.claims.is_empty() {
        let _ = writeln!(out, "\nclaims:");
    }
    for claim in &response.claims {
        let who = match speakers.get(claim.speaker_id.as_str()) {
            Some(s) => format!("{} [{}]", s.canonical_name, speaker_kind(s.kind)),
            None => "—".to_string(),
        };
        let relayed = speakers
            .get(claim.relayed_by_speaker_id.as_str())
            .map(|s| format!(" (via {})", s.canonical_name))
            .unwrap_or_default();
        let cue = if claim.cue_text.is_empty() {
            claim_kind(claim.kind).to_string()
        } else {
            claim.cue_text.clone()
        };
        let _ = writeln!(out, "  {} {who}{relayed} ← {cue}: {}", claim.id, claim.text);
        let mut details = Vec::new();
        if let Some(score) = claim.claim_score {
            details.push(format!("claim score {score:.2}"));
        }
        for stance in &claim.stances {
            let p = stance.probabilities.unwrap_or_default();
            details.push(format!(
                "{}: {} (entails {:.2}, contradicts {:.2}, neutral {:.2})",
                stance.target_id,
                stance_label(stance.label),
                p.entails,
                p.contradicts,
                p.neutral
            ));
        }
        if !details.is_empty() {
            let _ = writeln!(out, "      {}", details.join("; "));
        }
    }
    out
}

pub fn info(info: &pb::InfoResponse) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "qawl {}", info.version);
    let _ = writeln!(out, "languages: {}", info.languages.join(", "));
    let _ = writeln!(out, "stages: {}", info.stages.join(", "));
    if info.models.is_empty() {
        let _ = writeln!(out, "models: none loaded");
    } else {
        let _ = writeln!(out, "models:");
        for model in &info.models {
            let _ = writeln!(
                out,
                "  {:<14} {} @ {}  sha256 {}{}",
                model.role,
                model.id,
                model.revision,
                model.sha256,
                match (model.loaded, model.present, model.precision.as_str()) {
                    (true, _, "") => "  loaded".to_string(),
                    (true, _, precision) => format!("  loaded ({precision})"),
                    (false, true, _) => "  present".to_string(),
                    (false, false, _) => "  missing (run `qawl models fetch`)".to_string(),
                }
            );
        }
    }
    if let Some(limits) = &info.limits {
        let _ = writeln!(
            out,
            "limits: article {} bytes, {} targets, proposition {} bytes, id {} bytes, {} stance pairs, message {} bytes",
            limits.max_article_bytes,
            limits.max_targets,
            limits.max_proposition_bytes,
            limits.max_id_bytes,
            limits.max_stance_pairs,
            limits.max_message_bytes
        );
    }
    out
}

fn speaker_kind(kind: i32) -> &'static str {
    match pb::SpeakerKind::try_from(kind) {
        Ok(pb::SpeakerKind::Person) => "PERSON",
        Ok(pb::SpeakerKind::Organization) => "ORGANIZATION",
        Ok(pb::SpeakerKind::Gpe) => "GPE",
        Ok(pb::SpeakerKind::Anonymous) => "ANONYMOUS",
        _ => "UNSPECIFIED",
    }
}

fn claim_kind(kind: i32) -> &'static str {
    match pb::ClaimKind::try_from(kind) {
        Ok(pb::ClaimKind::DirectQuote) => "DIRECT_QUOTE",
        Ok(pb::ClaimKind::Indirect) => "INDIRECT",
        Ok(pb::ClaimKind::AccordingTo) => "ACCORDING_TO",
        Ok(pb::ClaimKind::Headline) => "HEADLINE",
        Ok(pb::ClaimKind::Unattributed) => "UNATTRIBUTED",
        _ => "UNSPECIFIED",
    }
}

fn stance_label(label: i32) -> &'static str {
    match pb::StanceLabel::try_from(label) {
        Ok(pb::StanceLabel::Entails) => "ENTAILS",
        Ok(pb::StanceLabel::Contradicts) => "CONTRADICTS",
        Ok(pb::StanceLabel::Neutral) => "NEUTRAL",
        _ => "UNSPECIFIED",
    }
}
