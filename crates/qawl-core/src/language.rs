use std::fmt;
use std::str::FromStr;

/// The languages qawl analyses. Arabic first; codes are ISO 639-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Language {
    Arabic,
    Persian,
    Urdu,
    Hebrew,
    English,
    French,
    German,
    Spanish,
    Russian,
    Turkish,
}

/// A language code qawl does not support; carries the code as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported language code {0:?}; supported: ar, fa, ur, he, en, fr, de, es, ru, tr")]
pub struct UnknownLanguage(pub String);

impl Language {
    pub const ALL: [Language; 10] = [
        Language::Arabic,
        Language::Persian,
        Language::Urdu,
        Language::Hebrew,
        Language::English,
        Language::French,
        Language::German,
        Language::Spanish,
        Language::Russian,
        Language::Turkish,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Language::Arabic => "ar",
            Language::Persian => "fa",
            Language::Urdu => "ur",
            Language::Hebrew => "he",
            Language::English => "en",
            Language::French => "fr",
            Language::German => "de",
            Language::Spanish => "es",
            Language::Russian => "ru",
            Language::Turkish => "tr",
        }
    }

    /// Written right to left (matters for how editorial tools render spans, not for offsets).
    pub fn is_right_to_left(self) -> bool {
        matches!(
            self,
            Language::Arabic | Language::Persian | Language::Urdu | Language::Hebrew
        )
    }
}

impl FromStr for Language {
    type Err = UnknownLanguage;

    /// Accepts ISO 639-1 codes, case-insensitively, with an optional region (`ar-EG`, `en_US`).
    fn from_str(code: &str) -> Result<Self, Self::Err> {
        let primary = code
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        Language::ALL
            .into_iter()
            .find(|lang| lang.code() == primary)
            .ok_or_else(|| UnknownLanguage(code.to_string()))
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_regions_are_accepted() {
        for lang in Language::ALL {
            assert_eq!(lang.code().parse::<Language>(), Ok(lang));
        }
        assert_eq!("AR-eg".parse::<Language>(), Ok(Language::Arabic));
        assert_eq!("en_US".parse::<Language>(), Ok(Language::English));
    }

    #[test]
    fn unknown_codes_are_refused_with_the_code() {
        let err = "xx".parse::<Language>().unwrap_err();
        assert_eq!(err, UnknownLanguage("xx".into()));
        assert!("".parse::<Language>().is_err());
    }
}
