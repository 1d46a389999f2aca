//! Mentions of possible sources in a sentence: named places and organisations, people (with their
//! title or role), unnamed sources ("دبلوماسي إيراني", "a senior official"), bare titles
//! ("the spokesman") and pronouns.

use qawl_core::{Language, Span};

mod nominal;
mod organization;
mod role;
#[cfg(test)]
mod tests;

use crate::gazetteer::Gazetteer;
use crate::words::Words;
use nominal::{anonymous, capitalized_run};
use organization::organization;
use role::titled;

/// Particles that belong to the family name they precede (normalised forms).
const NAME_PARTICLES: [&str; 12] = [
    "ابو", "بن", "ابن", "ال", "bin", "ibn", "al", "abu", "von", "van", "de", "del",
];

/// What a mention refers to.
#[derive(Debug, Clone, PartialEq)]
pub enum MentionKind {
    /// A gazetteer entity (index into the language's gazetteer).
    Named { entity: usize },
    /// An organisation named in the text but absent from the gazetteer ("Foreign Ministry").
    Organization,
    /// A person by name; `name` holds the normalised name words.
    Person {
        name: Vec<String>,
        role: Option<Span>,
    },
    /// An unnamed source: its head word, number and the words that qualify it.
    Anonymous {
        head: String,
        plural: bool,
        generic: bool,
        modifiers: Vec<String>,
    },
    /// A title without a name ("المتحدث", "the spokesman").
    Title { head: String },
    /// He, she, they.
    Pronoun,
}

/// One mention: the span shown to users, the words it covers (role included) and its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    pub span: Span,
    /// Word range `[first, end)` covered, role included.
    pub first: usize,
    pub end: usize,
    pub kind: MentionKind,
}

/// What mention detection needs besides the words.
#[derive(Debug)]
pub struct MentionContext<'a> {
    pub gazetteer: &'a Gazetteer,
    /// Surnames of the people met so far in the article, normalised.
    pub known_surnames: &'a [String],
    /// Full names (three words or more) of the people met so far.
    pub known_names: &'a [Vec<String>],
    pub modifiers_after_head: bool,
    pub cased: bool,
    /// For each word of the sentence, whether it belongs to a reporting cue.
    pub cue_words: &'a [bool],
    /// Person names a tagger found (article byte spans); empty without a tagger.
    pub tagged_people: &'a [Span],
    /// Organisation names a tagger found (article byte spans); empty without a tagger.
    pub tagged_organizations: &'a [Span],
}

/// Finds the mentions of a sentence, left to right, without overlaps.
pub fn detect(words: &Words<'_>, cx: &MentionContext<'_>) -> Vec<Mention> {
    let mut mentions: Vec<Mention> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if let Some(m) = named(words, cx, i) {
            i = m.end;
            mentions.push(m);
        } else if let Some(m) = titled(words, cx, i, &mut mentions) {
            i = m.end;
            mentions.push(m);
        } else if is_name_start(words, cx, i, false) {
            let end = name_end(words, cx, i);
            mentions.push(person(words, i, end, None));
            i = end;
        } else if let Some(m) = organization(words, cx, i, &mut mentions) {
            i = m.end;
            mentions.push(m);
        } else if let Some(m) = tagged_organization(words, cx, i) {
            i = m.end;
            mentions.push(m);
        } else if let Some(m) = capitalized_run(words, cx, i, &mut mentions) {
            i = m.end;
            mentions.push(m);
        } else if let Some(mut m) = surname(words, cx, i) {
            // "أبو السعود", "bin Salman", "von der Leyen": a name particle belongs to the surname.
            let free = mentions.last().map_or(0, |p| p.end);
            while m.first > free
                && words.adjacent(m.first - 1)
                && NAME_PARTICLES.contains(&words.norm(m.first - 1))
            {
                m.first -= 1;
                m.span = Span::new(words.span(m.first).start, m.span.end);
            }
            // "رجبی مشهدی" of "مصطفی رجبی مشهدی": a family name of several words.
            let surname_words = |name: &Vec<String>| name[1..].to_vec();
            for name in cx.known_names {
                let family = surname_words(name);
                let n = family.len();
                let matches = n >= 2
                    && m.first + 1 >= n
                    && m.first + 1 - n >= free
                    && (0..n).all(|k| words.norm(m.first + 1 - n + k) == family[k])
                    && (m.first + 1 - n..m.first).all(|k| words.adjacent(k));
                if matches {
                    m.first = m.first + 1 - n;
                    m.span = Span::new(words.span(m.first).start, m.span.end);
                    if let MentionKind::Person { name: found, .. } = &mut m.kind {
                        *found = family.clone();
                    }
                    break;
                }
            }
            i = m.end;
            mentions.push(m);
        } else if let Some(m) = anonymous(words, cx, i, &mut mentions) {
            i = m.end;
            mentions.push(m);
        } else if words.find(&words.lexicon.pronouns, i).is_some() {
            mentions.push(Mention {
                span: words.span(i),
                first: i,
                end: i + 1,
                kind: MentionKind::Pronoun,
            });
            i += 1;
        } else {
            i += 1;
        }
    }
    mentions
}

fn named(words: &Words<'_>, cx: &MentionContext<'_>, i: usize) -> Option<Mention> {
    cx.gazetteer
        .names
        .iter()
        .enumerate()
        .find_map(|(entity, names)| {
            let found = words.find(names, i)?;
            let end = i + found.len;
            // A gazetteer word inside a longer capitalised name is not the place ("Iran Air").
            Some(Mention {
                span: Span::new(found.start, words.span(end - 1).end),
                first: i,
                end,
                kind: MentionKind::Named { entity },
            })
        })
}

/// A word that is part of the vocabulary of reporting, so never part of a name.
pub(super) fn is_function_word(words: &Words<'_>, i: usize) -> bool {
    let lexicon = words.lexicon;
    let norm = words.norm(i);
    [
        &lexicon.stopwords,
        &lexicon.determiners,
        &lexicon.titles,
        &lexicon.role_words,
        &lexicon.verbs,
        &lexicon.participles,
        &lexicon.complementizers,
        &lexicon.relay_saying,
        &lexicon.relay_verbs,
        &lexicon.according_to,
        &lexicon.pronouns,
        &lexicon.anonymous_singular,
        &lexicon.anonymous_plural,
        &lexicon.organization_heads,
    ]
    .iter()
    .any(|set| set.contains_word(norm) || words.find(set, i).is_some())
}

pub(super) fn in_gazetteer(words: &Words<'_>, cx: &MentionContext<'_>, i: usize) -> bool {
    cx.gazetteer
        .names
        .iter()
        .any(|names| words.find(names, i).is_some())
}

pub(super) fn is_name_start(
    words: &Words<'_>,
    cx: &MentionContext<'_>,
    i: usize,
    after_title: bool,
) -> bool {
    let Some(token) = words.tokens.get(i) else {
        return false;
    };
    let given = words.find(words.given_names, i).is_some()
        || tagged_end(words, cx.tagged_people, i).is_some();
    // "علي" (Ali) and "على" (on) differ only in the dots of the final ya, which normalisation
    // folds; the dotted spelling of a given name is a name.
    let dotted_given = given && words.text[token.span.start..token.span.end].ends_with('\u{064A}');
    if (is_function_word(words, i) && !dotted_given) || in_gazetteer(words, cx, i) {
        return false;
    }
    if cx.cased {
        token.capitalized && (given || after_title)
    } else {
        given
    }
}

/// When one of the `tagged` names starts in word `i` (a clitic may precede it), the end
/// (exclusive) of its last word.
fn tagged_end(words: &Words<'_>, tagged: &[Span], i: usize) -> Option<usize> {
    let word = words.tokens.get(i)?.span;
    let name = tagged
        .iter()
        .find(|name| word.start <= name.start && name.start < word.end)?;
    (i..words.len())
        .take_while(|&k| words.span(k).start < name.end)
        .last()
        .map(|k| k + 1)
}

/// An organisation the tagger named where the lexicons know no head noun for it ("نوفاتيك",
/// "Greenpeace"): the tagger's span, cut to whole words, at most six.
fn tagged_organization(words: &Words<'_>, cx: &MentionContext<'_>, i: usize) -> Option<Mention> {
    if is_function_word(words, i) || in_gazetteer(words, cx, i) {
        return None;
    }
    let end = tagged_end(words, cx.tagged_organizations, i)?.min(i + 6);
    Some(Mention {
        span: Span::new(words.span(i).start, words.span(end - 1).end),
        first: i,
        end,
        kind: MentionKind::Organization,
    })
}

/// The end (exclusive) of the name that starts at word `i`.
pub(super) fn name_end(words: &Words<'_>, cx: &MentionContext<'_>, i: usize) -> usize {
    let max = if cx.cased { 4 } else { 3 };
    // A tagged name is taken whole, within the usual length.
    if let Some(end) = tagged_end(words, cx.tagged_people, i) {
        if end > i + 1 {
            return end.min(i + max);
        }
    }
    let mut end = i + 1;
    // "Pannier-Runacher", "O'Leary": hyphens and an apostrophe after one capital join names.
    let joined = |k: usize| {
        words.adjacent(k)
            || cx.cased && words.gap(k) == "-"
            || cx.cased && matches!(words.gap(k), "'" | "’") && words.norm(k).chars().count() == 1
    };
    while end < words.len() && end - i < max && joined(end - 1) {
        let definite = words
            .lexicon
            .definite_prefixes
            .iter()
            .any(|p| words.norm(end).starts_with(p.as_str()));
        // "وحميد": a clitic joined to a given name starts the next name of a list.
        if !cx.cased
            && words
                .find(words.given_names, end)
                .is_some_and(|f| f.start > words.span(end).start)
        {
            break;
        }
        let fits = if cx.cased {
            words.tokens[end].capitalized
                || matches!(
                    words.norm(end),
                    "bin" | "ibn" | "de" | "van" | "von" | "al" | "el"
                )
        } else {
            !is_function_word(words, end)
        };
        if !fits
            || is_function_word(words, end) && cx.cased && words.tokens[end].capitalized
            || in_gazetteer(words, cx, end)
        {
            break;
        }
        end += 1;
        // An Arabic family name may carry the article ("بدر البوسعيدي"); nothing follows it.
        if definite && !cx.cased {
            break;
        }
    }
    end
}

pub(super) fn person(words: &Words<'_>, first: usize, end: usize, role: Option<Span>) -> Mention {
    // A clitic on a given name ("وإسماعيل") stays out of the span; other names are taken as written.
    let start = words
        .find(words.given_names, first)
        .map_or(words.span(first).start, |f| f.start);
    Mention {
        span: Span::new(start, words.span(end - 1).end),
        first,
        end,
        kind: MentionKind::Person {
            name: (first..end).map(|k| words.norm(k).to_string()).collect(),
            role,
        },
    }
}

/// The normalised word at `i` without clitics or a written-on article.
pub(super) fn head_form(words: &Words<'_>, i: usize) -> String {
    let norm = words.norm(i);
    let forms = words.lexicon.stripped_forms(norm);
    for (_, form) in forms.iter().rev() {
        for article in &words.lexicon.definite_prefixes {
            if let Some(rest) = form.strip_prefix(article.as_str()) {
                if rest.chars().count() >= 2 {
                    return rest.to_string();
                }
            }
        }
    }
    forms.last().map_or(norm, |(_, f)| f).to_string()
}

fn surname(words: &Words<'_>, cx: &MentionContext<'_>, i: usize) -> Option<Mention> {
    let token = words.tokens.get(i)?;
    if cx.cased && !token.capitalized {
        return None;
    }
    let forms = words.lexicon.stripped_forms(&token.norm);
    forms.iter().find_map(|(stripped, form)| {
        let known = cx
            .known_surnames
            .iter()
            .any(|s| same_surname(s, form, words.language()));
        known.then(|| Mention {
            span: Span::new(
                crate::words::skip_letters(words.text, token.span, *stripped),
                token.span.end,
            ),
            first: i,
            end: i + 1,
            kind: MentionKind::Person {
                name: vec![form.to_string()],
                role: None,
            },
        })
    })
}

/// Surnames match exactly, or in inflecting languages by stem ("Захарова" / "Захаровой").
pub fn same_surname(known: &str, seen: &str, language: Language) -> bool {
    if known == seen {
        return true;
    }
    let inflecting = matches!(
        language,
        Language::Russian | Language::German | Language::Turkish
    );
    let (a, b) = (known.chars().count(), seen.chars().count());
    inflecting && a.min(b) >= 5 && {
        let stem = a.max(b) - 2;
        known.chars().take(stem).eq(seen.chars().take(stem)) && a.abs_diff(b) <= 2
    }
}
