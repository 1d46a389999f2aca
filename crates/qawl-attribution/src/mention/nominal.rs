//! Nominal mentions: organisations named by their head noun or by capitalised words, and unnamed
//! sources with the words that qualify them.

use qawl_core::{Language, Span};

use super::organization::name_tail;
use super::role::absorb_leading_place;
use super::{
    head_form, in_gazetteer, is_function_word, person, Mention, MentionContext, MentionKind,
};
use crate::words::Words;

pub(super) fn capitalized_run(
    words: &Words<'_>,
    cx: &MentionContext<'_>,
    i: usize,
    before: &mut Vec<Mention>,
) -> Option<Mention> {
    if !cx.cased {
        return None;
    }
    let lexicon = words.lexicon;
    // An acronym of capitals names an organisation: "TÜİK", "AFAD", "NHS".
    let token = words.tokens.get(i)?;
    let raw = &words.text[token.span.start..token.span.end];
    let letters = raw.chars().filter(|c| c.is_alphabetic()).count();
    if letters >= 2
        && raw.chars().all(|c| !c.is_alphabetic() || c.is_uppercase())
        && !is_function_word(words, i)
        && !in_gazetteer(words, cx, i)
        && !lexicon.stopwords.contains_word(words.norm(i))
    {
        return Some(Mention {
            span: token.span,
            first: i,
            end: i + 1,
            kind: MentionKind::Organization,
        });
    }
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
        if cx.modifiers_after_head {
            end = name_tail(words, cx, end, end + 5);
            while lexicon.stopwords.contains_word(words.norm(end - 1))
                || lexicon.determiners.contains_word(words.norm(end - 1))
            {
                end -= 1;
            }
        }
        return Some(Mention {
            span: Span::new(start, words.span(end - 1).end),
            first,
            end,
            kind: MentionKind::Organization,
        });
    }
    // Capitalised common nouns (German) are not names: a person's name opens with a given name,
    // or stands where a speaker stands: next to a reporting verb ("said Daggett"), or before an
    // appositive title ("Harold Daggett, president of…").
    let given = words.find(words.given_names, i).is_some();
    let by_cue = cx.cue_words.get(end).copied().unwrap_or(false)
        || i.checked_sub(1)
            .is_some_and(|k| cx.cue_words.get(k).copied().unwrap_or(false));
    let appositive = words.gap(end - 1) == ","
        && (lexicon.titles.contains_word(words.norm(end))
            || words.find(&lexicon.determiners, end).is_some()
                && lexicon.titles.contains_word(words.norm(end + 1)));
    if !(given || by_cue || appositive) {
        return None;
    }
    // Capitalised words before a given name are the role: "Generalsekretär Matthias Miersch".
    match (i + 1..end).find(|k| words.find(words.given_names, *k).is_some()) {
        Some(name) if !given => {
            let role = Span::new(words.span(i).start, words.span(name - 1).end);
            let mut m = person(words, name, end, Some(role));
            m.first = i;
            Some(m)
        }
        _ => Some(person(words, i, end, None)),
    }
}

pub(super) fn anonymous(
    words: &Words<'_>,
    cx: &MentionContext<'_>,
    i: usize,
    before: &mut Vec<Mention>,
) -> Option<Mention> {
    let lexicon = words.lexicon;
    let agglutinated = |set: &crate::lexicon::PhraseSet| {
        lexicon
            .agglutinative
            .then(|| set.prefix_of(words.norm(i)).map(str::to_string))
            .flatten()
    };
    let whole_word = |f: crate::words::Found| (f, None);
    let (found, plural, stem) = words
        .find_word_definite(&lexicon.anonymous_singular, i)
        .map(|(f, _)| (whole_word(f), false))
        .or_else(|| {
            words
                .find_word_definite(&lexicon.anonymous_plural, i)
                .map(|(f, _)| (whole_word(f), true))
        })
        .map(|((f, stem), plural)| (f, plural, stem))
        .or_else(|| {
            let start = words.span(i).start;
            let found = crate::words::Found { len: 1, start };
            // German compounds: "Parteivorstandsmitglied" is a "Mitglied".
            let compound = |set: &crate::lexicon::PhraseSet| {
                (lexicon.compounds && set.ends_with_word(words.norm(i)))
                    .then(|| words.norm(i).to_string())
            };
            compound(&lexicon.anonymous_plural)
                .map(|stem| (found, true, Some(stem)))
                .or_else(|| {
                    compound(&lexicon.anonymous_singular).map(|stem| (found, false, Some(stem)))
                })
                .or_else(|| {
                    agglutinated(&lexicon.anonymous_plural).map(|stem| (found, true, Some(stem)))
                })
                .or_else(|| {
                    agglutinated(&lexicon.anonymous_singular).map(|stem| (found, false, Some(stem)))
                })
        })?;
    // The head as the lexicon lists it: "בעל" stays whole although ב is also a clitic.
    let listed = |form: &str| {
        lexicon.anonymous_singular.contains_word(form)
            || lexicon.anonymous_plural.contains_word(form)
    };
    let head = stem.unwrap_or_else(|| {
        let norm = words.norm(i);
        let mut forms: Vec<String> = lexicon
            .stripped_forms(norm)
            .into_iter()
            .map(|(_, f)| f.to_string())
            .collect();
        let bare: Vec<String> = forms
            .iter()
            .flat_map(|f| {
                lexicon
                    .definite_prefixes
                    .iter()
                    .filter_map(move |p| f.strip_prefix(p.as_str()).map(str::to_string))
            })
            .collect();
        forms.extend(bare);
        forms
            .into_iter()
            .find(|f| listed(f))
            .unwrap_or_else(|| head_form(words, i))
    });
    let generic = lexicon.anonymous_generic.contains_word(&head);
    let mut modifiers = Vec::new();
    let mut start = found.start;
    let mut first = i;
    let mut end = i + found.len;
    let is_modifier = |k: usize| {
        let form = head_form(words, k);
        let suffixed = !words.tokens[k].capitalized
            && form.chars().count() >= 5
            && lexicon
                .adjective_suffixes
                .iter()
                .any(|s| form.ends_with(s.as_str()))
            && !lexicon.stopwords.contains_word(&form)
            && words.find(&lexicon.verbs, k).is_none();
        lexicon.modifiers.contains_word(words.norm(k))
            || lexicon.modifiers.contains_word(&form)
            || suffixed
            || (words.language() == Language::Arabic && is_nisba(&form))
    };
    let joined = |k: usize| matches!(words.gap(k), "" | "-");
    let mut taken_named = false;
    // A construct head takes the noun after it: "בעל מלון", "صاحب متجر".
    if lexicon.construct_heads.contains_word(&head)
        && end < words.len()
        && words.adjacent(end - 1)
        && !is_function_word(words, end)
        && !in_gazetteer(words, cx, end)
    {
        modifiers.push(head_form(words, end));
        end += 1;
    }
    // Persian ezafe: the nouns after the head belong to it ("فعال بازار", "کارشناسان محیط زیست").
    let ezafe = cx.modifiers_after_head && !cx.cased && lexicon.definite_prefixes.is_empty();
    if cx.modifiers_after_head {
        while end < words.len()
            && joined(end - 1)
            && end - i <= 3
            && (is_modifier(end)
                || ezafe && !is_function_word(words, end) && !in_gazetteer(words, cx, end))
        {
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
        // One noun right before the head qualifies it too: "Climate scientists", "Muhalefet
        // kaynakları".
        let free = before.last().map_or(0, |m| m.end);
        if first == i
            && first > free
            && words.adjacent(first - 1)
            && !is_function_word(words, first - 1)
            && !in_gazetteer(words, cx, first - 1)
            && !cx.cue_words.get(first - 1).copied().unwrap_or(false)
        {
            first -= 1;
            start = words.span(first).start;
            modifiers.push(head_form(words, first));
            // …and the listed adjectives before that noun: "state health officials".
            while first > free && joined(first - 1) && is_modifier(first - 1) {
                first -= 1;
                start = words.span(first).start;
                modifiers.push(head_form(words, first));
            }
        }
        // "White House officials", "EU diplomat": a named body right before the head qualifies it.
        if let Some(last) = before.last() {
            let named = matches!(
                last.kind,
                MentionKind::Named { .. } | MentionKind::Organization
            );
            if named && last.end == first && first > 0 && words.adjacent(first - 1) {
                first = last.first;
                start = last.span.start;
                modifiers.push(words.text[last.span.start..last.span.end].to_lowercase());
                taken_named = true;
            }
        }
    }
    // Without articles, a bare head followed by a prepositional complement is a new source
    // ("Источник в мэрии"), not the last one: the complement qualifies it.
    if modifiers.is_empty()
        && lexicon.determiners.phrases_empty()
        && lexicon.definite_prefixes.is_empty()
    {
        if let Some(next) = words.tokens.get(end) {
            if lexicon.stopwords.contains_word(&next.norm) && words.adjacent(end - 1) {
                modifiers.extend(words.tokens.get(end + 1).map(|t| t.norm.clone()));
            }
        }
    }
    if taken_named {
        before.pop();
    }
    Some(Mention {
        span: Span::new(start, words.span(end - 1).end),
        first,
        end,
        kind: MentionKind::Anonymous {
            head,
            plural,
            generic,
            modifiers,
        },
    })
}

/// Arabic relational adjectives end in ي / ية (normalised ی / یه): "إيراني", "دبلوماسية".
fn is_nisba(form: &str) -> bool {
    form.chars().count() >= 4
        && (form.ends_with('ی')
            || form.ends_with("یه")
            || form.ends_with("یون")
            || form.ends_with("یین"))
}
