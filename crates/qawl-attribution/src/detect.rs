//! Language detection by script and trigram statistics (whatlang), limited to qawl's languages.

use qawl_core::{Language, LanguageDetector};
use whatlang::{Detector, Lang};

/// Detects the article's language among the ten qawl supports.
#[derive(Debug)]
pub struct ScriptLanguageDetector {
    detector: Detector,
}

impl Default for ScriptLanguageDetector {
    fn default() -> Self {
        let allowed = vec![
            Lang::Ara,
            Lang::Pes,
            Lang::Urd,
            Lang::Heb,
            Lang::Eng,
            Lang::Fra,
            Lang::Deu,
            Lang::Spa,
            Lang::Rus,
            Lang::Tur,
        ];
        Self {
            detector: Detector::with_allowlist(allowed),
        }
    }
}

impl ScriptLanguageDetector {
    /// A detector for qawl's ten languages.
    pub fn new() -> Self {
        Self::default()
    }
}

impl LanguageDetector for ScriptLanguageDetector {
    fn detect(&self, text: &str) -> Option<Language> {
        let lang = self.detector.detect_lang(text)?;
        let language = match lang {
            Lang::Ara => Language::Arabic,
            Lang::Pes => Language::Persian,
            Lang::Urd => Language::Urdu,
            Lang::Heb => Language::Hebrew,
            Lang::Eng => Language::English,
            Lang::Fra => Language::French,
            Lang::Deu => Language::German,
            Lang::Spa => Language::Spanish,
            Lang::Rus => Language::Russian,
            Lang::Tur => Language::Turkish,
            _ => return None,
        };
        Some(refine_arabic_script(text, language))
    }
}

/// Letters only Urdu or only Persian use settle confusions between the Arabic-script languages.
fn refine_arabic_script(text: &str, guess: Language) -> Language {
    if !matches!(guess, Language::Arabic | Language::Persian | Language::Urdu) {
        return guess;
    }
    let count = |set: &[char]| text.chars().filter(|c| set.contains(c)).count();
    let urdu = count(&['ٹ', 'ڈ', 'ڑ', 'ں', 'ے', '۔', 'ھ']);
    let persian = count(&['پ', 'چ', 'ژ', 'گ', 'ک', 'ی']);
    let arabic = count(&['ة', 'ى', 'ي', 'ك', 'إ', 'أ']);
    if urdu > 2 && urdu * 2 >= persian {
        Language::Urdu
    } else if persian > arabic && guess == Language::Arabic {
        Language::Persian
    } else if arabic > persian * 2 && guess == Language::Persian {
        Language::Arabic
    } else {
        guess
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_is_recognised_from_a_news_sentence() {
        let samples = [
            ("أكد المتحدث باسم وزارة الخارجية أن المحادثات انتهت وأن الوفدين سيعودان إلى بلديهما.", Language::Arabic),
            ("سخنگوی وزارت امور خارجه گفت که گفت‌وگوها به پایان رسید و هیئت‌ها به کشور خود بازمی‌گردند.", Language::Persian),
            ("وزارت خارجہ کے ترجمان نے کہا کہ مذاکرات ختم ہو گئے ہیں اور وفود اپنے ملکوں کو واپس جا رہے ہیں۔", Language::Urdu),
            ("דובר משרד החוץ אמר כי השיחות הסתיימו והמשלחות יחזרו לארצותיהן.", Language::Hebrew),
            ("The foreign ministry spokesman said the talks had ended and both delegations would return home.", Language::English),
            ("Le porte-parole du ministère a déclaré que les discussions étaient terminées.", Language::French),
            ("Der Sprecher des Außenministeriums sagte, die Gespräche seien beendet.", Language::German),
            ("El portavoz del ministerio dijo que las conversaciones habían terminado.", Language::Spanish),
            ("Официальный представитель министерства заявил, что переговоры завершились.", Language::Russian),
            ("Dışişleri Bakanlığı sözcüsü görüşmelerin sona erdiğini söyledi.", Language::Turkish),
        ];
        let detector = ScriptLanguageDetector::default();
        for (text, language) in samples {
            assert_eq!(detector.detect(text), Some(language), "{text}");
        }
    }

    #[test]
    fn text_without_letters_has_no_language() {
        assert_eq!(ScriptLanguageDetector::default().detect("12345 !!"), None);
    }
}
