//! `--targets FILE`: default targets for records that name none, as a JSON array or JSONL of
//! `{"id", "proposition"}`. Every mistake is reported with the file and line.

use std::collections::HashSet;
use std::path::Path;

use crate::error::BatchError;
use crate::record::Target;

/// Reads targets from `path`: a JSON array when the first non-blank character is `[`, else JSONL.
/// Ids must be unique and ids and propositions non-empty.
pub fn load_targets(path: &Path) -> Result<Vec<Target>, BatchError> {
    let fail = |line: Option<u64>, reason: String| BatchError::TargetsFile {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|err| fail(None, err.to_string()))?;
    let mut targets = Vec::new();
    if text.trim_start().starts_with('[') {
        let values: Vec<serde_json::Value> = serde_json::from_str(&text)
            .map_err(|err| fail(Some(err.line() as u64), err.to_string()))?;
        // Line of each element's start, for messages about its content.
        let lines = element_lines(&text, values.len());
        for (value, line) in values.into_iter().zip(lines) {
            targets.push((line, parse_target(value).map_err(|r| fail(Some(line), r))?));
        }
    } else {
        for (index, line) in text.lines().enumerate() {
            let number = index as u64 + 1;
            if line.trim().is_empty() {
                continue;
            }
            let value =
                serde_json::from_str(line).map_err(|err| fail(Some(number), err.to_string()))?;
            targets.push((
                number,
                parse_target(value).map_err(|r| fail(Some(number), r))?,
            ));
        }
    }
    if targets.is_empty() {
        return Err(fail(None, "no targets in the file".to_owned()));
    }
    let mut seen = HashSet::new();
    for (line, target) in &targets {
        if !seen.insert(target.id.as_str()) {
            return Err(fail(
                Some(*line),
                format!("target id {:?} appears twice", target.id),
            ));
        }
    }
    Ok(targets.into_iter().map(|(_, target)| target).collect())
}

fn parse_target(value: serde_json::Value) -> Result<Target, String> {
    let target: Target = serde_json::from_value(value)
        .map_err(|err| format!("expected {{\"id\": …, \"proposition\": …}}: {err}"))?;
    if target.id.trim().is_empty() {
        return Err("empty target id".to_owned());
    }
    if target.proposition.trim().is_empty() {
        return Err(format!("target {:?} has an empty proposition", target.id));
    }
    Ok(target)
}

/// 1-based line where each top-level array element starts (by tracking JSON nesting and strings).
fn element_lines(text: &str, count: usize) -> Vec<u64> {
    let mut lines = Vec::with_capacity(count);
    let (mut line, mut depth, mut in_string, mut escaped) = (1u64, 0usize, false, false);
    let mut expecting = false;
    for ch in text.chars() {
        if ch == '\n' {
            line += 1;
        }
        if in_string {
            match (escaped, ch) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if expecting && !ch.is_whitespace() && ch != ']' {
            lines.push(line);
            expecting = false;
        }
        match ch {
            '"' => in_string = true,
            '[' | '{' => {
                depth += 1;
                if depth == 1 {
                    expecting = true;
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 1 => expecting = true,
            _ => {}
        }
    }
    lines.resize(count, line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str, text: &str) -> Result<Vec<Target>, BatchError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        load_targets(&path)
    }

    #[test]
    fn json_arrays_and_jsonl_give_the_same_targets() {
        let array = load(
            "t.json",
            r#"[{"id": "halt", "proposition": "Iran stops enriching."},
                {"id": "talks", "proposition": "Talks resume."}]"#,
        )
        .expect("array");
        let lines = load(
            "t.jsonl",
            "{\"id\": \"halt\", \"proposition\": \"Iran stops enriching.\"}\n\n{\"id\": \"talks\", \"proposition\": \"Talks resume.\"}\n",
        )
        .expect("jsonl");
        assert_eq!(array, lines);
        assert_eq!(array[1].id, "talks");
    }

    #[test]
    fn mistakes_name_the_file_and_line() {
        let message =
            |name: &str, text: &str| load(name, text).expect_err("invalid targets").to_string();
        let jsonl = message(
            "bad.jsonl",
            "{\"id\": \"a\", \"proposition\": \"p\"}\n{\"id\": \"b\"}\n",
        );
        assert!(jsonl.contains("bad.jsonl:2"), "{jsonl}");
        assert!(jsonl.contains("proposition"), "{jsonl}");
        let array = message(
            "dup.json",
            "[\n {\"id\": \"a\", \"proposition\": \"p\"},\n {\"id\": \"a\", \"proposition\": \"q\"}\n]",
        );
        assert!(
            array.contains("dup.json:3") && array.contains("twice"),
            "{array}"
        );
        let empty = message("empty.json", "[\n {\"id\": \"a\", \"proposition\": \" \"}]");
        assert!(empty.contains("empty.json:2"), "{empty}");
        let broken = message(
            "broken.jsonl",
            "{\"id\": \"a\", \"proposition\": \"p\"}\n{oops\n",
        );
        assert!(broken.contains("broken.jsonl:2"), "{broken}");
        assert!(message("none.jsonl", "\n").contains("no targets"));
    }
}
