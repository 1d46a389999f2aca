//! Titles and roles: "متحدث وزارة الخارجية الإيرانية إسماعيل بقائي" is a person with a role,
//! "the spokesman" alone is a title that refers back to its holder.

use qawl_core::Span;

use super::{head_form, is_name_start, name_end, person, Mention, MentionContext, MentionKind};
use crate::words::Words;

/// Largest number of words between a title and the name it introduces ("متحدث وزارة الخارجية
/// الإيرانية إسماعيل بقائي").
const MAX_ROLE_WORDS: usize = 10;

/// Conjunctions that join the capitalised words of one ministry's name in cased scripts.
const CONJUNCTIONS: [&str; 7] = ["and", "ve", "und", "et", "y", "и", "و"];

pub(super) fn titled(
    words: &Words<'_>,
    cx: &MentionContext<'_>,
    i: usize,
    before: &mut Vec<Mention>,
) -> Option<Mention> {
    let lexicon = words.lexicon;
    let found = words.find_head(&lexicon.titles, i)?;
    let title_end = i + found.len;
    let mut role_start = found.start;
    let mut first = i;
    // Cased scripts put the ministry before the title: "Foreign Ministry spokesman", "Dışişleri
    // Bakanlığı Sözcüsü". Adjacent organisation or place mentions join the role (they are taken
    // off the list only when a person comes out of it).
    let mut absorbed = 0;
    if cx.cased {
        while let Some(last) = before.len().checked_sub(absorbed + 1).map(|k| &before[k]) {
            let joins = last.end == first
                && matches!(
                    last.kind,
                    MentionKind::Organization | MentionKind::Named { .. }
                )
                && words.adjacent(first - 1);
            if !joins {
                break;
            }
            role_start = last.span.start;
            first = last.first;
            absorbed += 1;
        }
        // …and so do capitalised words right before it: "Trade spokesman", "Çevre, Şehircilik ve
        // İklim Değişikliği Bakanı" (a coordination of capitalised words counts as one name).
        let taken = before
            .len()
            .checked_sub(absorbed + 1)
            .map_or(0, |k| before[k].end);
        let capital = |k: usize| {
            words.tokens[k].capitalized
                && !words.lexicon.determiners.contains_word(words.norm(k))
                && !words.lexicon.stopwords.contains_word(words.norm(k))
        };
        let title_first = first;
        loop {
            let joined_by_comma = first > taken
                && first < title_first
                && capital(first - 1)
                && words.gap(first - 1) == ",";
            let hyphenated = first > taken && words.gap(first - 1) == "-";
            if first > taken
                && (words.adjacent(first - 1) || joined_by_comma || hyphenated)
                && capital(first - 1)
            {
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
    // The name: the first given name within the window, else a capitalised word right after
    // the title ("spokesman Baghaei"); the role runs up to it.
    let mut adjacent_name = None;
    let mut j = title_end;
    while j < words.len() && j <= title_end + MAX_ROLE_WORDS {
        let gap = words.gap(j - 1);
        if !(gap.is_empty() || matches!(gap, "," | "،" | "-" | "'" | "’")) {
            break;
        }
        if is_name_start(words, cx, j, false) {
            adjacent_name = Some(j);
            break;
        }
        if j == title_end && is_name_start(words, cx, j, true) {
            adjacent_name = Some(j);
        }
        if ends_role(words, j) {
            break;
        }
        j += 1;
    }
    let apposed = adjacent_name
        .is_none()
        .then(|| apposed_name(words, cx, title_end))
        .flatten();
    if let Some((j, end)) = apposed {
        let role_end = words.span(j - 1).end;
        let mut m = person(words, j, end, Some(Span::new(role_start, role_end)));
        m.first = first;
        before.truncate(before.len() - absorbed);
        return Some(m);
    }
    if let Some(j) = adjacent_name {
        let end = name_end(words, cx, j);
        let role_end = words.span(j - 1).end;
        let mut m = person(words, j, end, Some(Span::new(role_start, role_end)));
        m.first = first;
        before.truncate(before.len() - absorbed);
        return Some(m);
    }
    // "Harold Daggett, president of the union, said": an appositive title gives the person
    // before it a role.
    if let Some(MentionKind::Person {
        role: role @ None, ..
    }) = before.last_mut().map(|m| &mut m.kind)
    {
        if words.gap(i.saturating_sub(1)) == "," && i > 0 {
            let mut end = title_end;
            while end < words.len()
                && end < title_end + MAX_ROLE_WORDS
                && words.gap(end - 1) != ","
                && !ends_role(words, end)
            {
                end += 1;
            }
            *role = Some(Span::new(found.start, words.span(end - 1).end));
            return None;
        }
    }
    // A title that also names an unnamed source ("conseiller", "official") is left to that reading,
    // which takes the adjectives that qualify it.
    let head = head_form(words, i);
    if lexicon.anonymous_singular.contains_word(&head)
        || lexicon.anonymous_plural.contains_word(&head)
    {
        return None;
    }
    before.truncate(before.len() - absorbed);
    // Head-final languages put a noun before a bare title: "otel müdürü", "hotel manager".
    let free = before.last().map_or(0, |m| m.end);
    if !cx.modifiers_after_head
        && first == i
        && first > free
        && words.adjacent(first - 1)
        && !super::is_function_word(words, first - 1)
        && !super::in_gazetteer(words, cx, first - 1)
        && !cx.cue_words.get(first - 1).copied().unwrap_or(false)
        && !words.tokens[first - 1].capitalized
    {
        first -= 1;
        role_start = words.span(first).start;
    }
    Some(Mention {
        span: Span::new(role_start, words.span(title_end - 1).end),
        first,
        end: title_end,
        kind: MentionKind::Title { head },
    })
}

/// "the president of the federation, Laurence Viguier, said": two or three name words set off by
/// commas right after the role are the name, even when no given name is known. The second comma
/// (or a reporting word) must close them.
fn apposed_name(
    words: &Words<'_>,
    cx: &MentionContext<'_>,
    title_end: usize,
) -> Option<(usize, usize)> {
    let comma = |k: usize| matches!(words.gap(k), "," | "،");
    let last = (title_end + MAX_ROLE_WORDS).min(words.len().saturating_sub(1));
    for j in title_end..=last {
        if j == 0 || ends_role(words, j - 1) && j > title_end {
            return None;
        }
        // Urdu sets no comma: "صدر اجمل بلوچ نے کہا" — the ergative marker closes the name.
        let marked = j == title_end && !words.lexicon.subject_markers.phrases_empty();
        if !comma(j - 1) && !marked {
            continue;
        }
        let name_word = |k: usize| {
            !super::is_function_word(words, k)
                && !super::in_gazetteer(words, cx, k)
                && (!cx.cased || words.tokens[k].capitalized)
        };
        let mut end = j;
        while end < words.len()
            && end - j < 3
            && name_word(end)
            && (end == j || words.adjacent(end - 1) || words.gap(end - 1) == "-")
        {
            end += 1;
        }
        let closed = end < words.len()
            && (comma(end - 1)
                || cx.cue_words.get(end).copied().unwrap_or(false)
                || words.lexicon.subject_markers.contains_word(words.norm(end)));
        return (end - j >= 2 && closed).then_some((j, end));
    }
    None
}

/// The role stops at the vocabulary of reporting and at plain function words.
fn ends_role(words: &Words<'_>, j: usize) -> bool {
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
    // "ministro de Industria y Turismo": a conjunction between capitalised words stays inside.
    let joins_names = CONJUNCTIONS.contains(&words.norm(j))
        && words.tokens.get(j + 1).is_some_and(|t| {
            t.capitalized || !t.norm.chars().any(|c| c.is_lowercase() || c.is_uppercase())
        });
    let plain_function = lexicon.stopwords.contains_word(words.norm(j))
        && words.find(&lexicon.role_words, j).is_none()
        && !joins_names;
    reporting || plain_function
}

/// A country name right before an organisation's name is part of it ("Türkiye Müteahhitler
/// Birliği", "Iran Air"): the place mention is folded into the organisation.
pub(super) fn absorb_leading_place(
    words: &Words<'_>,
    before: &mut Vec<Mention>,
    first: &mut usize,
    start: &mut usize,
) {
    if let Some(last) = before.last() {
        // "U.S. Department of…": the dot of an abbreviation does not separate.
        let abbreviated = *first > 0
            && words.gap(*first - 1) == "."
            && words.norm(*first - 1).chars().count() == 1;
        if last.end == *first
            && *first > 0
            && (words.adjacent(*first - 1) || words.gap(*first - 1) == "-" || abbreviated)
            && matches!(last.kind, MentionKind::Named { .. })
        {
            *first = last.first;
            *start = last.span.start;
            before.pop();
        }
    }
}

/// A conjunction that may join the words of one name.
pub(super) fn is_conjunction(word: &str) -> bool {
    CONJUNCTIONS.contains(&word)
}
