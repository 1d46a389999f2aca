//! Named places and organisations that act as sources ("إيران", "Tehran", "the United Nations"),
//! from the embedded `lexicons/gazetteer.toml`. A capital stands for its country, as news writing
//! uses it ("طهران تعتقد…").

use qawl_core::{Language, SpeakerKind};
use serde::Deserialize;

use crate::lexicon::PhraseSet;
use crate::AttributionError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GazetteerFile {
    entity: Vec<EntityEntry>,
}

/// Unknown keys are language codes, so this entry cannot deny unknown fields.
#[derive(Debug, Deserialize)]
struct EntityEntry {
    #[allow(dead_code)]
    id: String,
    kind: EntityKind,
    #[serde(flatten)]
    names: std::collections::HashMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
enum EntityKind {
    Gpe,
    Organization,
}

/// One named entity: its id and, per language, its names (the first is canonical).
#[derive(Debug, Clone)]
pub struct Entity {
    pub kind: SpeakerKind,
    pub canonical: String,
}

/// The entities of one language, indexed by their names.
#[derive(Debug, Clone, Default)]
pub struct Gazetteer {
    pub entities: Vec<Entity>,
    /// For each entity (same order), its names.
    pub names: Vec<PhraseSet>,
}

impl Gazetteer {
    /// The gazetteer of `language`.
    pub fn embedded(language: Language) -> Result<Self, AttributionError> {
        let file = "lexicons/gazetteer.toml";
        let raw: GazetteerFile = toml::from_str(include_str!("../lexicons/gazetteer.toml"))
            .map_err(|source| AttributionError::InvalidData { file, source })?;
        let mut gazetteer = Self::default();
        for entry in raw.entity {
            let Some(names) = entry.names.get(language.code()) else {
                continue;
            };
            let Some(canonical) = names.first() else {
                continue;
            };
            gazetteer.entities.push(Entity {
                kind: match entry.kind {
                    EntityKind::Gpe => SpeakerKind::Gpe,
                    EntityKind::Organization => SpeakerKind::Organization,
                },
                canonical: canonical.clone(),
            });
            gazetteer.names.push(PhraseSet::build(names, language));
        }
        Ok(gazetteer)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GivenNamesFile {
    names: Vec<String>,
}

/// Common given names in every script (`lexicons/given_names.toml`), normalised for `language`:
/// they tell a name from the common words around it where the script has no capitals.
pub fn given_names(language: Language) -> Result<PhraseSet, AttributionError> {
    let file = "lexicons/given_names.toml";
    let raw: GivenNamesFile = toml::from_str(include_str!("../lexicons/given_names.toml"))
        .map_err(|source| AttributionError::InvalidData { file, source })?;
    Ok(PhraseSet::build(&raw.names, language))
}
