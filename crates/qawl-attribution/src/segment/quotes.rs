//! Pairs quotation marks and brackets, so that sentence ends inside them are ignored.

use std::ops::Range;

/// Byte ranges `[opener, closer]` (inclusive of both marks) of the matched pairs in `text`,
/// in order of their openers. Unmatched marks (an apostrophe, a quote never closed) are ignored.
pub fn protected_ranges(text: &str) -> Vec<Range<usize>> {
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut pairs = Vec::new();
    let mut prev: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let next = chars.peek().map(|(_, n)| *n);
        if let Some(depth) = stack.iter().rposition(|(opener, _)| closes(*opener, c)) {
            let symmetric = matches!(c, '"' | '\'');
            // A straight quote right after a space opens rather than closes (nested quotes).
            let reopens =
                symmetric && prev.is_some_and(char::is_whitespace) && depth + 1 < stack.len();
            let apostrophe_after_space = c == '\'' && prev.is_some_and(char::is_whitespace);
            if !reopens && !apostrophe_after_space {
                let (_, start) = stack[depth];
                stack.truncate(depth);
                pairs.push(start..at + c.len_utf8());
                prev = Some(c);
                continue;
            }
        }
        let opens = match c {
            '«' | '“' | '„' | '‘' | '‹' | '(' | '[' | '{' | '"' | '《' | '「' => true,
            // An apostrophe opens only at the start of a word: "l'Iran", "Iran's" never do.
            '\'' => {
                !prev.is_some_and(crate::token::is_word_char)
                    && next.is_some_and(crate::token::is_word_char)
            }
            _ => false,
        };
        if opens {
            stack.push((c, at));
        }
        prev = Some(c);
    }
    pairs.sort_by_key(|r| r.start);
    pairs
}

fn closes(opener: char, c: char) -> bool {
    match opener {
        '«' => c == '»',
        '“' => c == '”',
        '„' => c == '“' || c == '”',
        '‘' => c == '’',
        '‹' => c == '›',
        '(' => c == ')',
        '[' => c == ']',
        '{' => c == '}',
        '"' => c == '"',
        '\'' => c == '\'',
        '《' => c == '》',
        '「' => c == '」',
        _ => false,
    }
}

/// True for the marks that may close a quotation or bracket.
pub fn is_closer(c: char) -> bool {
    matches!(
        c,
        '»' | '”' | '“' | '’' | '›' | ')' | ']' | '}' | '"' | '\'' | '》' | '」'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(text: &str) -> Vec<&str> {
        protected_ranges(text)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn every_quote_style_pairs() {
        assert_eq!(quoted("a «b. c» d"), ["«b. c»"]);
        assert_eq!(quoted("a „b. c“ d"), ["„b. c“"]);
        assert_eq!(quoted("a “b. c” d"), ["“b. c”"]);
        assert_eq!(quoted("a ‘b c’ d"), ["‘b c’"]);
        assert_eq!(quoted("a \"b. c\" d"), ["\"b. c\""]);
    }

    #[test]
    fn apostrophes_and_unclosed_marks_protect_nothing() {
        assert!(quoted("Iran's talks. İran'ın l'Iran").is_empty());
        assert!(quoted("an unclosed « quote. Then more.").is_empty());
    }

    #[test]
    fn nested_pairs_are_all_found() {
        assert_eq!(quoted("x (a “b” c) y"), ["(a “b” c)", "“b”"]);
    }
}
