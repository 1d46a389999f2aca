//! The gold articles: the seed (fixtures/muscat-talks.*) and fixtures/gold/*, in every language.
//! Each required claim must come out with its kind, speaker and cue; each gold speaker with its
//! mentions and role; no `not_speakers` may receive a claim and no background sentence may hold
//! one. `speaker_precision_and_recall_per_language` prints the per-language table
//! (`cargo test -p qawl-attribution --test gold -- --nocapture`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use qawl_attribution::{RuleAttributor, RuleSegmenter};
use qawl_core::{Attribution, Attributor, ClaimKind, Language, Sentence, SentenceSegmenter};
use serde_json::Value;

struct Article {
    name: String,
    text: String,
    language: Language,
    gold: Value,
    sentences: Vec<Sentence>,
    result: Attribution,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn gold_files() -> Vec<PathBuf> {
    let mut files = vec![fixtures().join("muscat-talks.gold.json")];
    let mut more: Vec<PathBuf> = std::fs::read_dir(fixtures().join("gold"))
        .expect("fixtures/gold exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".gold.json"))
        .collect();
    more.sort();
    files.extend(more);
    files
}

fn load(path: &Path) -> Article {
    let gold: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("gold readable"))
        .expect("gold is JSON");
    let article = gold["article"].as_str().expect("article field");
    let text = std::fs::read_to_string(path.with_file_name(article)).expect("article readable");
    let language: Language = gold["language"]
        .as_str()
        .expect("language field")
        .parse()
        .expect("known language");
    static STAGES: OnceLock<(RuleSegmenter, RuleAttributor)> = OnceLock::new();
    let (segmenter, attributor) =
        STAGES.get_or_init(|| (RuleSegmenter::default(), RuleAttributor::default()));
    let sentences = segmenter.segment(&text, language);
    let result = attributor.attribute(&text, language, &sentences);
    Article {
        name: article.to_string(),
        text,
        language,
        gold,
        sentences,
        result,
    }
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn kind_name(kind: ClaimKind) -> &'static str {
    match kind {
        ClaimKind::DirectQuote => "DIRECT_QUOTE",
        ClaimKind::Indirect => "INDIRECT",
        ClaimKind::AccordingTo => "ACCORDING_TO",
        ClaimKind::Headline => "HEADLINE",
        ClaimKind::Unattributed => "UNATTRIBUTED",
    }
}

impl Article {
    fn slice(&self, span: qawl_core::Span) -> &str {
        span.slice(&self.text).unwrap_or("<bad span>")
    }

    fn sentences_with(&self, anchor: &str) -> Vec<usize> {
        let anchor = squash(anchor);
        (0..self.sentences.len())
            .filter(|i| squash(self.slice(self.sentences[*i].span)).contains(&anchor))
            .collect()
    }

    fn gold_speaker(&self, id: &str) -> Option<&Value> {
        self.gold["speakers"]
            .as_array()?
            .iter()
            .find(|s| s["id"] == id)
    }

    fn canonical_of(&self, id: &str) -> String {
        self.gold_speaker(id)
            .and_then(|s| s["canonical"].as_str())
            .map(squash)
            .unwrap_or_default()
    }

    fn speaker_name(&self, index: Option<usize>) -> Option<String> {
        index
            .and_then(|i| self.result.speakers.get(i))
            .map(|s| squash(&s.canonical_name))
    }

    /// Human-readable list of the claims in a sentence, for failure messages.
    fn describe(&self, sentence: usize) -> String {
        self.result
            .claims
            .iter()
            .filter(|c| c.sentence_index == sentence)
            .map(|c| {
                format!(
                    "[{} by {:?} via {:?}, cue {:?}: {}]",
                    kind_name(c.kind),
                    self.speaker_name(c.speaker),
                    self.speaker_name(c.relayed_by),
                    c.cue.map(|s| self.slice(s)),
                    self.slice(c.span)
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn check(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for claim in self.gold["claims"].as_array().into_iter().flatten() {
            let anchor = claim["anchor"].as_str().unwrap_or_default();
            let sentences = self.sentences_with(anchor);
            if sentences.is_empty() {
                failures.push(format!(
                    "{}: no sentence holds anchor {anchor:?}",
                    self.name
                ));
                continue;
            }
            let required = claim["speaker_required"].as_bool().unwrap_or(true);
            let speaker = claim["speaker"]
                .as_str()
                .filter(|_| required)
                .map(|id| self.canonical_of(id));
            let relayed = claim["relayed_by"].as_str().map(|id| self.canonical_of(id));
            let cue = claim["cue"].as_str().map(squash);
            let kind = claim["kind"].as_str().unwrap_or_default();
            let matched = self.result.claims.iter().any(|c| {
                sentences.contains(&c.sentence_index)
                    && kind_name(c.kind) == kind
                    && speaker
                        .as_ref()
                        .is_none_or(|s| self.speaker_name(c.speaker).as_ref() == Some(s))
                    && relayed
                        .as_ref()
                        .is_none_or(|s| self.speaker_name(c.relayed_by).as_ref() == Some(s))
                    && cue.as_ref().is_none_or(|gold| {
                        c.cue.is_some_and(|span| {
                            let found = squash(self.slice(span));
                            found.contains(gold.as_str()) || gold.contains(found.as_str())
                        })
                    })
            });
            if !matched {
                let found = sentences
                    .iter()
                    .map(|s| self.describe(*s))
                    .collect::<Vec<_>>()
                    .join(" | ");
                failures.push(format!(
                    "{}: claim {anchor:?} wanted {kind} by {speaker:?} via {relayed:?} cue {cue:?}; found {found}",
                    self.name
                ));
            }
        }
        for gold in self.gold["speakers"].as_array().into_iter().flatten() {
            let canonical = squash(gold["canonical"].as_str().unwrap_or_default());
            let Some(found) = self
                .result
                .speakers
                .iter()
                .find(|s| squash(&s.canonical_name) == canonical)
            else {
                let names: Vec<_> = self
                    .result
                    .speakers
                    .iter()
                    .map(|s| s.canonical_name.clone())
                    .collect();
                failures.push(format!(
                    "{}: no speaker {canonical:?} among {names:?}",
                    self.name
                ));
                continue;
            };
            let kind = format!("{:?}", found.kind).to_uppercase();
            if gold["kind"].as_str() != Some(kind.as_str()) {
                failures.push(format!(
                    "{}: {canonical:?} is {kind}, gold {}",
                    self.name, gold["kind"]
                ));
            }
            if let Some(role) = gold["role"].as_str() {
                if found.role.as_deref().map(squash) != Some(squash(role)) {
                    failures.push(format!(
                        "{}: {canonical:?} has role {:?}, gold {role:?}",
                        self.name, found.role
                    ));
                }
            }
            let mentions: BTreeSet<String> = found
                .mentions
                .iter()
                .map(|m| squash(self.slice(*m)))
                .collect();
            for mention in gold["mentions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !mentions.contains(&squash(mention)) {
                    failures.push(format!(
                        "{}: {canonical:?} lacks mention {mention:?}; has {mentions:?}",
                        self.name
                    ));
                }
            }
        }
        for name in self.gold["not_speakers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let name = squash(name);
            for c in &self.result.claims {
                for who in [c.speaker, c.relayed_by].into_iter().flatten() {
                    let speaker = &self.result.speakers[who];
                    let named = squash(&speaker.canonical_name) == name
                        || speaker
                            .mentions
                            .iter()
                            .any(|m| squash(self.slice(*m)) == name);
                    if named {
                        failures.push(format!(
                            "{}: not-speaker {name:?} got claim {}",
                            self.name,
                            self.describe(c.sentence_index)
                        ));
                    }
                }
            }
        }
        for anchor in self.gold["background_sentences"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            for s in self.sentences_with(anchor) {
                if self.result.claims.iter().any(|c| c.sentence_index == s) {
                    failures.push(format!(
                        "{}: background sentence {anchor:?} holds {}",
                        self.name,
                        self.describe(s)
                    ));
                }
            }
        }
        failures
    }
}

#[test]
fn every_gold_article_is_attributed_as_annotated() {
    let mut failures = Vec::new();
    for path in gold_files() {
        failures.extend(load(&path).check());
    }
    assert!(
        failures.is_empty(),
        "{} gold failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_language_has_gold_articles() {
    let mut per_language: BTreeMap<Language, usize> = BTreeMap::new();
    for path in gold_files() {
        *per_language.entry(load(&path).language).or_default() += 1;
    }
    for language in Language::ALL {
        // Arabic: the seed and at least one more; the others: at least two each.
        assert!(
            per_language.get(&language).copied().unwrap_or_default() >= 2,
            "{language}: {per_language:?}"
        );
    }
}

/// Speakers that hold claims, predicted against gold (by canonical name), per language.
#[test]
fn speaker_precision_and_recall_per_language() {
    let mut counts: BTreeMap<Language, (usize, usize, usize)> = BTreeMap::new();
    for path in gold_files() {
        let article = load(&path);
        let mut gold = BTreeSet::new();
        for claim in article.gold["claims"].as_array().into_iter().flatten() {
            if claim["speaker_required"].as_bool().unwrap_or(true) {
                gold.extend(claim["speaker"].as_str().map(|id| article.canonical_of(id)));
            }
            gold.extend(
                claim["relayed_by"]
                    .as_str()
                    .map(|id| article.canonical_of(id)),
            );
        }
        let predicted: BTreeSet<String> = article
            .result
            .claims
            .iter()
            .flat_map(|c| [c.speaker, c.relayed_by])
            .filter_map(|s| article.speaker_name(s))
            .collect();
        let entry = counts.entry(article.language).or_default();
        entry.0 += predicted.intersection(&gold).count();
        entry.1 += predicted.len();
        entry.2 += gold.len();
    }
    println!(
        "{:<4} {:>9} {:>9} {:>6} {:>6}",
        "lang", "precision", "recall", "pred", "gold"
    );
    let mut below_floor = Vec::new();
    for (language, (hit, predicted, gold)) in &counts {
        let precision = *hit as f64 / (*predicted).max(1) as f64;
        let recall = *hit as f64 / (*gold).max(1) as f64;
        println!(
            "{:<4} {precision:>9.2} {recall:>9.2} {predicted:>6} {gold:>6}",
            language.code()
        );
        if precision < 0.75 || recall < 0.9 {
            below_floor.push(format!(
                "{language}: precision {precision:.2}, recall {recall:.2}"
            ));
        }
    }
    assert!(below_floor.is_empty(), "below the floor: {below_floor:?}");
}

/// Prints every claim of every gold article when QAWL_GOLD_SHOW is set (a reading aid).
#[test]
fn show_attributions_on_request() {
    if std::env::var_os("QAWL_GOLD_SHOW").is_none() {
        return;
    }
    for path in gold_files() {
        let article = load(&path);
        println!("== {}", article.name);
        for s in &article.result.speakers {
            let mentions: Vec<_> = s.mentions.iter().map(|m| article.slice(*m)).collect();
            println!(
                "  speaker {:?} {} role {:?} {mentions:?}",
                s.kind, s.canonical_name, s.role
            );
        }
        for i in 0..article.sentences.len() {
            let claims = article.describe(i);
            if !claims.is_empty() {
                println!("  #{i} {claims}");
            }
        }
    }
}
