//! Mentions of possible sources in a sentence: named places and organisations, people (with their
//! title or role), unnamed sources ("دبلوماسي إيراني", "a senior official"), bare titles
//! ("the spokesman") and pronouns.

use qawl_core::{Language, Span};

use crate::gazetteer::Gazetteer;
use crate::words::Words;

/// Largest number of words between a title and the name it introduces ("متحدث وزارة الخارجية
/// الإيرانية إسماعيل بقائي").
const MAX_ROLE_WORDS: usize = 7;

/// Conjunctions that join the capitalised words of one ministry's name in cased scripts.
const CONJUNCTIONS: [&str; 6] = ["and", "ve", "und", "et", "y", "и"];

/// What a mention refers to.
#[derive(Debug, Clone, PartialEq)]
pub enum MentionKind {
    /// A gazetteer entity (index into the language's gazetteer).
    Named { entity: usize },
    /// An organisation named in the text but absent from the gazetteer ("Foreign Ministry").
    Organization,
    /// A person by name; `name` holds the normalised name words.
    Person { name: Vec<String>, role: Option<Span> },
    /// An unnamed source: its head word, number and the words that qualify it.
    Anonymous { head: String, plural: bool, generic: bool, modifiers: Vec<String> },
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
    pub modifiers_after_head: bool,
    pub cased: bool,
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
        } else if let Some(m) = capitalized_run(words, cx, i, &mut mentions) {
            i = m.end;
            mentions.push(m);
        } else if let Some(m) = surname(words, cx, i) {
            i = m.end;
            mentions.push(m);
        } else if let Some(m) = anonymous(words, cx, i, &mentions) {
            i = m.end;
            mentions.push(m);
        } else if words.find(&words.lexicon.pronouns, i).is_some() {
            mentions.push(Mention { span: words.span(i), first: i, end: i + 1, kind: MentionKind::Pronoun });
            i += 1;
        } else {
            i += 1;
        }
    }
    mentions
}

fn named(words: &Words<'_>, cx: &MentionContext<'_>, i: usize) -> Option<Mention> {
    cx.gazetteer.names.iter().enumerate().find_map(|(entity, names)| {
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
fn is_function_word(words: &Words<'_>, i: usize) -> bool {
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

fn in_gazetteer(words: &Words<'_>, cx: &MentionContext<'_>, i: usize) -> bool {
    cx.gazetteer.names.iter().any(|names| words.find(names, i).is_some())
}

fn is_name_start(words: &Words<'_>, cx: &MentionContext<'_>, i: usize, after_title: bool) -> bool {
    let Some(token) = words.tokens.get(i) else {
        return false;
    };
    let given = words.find(words.given_names, i).is_some();
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

/// The end (exclusive) of the name that starts at word `i`.
fn name_end(words: &Words<'_>, cx: &MentionContext<'_>, i: usize) -> usize {
    let max = if cx.cased { 4 } else { 3 };
    let mut end = i + 1;
    let joined = |k: usize| words.adjacent(k) || cx.cased && words.gap(k) == "-";
    while end < words.len() && end - i < max && joined(end - 1) {
        let definite = words
            .lexicon
            .definite_prefixes
            .iter()
            .any(|p| words.norm(end).starts_with(p.as_str()));
        // "وحميد": a clitic joined to a given name starts the next name of a list.
        if !cx.cased && words.find(words.given_names, end).is_some_and(|f| f.start > words.span(end).start) {
            break;
        }
        let fits = if cx.cased {
            words.tokens[end].capitalized || matches!(words.norm(end), "bin" | "ibn" | "de" | "van" | "von" | "al" | "el")
        } else {
            !is_function_word(words, end)
        };
        if !fits || is_function_word(words, end) && cx.cased && words.tokens[end].capitalized || in_gazetteer(words, cx, end) {
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

fn person(words: &Words<'_>, first: usize, end: usize, role: Option<Span>) -> Mention {
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

fn titled(words: &Words<'_>, cx: &MentionContext<'_>, i: usize, before: &mut Vec<Mention>) -> Option<Mention> {
    let (found, _) = words
        .find(&words.lexicon.titles, i)
        .map(|f| (f, false))
        .or_else(|| words.find_word_definite(&words.lexicon.titles, i))?;
    let title_end = i + found.len;
    let mut role_start = found.start;
    let mut first = i;
    // Cased scripts put the ministry before the title: "Foreign Ministry spokesman", "Dışişleri
    // Bakanlığı Sözcüsü". Adjacent organisation or place mentions join the role.
    if cx.cased {
        while let Some(last) = before.last() {
            let joins = last.end == first
                && matches!(last.kind, MentionKind::Organization | MentionKind::Named { .. })
                && words.adjacent(first - 1);
            if !joins {
                break;
            }
            role_start = last.span.start;
            first = last.first;
            before.pop();
        }
        // …and so do capitalised words right before it: "Trade spokesman", "Çevre, Şehircilik ve
        // İklim Değişikliği Bakanı" (a coordination of capitalised words counts as one name).
        let taken = before.last().map_or(0, |m| m.end);
        let capital = |k: usize| {
            words.tokens[k].capitalized
                && !words.lexicon.determiners.contains_word(words.norm(k))
                && !words.lexicon.stopwords.contains_word(words.norm(k))
        };
        let title_first = first;
        loop {
            let joined_by_comma = first > taken && first < title_first && capital(first - 1) && words.gap(first - 1) == ",";
            if first > taken && (words.adjacent(first - 1) || joined_by_comma) && capital(first - 1) {
                first -= 1;
            } else if first > taken + 1
                && first < title_first
                && CONJUNCTIONS.contains(&words.norm(first - 1))
                && words.adjacent(first - 1)
                && words.adjacent(first - 2)
                && capital(first - 2)
            {
                first -= 2;
            } else {
                break;
            }
            role_start = words.span(first).start;
        }
    }
    let mut j = title_end;
    while j < words.len() && j <= title_end + MAX_ROLE_WORDS {
        let gap = words.gap(j - 1);
        if !(gap.is_empty() || gap == "," || gap == "،" || gap == "-") {
            break;
        }
        // Right after the title any capitalised word is a name ("spokesman Baghaei"); further on,
        // past the role's own capitalised words ("ministère des Transports"), a given name is needed.
        if is_name_start(words, cx, j, j == title_end) {
            let end = name_end(words, cx, j);
            let role_end = words.span(j - 1).end;
            let mut m = person(words, j, end, Some(Span::new(role_start, role_end)));
            m.first = first;
            return Some(m);
        }
        // The role runs on over any word but the vocabulary of reporting and plain function
        // words; it only counts when a name closes it within the window.
        let lexicon = words.lexicon;
        let reporting = [
            &lexicon.verbs,
            &lexicon.participles,
            &lexicon.complementizers,
            &lexicon.according_to,
            &lexicon.relay_verbs,
            &lexicon.relay_saying,
            &lexicon.pronouns,
        ]
        .iter()
        .any(|set| words.find(set, j).is_some());
        let plain_function = lexicon.stopwords.contains_word(words.norm(j))
            && words.find(&lexicon.role_words, j).is_none();
        if reporting || plain_function {
            break;
        }
        j += 1;
    }
    Some(Mention {
        span: Span::new(role_start, words.span(title_end - 1).end),
        first,
        end: title_end,
        kind: MentionKind::Title { head: head_form(words, i) },
    })
}

/// The normalised word at `i` without clitics or a written-on article.
fn head_form(words: &Words<'_>, i: usize) -> String {
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

fn capitalized_run(words: &Words<'_>, cx: &MentionContext<'_>, i: usize, before: &mut Vec<Mention>) -> Option<Mention> {
    if !cx.cased {
        return None;
    }
    let lexicon = words.lexicon;
    let usable = |k: usize| {
        words.tokens.get(k).is_some_and(|t| t.capitalized)
            && !in_gazetteer(words, cx, k)
            && (!is_function_word(words, k)
                || lexicon.organization_heads.contains_word(words.norm(k))
                || lexicon.role_words.contains_word(words.norm(k)))
            && !lexicon.titles.contains_word(words.norm(k))
            && !lexicon.determiners.contains_word(words.norm(k))
            && !lexicon.stopwords.contains_word(words.norm(k))
    };
    let mut end = i;
    while usable(end) && (end == i || words.adjacent(end - 1)) && end - i < 5 {
        end += 1;
    }
    if end - i < 2 {
        return None;
    }
    let organization = (i..end).any(|k| lexicon.organization_heads.contains_word(words.norm(k)));
    if organization {
        let (mut first, mut start) = (i, words.span(i).start);
        absorb_leading_place(words, before, &mut first, &mut start);
        return Some(Mention {
            span: Span::new(start, words.span(end - 1).end),
            first,
            end,
            kind: MentionKind::Organization,
        });
    }
    // Capitalised common nouns (German) are not names: a person's name opens with a given name.
    words.find(words.given_names, i)?;
    Some(person(words, i, end, None))
}

fn surname(words: &Words<'_>, cx: &MentionContext<'_>, i: usize) -> Option<Mention> {
    let token = words.tokens.get(i)?;
    if cx.cased && !token.capitalized {
        return None;
    }
    let forms = words.lexicon.stripped_forms(&token.norm);
    forms.iter().find_map(|(stripped, form)| {
        let known = cx.known_surnames.iter().any(|s| same_surname(s, form, words.language()));
        known.then(|| Mention {
            span: Span::new(crate::words::skip_letters(words.text, token.span, *stripped), token.span.end),
            first: i,
            end: i + 1,
            kind: MentionKind::Person { name: vec![form.to_string()], role: None },
        })
    })
}

/// Surnames match exactly, or in inflecting languages by stem ("Захарова" / "Захаровой").
pub fn same_surname(known: &str, seen: &str, language: Language) -> bool {
    if known == seen {
        return true;
    }
    let inflecting = matches!(language, Language::Russian | Language::German | Language::Turkish);
    let (a, b) = (known.chars().count(), seen.chars().count());
    inflecting && a.min(b) >= 5 && {
        let stem = a.max(b) - 2;
        known.chars().take(stem).eq(seen.chars().take(stem)) && a.abs_diff(b) <= 2
    }
}

fn anonymous(words: &Words<'_>, cx: &MentionContext<'_>, i: usize, before: &[Mention]) -> Option<Mention> {
    let lexicon = words.lexicon;
    let (found, plural) = words
        .find_word_definite(&lexicon.anonymous_singular, i)
        .map(|(f, _)| (f, false))
        .or_else(|| words.find_word_definite(&lexicon.anonymous_plural, i).map(|(f, _)| (f, true)))?;
    let head = head_form(words, i);
    let generic = lexicon.anonymous_generic.contains_word(&head);
    let mut modifiers = Vec::new();
    let mut start = found.start;
    let mut first = i;
    let mut end = i + 1;
    let is_modifier = |k: usize| {
        let form = head_form(words, k);
        lexicon.modifiers.contains_word(words.norm(k))
            || lexicon.modifiers.contains_word(&form)
            || (words.language() == Language::Arabic && is_nisba(&form))
    };
    let joined = |k: usize| matches!(words.gap(k), "" | "-");
    if cx.modifiers_after_head {
        while end < words.len() && joined(end - 1) && end - i <= 3 && is_modifier(end) {
            modifiers.push(head_form(words, end));
            end += 1;
        }
    } else {
        let taken = before.last().map_or(0, |m| m.end);
        let determiner = |k: usize| lexicon.determiners.contains_word(words.norm(k));
        let mut k = first;
        // Modifiers and an article between them: "üst düzey bir yetkili", "a senior official".
        while k > taken && joined(k - 1) && i - k < 4 && (is_modifier(k - 1) || determiner(k - 1)) {
            k -= 1;
            if is_modifier(k) {
                first = k;
                start = words.span(k).start;
                modifiers.push(head_form(words, k));
            }
        }
    }
    Some(Mention {
        span: Span::new(start, words.span(end - 1).end),
        first,
        end,
        kind: MentionKind::Anonymous { head, plural, generic, modifiers },
    })
}

/// Arabic relational adjectives end in ي / ية (normalised ی / یه): "إيراني", "دبلوماسية".
fn is_nisba(form: &str) -> bool {
    form.chars().count() >= 4 && (form.ends_with('ی') || form.ends_with("یه") || form.ends_with("یون") || form.ends_with("یین"))
}

/// An organisation named by its head: "commerce ministry", "وزارة الخارجية", "ministère des
/// Affaires étrangères". Head-final languages take the words before the head, others those after.
fn organization(words: &Words<'_>, cx: &MentionContext<'_>, i: usize, before: &mut Vec<Mention>) -> Option<Mention> {
    let lexicon = words.lexicon;
    let found = words
        .find(&lexicon.organization_heads, i)
        .or_else(|| words.find_word_definite(&lexicon.organization_heads, i).map(|(f, _)| f))?;
    let mut first = i;
    let mut end = i + found.len;
    let mut start = found.start;
    if cx.modifiers_after_head {
        let belongs = |k: usize| {
            lexicon.role_words.contains_word(words.norm(k))
                || words.tokens[k].capitalized
                || lexicon.definite_prefixes.iter().any(|p| words.norm(k).starts_with(p.as_str()))
        };
        while end < words.len() && end - i < 6 && words.adjacent(end - 1) {
            // A place ends the name it closes: "بنك ישראל", "استانداری تهران".
            if in_gazetteer(words, cx, end) {
                end += 1;
                break;
            }
            if !belongs(end) {
                break;
            }
            end += 1;
        }
        // An appositive name right after the head: "خبرگزاری ایرنا".
        if end == i + found.len
            && end < words.len()
            && words.adjacent(end - 1)
            && !is_function_word(words, end)
            && !lexicon.modifiers.contains_word(words.norm(end))
        {
            end += 1;
        }
        // "du ministère des": a trailing function word is not part of the name.
        while end > i + found.len && lexicon.stopwords.contains_word(words.norm(end - 1)) {
            end -= 1;
        }
    } else {
        let taken = before.last().map_or(0, |m| m.end);
        while first > taken && i - first < 2 && words.adjacent(first - 1) && !is_function_word(words, first - 1) {
            first -= 1;
            start = words.span(first).start;
        }
        absorb_leading_place(words, before, &mut first, &mut start);
        // An appositive name right after the head: "Nachrichtenagentur dpa", "agency Reuters".
        let appositive = |k: usize| {
            k < words.len()
                && words.adjacent(k - 1)
                && (!is_function_word(words, k) || lexicon.role_words.contains_word(words.norm(k)))
                && !in_gazetteer(words, cx, k)
                && !lexicon.modifiers.contains_word(words.norm(k))
        };
        let head_end = end;
        while appositive(end) && end - head_end < 3 && (end == head_end || words.tokens[end].capitalized) {
            end += 1;
        }
    }
    Some(Mention {
        span: Span::new(start, words.span(end - 1).end),
        first,
        end,
        kind: MentionKind::Organization,
    })
}

/// A country name right before an organisation's name is part of it ("Türkiye Müteahhitler
/// Birliği", "Iran Air"): the place mention is folded into the organisation.
fn absorb_leading_place(words: &Words<'_>, before: &mut Vec<Mention>, first: &mut usize, start: &mut usize) {
    if let Some(last) = before.last() {
        if last.end == *first && *first > 0 && words.adjacent(*first - 1) && matches!(last.kind, MentionKind::Named { .. }) {
            *first = last.first;
            *start = last.span.start;
            before.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gazetteer::{given_names, Gazetteer};
    use crate::lexicon::Lexicon;

    fn mentions(text: &str, language: Language) -> Vec<(String, String)> {
        let lexicon = Lexicon::embedded(language).expect("lexicon parses");
        let gazetteer = Gazetteer::embedded(language).expect("gazetteer parses");
        let names = given_names(language).expect("names parse");
        let words = Words::new(text, Span::new(0, text.len()), &lexicon, &names);
        let cx = MentionContext {
            gazetteer: &gazetteer,
            known_surnames: &[],
            modifiers_after_head: lexicon.modifiers_after_head,
            cased: !matches!(language, Language::Arabic | Language::Persian | Language::Urdu | Language::Hebrew),
        };
        detect(&words, &cx)
            .into_iter()
            .map(|m| {
                let kind = match m.kind {
                    MentionKind::Person { role: Some(role), .. } => format!("person, role {}", &text[role.start..role.end]),
                    other => format!("{other:?}").split([' ', '{']).next().unwrap_or_default().to_lowercase(),
                };
                (text[m.span.start..m.span.end].to_string(), kind)
            })
            .collect()
    }

    #[test]
    fn a_title_splits_from_the_name_it_introduces() {
        let found = mentions("ونقلت مصادر عن متحدث وزارة الخارجية الإيرانية إسماعيل بقائي قوله إن", Language::Arabic);
        assert!(found.contains(&("إسماعيل بقائي".into(), "person, role متحدث وزارة الخارجية الإيرانية".into())), "{found:?}");
        let found = mentions("ذرائع نے وزیر اعظم شہباز شریف کے حوالے سے بتایا", Language::Urdu);
        assert!(found.contains(&("شہباز شریف".into(), "person, role وزیر اعظم".into())), "{found:?}");
        let found = mentions("Foreign Ministry spokesman Esmaeil Baghaei said", Language::English);
        assert!(found.contains(&("Esmaeil Baghaei".into(), "person, role Foreign Ministry spokesman".into())), "{found:?}");
    }

    #[test]
    fn unnamed_sources_take_their_qualifiers() {
        let found = mentions("كشف دبلوماسي إيراني عن طلب", Language::Arabic);
        assert_eq!(found, [("دبلوماسي إيراني".to_string(), "anonymous".to_string())]);
        let found = mentions("a senior Iranian official said", Language::English);
        assert_eq!(found, [("senior Iranian official".to_string(), "anonymous".to_string())]);
    }
}
