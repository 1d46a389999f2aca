//! The one module that turns domain results into `qawl.v1` messages (STYLE rule 1).
//! Byte spans become byte + UTF-16 spans here, at the edge.

use qawl_core::{
    ClaimKind, PipelineOutput, SentenceKind, Span, SpeakerKind, StageTimings, StanceLabel,
    StanceProbabilities,
};

use crate::proto::v1 as pb;
use crate::utf16::Utf16Index;

/// What to put in the response beside the analysis.
#[derive(Debug, Clone, Default)]
pub struct ResponseContext {
    pub request_id: String,
    pub language_detected: bool,
    pub options: pb::ExtractOptions,
    pub total_micros: u64,
}

/// Builds the `ExtractResponse` for one analysed text.
pub fn extract_response(
    text: &str,
    output: PipelineOutput,
    context: ResponseContext,
) -> pb::ExtractResponse {
    let PipelineOutput {
        analysis,
        timings,
        models,
    } = output;
    let index = Utf16Index::new(text);
    let with_text = !context.options.omit_text;
    let span = |s: Span| to_span(&index, s);
    let slice = |s: Span| {
        if with_text {
            s.slice(text).unwrap_or_default().to_string()
        } else {
            String::new()
        }
    };

    let sentences = if context.options.omit_sentences {
        Vec::new()
    } else {
        analysis
            .sentences
            .iter()
            .enumerate()
            .map(|(i, sentence)| pb::Sentence {
                index: to_u32(i),
                span: Some(span(sentence.span)),
                kind: sentence_kind(sentence.kind) as i32,
                paragraph: to_u32(sentence.paragraph),
                text: slice(sentence.span),
            })
            .collect()
    };

    let speakers = analysis
        .speakers
        .iter()
        .enumerate()
        .map(|(i, speaker)| pb::Speaker {
            id: speaker_id(i),
            kind: speaker_kind(speaker.kind) as i32,
            canonical_name: speaker.canonical_name.clone(),
            role: speaker.role.clone().unwrap_or_default(),
            mentions: speaker
                .mentions
                .iter()
                .map(|&m| pb::Mention {
                    span: Some(span(m)),
                    text: slice(m),
                })
                .collect(),
        })
        .collect();

    let min_score = context.options.min_claim_score;
    let claims = analysis
        .claims
        .iter()
        .filter(|claim| claim.claim_score.is_none_or(|score| score >= min_score))
        .enumerate()
        .map(|(i, claim)| pb::Claim {
            id: format!("c{i}"),
            sentence_index: to_u32(claim.sentence_index),
            text: slice(claim.span),
            span: Some(span(claim.span)),
            kind: claim_kind(claim.kind) as i32,
            cue: claim.cue.map(span),
            cue_text: claim.cue.map(slice).unwrap_or_default(),
            speaker_id: claim.speaker.map(speaker_id).unwrap_or_default(),
            relayed_by_speaker_id: claim.relayed_by.map(speaker_id).unwrap_or_default(),
            claim_score: claim.claim_score,
            stances: claim
                .stances
                .iter()
                .map(|stance| pb::Stance {
                    target_id: stance.target_id.clone(),
                    label: stance_label(stance.label) as i32,
                    probabilities: Some(probabilities(stance.probabilities)),
                })
                .collect(),
        })
        .collect();

    pb::ExtractResponse {
        request_id: context.request_id,
        language: analysis.language.code().to_string(),
        language_detected: context.language_detected,
        sentences,
        claims,
        speakers,
        metadata: Some(metadata(&timings, models, context.total_micros)),
    }
}

pub fn metadata(
    timings: &StageTimings,
    models: Vec<String>,
    total_micros: u64,
) -> pb::ResponseMetadata {
    pb::ResponseMetadata {
        timings: timings
            .0
            .iter()
            .map(|(stage, duration)| pb::StageTiming {
                stage: stage.as_str().to_string(),
                micros: u64::try_from(duration.as_micros()).unwrap_or(u64::MAX),
            })
            .collect(),
        total_micros,
        model_ids: models,
        server_version: crate::VERSION.to_string(),
    }
}

pub fn probabilities(p: StanceProbabilities) -> pb::StanceProbabilities {
    pb::StanceProbabilities {
        entails: p.entails,
        contradicts: p.contradicts,
        neutral: p.neutral,
    }
}

pub fn stance_label(label: StanceLabel) -> pb::StanceLabel {
    match label {
        StanceLabel::Entails => pb::StanceLabel::Entails,
        StanceLabel::Contradicts => pb::StanceLabel::Contradicts,
        StanceLabel::Neutral => pb::StanceLabel::Neutral,
    }
}

fn speaker_id(index: usize) -> String {
    format!("s{index}")
}

fn to_u32(value: usize) -> u32 {
    // Articles are bounded far below 4 GiB (Limits::max_article_bytes), so this never saturates.
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn to_span(index: &Utf16Index, span: Span) -> pb::Span {
    pb::Span {
        start_byte: to_u32(span.start),
        end_byte: to_u32(span.end),
        start_utf16: to_u32(index.utf16_offset(span.start)),
        end_utf16: to_u32(index.utf16_offset(span.end)),
    }
}

fn sentence_kind(kind: SentenceKind) -> pb::SentenceKind {
    match kind {
        SentenceKind::Body => pb::SentenceKind::Body,
        SentenceKind::Headline => pb::SentenceKind::Headline,
        SentenceKind::Dateline => pb::SentenceKind::Dateline,
    }
}

fn speaker_kind(kind: SpeakerKind) -> pb::SpeakerKind {
    match kind {
        SpeakerKind::Person => pb::SpeakerKind::Person,
        SpeakerKind::Organization => pb::SpeakerKind::Organization,
        SpeakerKind::Gpe => pb::SpeakerKind::Gpe,
        SpeakerKind::Anonymous => pb::SpeakerKind::Anonymous,
    }
}

fn claim_kind(kind: ClaimKind) -> pb::ClaimKind {
    match kind {
        ClaimKind::DirectQuote => pb::ClaimKind::DirectQuote,
        ClaimKind::Indirect => pb::ClaimKind::Indirect,
        ClaimKind::AccordingTo => pb::ClaimKind::AccordingTo,
        ClaimKind::Headline => pb::ClaimKind::Headline,
        ClaimKind::Unattributed => pb::ClaimKind::Unattributed,
    }
}
