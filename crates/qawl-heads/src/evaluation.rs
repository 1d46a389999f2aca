//! Dev-set metrics, defined as `models/train/metrics.py` defines them, so `qawl eval` reproduces
//! the numbers in the head manifests: accuracy, per-class P/R/F1, macro-F1 over the classes
//! present, the confusion matrix, ROC-AUC, and entity-level (exact span and type) F1.

use std::collections::{BTreeMap, BTreeSet};

/// Precision, recall, F1 and support of one class or entity type.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Scores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Gold instances.
    pub support: usize,
}

impl Scores {
    fn from_counts(true_positives: usize, predicted: usize, gold: usize) -> Self {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let precision = ratio(true_positives, predicted);
        let recall = ratio(true_positives, gold);
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        Self {
            precision,
            recall,
            f1,
            support: gold,
        }
    }
}

/// A classification report over a fixed label set.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClassificationReport {
    pub examples: usize,
    pub accuracy: f64,
    /// Mean F1 over the classes with gold support.
    pub macro_f1: f64,
    /// Per class, in label order.
    pub per_class: Vec<(String, Scores)>,
    /// `confusion[gold][predicted]`, in label order.
    pub confusion: Vec<Vec<usize>>,
}

impl ClassificationReport {
    /// `gold` and `predicted` are label indices into `labels`, pairwise.
    pub fn new(labels: &[&str], gold: &[usize], predicted: &[usize]) -> Self {
        let n = labels.len();
        let mut confusion = vec![vec![0usize; n]; n];
        for (&g, &p) in gold.iter().zip(predicted) {
            if g < n && p < n {
                confusion[g][p] += 1;
            }
        }
        let per_class: Vec<(String, Scores)> = labels
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let predicted: usize = confusion.iter().map(|row| row[i]).sum();
                let gold: usize = confusion[i].iter().sum();
                (
                    name.to_string(),
                    Scores::from_counts(confusion[i][i], predicted, gold),
                )
            })
            .collect();
        let present: Vec<f64> = per_class
            .iter()
            .filter(|(_, s)| s.support > 0)
            .map(|(_, s)| s.f1)
            .collect();
        let correct = (0..n).map(|i| confusion[i][i]).sum::<usize>();
        let examples = gold.len();
        Self {
            examples,
            accuracy: if examples == 0 {
                0.0
            } else {
                correct as f64 / examples as f64
            },
            macro_f1: if present.is_empty() {
                0.0
            } else {
                present.iter().sum::<f64>() / present.len() as f64
            },
            per_class,
            confusion,
        }
    }

    /// The scores of one class, by name.
    pub fn class(&self, name: &str) -> Option<&Scores> {
        self.per_class
            .iter()
            .find(|(label, _)| label == name)
            .map(|(_, s)| s)
    }
}

/// Probability that a random positive outscores a random negative (ties count half); `None`
/// without both classes.
pub fn roc_auc(gold: &[bool], scores: &[f32]) -> Option<f64> {
    let mut ranked: Vec<(f32, bool)> = scores.iter().copied().zip(gold.iter().copied()).collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
    let positives = gold.iter().filter(|&&g| g).count();
    let negatives = gold.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    // Mann–Whitney U with average ranks for ties: O(n log n).
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < ranked.len() {
        let mut j = i;
        while j < ranked.len() && ranked[j].0 == ranked[i].0 {
            j += 1;
        }
        let average_rank = (i + j + 1) as f64 / 2.0;
        rank_sum += average_rank * ranked[i..j].iter().filter(|(_, g)| *g).count() as f64;
        i = j;
    }
    let u = rank_sum - (positives * (positives + 1)) as f64 / 2.0;
    Some(u / (positives * negatives) as f64)
}

/// `(type, start word, end word)` of each entity in a BIO sequence; a stray `I-` starts one.
fn bio_spans(tags: &[&str]) -> BTreeSet<(String, usize, usize)> {
    let mut spans = BTreeSet::new();
    let mut open: Option<(String, usize)> = None;
    for (i, tag) in tags.iter().chain(std::iter::once(&"O")).enumerate() {
        let kind = tag.get(2..).unwrap_or("");
        if let Some((open_kind, start)) = &open {
            if *tag == "O" || tag.starts_with("B-") || kind != open_kind {
                spans.insert((open_kind.clone(), *start, i));
                open = None;
            }
        }
        if *tag != "O" && open.is_none() {
            open = Some((kind.to_string(), i));
        }
    }
    spans
}

/// Entity-level scores per type and `micro` over all types (exact span and type).
pub fn entity_scores(gold: &[Vec<&str>], predicted: &[Vec<&str>]) -> BTreeMap<String, Scores> {
    let mut counts: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    for (g, p) in gold.iter().zip(predicted) {
        let (gs, ps) = (bio_spans(g), bio_spans(p));
        for span in &gs {
            counts.entry(span.0.clone()).or_default()[2] += 1;
            if ps.contains(span) {
                counts.entry(span.0.clone()).or_default()[0] += 1;
            }
        }
        for span in &ps {
            counts.entry(span.0.clone()).or_default()[1] += 1;
        }
    }
    let mut report: BTreeMap<String, Scores> = counts
        .iter()
        .map(|(kind, [tp, predicted, gold])| {
            (kind.clone(), Scores::from_counts(*tp, *predicted, *gold))
        })
        .collect();
    let total = counts.values().fold([0; 3], |acc, c| {
        [acc[0] + c[0], acc[1] + c[1], acc[2] + c[2]]
    });
    report.insert(
        "micro".to_string(),
        Scores::from_counts(total[0], total[1], total[2]),
    );
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_report_matches_hand_counts() {
        // gold:  E E C C N ; predicted: E C C C E
        let report =
            ClassificationReport::new(&["E", "C", "N"], &[0, 0, 1, 1, 2], &[0, 1, 1, 1, 0]);
        assert_eq!(report.confusion, [[1, 1, 0], [0, 2, 0], [1, 0, 0]]);
        assert!((report.accuracy - 0.6).abs() < 1e-12);
        let e = report.class("E").copied().unwrap_or_default();
        assert!((e.precision - 0.5).abs() < 1e-12 && (e.recall - 0.5).abs() < 1e-12);
        let c = report.class("C").copied().unwrap_or_default();
        assert!((c.f1 - 0.8).abs() < 1e-12, "P 2/3, R 1");
        // N has support but F1 0; macro over the three present classes.
        assert!((report.macro_f1 - (0.5 + 0.8 + 0.0) / 3.0).abs() < 1e-12);
        // A class without gold support does not count in the macro average.
        let two = ClassificationReport::new(&["E", "C", "N"], &[0, 1], &[0, 2]);
        assert!((two.macro_f1 - 0.5).abs() < 1e-12);
    }

    #[test]
    fn roc_auc_counts_ties_half_and_needs_both_classes() {
        assert_eq!(roc_auc(&[true, false], &[0.9, 0.1]), Some(1.0));
        assert_eq!(roc_auc(&[true, false], &[0.1, 0.9]), Some(0.0));
        assert_eq!(roc_auc(&[true, false], &[0.5, 0.5]), Some(0.5));
        // positives 0.8, 0.4; negatives 0.6, 0.2: 3 of 4 pairs ordered.
        assert_eq!(
            roc_auc(&[true, true, false, false], &[0.8, 0.4, 0.6, 0.2]),
            Some(0.75)
        );
        assert_eq!(roc_auc(&[true, true], &[0.1, 0.2]), None);
    }

    #[test]
    fn entities_must_match_span_and_type_exactly() {
        let gold = vec![vec!["B-PER", "I-PER", "O", "B-LOC"]];
        let predicted = vec![vec!["B-PER", "O", "O", "I-LOC"]];
        let report = entity_scores(&gold, &predicted);
        let per = report["PER"];
        assert_eq!((per.precision, per.recall), (0.0, 0.0), "span cut short");
        let loc = report["LOC"];
        assert_eq!(
            (loc.precision, loc.recall),
            (1.0, 1.0),
            "stray I- starts one"
        );
        let micro = report["micro"];
        assert!((micro.f1 - 0.5).abs() < 1e-12);
    }
}
