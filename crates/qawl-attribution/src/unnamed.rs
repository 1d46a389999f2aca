//! Unnamed sources the lexicons do not list: "A farmer said", "Una estudiante contó", "وذكر مهندس
//! أن…". When a reporting verb has no known subject, the noun phrase where its subject stands —
//! an indefinite noun opening the clause, or (verb-subject languages) the indefinite noun right
//! after the verb — becomes an unnamed source.

use crate::cue::CueKind;
use crate::mention::{Mention, MentionKind};
use crate::source::Parsed;

/// Most words of a synthesized source phrase.
const MAX_WORDS: usize = 3;

/// Adds a mention for each reporting verb whose subject no rule found.
pub fn synthesize_subjects(parsed: &mut Parsed<'_>) {
    for k in 0..parsed.cues.len() {
        let c = parsed.cues[k];
        if c.kind != CueKind::Verb || parsed.subject(k).is_some() {
            continue;
        }
        let floor = parsed.cues[..k]
            .iter()
            .rev()
            .find(|p| !matches!(p.kind, CueKind::RelayMarker { .. }))
            .map_or(0, |p| p.end);
        let found =
            indefinite_opening(parsed, floor, c.first).or_else(|| noun_after_verb(parsed, c.end));
        if let Some((first, end)) = found {
            if parsed
                .mentions
                .iter()
                .any(|m| m.first < end && first < m.end)
            {
                continue;
            }
            let words = &parsed.words;
            // A capitalised name in the subject's place is an organisation ("Гидрометцентр").
            let named =
                words.tokens[first].capitalized && words.find(words.given_names, first).is_none();
            let anonymous = MentionKind::Anonymous {
                head: words.norm(first).to_string(),
                plural: false,
                generic: false,
                modifiers: (first + 1..end)
                    .map(|w| words.norm(w).to_string())
                    .collect(),
            };
            let mention = Mention {
                span: words.range(first, end),
                first,
                end,
                kind: if named {
                    MentionKind::Organization
                } else {
                    anonymous
                },
            };
            let at = parsed.mentions.partition_point(|m| m.first < first);
            parsed.mentions.insert(at, mention);
        }
    }
}

fn is_function(parsed: &Parsed<'_>, w: usize) -> bool {
    let lexicon = parsed.words.lexicon;
    [
        &lexicon.stopwords,
        &lexicon.determiners,
        &lexicon.complementizers,
        &lexicon.weak_complementizers,
        &lexicon.verbs,
        &lexicon.participles,
        &lexicon.pronouns,
        &lexicon.according_to,
        &lexicon.subject_markers,
    ]
    .iter()
    .any(|set| parsed.words.find(set, w).is_some())
}

/// "Una estudiante de Madrid contó…": an indefinite article opening the clause, then the noun
/// (and, head-final, the nouns up to the last before a preposition: "üniversite öğrencisi").
fn indefinite_opening(parsed: &Parsed<'_>, floor: usize, verb: usize) -> Option<(usize, usize)> {
    let words = &parsed.words;
    let lexicon = words.lexicon;
    let mut start = floor;
    // A conjunction or a sentence adverb may come first; the article must be within two words.
    while start < verb
        && start < floor + 2
        && !lexicon
            .indefinite_determiners
            .contains_word(words.norm(start))
    {
        start += 1;
    }
    if start >= verb
        || !lexicon
            .indefinite_determiners
            .contains_word(words.norm(start))
    {
        return None;
    }
    let first = start + 1;
    let mut end = first;
    while end < verb
        && end - first < MAX_WORDS
        && !is_function(parsed, end)
        && (end == first || words.adjacent(end - 1))
    {
        end += 1;
        // Head-initial languages: the head noun is first; adjectives may follow it (Persian ezafe:
        // any noun: "دانشجوی رشته پزشکی").
        let ezafe =
            lexicon.definite_prefixes.is_empty() && !words.tokens.iter().any(|t| t.capitalized);
        if lexicon.modifiers_after_head && !ezafe && !qualifies(parsed, end) {
            break;
        }
    }
    (end > first).then_some((first, end))
}

fn qualifies(parsed: &Parsed<'_>, w: usize) -> bool {
    let lexicon = parsed.words.lexicon;
    let norm = parsed.words.norm(w);
    w < parsed.words.len()
        && (lexicon.modifiers.contains_word(norm)
            || lexicon
                .adjective_suffixes
                .iter()
                .any(|s| norm.ends_with(s.as_str()) && norm.chars().count() >= 5))
}

/// "وذكر مهندس في الميناء أن…": in verb-subject languages an indefinite noun right after the
/// verb (no article written onto it) is the subject; in any cased language, a capitalised name.
fn noun_after_verb(parsed: &Parsed<'_>, after: usize) -> Option<(usize, usize)> {
    let words = &parsed.words;
    let lexicon = words.lexicon;
    if after >= words.len()
        || !words.adjacent(after.saturating_sub(1))
        || is_function(parsed, after)
    {
        return None;
    }
    // ", сообщил Гидрометцентр": a capitalised name right after the verb, in any language.
    if words.tokens[after].capitalized {
        return Some((after, after + 1));
    }
    if !lexicon.subject_after_verb {
        return None;
    }
    let definite = lexicon
        .stripped_forms(words.norm(after))
        .iter()
        .any(|(_, f)| {
            lexicon
                .definite_prefixes
                .iter()
                .any(|p| f.starts_with(p.as_str()))
        });
    if definite {
        return None;
    }
    let mut end = after + 1;
    while end < words.len()
        && end - after < MAX_WORDS
        && words.adjacent(end - 1)
        && qualifies(parsed, end)
    {
        end += 1;
    }
    Some((after, end))
}
