//! The claims of one sentence: one per reporting cue, direct quotes for quotations, and the
//! numbering of speakers once the article is done.

use qawl_core::{Attribution, Claim, ClaimKind, Span, Speaker};

use crate::coreference::Registry;
use crate::cue::CueKind;
use crate::source::Parsed;

/// Fewest words inside quotation marks that make a direct quote rather than a scare quote.
const MIN_QUOTE_WORDS: usize = 4;

/// A claim before speakers are numbered.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub sentence: usize,
    pub span: Span,
    pub kind: ClaimKind,
    pub cue: Option<Span>,
    pub speaker: Option<usize>,
    pub relayed_by: Option<usize>,
}

/// The claims of one sentence, resolving each source as it is used.
pub(crate) fn sentence_claims(
    parsed: &Parsed<'_>,
    sentence: usize,
    registry: &mut Registry<'_>,
) -> Vec<Draft> {
    let lexicon = parsed.words.lexicon;
    let mut drafts: Vec<(usize, Draft)> = Vec::new();
    let mut last_in_sentence: Option<usize> = None;
    let resolve = |m: usize, registry: &mut Registry<'_>| {
        if parsed.is_pronoun(m) {
            registry.pronoun_referent()
        } else {
            registry.resolve(&parsed.mentions[m])
        }
    };
    for (k, c) in parsed.cues.iter().enumerate() {
        let draft = |span, kind, cue, speaker, relayed_by| Draft {
            sentence,
            span,
            kind,
            cue: Some(cue),
            speaker,
            relayed_by,
        };
        let (speaker, relayed_by, content, kind, cue_span) = match c.kind {
            CueKind::RelayMarker { .. } => continue,
            CueKind::Verb => {
                let subject = parsed.subject(k);
                let mut speaker = subject.and_then(|m| resolve(m, registry));
                // No written subject: Arabic "وأضاف أن", or a pronoun inside the cue ("a-t-il ajouté").
                let pronoun_in_cue =
                    (c.first..c.end).any(|w| lexicon.pronouns.contains_word(parsed.words.norm(w)));
                if subject.is_none() && pronoun_in_cue {
                    speaker = last_in_sentence.or(registry.pronoun_referent());
                } else if subject.is_none()
                    && lexicon.pro_drop
                    && !unknown_subject_follows(parsed, c.end)
                {
                    speaker = last_in_sentence.or(registry.last_speaker());
                }
                let mut relayed_by = None;
                if let Some(original) = parsed
                    .relay_marked_speaker()
                    .and_then(|m| resolve(m, registry))
                {
                    relayed_by = speaker.filter(|s| *s != original);
                    speaker = Some(original);
                }
                (
                    speaker,
                    relayed_by,
                    parsed.reported(k, subject),
                    ClaimKind::Indirect,
                    c.span,
                )
            }
            CueKind::Participle => {
                // "Reeves welcomed the decision, saying…": without an earlier cue in the sentence,
                // the participle reports for the sentence's subject.
                let speaker = last_in_sentence
                    .or_else(|| parsed.subject(k).and_then(|m| resolve(m, registry)))
                    .or(registry.last_speaker());
                (
                    speaker,
                    None,
                    parsed.reported(k, None),
                    ClaimKind::Indirect,
                    c.span,
                )
            }
            CueKind::AccordingTo { .. } => {
                let source = parsed.according_source(k);
                let speaker = source.and_then(|m| resolve(m, registry));
                (
                    speaker,
                    None,
                    parsed.according_content(k, source),
                    ClaimKind::AccordingTo,
                    c.span,
                )
            }
            CueKind::AccordingToPronoun => (
                registry.pronoun_referent(),
                None,
                parsed.according_content(k, None),
                ClaimKind::AccordingTo,
                c.span,
            ),
            CueKind::Relay { saying, saying_end } => {
                let (relayer, original) = parsed.relay(k);
                let relayed_by = relayer.and_then(|m| resolve(m, registry));
                let speaker = original.and_then(|m| resolve(m, registry));
                let complementizer = parsed
                    .words
                    .find(&lexicon.complementizers, saying_end)
                    .map_or(0, |f| f.len);
                let cue = parsed.words.range(saying, saying_end + complementizer);
                (
                    speaker,
                    relayed_by,
                    parsed.reported(k, original),
                    ClaimKind::Indirect,
                    cue,
                )
            }
        };
        if let Some(speaker) = speaker {
            last_in_sentence = Some(speaker);
            registry.spoke(speaker);
        }
        // A cue without content ("…," he said) still lends its speaker to a quotation; its empty
        // draft is dropped at the end.
        let span = content.unwrap_or(Span::new(c.span.end, c.span.end));
        drafts.push((k, draft(span, kind, cue_span, speaker, relayed_by)));
    }
    direct_quotes(parsed, sentence, &mut drafts, registry);
    drafts
        .into_iter()
        .map(|(_, d)| d)
        .filter(|d| !d.span.is_empty())
        .collect()
}

/// Quotations of several words become direct quotes of the nearest cue's speaker; the indirect
/// reading of that cue, when it is mostly the quotation (four fifths) and opens with it, is
/// dropped; a partial quote inside reported speech keeps both.
fn direct_quotes(
    parsed: &Parsed<'_>,
    sentence: usize,
    drafts: &mut Vec<(usize, Draft)>,
    registry: &Registry<'_>,
) {
    let lexicon = parsed.words.lexicon;
    for quote in &parsed.quotes {
        let opener = parsed.words.text[quote.start..]
            .chars()
            .next()
            .map_or(1, char::len_utf8);
        let closer = parsed.words.text[..quote.end]
            .chars()
            .next_back()
            .map_or(1, char::len_utf8);
        let Some(raw) = parsed
            .words
            .text
            .get(quote.start + opener..quote.end.saturating_sub(closer))
        else {
            continue;
        };
        if raw.trim().is_empty() {
            continue;
        }
        let lead = raw.len() - raw.trim_start().len();
        let inner = Span::new(
            quote.start + opener + lead,
            quote.start + opener + raw.trim_end().len(),
        );
        let first = parsed.words.index_at(inner.start);
        let end = parsed.words.index_at(inner.end);
        if end.saturating_sub(first) < MIN_QUOTE_WORDS {
            continue;
        }
        let nearest = drafts
            .iter()
            .filter(|(k, _)| {
                parsed
                    .cues
                    .get(*k)
                    .is_some_and(|c| c.end <= first || c.first >= end)
            })
            .min_by_key(|(k, _)| {
                parsed.cues.get(*k).map_or(usize::MAX, |c| {
                    if c.end <= first {
                        first - c.end
                    } else {
                        c.first - end
                    }
                })
            })
            .map(|(k, d)| (*k, d.clone()));
        let (speaker, cue, relayed_by) = match &nearest {
            Some((_, d)) => (d.speaker, d.cue, d.relayed_by),
            None if parsed.words.len() <= (end - first) + 3 => {
                (registry.last_speaker(), None, None)
            }
            None => continue,
        };
        // "a averti que « … »": a quotation brought in by a complementizer is also reported
        // speech; both readings stay.
        let introduced = nearest.as_ref().is_some_and(|(k, _)| {
            let c = &parsed.cues[*k];
            c.end <= first
                && (c.end..first).any(|w| parsed.words.find(&lexicon.complementizers, w).is_some())
        });
        if let Some((k, _)) = nearest.filter(|_| !introduced) {
            drafts.retain(|(dk, d)| {
                *dk != k
                    || (overlap(d.span, inner) * 5 < d.span.len().max(1) * 4
                        || inner.start > d.span.start + 4)
            });
        }
        // Direct quotes belong to no cue index of their own.
        drafts.push((
            usize::MAX,
            Draft {
                sentence,
                span: inner,
                kind: ClaimKind::DirectQuote,
                cue,
                speaker,
                relayed_by,
            },
        ));
    }
}

fn overlap(a: Span, b: Span) -> usize {
    a.end.min(b.end).saturating_sub(a.start.max(b.start))
}

/// Numbers the speakers that hold claims (plus named places and organisations), and the claims.
pub(crate) fn assemble(registry: Registry<'_>, drafts: Vec<Draft>) -> Attribution {
    let mut keep: Vec<bool> = registry.entities.iter().map(|e| e.is_named()).collect();
    for d in &drafts {
        for e in [d.speaker, d.relayed_by].into_iter().flatten() {
            keep[e] = true;
        }
    }
    let mut numbering = vec![None; keep.len()];
    let mut speakers = Vec::new();
    for (i, entity) in registry.entities.into_iter().enumerate() {
        if keep[i] {
            numbering[i] = Some(speakers.len());
            let mut mentions = entity.mentions;
            mentions.sort();
            speakers.push(Speaker {
                kind: entity.kind,
                canonical_name: entity.canonical,
                role: entity.role,
                mentions,
            });
        }
    }
    let mut claims: Vec<Claim> = drafts
        .into_iter()
        .map(|d| Claim {
            sentence_index: d.sentence,
            span: d.span,
            kind: d.kind,
            cue: d.cue,
            speaker: d.speaker.and_then(|e| numbering[e]),
            relayed_by: d.relayed_by.and_then(|e| numbering[e]),
            claim_score: None,
            stances: Vec::new(),
        })
        .collect();
    claims.sort_by_key(|c| (c.sentence_index, c.span.start));
    Attribution { claims, speakers }
}

/// A verb-subject language may leave the subject unwritten ("وأضاف أن…"), but when a noun the
/// rules do not know stands right after the verb ("قال محافظ…"), the speaker is that unknown noun:
/// better no speaker than the previous one.
fn unknown_subject_follows(parsed: &Parsed<'_>, after: usize) -> bool {
    let lexicon = parsed.words.lexicon;
    if !lexicon.subject_after_verb {
        return false;
    }
    // An unknown noun before the verb ("נוסע קבוע בקו אמר") is the subject as well.
    let cue = parsed.cues.iter().find(|c| c.end == after);
    if let Some(c) = cue {
        let floor = parsed
            .cues
            .iter()
            .rev()
            .find(|p| p.end <= c.first)
            .map_or(0, |p| p.end);
        let before_verb = (floor..c.first).any(|w| {
            ![
                &lexicon.stopwords,
                &lexicon.determiners,
                &lexicon.complementizers,
            ]
            .iter()
            .any(|set| parsed.words.find(set, w).is_some())
        });
        let comma_before = c.first > 0 && parsed.words.gap(c.first - 1).contains([',', '،']);
        if before_verb && !comma_before {
            return true;
        }
    }
    if after >= parsed.words.len() || !parsed.words.adjacent(after.saturating_sub(1)) {
        return false;
    }
    let function = [
        &lexicon.complementizers,
        &lexicon.weak_complementizers,
        &lexicon.stopwords,
        &lexicon.participles,
        &lexicon.pronouns,
        &lexicon.determiners,
    ]
    .iter()
    .any(|set| parsed.words.find(set, after).is_some());
    !function && !parsed.mentions.iter().any(|m| m.first == after)
}
