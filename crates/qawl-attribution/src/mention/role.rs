//! Titles and roles: "متحدث وزارة الخارجية الإيرانية إسماعيل بقائي" is a person with a role,
//! "the spokesman" alone is a title that refers back to its holder.

use qawl_core::Span;

use super::{head_form, is_name_start, name_end, person, Mention, MentionContext, MentionKind};
use crate::words::Words;

/// Largest number of words between a title and the name it introduces ("متحدث وزارة الخارجية
/// الإيرانية إسماعيل بقائي").
const MAX_ROLE_WORDS: usize = 7;

/// Conjunctions that join the capitalised words of one ministry's name in cased scripts.
const CONJUNCTIONS: [&str; 6] = ["and", "ve", "und", "et", "y", "и"];

pub(super) fn titled(
    words: &Words<'_>,
    cx: &MentionContext<'_>,
    i: usize,
    before: &mut Vec<Mention>,
) -> Option<Mention> {
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
            let joined_by_comma = first > taken
                && first < title_first
                && capital(first - 1)
                && words.gap(first - 1) == ",";
            if first > taken && (words.adjacent(first - 1) || joined_by_comma) && capital(first - 1)
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
        kind: MentionKind::Title {
            head: head_form(words, i),
        },
    })
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
        if last.end == *first
            && *first > 0
            && words.adjacent(*first - 1)
            && matches!(last.kind, MentionKind::Named { .. })
        {
            *first = last.first;
            *start = last.span.start;
            before.pop();
        }
    }
}
