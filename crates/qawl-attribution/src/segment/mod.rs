//! Sentence segmentation: paragraphs, headlines, datelines and sentences, as byte spans.

mod boundary;
mod layout;
mod quotes;

use qawl_core::{Language, Sentence, SentenceKind, SentenceSegmenter, Span};

pub(crate) use quotes::{is_closer, protected_ranges};

use crate::lexicon::Lexicons;
use crate::AttributionError;

/// Rule-based segmenter for the ten languages: quotes and brackets stay whole, abbreviations and
/// numbers do not end sentences, headlines and datelines are their own units, and blank lines are
/// hard boundaries. Spans never include surrounding whitespace.
#[derive(Debug, Clone, Default)]
pub struct RuleSegmenter {
    lexicons: Lexicons,
}

impl RuleSegmenter {
    /// A segmenter over the embedded lexicons.
    pub fn new() -> Result<Self, AttributionError> {
        Ok(Self {
            lexicons: Lexicons::embedded()?,
        })
    }
}

impl SentenceSegmenter for RuleSegmenter {
    fn segment(&self, text: &str, language: Language) -> Vec<Sentence> {
        let lexicon = self.lexicons.get(language);
        let mut sentences = Vec::new();
        let mut push = |span: Span, kind: SentenceKind, paragraph: usize| {
            if let Some(trimmed) = trim(text, span) {
                sentences.push(Sentence {
                    span: trimmed,
                    kind,
                    paragraph,
                });
            }
        };
        for unit in layout::units(text) {
            match layout::classify(text, unit.span, lexicon) {
                SentenceKind::Dateline => {
                    for part in layout::split_glued_dateline(text, unit.span) {
                        push(part, SentenceKind::Dateline, unit.paragraph);
                    }
                }
                SentenceKind::Headline => push(unit.span, SentenceKind::Headline, unit.paragraph),
                SentenceKind::Body => {
                    let mut body = unit.span;
                    if let Some(dateline) = layout::leading_dateline(text, unit.span, language) {
                        push(dateline, SentenceKind::Dateline, unit.paragraph);
                        body = Span::new(dateline.end, unit.span.end);
                    }
                    for sentence in boundary::split_sentences(text, body, lexicon) {
                        push(sentence, SentenceKind::Body, unit.paragraph);
                    }
                }
            }
        }
        sentences
    }
}

/// The span without leading and trailing whitespace; `None` when nothing else is left.
fn trim(text: &str, span: Span) -> Option<Span> {
    let slice = span.slice(text)?;
    let start = span.start + (slice.len() - slice.trim_start().len());
    let end = span.start + slice.trim_end().len();
    (start < end).then(|| Span::new(start, end))
}
