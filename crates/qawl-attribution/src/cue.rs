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
    /// "according to him" in one word ("לדבריו"): the source is the person last spoken of.
    AccordingToPronoun,
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
            Some(make(
                CueKind::Relay {
                    saying,
                    saying_end: saying + len,
                },
                f,
            ))
        } else if let Some(f) = words.find(&lexicon.according_to, i) {
            Some(make(
                CueKind::AccordingTo {
                    source_before: false,
                },
                f,
            ))
        } else if let Some(f) = words.find(&lexicon.according_to_pronominal, i) {
            Some(make(CueKind::AccordingToPronoun, f))
        } else if let Some(f) = words.find(&lexicon.according_to_after_source, i) {
            Some(make(
                CueKind::AccordingTo {
                    source_before: true,
                },
                f,
            ))
        } else if let Some(f) = words.find(&lexicon.relay_markers, i) {
            Some(make(
                CueKind::RelayMarker {
                    source_before: false,
                },
                f,
            ))
        } else if let Some(f) = words.find(&lexicon.relay_markers_after_source, i) {
            Some(make(
                CueKind::RelayMarker {
                    source_before: true,
                },
                f,
            ))
        } else if let Some(f) = words.find(&lexicon.participles, i) {
            Some(make(CueKind::Participle, f))
        } else {
            // "was declared eliminated": a passive reports nothing.
            let passive = i > 0 && lexicon.passive_auxiliaries.contains_word(words.norm(i - 1));
            words
                .find(&lexicon.verbs, i)
                .filter(|_| !passive)
                .map(|f| make(CueKind::Verb, f))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexicon::{lexicon_source, Lexicon, LexiconFile, PhraseSet};
    use crate::token::normalize_phrase;
    use qawl_core::Language;

    /// The cues found in `text`, as (kind name, normalised cue words).
    fn cues(text: &str, lexicon: &Lexicon) -> Vec<(String, Vec<String>)> {
        let names = PhraseSet::default();
        let words = Words::new(text, Span::new(0, text.len()), lexicon, &names);
        detect(&words, &[])
            .into_iter()
            .map(|c| {
                let kind = format!("{:?}", c.kind)
                    .split([' ', '{'])
                    .next()
                    .unwrap_or_default()
                    .to_string();
                (
                    kind,
                    normalize_phrase(&text[c.span.start..c.span.end], lexicon.language),
                )
            })
            .collect()
    }

    /// Every entry of every lexicon is found as a cue of its kind in a sentence made around it.
    #[test]
    fn every_lexicon_entry_is_found_in_a_sentence() {
        let mut missed = Vec::new();
        for language in Language::ALL {
            let (file, source) = lexicon_source(language);
            let raw: LexiconFile = toml::from_str(source).unwrap_or_else(|e| panic!("{file}: {e}"));
            let lexicon = Lexicon::from_file(&raw, language);
            let saying = raw.relay_saying.first().cloned().unwrap_or_default();
            let mut check = |kind: &str, entry: &str, text: String| {
                let wanted = normalize_phrase(entry, language);
                if !cues(&text, &lexicon)
                    .iter()
                    .any(|(k, words)| k == kind && *words == wanted)
                {
                    missed.push(format!("{file}: {kind} {entry:?} in {text:?}"));
                }
            };
            for verb in &raw.verbs {
                check("Verb", verb, format!("Xx {verb} yy zz."));
                // Arabic and Hebrew write "and" onto the verb: "وقال", "ואמר".
                if let Some(clitic) = raw.clitic_prefixes.first() {
                    check("Verb", verb, format!("Xx {clitic}{verb} yy zz."));
                }
            }
            for participle in &raw.participles {
                check(
                    "Participle",
                    participle,
                    format!("Xx yy, {participle} zz ww."),
                );
            }
            for phrase in &raw.according_to {
                check("AccordingTo", phrase, format!("{phrase} Xx, yy zz."));
            }
            for phrase in &raw.according_to_pronominal {
                check("AccordingToPronoun", phrase, format!("{phrase}, Xx yy zz."));
            }
            for phrase in &raw.according_to_after_source {
                check("AccordingTo", phrase, format!("Xx {phrase} yy zz."));
            }
            for phrase in &raw.relay_markers {
                check("RelayMarker", phrase, format!("Xx {phrase} yy zz."));
            }
            for phrase in &raw.relay_markers_after_source {
                check("RelayMarker", phrase, format!("Xx yy {phrase} zz."));
            }
            for verb in &raw.relay_verbs {
                check("Relay", verb, format!("Xx {verb} yy {saying} zz ww."));
            }
        }
        assert!(
            missed.is_empty(),
            "{} entries not found:\n{}",
            missed.len(),
            missed.join("\n")
        );
    }

    #[test]
    fn a_relay_needs_its_saying_phrase() {
        let lexicon = Lexicon::embedded(Language::Arabic).expect("lexicon parses");
        let relayed = cues("ونقلت مصادر عن المتحدث قوله إن المحادثات انتهت", &lexicon);
        assert_eq!(relayed.first().map(|(k, _)| k.as_str()), Some("Relay"));
        let plain = cues("ونقلت الطائرة المساعدات إلى المدينة", &lexicon);
        assert!(plain.is_empty(), "{plain:?}");
    }

    #[test]
    fn words_inside_quotations_never_cue() {
        let lexicon = Lexicon::embedded(Language::English).expect("lexicon parses");
        let text = "\"He said nothing new,\" she added.";
        let names = PhraseSet::default();
        let words = Words::new(text, Span::new(0, text.len()), &lexicon, &names);
        let quotes = crate::segment::protected_ranges(text);
        let found: Vec<_> = detect(&words, &quotes)
            .iter()
            .map(|c| &text[c.span.start..c.span.end])
            .collect();
        assert_eq!(found, ["added"]);
    }
}
