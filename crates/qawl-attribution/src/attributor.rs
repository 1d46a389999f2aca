//! The attributor: runs mentions, cues, sources and coreference over the sentences in order and
//! assembles claims and speakers.

use qawl_core::{Attribution, Attributor, Claim, ClaimKind, Language, Sentence, SentenceKind, Span, Speaker};

use crate::coreference::Registry;
use crate::cue::{self, CueKind};
use crate::gazetteer::Gazetteer;
use crate::lexicon::{Lexicon, Lexicons, PhraseSet};
use crate::mention::{self, MentionContext, MentionKind};
use crate::source::Parsed;
use crate::words::Words;
use crate::AttributionError;

/// Fewest words inside quotation marks that make a direct quote rather than a scare quote.
const MIN_QUOTE_WORDS: usize = 4;

/// Rule-based attributor for the ten languages: cues from the embedded lexicons, speakers from
/// gazetteer, titles, given names and unnamed-source nouns, merged by coreference.
#[derive(Debug, Clone)]
pub struct RuleAttributor {
    lexicons: Lexicons,
    gazetteers: Vec<Gazetteer>,
    given_names: Vec<PhraseSet>,
}

impl RuleAttributor {
    /// An attributor over the embedded lexicons and gazetteer.
    pub fn new() -> Result<Self, AttributionError> {
        let lexicons = Lexicons::embedded()?;
        let gazetteers = Language::ALL.into_iter().map(Gazetteer::embedded).collect::<Result<_, _>>()?;
        let given_names = Language::ALL.into_iter().map(crate::gazetteer::given_names).collect::<Result<_, _>>()?;
        Ok(Self { lexicons, gazetteers, given_names })
    }

    fn index(language: Language) -> usize {
        Language::ALL.iter().position(|l| *l == language).unwrap_or_default()
    }
}

impl Default for RuleAttributor {
    fn default() -> Self {
        Self::new().expect("the embedded lexicons and gazetteer are valid: the unit tests parse them")
    }
}

/// A claim before speakers are numbered.
#[derive(Debug, Clone)]
struct Draft {
    sentence: usize,
    span: Span,
    kind: ClaimKind,
    cue: Option<Span>,
    speaker: Option<usize>,
    relayed_by: Option<usize>,
}

impl Attributor for RuleAttributor {
    fn attribute(&self, text: &str, language: Language, sentences: &[Sentence]) -> Attribution {
        let lexicon = self.lexicons.get(language);
        let gazetteer = &self.gazetteers[Self::index(language)];
        let given_names = &self.given_names[Self::index(language)];
        let mut registry = Registry::new(text, language, gazetteer);
        let mut drafts = Vec::new();
        for (index, sentence) in sentences.iter().enumerate() {
            if sentence.kind == SentenceKind::Dateline || sentence.span.slice(text).is_none() {
                continue;
            }
            let parsed = parse(text, sentence.span, lexicon, gazetteer, given_names, &registry);
            // Named places, organisations and people are entities wherever they appear.
            for m in &parsed.mentions {
                if matches!(m.kind, MentionKind::Named { .. } | MentionKind::Person { .. }) {
                    registry.resolve(m);
                }
            }
            let mut found = sentence_claims(&parsed, index, &mut registry);
            if sentence.kind == SentenceKind::Headline {
                for draft in &mut found {
                    draft.kind = ClaimKind::Headline;
                }
                if found.is_empty() {
                    found.push(whole(index, sentence.span, ClaimKind::Headline));
                }
            } else if found.is_empty() && asserts(&parsed) {
                found.push(whole(index, sentence.span, ClaimKind::Unattributed));
            }
            drafts.extend(found);
        }
        assemble(registry, drafts)
    }
}

fn whole(sentence: usize, span: Span, kind: ClaimKind) -> Draft {
    Draft { sentence, span, kind, cue: None, speaker: None, relayed_by: None }
}

fn parse<'a>(
    text: &'a str,
    span: Span,
    lexicon: &'a Lexicon,
    gazetteer: &'a Gazetteer,
    given_names: &'a PhraseSet,
    registry: &Registry<'_>,
) -> Parsed<'a> {
    let words = Words::new(text, span, lexicon, given_names);
    let surnames = registry.surnames();
    let cx = MentionContext {
        gazetteer,
        known_surnames: &surnames,
        modifiers_after_head: lexicon.modifiers_after_head,
        cased: !matches!(lexicon.language, Language::Arabic | Language::Persian | Language::Urdu | Language::Hebrew),
    };
    let mut mentions = mention::detect(&words, &cx);
    // A surname can follow its full name within one sentence: look again knowing the new names.
    let mut more_surnames = surnames.clone();
    for m in &mentions {
        if let MentionKind::Person { name, .. } = &m.kind {
            more_surnames.extend(name.last().cloned().filter(|_| name.len() > 1));
        }
    }
    if more_surnames.len() > surnames.len() {
        let cx = MentionContext { known_surnames: &more_surnames, ..cx };
        mentions = mention::detect(&words, &cx);
    }
    let quotes = crate::segment::protected_ranges(&text[span.start..span.end])
        .into_iter()
        .filter(|q| text[span.start + q.start..span.start + q.end].starts_with(|c: char| !matches!(c, '(' | '[' | '{')))
        .map(|q| span.start + q.start..span.start + q.end)
        .collect::<Vec<_>>();
    let cues = cue::detect(&words, &quotes);
    let mut parsed = Parsed { words, mentions, cues, quotes };
    // "according to" with no source after it is another use of the word ("yıla göre": compared
    // with last year); such cues are dropped.
    let keep: Vec<bool> = (0..parsed.cues.len())
        .map(|k| match parsed.cues[k].kind {
            CueKind::AccordingTo { .. } | CueKind::RelayMarker { .. } => parsed.according_source(k).is_some(),
            _ => true,
        })
        .collect();
    let mut flags = keep.into_iter();
    parsed.cues.retain(|_| flags.next().unwrap_or(true));
    parsed
}

/// A sentence without cues asserts something when it holds a position predicate ("rejected",
/// "رفضت") and does not open as narrative background ("وكانت", "Earlier,").
fn asserts(parsed: &Parsed<'_>) -> bool {
    let lexicon = parsed.words.lexicon;
    if parsed.words.len() < 4 || parsed.words.find(&lexicon.background_openers, 0).is_some() {
        return false;
    }
    (0..parsed.words.len()).any(|i| parsed.words.find(&lexicon.assertions, i).is_some())
}

/// The claims of one sentence, resolving each source as it is used.
fn sentence_claims(parsed: &Parsed<'_>, sentence: usize, registry: &mut Registry<'_>) -> Vec<Draft> {
    let lexicon = parsed.words.lexicon;
    let mut drafts: Vec<(usize, Draft)> = Vec::new();
    let mut last_in_sentence: Option<usize> = None;
    let resolve = |m: usize, registry: &mut Registry<'_>| {
        if parsed.is_pronoun(m) {
            registry.last_speaker()
        } else {
            registry.resolve(&parsed.mentions[m])
        }
    };
    for (k, c) in parsed.cues.iter().enumerate() {
        let draft = |span, kind, cue, speaker, relayed_by| Draft { sentence, span, kind, cue: Some(cue), speaker, relayed_by };
        let (speaker, relayed_by, content, kind, cue_span) = match c.kind {
            CueKind::RelayMarker { .. } => continue,
            CueKind::Verb => {
                let subject = parsed.subject(k);
                let mut speaker = subject.and_then(|m| resolve(m, registry));
                // No written subject: Arabic "وأضاف أن", or a pronoun inside the cue ("a-t-il ajouté").
                let pronoun_in_cue = (c.first..c.end).any(|w| lexicon.pronouns.contains_word(parsed.words.norm(w)));
                if subject.is_none() && (lexicon.pro_drop || pronoun_in_cue) {
                    speaker = last_in_sentence.or(registry.last_speaker());
                }
                let mut relayed_by = None;
                if let Some(original) = parsed.relay_marked_speaker().and_then(|m| resolve(m, registry)) {
                    relayed_by = speaker.filter(|s| *s != original);
                    speaker = Some(original);
                }
                (speaker, relayed_by, parsed.reported(k, subject), ClaimKind::Indirect, c.span)
            }
            CueKind::Participle => {
                let speaker = last_in_sentence.or(registry.last_speaker());
                (speaker, None, parsed.reported(k, None), ClaimKind::Indirect, c.span)
            }
            CueKind::AccordingTo { .. } => {
                let source = parsed.according_source(k);
                let speaker = source.and_then(|m| resolve(m, registry));
                (speaker, None, parsed.according_content(k, source), ClaimKind::AccordingTo, c.span)
            }
            CueKind::Relay { saying, saying_end } => {
                let (relayer, original) = parsed.relay(k);
                let relayed_by = relayer.and_then(|m| resolve(m, registry));
                let speaker = original.and_then(|m| resolve(m, registry));
                let complementizer = parsed.words.find(&lexicon.complementizers, saying_end).map_or(0, |f| f.len);
                let cue = parsed.words.range(saying, saying_end + complementizer);
                (speaker, relayed_by, parsed.reported(k, original), ClaimKind::Indirect, cue)
            }
        };
        if let Some(speaker) = speaker {
            last_in_sentence = Some(speaker);
            registry.spoke(speaker);
        }
        if let Some(content) = content {
            drafts.push((k, draft(content, kind, cue_span, speaker, relayed_by)));
        } else {
            drafts.push((k, draft(c.span, kind, cue_span, speaker, relayed_by)));
            drafts.last_mut().map(|(_, d)| d.span = Span::new(c.span.end, c.span.end));
        }
    }
    direct_quotes(parsed, sentence, &mut drafts, registry);
    drafts.into_iter().map(|(_, d)| d).filter(|d| !d.span.is_empty()).collect()
}

/// Quotations of several words become direct quotes of the nearest cue's speaker; the indirect
/// reading of that cue, when it only repeats the quotation, is dropped.
fn direct_quotes(parsed: &Parsed<'_>, sentence: usize, drafts: &mut Vec<(usize, Draft)>, registry: &Registry<'_>) {
    for quote in &parsed.quotes {
        let opener = parsed.words.text[quote.start..].chars().next().map_or(1, char::len_utf8);
        let closer = parsed.words.text[..quote.end].chars().next_back().map_or(1, char::len_utf8);
        let Some(raw) = parsed.words.text.get(quote.start + opener..quote.end.saturating_sub(closer)) else {
            continue;
        };
        if raw.trim().is_empty() {
            continue;
        }
        let lead = raw.len() - raw.trim_start().len();
        let inner = Span::new(quote.start + opener + lead, quote.start + opener + raw.trim_end().len());
        let first = parsed.words.index_at(inner.start);
        let end = parsed.words.index_at(inner.end);
        if end.saturating_sub(first) < MIN_QUOTE_WORDS {
            continue;
        }
        let nearest = drafts
            .iter()
            .filter(|(k, _)| parsed.cues.get(*k).is_some_and(|c| c.end <= first || c.first >= end))
            .min_by_key(|(k, _)| {
                parsed.cues.get(*k).map_or(usize::MAX, |c| if c.end <= first { first - c.end } else { c.first - end })
            })
            .map(|(k, d)| (*k, d.clone()));
        let (speaker, cue, relayed_by) = match &nearest {
            Some((_, d)) => (d.speaker, d.cue, d.relayed_by),
            None if parsed.words.len() <= (end - first) + 3 => (registry.last_speaker(), None, None),
            None => continue,
        };
        if let Some((k, _)) = nearest {
            drafts.retain(|(dk, d)| *dk != k || overlap(d.span, inner) * 2 < d.span.len().max(1));
        }
        // Direct quotes belong to no cue index of their own.
        drafts.push((usize::MAX, Draft { sentence, span: inner, kind: ClaimKind::DirectQuote, cue, speaker, relayed_by }));
    }
}

fn overlap(a: Span, b: Span) -> usize {
    a.end.min(b.end).saturating_sub(a.start.max(b.start))
}

/// Numbers the speakers that hold claims (plus named places and organisations), and the claims.
fn assemble(registry: Registry<'_>, drafts: Vec<Draft>) -> Attribution {
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
            speakers.push(Speaker { kind: entity.kind, canonical_name: entity.canonical, role: entity.role, mentions });
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
