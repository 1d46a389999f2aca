//! One entity per real source: mentions are merged by gazetteer id, by surname, by the head noun of
//! an unnamed source ("الدبلوماسي" → "دبلوماسي إيراني"), by a title the person holds ("the
//! spokesman"), and "the source" refers back to the last unnamed source.

use qawl_core::{Language, Span, SpeakerKind};

use crate::gazetteer::Gazetteer;
use crate::mention::{same_surname, Mention, MentionKind};
use crate::token::normalize_phrase;

/// How an entity is recognised when it is mentioned again.
#[derive(Debug, Clone, PartialEq)]
enum Key {
    Gazetteer(usize),
    Organization(String),
    Person(Vec<String>),
    Anonymous {
        head: String,
        plural: bool,
        modifiers: Vec<String>,
    },
}

/// One real-world source being built.
#[derive(Debug, Clone)]
pub struct Entity {
    pub kind: SpeakerKind,
    pub canonical: String,
    pub role: Option<String>,
    role_words: Vec<String>,
    pub mentions: Vec<Span>,
    key: Key,
}

/// The entities of one article, in order of first mention.
#[derive(Debug)]
pub struct Registry<'a> {
    text: &'a str,
    language: Language,
    gazetteer: &'a Gazetteer,
    pub entities: Vec<Entity>,
    /// Entities in the order they last spoke, most recent last.
    recent: Vec<usize>,
    /// The person mentioned last, and whether that came after the last claim.
    last_person: Option<(usize, bool)>,
}

impl<'a> Registry<'a> {
    pub fn new(text: &'a str, language: Language, gazetteer: &'a Gazetteer) -> Self {
        Self {
            text,
            language,
            gazetteer,
            entities: Vec::new(),
            recent: Vec::new(),
            last_person: None,
        }
    }

    /// Surnames of the people met so far.
    pub fn surnames(&self) -> Vec<String> {
        self.entities
            .iter()
            .filter_map(|e| match &e.key {
                Key::Person(name) => name.last().cloned(),
                _ => None,
            })
            .collect()
    }

    /// The name words of the people met so far (for family names of several words).
    pub fn person_names(&self) -> Vec<Vec<String>> {
        self.entities
            .iter()
            .filter_map(|e| match &e.key {
                Key::Person(name) if name.len() >= 3 => Some(name.clone()),
                _ => None,
            })
            .collect()
    }

    /// Records that `entity` just spoke.
    pub fn spoke(&mut self, entity: usize) {
        self.recent.retain(|e| *e != entity);
        self.recent.push(entity);
        if let Some((_, newer)) = &mut self.last_person {
            *newer = false;
        }
    }

    /// Who "he" or "she" is: a person named since the last claim ("Lescure a présenté… Il a
    /// assuré"), else the last speaker.
    pub fn pronoun_referent(&self) -> Option<usize> {
        match self.last_person {
            Some((person, true)) => Some(person),
            _ => self.last_speaker(),
        }
    }

    /// The entity that spoke last.
    pub fn last_speaker(&self) -> Option<usize> {
        self.recent.last().copied()
    }

    /// Links a mention to its entity, creating one when it is new. Pronouns link to nothing.
    pub fn resolve(&mut self, mention: &Mention) -> Option<usize> {
        let text = mention
            .span
            .slice(self.text)
            .unwrap_or_default()
            .to_string();
        let entity = match &mention.kind {
            MentionKind::Named { entity } => self.named(*entity),
            MentionKind::Organization => self.organization(&text),
            MentionKind::Person { name, role } => {
                let person = self.person(name, *role, &text);
                self.last_person = Some((person, true));
                person
            }
            MentionKind::Anonymous {
                head,
                plural,
                generic,
                modifiers,
            } => self.anonymous(head, *plural, *generic, modifiers, &text),
            MentionKind::Title { head } => self.titled(head, &text),
            MentionKind::Pronoun => return None,
        };
        let mentions = &mut self.entities[entity].mentions;
        if !mentions.contains(&mention.span) {
            mentions.push(mention.span);
        }
        Some(entity)
    }

    fn named(&mut self, index: usize) -> usize {
        let Some(known) = self.gazetteer.entities.get(index) else {
            return self.find_or_add(Key::Gazetteer(index), SpeakerKind::Gpe, "");
        };
        let (kind, canonical) = (known.kind, known.canonical.clone());
        self.find_or_add(Key::Gazetteer(index), kind, &canonical)
    }

    /// A bare organisation noun ("Агентство", "the ministry") is the last organisation named with
    /// that noun ("агентства Bloomberg", "commerce ministry").
    fn organization(&mut self, text: &str) -> usize {
        let words = normalize_phrase(text, self.language);
        if let [head] = words.as_slice() {
            let language = self.language;
            let found = self.entities.iter().rposition(|e| match &e.key {
                Key::Organization(named) => normalize_phrase(named, language)
                    .iter()
                    .any(|w| same_surname(w, head, language) || w == head),
                _ => false,
            });
            if let Some(found) = found {
                return found;
            }
        }
        self.find_or_add(
            Key::Organization(text.to_string()),
            SpeakerKind::Organization,
            text,
        )
    }

    fn find_or_add(&mut self, key: Key, kind: SpeakerKind, canonical: &str) -> usize {
        if let Some(found) = self.entities.iter().position(|e| e.key == key) {
            return found;
        }
        self.add(key, kind, canonical)
    }

    fn add(&mut self, key: Key, kind: SpeakerKind, canonical: &str) -> usize {
        self.entities.push(Entity {
            kind,
            canonical: canonical.to_string(),
            role: None,
            role_words: Vec::new(),
            mentions: Vec::new(),
            key,
        });
        self.entities.len() - 1
    }

    fn person(&mut self, name: &[String], role: Option<Span>, text: &str) -> usize {
        let language = self.language;
        let last = name.last().map(String::as_str).unwrap_or_default();
        let found = self.entities.iter().rposition(|e| match &e.key {
            Key::Person(known) => {
                known
                    .last()
                    .is_some_and(|k| same_surname(k, last, language))
                    && (name.len() == 1
                        || known.len() == 1
                        || known.first() == name.first()
                        || known.ends_with(name))
            }
            _ => false,
        });
        let entity = match found {
            Some(entity) => entity,
            None => self.add(Key::Person(name.to_vec()), SpeakerKind::Person, text),
        };
        let e = &mut self.entities[entity];
        if let Key::Person(known) = &mut e.key {
            if name.len() > known.len() {
                *known = name.to_vec();
                e.canonical = text.to_string();
            }
        }
        if let (None, Some(role)) = (&e.role, role) {
            let role_text = role
                .slice(self.text)
                .unwrap_or_default()
                .trim_matches([',', '،', ' ']);
            e.role_words = normalize_phrase(role_text, language);
            e.role = Some(role_text.to_string());
        }
        entity
    }

    fn anonymous(
        &mut self,
        head: &str,
        plural: bool,
        generic: bool,
        modifiers: &[String],
        text: &str,
    ) -> usize {
        let language = self.language;
        let same_head = |e: &Entity| {
            // German compounds: "Vertreter" refers back to "Gewerkschaftsvertreter".
            let compound = |h: &str| head.chars().count() >= 5 && h.ends_with(head);
            matches!(&e.key, Key::Anonymous { head: h, plural: p, .. }
                if (same_surname(h, head, language) || compound(h)) && *p == plural)
        };
        // A bare head ("الدبلوماسي", "the official") is the last source with that head.
        if modifiers.is_empty() {
            if let Some(found) = self.entities.iter().rposition(same_head) {
                return found;
            }
            // "المصدر", "the source": the last unnamed source that is one person.
            if generic && !plural {
                let singular = |e: &&usize| {
                    matches!(
                        &self.entities[**e].key,
                        Key::Anonymous { plural: false, .. }
                    )
                };
                if let Some(found) = self.recent.iter().rev().find(singular) {
                    return *found;
                }
            }
        }
        let key = Key::Anonymous {
            head: head.to_string(),
            plural,
            modifiers: modifiers.to_vec(),
        };
        self.find_or_add(key, SpeakerKind::Anonymous, text)
    }

    fn titled(&mut self, head: &str, text: &str) -> usize {
        let language = self.language;
        let holder = self
            .recent
            .iter()
            .rev()
            .chain(
                self.entities
                    .iter()
                    .enumerate()
                    .rev()
                    .map(|(i, _)| i)
                    .collect::<Vec<_>>()
                    .iter(),
            )
            .copied()
            .find(|e| {
                self.entities[*e]
                    .role_words
                    .iter()
                    // "министра" is the "министр" of the role; "Sprecher" ends "Regierungssprecher".
                    .any(|w| w == head || w.ends_with(head) || same_surname(w, head, language))
            });
        match holder {
            Some(entity) => entity,
            None => self.anonymous(head, false, false, &[], text),
        }
    }
}

impl Entity {
    /// A gazetteer place or organisation: an actor of the article even when it says nothing.
    pub fn is_named(&self) -> bool {
        matches!(self.key, Key::Gazetteer(_))
    }
}
