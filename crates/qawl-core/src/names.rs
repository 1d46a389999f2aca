//! Names found by a learned tagger, handed to the attributor as a signal: a person's name the
//! rules have no given name for is still a name.

use crate::{PipelineError, Sentence, Span};

/// What a tagged name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum NameKind {
    Person,
    Organization,
    /// A country, city or region.
    Location,
}

/// One name in the article text.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TaggedName {
    pub kind: NameKind,
    /// Byte span in the article.
    pub span: Span,
    /// The tagger's mean probability over the name's words.
    pub score: f32,
}

/// Finds names of people, organisations and places in the article's sentences.
#[async_trait::async_trait]
pub trait NameTagger: Send + Sync {
    /// Names in `sentences` of `text`, with article byte spans, in text order.
    async fn tag(
        &self,
        text: &str,
        sentences: &[Sentence],
    ) -> Result<Vec<TaggedName>, PipelineError>;
    /// Identifies the model and revision, for response metadata.
    fn model_id(&self) -> String;
}
