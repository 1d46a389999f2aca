//! Reporting cues in a sentence: verbs ("قال", "said"), participles ("مشيراً إلى"), according-to
//! phrases ("بحسب", "according to", "X'e göre"), and relays ("نقلت مصادر عن X قوله", "quoted X as
//! saying", "به نقل از X").

use std::ops::Range;

use qawl_core::Span;

use crate::words::Words;

/// Most words between a relay verb and its "saying" phrase.
const MAX_RELAY_WORDS: usize = 25;

/// How a cue reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CueKind {
    /// A reporting verb; its subject is the speaker.
    Verb,
    /// A participle that reports for the subject of the cue before it.
    Participle,
    /// "according to X" (`source_before`: "X'e göre").
    AccordingTo { source_before: bool },
    /// "R quoted X as saying": the verb's subject relays the speaker named before `saying`.
    Relay { saying: usize, saying_end: usize },
    /// "به نقل از X" / "X کے حوالے سے": X is the speaker, the sentence's reporter relays.
    RelayMarker { source_before: bool },
}

/// One cue: its kind, its words `[first, end)` and the span shown as the cue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cue {
    pub kind: CueKind,
    pub first: usize,
    pub end: usize,
    pub span: Span,
}

/// The cues of a sentence, left to right; words inside quotations never cue.
pub fn detect(words: &Words<'_>, quotes: &[Range<usize>]) -> Vec<Cue> {
    let lexicon = words.lexicon;
    let quoted = |i: usize| {
        let at = words.span(i).start;
        quotes.iter().any(|q| q.start < at && at < q.end)
    };
    let mut cues = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if quoted(i) {
            i += 1;
            continue;
        }
        let make = |kind, found: crate::words::Found| Cue {
            kind,
            first: i,
            end: i + found.len,
            span: Span::new(found.start, words.span(i + found.len - 1).end),
        };
        let cue = if let Some(found) = words.find(&lexicon.relay_verbs, i).and_then(|f| {
            let (saying, len) = (i + f.len..(i + MAX_RELAY_WORDS).min(words.len()))
                .find_map(|k| words.find(&lexicon.relay_saying, k).map(|s| (k, s.len)))?;
            Some((f, saying, len))
        }) {
            let (f, saying, len) = found;
            Some(make(CueKind::Relay { saying, saying_end: saying + len }, f))
        } else if let Some(f) = words.find(&lexicon.according_to, i) {
            Some(make(CueKind::AccordingTo { source_before: false }, f))
        } else if let Some(f) = words.find(&lexicon.according_to_after_source, i) {
            Some(make(CueKind::AccordingTo { source_before: true }, f))
        } else if let Some(f) = words.find(&lexicon.relay_markers, i) {
            Some(make(CueKind::RelayMarker { source_before: false }, f))
        } else if let Some(f) = words.find(&lexicon.relay_markers_after_source, i) {
            Some(make(CueKind::RelayMarker { source_before: true }, f))
        } else if let Some(f) = words.find(&lexicon.participles, i) {
            Some(make(CueKind::Participle, f))
        } else {
            words.find(&lexicon.verbs, i).map(|f| make(CueKind::Verb, f))
        };
        match cue {
            Some(cue) => {
                i = match cue.kind {
                    CueKind::Relay { saying_end, .. } => saying_end,
                    _ => cue.end,
                };
                cues.push(cue);
            }
            None => i += 1,
        }
    }
    cues
}
