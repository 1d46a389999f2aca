//! The attributor: runs mentions, cues, sources and coreference over the sentences in order and
//! assembles claims and speakers.

use qawl_core::{
    Attribution, Attributor, ClaimKind, Language, NameKind, Sentence, SentenceKind, Span,
    TaggedName,
};

use crate::claims::{assemble, sentence_claims, Draft};
use crate::coreference::Registry;
use crate::cue::{self, CueKind};
use crate::gazetteer::Gazetteer;
use crate::lexicon::{Lexicon, Lexicons, PhraseSet};
use crate::mention::{self, Mention, MentionContext, MentionKind};
use crate::source::Parsed;
use crate::words::Words;
use crate::AttributionError;

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
        let gazetteers = Language::ALL
            .into_iter()
            .map(Gazetteer::embedded)
            .collect::<Result<_, _>>()?;
        let given_names = Language::ALL
            .into_iter()
            .map(crate::gazetteer::given_names)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            lexicons,
            gazetteers,
            given_names,
        })
    }

    fn index(language: Language) -> usize {
        Language::ALL
            .iter()
            .position(|l| *l == language)
            .unwrap_or_default()
    }
}

impl Default for RuleAttributor {
    fn default() -> Self {
        Self::new()
            .expect("the embedded lexicons and gazetteer are valid: the unit tests parse them")
    }
}

impl Attributor for RuleAttributor {
    fn attribute(&self, text: &str, language: Language, sentences: &[Sentence]) -> Attribution {
        self.attribute_with_names(text, language, sentences, &[])
    }

    /// Person names from a tagger count as names where the rules would accept a known given
    /// name (see `mention::is_name_start`), and its organisation names as organisations where no
    /// lexicon head noun marks one: the way to names the lexicons do not list.
    fn attribute_with_names(
        &self,
        text: &str,
        language: Language,
        sentences: &[Sentence],
        names: &[TaggedName],
    ) -> Attribution {
        let tagged = |kind: NameKind| -> Vec<Span> {
            names
                .iter()
                .filter(|name| name.kind == kind)
                .map(|name| name.span)
                .collect()
        };
        let tagged = TaggedSpans {
            people: tagged(NameKind::Person),
            organizations: tagged(NameKind::Organization),
        };
        let lexicon = self.lexicons.get(language);
        let gazetteer = &self.gazetteers[Self::index(language)];
        let given_names = &self.given_names[Self::index(language)];
        let mut registry = Registry::new(text, language, gazetteer);
        let mut drafts = Vec::new();
        for (index, sentence) in sentences.iter().enumerate() {
            if sentence.kind == SentenceKind::Dateline || sentence.span.slice(text).is_none() {
                continue;
            }
            let parsed = parse(
                text,
                sentence.span,
                lexicon,
                gazetteer,
                given_names,
                &tagged,
                &registry,
            );
            // Named places, organisations and people are entities wherever they appear.
            for m in &parsed.mentions {
                if matches!(
                    m.kind,
                    MentionKind::Named { .. } | MentionKind::Person { .. }
                ) {
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
    Draft {
        sentence,
        span,
        kind,
        cue: None,
        speaker: None,
        relayed_by: None,
    }
}

/// Names a tagger found, by kind (article byte spans).
struct TaggedSpans {
    people: Vec<Span>,
    organizations: Vec<Span>,
}

fn parse<'a>(
    text: &'a str,
    span: Span,
    lexicon: &'a Lexicon,
    gazetteer: &'a Gazetteer,
    given_names: &'a PhraseSet,
    tagged: &TaggedSpans,
    registry: &Registry<'_>,
) -> Parsed<'a> {
    let words = Words::new(text, span, lexicon, given_names);
    let quotes = crate::segment::protected_ranges(&text[span.start..span.end])
        .into_iter()
        .filter(|q| {
            text[span.start + q.start..span.start + q.end]
                .starts_with(|c: char| !matches!(c, '(' | '[' | '{'))
        })
        .map(|q| span.start + q.start..span.start + q.end)
        .collect::<Vec<_>>();
    // Cues first: a capitalised name next to a reporting verb is a speaker's name.
    let cues = cue::detect(&words, &quotes);
    let mut cue_words = vec![false; words.len()];
    for c in &cues {
        for w in cue_words.iter_mut().take(c.end).skip(c.first) {
            *w = true;
        }
    }
    let surnames = registry.surnames();
    let names = registry.person_names();
    let cx = MentionContext {
        gazetteer,
        known_surnames: &surnames,
        known_names: &names,
        modifiers_after_head: lexicon.modifiers_after_head,
        cased: !matches!(
            lexicon.language,
            Language::Arabic | Language::Persian | Language::Urdu | Language::Hebrew
        ),
        cue_words: &cue_words,
        tagged_people: &tagged.people,
        tagged_organizations: &tagged.organizations,
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
        let cx = MentionContext {
            known_surnames: &more_surnames,
            ..cx
        };
        mentions = mention::detect(&words, &cx);
    }
    let mut parsed = Parsed {
        words,
        mentions,
        cues,
        quotes,
    };
    // "according to" followed by an unknown noun phrase: that phrase is the (unnamed) source.
    synthesize_according_sources(&mut parsed);
    crate::unnamed::synthesize_subjects(&mut parsed);
    // "according to" with no source after it is another use of the word ("yıla göre": compared
    // with last year); such cues are dropped.
    let keep: Vec<bool> = (0..parsed.cues.len())
        .map(|k| match parsed.cues[k].kind {
            CueKind::AccordingTo { .. } | CueKind::RelayMarker { .. } => {
                parsed.according_source(k).is_some()
            }
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

/// For "according to" + a noun phrase that no rule named ("به گفته یک فعال بازار"), the words up
/// to the next comma (at most four, articles left out) become an unnamed source. Postpositional
/// according-to ("X'e göre") needs a known source and is left alone.
fn synthesize_according_sources(parsed: &mut Parsed<'_>) {
    let lexicon = parsed.words.lexicon;
    for k in 0..parsed.cues.len() {
        let c = parsed.cues[k];
        if parsed.according_source(k).is_some() {
            continue;
        }
        if matches!(
            c.kind,
            CueKind::AccordingTo {
                source_before: true
            }
        ) {
            synthesize_source_before(parsed, c.first);
            continue;
        }
        if !matches!(
            c.kind,
            CueKind::AccordingTo {
                source_before: false
            }
        ) {
            continue;
        }
        let mut first = c.end;
        while first < parsed.words.len()
            && lexicon.determiners.contains_word(parsed.words.norm(first))
        {
            first += 1;
        }
        let mut end = first;
        let is_stop = |w: usize| {
            lexicon.stopwords.contains_word(parsed.words.norm(w))
                || parsed.words.find(&lexicon.complementizers, w).is_some()
                || parsed.words.find(&lexicon.verbs, w).is_some()
        };
        // The head noun, then what qualifies it: a capitalised name ("sondage Ifop"), a listed
        // or suffix-marked adjective, or (Persian: no capitals, no articles) any noun of the ezafe.
        let ezafe = lexicon.definite_prefixes.is_empty()
            && lexicon.modifiers_after_head
            && !parsed.words.tokens.iter().any(|t| t.capitalized);
        let qualifies = |w: usize| {
            let norm = parsed.words.norm(w);
            parsed.words.tokens[w].capitalized
                || lexicon.modifiers.contains_word(norm)
                || lexicon
                    .adjective_suffixes
                    .iter()
                    .any(|s| norm.ends_with(s.as_str()) && norm.chars().count() >= 5)
                || ezafe
        };
        let name_preposition = |w: usize| {
            lexicon.role_words.contains_word(parsed.words.norm(w))
                && parsed
                    .words
                    .tokens
                    .get(w + 1)
                    .is_some_and(|t| t.capitalized)
                && parsed
                    .words
                    .tokens
                    .get(w.saturating_sub(1))
                    .is_some_and(|t| t.capitalized)
        };
        while end < parsed.words.len()
            && end - first < 5
            && (!is_stop(end) || end > first && name_preposition(end))
            && (end == first
                || parsed.words.adjacent(end - 1) && (qualifies(end) || name_preposition(end)))
        {
            end += 1;
        }
        if end == first
            || first > c.end + 1
            || parsed
                .mentions
                .iter()
                .any(|m| m.first < end && first < m.end)
        {
            continue;
        }
        let head_word = if lexicon.modifiers_after_head {
            first
        } else {
            end - 1
        };
        // A phrase that ends in a name is an organisation ("По данным Росавиации", "sondage Ifop").
        let named = parsed.words.tokens[end - 1].capitalized;
        let anonymous = MentionKind::Anonymous {
            head: parsed.words.norm(head_word).to_string(),
            plural: false,
            generic: false,
            modifiers: (first..end)
                .filter(|w| *w != head_word)
                .map(|w| parsed.words.norm(w).to_string())
                .collect(),
        };
        let mention = Mention {
            span: parsed.words.range(first, end),
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

/// "Turizmcilere göre", "ماہرین کے مطابق": the words right before a postposition, back to a comma
/// or the start of the clause (at most three), are an unnamed source.
fn synthesize_source_before(parsed: &mut Parsed<'_>, cue_first: usize) {
    let words = &parsed.words;
    let lexicon = words.lexicon;
    // A case ending written after an apostrophe ("Müdürlüğü'ne göre") belongs to the noun.
    let mut end = cue_first;
    if end > 0 && words.text[..words.span(end - 1).start].ends_with(['\'', '’']) {
        end -= 1;
    }
    let mut first = end;
    while first > 0
        && end - first < 3
        && (first == end || words.adjacent(first - 1))
        && !lexicon.stopwords.contains_word(words.norm(first - 1))
        && !lexicon.determiners.contains_word(words.norm(first - 1))
        && words.find(&lexicon.verbs, first - 1).is_none()
        && !parsed
            .mentions
            .iter()
            .any(|m| m.first < first && first - 1 < m.end)
    {
        first -= 1;
    }
    if first == end {
        return;
    }
    // In Turkish "göre" also compares ("geçen yıla göre"): only a plural ("Turizmcilere") or a
    // name stands for people.
    let last = words.norm(end - 1);
    let people = !lexicon.agglutinative
        || words.tokens[end - 1].capitalized
        || ["lere", "lara"].iter().any(|s| last.ends_with(s));
    if !people {
        return;
    }
    let mention = Mention {
        span: words.range(first, end),
        first,
        end,
        kind: MentionKind::Anonymous {
            head: words.norm(end - 1).to_string(),
            plural: true,
            generic: false,
            modifiers: (first..end - 1)
                .map(|w| words.norm(w).to_string())
                .collect(),
        },
    };
    let at = parsed.mentions.partition_point(|m| m.first < first);
    parsed.mentions.insert(at, mention);
}
