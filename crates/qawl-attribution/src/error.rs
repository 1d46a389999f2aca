/// Why the attribution engine could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AttributionError {
    /// An embedded lexicon or gazetteer file is not valid TOML for its schema.
    #[error("the {file} data file is invalid")]
    InvalidData {
        file: &'static str,
        #[source]
        source: toml::de::Error,
    },
}
