//! The reported content of a cue: what follows a complementizer ("أن", "that", "que"), the clause
//! on the other side of the verb ("The talks ended, Baghaei said"), the words between subject and
//! verb in verb-final Turkish, or the rest of an according-to sentence.

use qawl_core::Span;

use crate::cue::CueKind;
use crate::source::Parsed;

/// Fewest words that make reported content.
const MIN_CONTENT_WORDS: usize = 2;

impl Parsed<'_> {
    /// The word where the cue at `cue`'s reach ends: the next cue that reports on its own.
    fn limit(&self, cue: usize) -> usize {
        self.cues[cue + 1..]
            .iter()
            .find(|c| !matches!(c.kind, CueKind::RelayMarker { .. }))
            .map_or(self.words.len(), |c| c.first)
    }

    fn floor(&self, cue: usize) -> usize {
        if cue == 0 {
            0
        } else {
            self.cues[cue - 1].end
        }
    }

    /// Words `[from, to)` as a span, when there are enough of them.
    pub fn words_span(&self, from: usize, to: usize) -> Option<Span> {
        (to > from && to - from >= MIN_CONTENT_WORDS).then(|| self.words.range(from, to))
    }

    /// The first complementizer in `[from, to)` (a weak one only when there is no other): the
    /// index just after it.
    fn after_complementizer(&self, from: usize, to: usize) -> Option<usize> {
        let lexicon = self.words.lexicon;
        let first_of = |set| (from..to).find_map(|k| self.words.find(set, k).map(|f| k + f.len));
        first_of(&lexicon.complementizers).or_else(|| first_of(&lexicon.weak_complementizers))
    }

    /// The content of a verb, participle or relay cue whose source is `subject`.
    pub fn reported(&self, cue: usize, subject: Option<usize>) -> Option<Span> {
        let c = self.cues[cue];
        let start_after = match c.kind {
            CueKind::Relay { saying_end, .. } => saying_end,
            _ => c.end,
        };
        let limit = self.limit(cue);
        let subject = subject.map(|m| &self.mentions[m]);
        let subject_right = subject.filter(|m| m.first >= c.end);
        // The words right after a subject that are its complement ("مسؤول في وزارة…") are
        // part of the source, not of the content.
        let subject_end = |m: &crate::mention::Mention| {
            let mut end = m.end;
            while let Some(next) = self
                .mentions
                .iter()
                .find(|n| n.first == end && self.words.adjacent(end - 1))
            {
                end = next.end;
            }
            end
        };
        let after = subject_right.map_or(start_after, |m| m.end.max(start_after));
        if let Some(from) = self.after_complementizer(start_after, limit) {
            return self.words_span(from, limit);
        }
        let floor = self.floor(cue);
        let rest = self.words_span(after, limit);
        if !matches!(c.kind, CueKind::Verb) {
            return rest;
        }
        let subject_left = subject.filter(|m| m.end <= c.first);
        if self.words.lexicon.content_before_verb {
            // A relay marker between subject and verb ("X'e atfen") is not content.
            let marker_end = self.cues[..cue]
                .iter()
                .filter(|m| matches!(m.kind, CueKind::RelayMarker { .. }))
                .map(|m| m.end)
                .max()
                .unwrap_or(0);
            if let Some(span) =
                subject_left.and_then(|m| self.words_span(subject_end(m).max(marker_end), c.first))
            {
                return Some(span);
            }
        }
        let mut before_end = subject_left.map_or(c.first, |m| m.first);
        while before_end > floor
            && self
                .words
                .lexicon
                .determiners
                .contains_word(self.words.norm(before_end - 1))
        {
            before_end -= 1;
        }
        // '"…," the department's director general told': content that opens with a quotation
        // ends with it.
        let opens_with_quote = |q: &std::ops::Range<usize>| {
            floor < self.words.len()
                && q.start <= self.words.span(floor).start
                && q.end > self.words.span(floor).start
        };
        if let Some(quote_end) = self
            .quotes
            .iter()
            .filter(|q| opens_with_quote(q))
            .map(|q| self.words.index_at(q.end))
            .filter(|e| *e > floor + 2 && *e < before_end)
            .max()
        {
            before_end = quote_end;
        }
        let before = self
            .words_span(floor, before_end)
            .filter(|_| before_end - floor >= 3);
        // "…, said X", "«…», a déclaré X": the content stands before the cue, closed by a comma.
        let comma_before = c.first > 0 && {
            let gap = self.words.gap(before_end.saturating_sub(1));
            gap.contains([',', '،']) || gap.chars().any(crate::segment::is_closer)
        };
        match (rest, before) {
            (Some(rest), Some(before)) => Some(if comma_before { before } else { rest }),
            (rest, before) => rest.or(before),
        }
    }

    /// The content of an according-to cue: the longer side of the sentence around cue and source.
    pub fn according_content(&self, cue: usize, source: Option<usize>) -> Option<Span> {
        let c = self.cues[cue];
        let (left_end, right_start) = match source.map(|m| &self.mentions[m]) {
            Some(m) if m.end <= c.first => (m.first, c.end),
            Some(m) => (c.first, m.end.max(c.end)),
            None => (c.first, c.end),
        };
        let floor = self.floor(cue);
        let limit = self.limit(cue);
        let left = left_end.saturating_sub(floor);
        let right = limit.saturating_sub(right_start);
        if right >= left {
            let from = self
                .after_complementizer(right_start, (right_start + 1).min(limit))
                .unwrap_or(right_start);
            self.words_span(from, limit)
        } else {
            self.words_span(floor, left_end)
        }
    }
}
