//! Per-language word lists (reporting verbs, according-to phrases, sources, titles…), kept as TOML
//! data files under `lexicons/` and embedded at compile time.

use qawl_core::Language;
use serde::Deserialize;

use crate::AttributionError;

pub use crate::phrase_set::PhraseSet;

/// One lexicon file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LexiconFile {
    /// Adjectives follow the noun they qualify ("دبلوماسي إيراني", "source diplomatique").
    #[serde(default)]
    pub modifiers_after_head: bool,
    /// The subject usually follows a reporting verb ("قال المتحدث", "dijo el portavoz").
    #[serde(default)]
    pub subject_after_verb: bool,
    /// Verb-final reporting: the subject opens the sentence and the content stands between it and
    /// the verb ("Bakan, görüşmelerin … söyledi").
    #[serde(default)]
    pub content_before_verb: bool,
    /// Case markers follow the noun ("ترجمان کے", "Bakanlığı'na"): a function word before a
    /// mention does not govern it.
    #[serde(default)]
    pub postpositional: bool,
    /// Nouns compound ("Bundesinnenminister", "Bundespolizei"): a word ending with a title or an
    /// organisation head is one.
    #[serde(default)]
    pub compounds: bool,
    /// Case and possessive endings stick to nouns ("kaynaklarına"): a word that starts with a
    /// source noun is that noun.
    #[serde(default)]
    pub agglutinative: bool,
    /// Endings of adjectives that may qualify a source ("-ique", "-ian", "-ский").
    #[serde(default)]
    pub adjective_suffixes: Vec<String>,
    /// A reporting verb may have no written subject ("وأضاف أن…", "Añadió que…").
    #[serde(default)]
    pub pro_drop: bool,
    /// One-letter clitics written onto the next word (Arabic و ف ب ل ك, Hebrew ו ה ש ב ל כ מ).
    #[serde(default)]
    pub clitic_prefixes: Vec<String>,
    /// Those clitics that are prepositions (Arabic ب ل ك, Hebrew ב ל מ כ): a noun carrying one is
    /// not a subject.
    #[serde(default)]
    pub clitic_prepositions: Vec<String>,
    /// Definite articles written onto the noun (Arabic ال, Hebrew ה).
    #[serde(default)]
    pub definite_prefixes: Vec<String>,
    /// Abbreviations whose final dot does not end a sentence, written without the dot.
    #[serde(default)]
    pub abbreviations: Vec<String>,
    /// Month names, for datelines.
    #[serde(default)]
    pub months: Vec<String>,
    /// Words that open an "updated/published" line ("آخر تحديث", "Updated").
    #[serde(default)]
    pub dateline_markers: Vec<String>,
    /// Reporting verbs, every inflected form listed.
    #[serde(default)]
    pub verbs: Vec<String>,
    /// Adverbial participles that report for the subject of the preceding cue ("مشيراً إلى", "adding").
    #[serde(default)]
    pub participles: Vec<String>,
    /// According-to phrases whose source follows them.
    #[serde(default)]
    pub according_to: Vec<String>,
    /// Words for data or figures whose source follows further on ("según datos … del INE").
    #[serde(default)]
    pub data_nouns: Vec<String>,
    /// According-to words that carry their source as a pronoun ("לדבריו": according to him).
    #[serde(default)]
    pub according_to_pronominal: Vec<String>,
    /// According-to phrases (postpositions) whose source precedes them.
    #[serde(default)]
    pub according_to_after_source: Vec<String>,
    /// Verbs by which one source relays another ("نقلت … عن", "quoted").
    #[serde(default)]
    pub relay_verbs: Vec<String>,
    /// Words between a relay verb and the original speaker ("عن", "את").
    #[serde(default)]
    pub relay_links: Vec<String>,
    /// Phrases that close the relayed speaker and open the content ("قوله", "as saying").
    #[serde(default)]
    pub relay_saying: Vec<String>,
    /// Phrases before the original speaker in a relay without relay verb ("به نقل از").
    #[serde(default)]
    pub relay_markers: Vec<String>,
    /// Phrases after the original speaker in such a relay ("کے حوالے سے").
    #[serde(default)]
    pub relay_markers_after_source: Vec<String>,
    /// Words that close the subject of a reporting verb (Urdu ergative "نے": "X نے کہا").
    #[serde(default)]
    pub subject_markers: Vec<String>,
    /// Markers of a possessor before its noun ("بورڈ کے چیئرمین", "the board's chairman").
    #[serde(default)]
    pub genitive_markers: Vec<String>,
    /// Words that introduce reported content ("أن", "that", "que", "dass").
    #[serde(default)]
    pub complementizers: Vec<String>,
    /// Words that introduce content only when no complementizer does ("كشف عن").
    #[serde(default)]
    pub weak_complementizers: Vec<String>,
    /// Heads of unnamed sources, singular.
    #[serde(default)]
    pub anonymous_singular: Vec<String>,
    /// Heads of unnamed sources, plural.
    #[serde(default)]
    pub anonymous_plural: Vec<String>,
    /// Heads that refer back to the last unnamed source ("المصدر", "the source").
    #[serde(default)]
    pub anonymous_generic: Vec<String>,
    /// Unnamed-source heads that take the noun after them ("בעל מלון": owner of a hotel).
    #[serde(default)]
    pub construct_heads: Vec<String>,
    /// Adjectives that may qualify a source ("إيراني", "senior", "diplomatique").
    #[serde(default)]
    pub modifiers: Vec<String>,
    /// Title and role heads ("متحدث", "spokesman", "porte-parole").
    #[serde(default)]
    pub titles: Vec<String>,
    /// Words that belong to a role phrase between a title and a name ("وزارة", "ministry").
    #[serde(default)]
    pub role_words: Vec<String>,
    /// Organisation heads ("وزارة", "ministry"): a phrase with one of them is an organisation.
    #[serde(default)]
    pub organization_heads: Vec<String>,
    /// Separate-word articles and determiners, left out of mention spans.
    #[serde(default)]
    pub determiners: Vec<String>,
    /// Auxiliaries of the passive ("was declared"): a reporting verb after one reports nothing.
    #[serde(default)]
    pub passive_auxiliaries: Vec<String>,
    /// Indefinite articles ("a", "un", "ein", "bir", "ایک"): with the noun after them they open
    /// a new, unnamed source when they open the clause of a reporting verb.
    #[serde(default)]
    pub indefinite_determiners: Vec<String>,
    /// Personal pronouns that can be the subject of a reporting verb.
    #[serde(default)]
    pub pronouns: Vec<String>,
    /// Function words that can never be part of a name.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Predicates by which a sentence asserts a position or an outcome (rejected, agreed…).
    #[serde(default)]
    pub assertions: Vec<String>,
    /// Openings that mark a sentence as narrative background ("وكانت", "Earlier,").
    #[serde(default)]
    pub background_openers: Vec<String>,
}

/// A language's lexicon, normalised and indexed for lookup.
#[derive(Debug, Clone)]
pub struct Lexicon {
    pub language: Language,
    pub modifiers_after_head: bool,
    pub subject_after_verb: bool,
    pub content_before_verb: bool,
    pub pro_drop: bool,
    pub postpositional: bool,
    pub compounds: bool,
    pub agglutinative: bool,
    pub adjective_suffixes: Vec<String>,
    pub clitic_prefixes: Vec<String>,
    pub clitic_prepositions: Vec<String>,
    pub definite_prefixes: Vec<String>,
    pub abbreviations: PhraseSet,
    pub months: PhraseSet,
    pub dateline_markers: PhraseSet,
    pub verbs: PhraseSet,
    pub participles: PhraseSet,
    pub according_to: PhraseSet,
    pub according_to_after_source: PhraseSet,
    pub according_to_pronominal: PhraseSet,
    pub data_nouns: PhraseSet,
    pub relay_verbs: PhraseSet,
    pub relay_links: PhraseSet,
    pub relay_saying: PhraseSet,
    pub relay_markers: PhraseSet,
    pub relay_markers_after_source: PhraseSet,
    pub complementizers: PhraseSet,
    pub genitive_markers: PhraseSet,
    pub subject_markers: PhraseSet,
    pub weak_complementizers: PhraseSet,
    pub anonymous_singular: PhraseSet,
    pub anonymous_plural: PhraseSet,
    pub anonymous_generic: PhraseSet,
    pub modifiers: PhraseSet,
    pub construct_heads: PhraseSet,
    pub titles: PhraseSet,
    pub role_words: PhraseSet,
    pub organization_heads: PhraseSet,
    pub determiners: PhraseSet,
    pub pronouns: PhraseSet,
    pub indefinite_determiners: PhraseSet,
    pub passive_auxiliaries: PhraseSet,
    pub stopwords: PhraseSet,
    pub assertions: PhraseSet,
    pub background_openers: PhraseSet,
}

/// The embedded lexicon source of a language.
pub fn lexicon_source(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::Arabic => ("lexicons/ar.toml", include_str!("../lexicons/ar.toml")),
        Language::Persian => ("lexicons/fa.toml", include_str!("../lexicons/fa.toml")),
        Language::Urdu => ("lexicons/ur.toml", include_str!("../lexicons/ur.toml")),
        Language::Hebrew => ("lexicons/he.toml", include_str!("../lexicons/he.toml")),
        Language::English => ("lexicons/en.toml", include_str!("../lexicons/en.toml")),
        Language::French => ("lexicons/fr.toml", include_str!("../lexicons/fr.toml")),
        Language::German => ("lexicons/de.toml", include_str!("../lexicons/de.toml")),
        Language::Spanish => ("lexicons/es.toml", include_str!("../lexicons/es.toml")),
        Language::Russian => ("lexicons/ru.toml", include_str!("../lexicons/ru.toml")),
        Language::Turkish => ("lexicons/tr.toml", include_str!("../lexicons/tr.toml")),
    }
}

impl Lexicon {
    /// Parses and indexes the embedded lexicon of `language`.
    pub fn embedded(language: Language) -> Result<Self, AttributionError> {
        let (file, source) = lexicon_source(language);
        let raw: LexiconFile = toml::from_str(source)
            .map_err(|source| AttributionError::InvalidData { file, source })?;
        Ok(Self::from_file(&raw, language))
    }

    /// Indexes a parsed lexicon file.
    pub fn from_file(raw: &LexiconFile, language: Language) -> Self {
        let set = |list: &[String]| PhraseSet::build(list, language);
        Self {
            language,
            modifiers_after_head: raw.modifiers_after_head,
            subject_after_verb: raw.subject_after_verb,
            content_before_verb: raw.content_before_verb,
            pro_drop: raw.pro_drop,
            postpositional: raw.postpositional,
            compounds: raw.compounds,
            agglutinative: raw.agglutinative,
            adjective_suffixes: raw
                .adjective_suffixes
                .iter()
                .map(|p| crate::token::normalize(p, language))
                .collect(),
            clitic_prefixes: raw
                .clitic_prefixes
                .iter()
                .map(|p| crate::token::normalize(p, language))
                .collect(),
            clitic_prepositions: raw
                .clitic_prepositions
                .iter()
                .map(|p| crate::token::normalize(p, language))
                .collect(),
            definite_prefixes: raw
                .definite_prefixes
                .iter()
                .map(|p| crate::token::normalize(p, language))
                .collect(),
            abbreviations: set(&raw.abbreviations),
            months: set(&raw.months),
            dateline_markers: set(&raw.dateline_markers),
            verbs: set(&raw.verbs),
            participles: set(&raw.participles),
            according_to: set(&raw.according_to),
            according_to_after_source: set(&raw.according_to_after_source),
            according_to_pronominal: set(&raw.according_to_pronominal),
            data_nouns: set(&raw.data_nouns),
            relay_verbs: set(&raw.relay_verbs),
            relay_links: set(&raw.relay_links),
            relay_saying: set(&raw.relay_saying),
            relay_markers: set(&raw.relay_markers),
            relay_markers_after_source: set(&raw.relay_markers_after_source),
            complementizers: set(&raw.complementizers),
            genitive_markers: set(&raw.genitive_markers),
            subject_markers: set(&raw.subject_markers),
            weak_complementizers: set(&raw.weak_complementizers),
            anonymous_singular: set(&raw.anonymous_singular),
            anonymous_plural: set(&raw.anonymous_plural),
            anonymous_generic: set(&raw.anonymous_generic),
            modifiers: set(&raw.modifiers),
            construct_heads: set(&raw.construct_heads),
            titles: set(&raw.titles),
            role_words: set(&raw.role_words),
            organization_heads: set(&raw.organization_heads),
            determiners: set(&raw.determiners),
            pronouns: set(&raw.pronouns),
            indefinite_determiners: set(&raw.indefinite_determiners),
            passive_auxiliaries: set(&raw.passive_auxiliaries),
            stopwords: set(&raw.stopwords),
            assertions: set(&raw.assertions),
            background_openers: set(&raw.background_openers),
        }
    }

    /// The word without one or two clitic prefixes, longest stripping last: "وأفادت" → ["وافادت",
    /// "افادت"]. The unstripped word always comes first.
    pub fn stripped_forms<'w>(&self, word: &'w str) -> Vec<(usize, &'w str)> {
        let mut forms = vec![(0, word)];
        let mut rest = word;
        let mut skipped = 0;
        for _ in 0..2 {
            let Some(prefix) = self
                .clitic_prefixes
                .iter()
                .find(|p| rest.starts_with(p.as_str()))
            else {
                break;
            };
            // Keep at least two letters: a one-letter remainder is never a word of the lexicon.
            if rest[prefix.len()..].chars().count() < 2 {
                break;
            }
            rest = &rest[prefix.len()..];
            skipped += 1;
            forms.push((skipped, rest));
        }
        forms
    }
}

/// Every language's lexicon, built once.
#[derive(Debug, Clone)]
pub struct Lexicons {
    by_language: Vec<Lexicon>,
}

impl Lexicons {
    /// Parses the ten embedded lexicons.
    pub fn embedded() -> Result<Self, AttributionError> {
        let by_language = Language::ALL
            .into_iter()
            .map(Lexicon::embedded)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { by_language })
    }

    /// The lexicon of `language`.
    pub fn get(&self, language: Language) -> &Lexicon {
        let index = Language::ALL
            .iter()
            .position(|l| *l == language)
            .unwrap_or_default();
        &self.by_language[index]
    }
}

impl Default for Lexicons {
    fn default() -> Self {
        Self::embedded()
            .expect("the embedded lexicons are valid: every one is parsed by the unit tests")
    }
}
