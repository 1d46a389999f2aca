//! The eval report as text: headline numbers, a per-class (or per-type) table, and for
//! classifiers the confusion matrix.

use std::fmt::Write;
use std::path::Path;

use serde_json::Value;

pub fn text(kind: &str, input: &Path, report: &Value) -> String {
    let mut out = String::new();
    let number = |key: &str| report.get(key).and_then(Value::as_f64);
    let _ = writeln!(
        out,
        "{kind}: {} examples from {}",
        report["examples"],
        input.display()
    );
    if let Some(entities) = report.get("entities").and_then(Value::as_object) {
        let _ = writeln!(
            out,
            "{:<8} {:>9} {:>7} {:>7} {:>8}",
            "type", "precision", "recall", "f1", "support"
        );
        for (kind, s) in entities {
            let _ = writeln!(
                out,
                "{kind:<8} {:>9.3} {:>7.3} {:>7.3} {:>8}",
                s["precision"].as_f64().unwrap_or(0.0),
                s["recall"].as_f64().unwrap_or(0.0),
                s["f1"].as_f64().unwrap_or(0.0),
                s["support"]
            );
        }
        return out;
    }
    let _ = write!(
        out,
        "accuracy {:.3}  macro-F1 {:.3}",
        number("accuracy").unwrap_or(0.0),
        number("macro_f1").unwrap_or(0.0)
    );
    if let Some(f1) = number("macro_f1_entails_contradicts") {
        let _ = write!(out, "  macro-F1 entails/contradicts {f1:.3}");
    }
    if let Some(f1) = number("f1_claim") {
        let _ = write!(out, "  F1(claim) {f1:.3}");
    }
    if let Some(auc) = number("roc_auc") {
        let _ = write!(out, "  ROC-AUC {auc:.3}");
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<12} {:>9} {:>7} {:>7} {:>8}",
        "class", "precision", "recall", "f1", "support"
    );
    let classes = report["per_class"].as_array().cloned().unwrap_or_default();
    let names: Vec<String> = classes
        .iter()
        .map(|c| c[0].as_str().unwrap_or("?").to_string())
        .collect();
    for class in &classes {
        let s = &class[1];
        let _ = writeln!(
            out,
            "{:<12} {:>9.3} {:>7.3} {:>7.3} {:>8}",
            class[0].as_str().unwrap_or("?"),
            s["precision"].as_f64().unwrap_or(0.0),
            s["recall"].as_f64().unwrap_or(0.0),
            s["f1"].as_f64().unwrap_or(0.0),
            s["support"]
        );
    }
    let _ = writeln!(out, "confusion (rows: gold, columns: predicted)");
    let _ = writeln!(
        out,
        "{:<12} {}",
        "",
        names.iter().map(|n| format!("{n:>12}")).collect::<String>()
    );
    for (name, row) in names
        .iter()
        .zip(report["confusion"].as_array().into_iter().flatten())
    {
        let cells: String = row
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| format!("{:>12}", c))
            .collect();
        let _ = writeln!(out, "{name:<12} {cells}");
    }
    out
}
