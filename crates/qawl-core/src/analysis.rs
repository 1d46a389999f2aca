use crate::{Language, Span, Stance};

/// What kind of unit a segmented sentence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum SentenceKind {
    /// Running text.
    Body,
    /// A title line: short, unpunctuated, standing alone at the top (or repeated below the dateline).
    Headline,
    /// A date/place line ("7 فبراير 2026", "LONDON, Feb 7 (Reuters) -", "آخر تحديث :").
    Dateline,
}

/// One sentence (or headline/dateline unit) of the article.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Sentence {
    pub span: Span,
    pub kind: SentenceKind,
    /// Index of the paragraph (blank-line separated block) that holds the sentence.
    pub paragraph: usize,
}

/// How a claim is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ClaimKind {
    /// Words inside quotation marks, attributed to a speaker.
    DirectQuote,
    /// Reported speech: "X said that …", "أفادت مصادر بأن …".
    Indirect,
    /// "according to X, …", "بحسب …", "selon …".
    AccordingTo,
    /// The article's headline, which asserts in the outlet's voice.
    Headline,
    /// A claim the text asserts without naming a source.
    Unattributed,
}

/// Who a speaker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum SpeakerKind {
    Person,
    Organization,
    /// A country, city or government named as a whole ("Iran", "Tehran", "Washington").
    Gpe,
    /// An unnamed source: "an Iranian diplomat", "sources", "a senior official".
    Anonymous,
}

/// One real-world source, with every mention of it in the article.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Speaker {
    pub kind: SpeakerKind,
    /// The fullest name the article gives ("إسماعيل بقائي", not "بقائي").
    pub canonical_name: String,
    /// Title or role when the text gives one ("متحدث وزارة الخارجية الإيرانية").
    pub role: Option<String>,
    /// Every mention, in text order.
    pub mentions: Vec<Span>,
}

/// One claim: reported content, how it is reported, and by whom.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Claim {
    /// Index into the article's sentences.
    pub sentence_index: usize,
    /// The reported content (the clause after the cue, the quoted words, or the whole sentence).
    pub span: Span,
    pub kind: ClaimKind,
    /// The reporting cue ("قال", "said", "according to"), when there is one.
    pub cue: Option<Span>,
    /// Index into the analysis' speakers.
    pub speaker: Option<usize>,
    /// Who relayed the claim ("sources quoted X as saying": sources relay X).
    pub relayed_by: Option<usize>,
    /// Probability that the sentence carries a verifiable claim; `None` until a claim scorer runs.
    pub claim_score: Option<f32>,
    /// One stance per target, in request order; empty when no target applies.
    pub stances: Vec<Stance>,
}

/// What the attributor found: claims with speakers, before any model scores them.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Attribution {
    pub claims: Vec<Claim>,
    pub speakers: Vec<Speaker>,
}

/// The full result for one article.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Analysis {
    pub language: Language,
    pub sentences: Vec<Sentence>,
    pub claims: Vec<Claim>,
    pub speakers: Vec<Speaker>,
}

impl Analysis {
    /// The first headline of the article, if the segmenter found one.
    pub fn headline(&self) -> Option<&Sentence> {
        self.sentences
            .iter()
            .find(|s| s.kind == SentenceKind::Headline)
    }
}
