//! Organisations named by their head noun: "commerce ministry", "وزارة الخارجية", "ministère des
//! Affaires étrangères", "Nachrichtenagentur dpa".

use qawl_core::Span;

use super::role::absorb_leading_place;
use super::{in_gazetteer, is_function_word, Mention, MentionContext, MentionKind};
use crate::words::Words;

/// An organisation named by its head: "commerce ministry", "وزارة الخارجية", "ministère des
/// Affaires étrangères". Head-final languages take the words before the head, others those after.
pub(super) fn organization(
    words: &Words<'_>,
    cx: &MentionContext<'_>,
    i: usize,
    before: &mut Vec<Mention>,
) -> Option<Mention> {
    let lexicon = words.lexicon;
    let found = words.find_head(&lexicon.organization_heads, i)?;
    let mut first = i;
    let mut end = i + found.len;
    let mut start = found.start;
    if cx.modifiers_after_head {
        end = name_tail(words, cx, end, i + 6);
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
        while end > i + found.len
            && (lexicon.stopwords.contains_word(words.norm(end - 1))
                || lexicon.determiners.contains_word(words.norm(end - 1)))
        {
            end -= 1;
        }
    } else {
        let taken = before.last().map_or(0, |m| m.end);
        while first > taken
            && i - first < 2
            && words.adjacent(first - 1)
            && !is_function_word(words, first - 1)
        {
            first -= 1;
            start = words.span(first).start;
        }
        absorb_leading_place(words, before, &mut first, &mut start);
        // An appositive name right after the head: "Nachrichtenagentur dpa", "agency Reuters".
        let appositive = |k: usize| {
            k < words.len()
                && words.adjacent(k - 1)
                && !lexicon.stopwords.contains_word(words.norm(k))
                && (!is_function_word(words, k) || lexicon.role_words.contains_word(words.norm(k)))
                && !in_gazetteer(words, cx, k)
                && !lexicon.modifiers.contains_word(words.norm(k))
        };
        let head_end = end;
        // German capitalises every noun: a lower-case appositive there is a short acronym
        // ("dpa", "dimap"), never a verb ("Ministeriums meldeten").
        // An adjective before a capitalised noun belongs too: "Verband kommunaler Unternehmen".
        let adjective_before_noun = |k: usize| {
            words.tokens.get(k + 1).is_some_and(|t| t.capitalized)
                && words.adjacent(k)
                && (lexicon.modifiers.contains_word(words.norm(k))
                    || ["er", "en", "es"]
                        .iter()
                        .any(|s| words.norm(k).ends_with(s)))
        };
        let fits = |k: usize| {
            !lexicon.compounds
                || words.tokens[k].capitalized
                || words.norm(k).chars().count() <= 5
                || adjective_before_noun(k)
        };
        // "Centers for Disease Control and Prevention": "for", "of", "and" between capitalised
        // words stay inside the name.
        let linked = |k: usize| {
            cx.cased
                && words.tokens.get(k + 1).is_some_and(|t| t.capitalized)
                && words.adjacent(k)
                && words.adjacent(k.saturating_sub(1))
                && (lexicon.role_words.contains_word(words.norm(k))
                    || super::role::is_conjunction(words.norm(k)))
        };
        while end + 1 < words.len()
            && end > head_end.saturating_sub(1)
            && linked(end)
            && words.tokens[end - 1].capitalized
        {
            end += 2;
            while end < words.len()
                && words.adjacent(end - 1)
                && words.tokens[end].capitalized
                && !is_function_word(words, end)
            {
                end += 1;
            }
        }
        while (appositive(end) || adjective_before_noun(end) && !in_gazetteer(words, cx, end))
            && end - head_end < 3
            && fits(end)
            && (end == head_end
                || words.tokens[end].capitalized
                || words.norm(end).chars().count() <= 5
                || adjective_before_noun(end))
        {
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

/// The words that continue an organisation's name after its head in head-initial languages:
/// role words, capitalised and definite words, lower-case words after a preposition of the name
/// ("Haut Conseil des finances publiques"), and a closing place ("استانداری تهران").
pub(super) fn name_tail(
    words: &Words<'_>,
    cx: &MentionContext<'_>,
    from: usize,
    max: usize,
) -> usize {
    let lexicon = words.lexicon;
    let mut after_preposition = false;
    let mut end = from;
    let joined = |k: usize| words.adjacent(k) || matches!(words.gap(k), "'" | "’");
    // Definite even behind a conjunction: "والإحصاء" is "و" + "الإحصاء".
    let definite = |k: usize| {
        k < words.len()
            && lexicon
                .stripped_forms(words.norm(k))
                .iter()
                .any(|(_, form)| {
                    lexicon
                        .definite_prefixes
                        .iter()
                        .any(|p| form.starts_with(p.as_str()))
                })
    };
    while end < words.len() && end < max && joined(end - 1) {
        // A place closes the name ("استانداری تهران"); an organisation inside it does not
        // ("منظمة الأمم المتحدة للطفولة").
        let entity = (0..cx.gazetteer.names.len())
            .find_map(|e| words.find(&cx.gazetteer.names[e], end).map(|f| (e, f.len)));
        if let Some((entity, len)) = entity {
            let place = cx
                .gazetteer
                .entities
                .get(entity)
                .is_some_and(|e| e.kind == qawl_core::SpeakerKind::Gpe);
            end += len;
            if place {
                return end;
            }
            continue;
        }
        // A construct chain runs on to its definite noun: "רשות שדות התעופה".
        let construct = definite(end + 1) && words.adjacent(end) && !is_function_word(words, end);
        let norm = words.norm(end);
        let role_word = lexicon.role_words.contains_word(norm);
        // Persian writes no articles or capitals: the ezafe chain runs on to a function word.
        let ezafe =
            !cx.cased && lexicon.definite_prefixes.is_empty() && !is_function_word(words, end);
        let fits = role_word
            || ezafe
            || construct
            || words.tokens[end].capitalized
            || definite(end)
            || (after_preposition && !is_function_word(words, end));
        if !fits {
            break;
        }
        after_preposition |= role_word
            && (lexicon.stopwords.contains_word(norm) || lexicon.determiners.contains_word(norm));
        end += 1;
    }
    end
}
