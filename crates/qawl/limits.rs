//! Request bounds. Every size, count and length the server accepts is bounded (STYLE rule 3).

/// Bounds every request must respect; the defaults suit news articles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest article text in UTF-8 bytes (a long feature article is ≈ 50 KB).
    pub max_article_bytes: usize,
    /// Most targets per article.
    pub max_targets: usize,
    /// Largest proposition / premise in UTF-8 bytes.
    pub max_proposition_bytes: usize,
    /// Largest id (request, target, pair) in UTF-8 bytes.
    pub max_id_bytes: usize,
    /// Most pairs per ClassifyStance call.
    pub max_stance_pairs: usize,
    /// Largest gRPC message decoded or encoded.
    pub max_message_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_article_bytes: 256 * 1024,
            max_targets: 32,
            max_proposition_bytes: 2048,
            max_id_bytes: 256,
            max_stance_pairs: 256,
            max_message_bytes: 4 * 1024 * 1024,
        }
    }
}
