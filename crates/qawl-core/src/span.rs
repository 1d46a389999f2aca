/// A half-open byte range `[start, end)` into the original UTF-8 article text.
///
/// Spans stay in bytes inside qawl; UTF-16 offsets for JavaScript clients are derived at the API edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end, "span start {start} after end {end}");
        Self { start, end }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The text this span covers, or `None` when it does not lie on char boundaries of `text`.
    pub fn slice<'t>(&self, text: &'t str) -> Option<&'t str> {
        text.get(self.start..self.end)
    }

    pub fn contains(&self, other: &Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_refuses_spans_inside_a_multibyte_char() {
        let text = "قال";
        assert_eq!(Span::new(0, 2).slice(text), Some("ق"));
        assert_eq!(Span::new(0, 1).slice(text), None);
    }

    #[test]
    fn overlap_is_half_open() {
        assert!(!Span::new(0, 3).overlaps(&Span::new(3, 5)));
        assert!(Span::new(0, 4).overlaps(&Span::new(3, 5)));
        assert!(Span::new(0, 5).contains(&Span::new(3, 5)));
    }
}
