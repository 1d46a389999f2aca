//! Which mention is the source of a cue: the subject of a reporting verb on either side of it
//! (Arabic and Romance verb-subject order, English and Persian subject-verb), the source after
//! "according to", the speaker named before a relay's "saying".

use crate::cue::{Cue, CueKind};
use crate::mention::{Mention, MentionKind};
use crate::words::Words;

/// Most words between a subject and its verb when other words stand between them.
const MAX_SUBJECT_DISTANCE: usize = 8;

/// One sentence's words, mentions and cues.
#[derive(Debug)]
pub struct Parsed<'a> {
    pub words: Words<'a>,
    pub mentions: Vec<Mention>,
    pub cues: Vec<Cue>,
    /// Byte ranges of the quotations in the sentence (absolute offsets).
    pub quotes: Vec<std::ops::Range<usize>>,
}

impl Parsed<'_> {
    pub fn quoted(&self, mention: &Mention) -> bool {
        let at = mention.span.start;
        self.quotes.iter().any(|q| q.start < at && at < q.end)
    }

    fn is_complementizer(&self, i: usize) -> bool {
        self.words
            .find(&self.words.lexicon.complementizers, i)
            .is_some()
    }

    fn only_glue(&self, from: usize, to: usize) -> bool {
        let lexicon = self.words.lexicon;
        (from..to).all(|k| {
            !self.is_complementizer(k)
                && (lexicon.determiners.contains_word(self.words.norm(k))
                    || lexicon.stopwords.contains_word(self.words.norm(k)))
        })
    }

    /// A mention that starts within two glue words after word `from`.
    pub fn right_of(&self, from: usize, limit: usize) -> Option<usize> {
        self.mentions.iter().position(|m| {
            m.first >= from
                && m.first <= from + 2
                && m.end <= limit
                && !self.quoted(m)
                && self.only_glue(from, m.first)
        })
    }

    /// The nearest mention ending before word `to` (not before `floor`) within `distance` words,
    /// with no complementizer between it and `to`. A mention governed by a preposition ("an
    /// official at the ministry said") is not a subject.
    pub fn left_of(&self, to: usize, floor: usize, distance: usize) -> Option<usize> {
        let marked = self.relay_marked_speaker();
        self.mentions.iter().enumerate().rposition(|(k, m)| {
            Some(k) != marked
                && m.end <= to
                && m.first >= floor
                && to - m.end <= distance
                && !self.quoted(m)
                && !(m.end..to).any(|k| self.is_complementizer(k))
                && !self.after_preposition(m.first)
        })
    }

    /// A mention that directly follows an unnamed source or a person is that noun's complement
    /// ("Аналитики консалтинговой компании", "a spokesman of the ministry"): the head speaks.
    fn head_of(&self, mention: usize) -> usize {
        let m = &self.mentions[mention];
        match mention.checked_sub(1).map(|p| (p, &self.mentions[p])) {
            Some((p, before))
                if before.first < m.first
                    && (before.end..m.first).all(|k| {
                        self.words
                            .lexicon
                            .determiners
                            .contains_word(self.words.norm(k))
                    })
                    && self.words.adjacent(before.end - 1)
                    && matches!(
                        before.kind,
                        MentionKind::Anonymous { .. }
                            | MentionKind::Person { .. }
                            | MentionKind::Title { .. }
                    ) =>
            {
                p
            }
            _ => mention,
        }
    }

    /// The mention's word carries a prepositional clitic: "بإيران", "בירושלים".
    fn clitic_governed(&self, mention: &Mention) -> bool {
        let token = &self.words.tokens[mention.first];
        let inside = token.span.start < mention.span.start && mention.span.start < token.span.end;
        let written = &self.words.text
            [token.span.start..mention.span.start.clamp(token.span.start, token.span.end)];
        inside
            && self.words.lexicon.clitic_prepositions.iter().any(|p| {
                crate::token::normalize(written, self.words.language()).contains(p.as_str())
            })
    }

    fn after_preposition(&self, first: usize) -> bool {
        if self
            .mentions
            .iter()
            .any(|m| m.first == first && self.clitic_governed(m))
        {
            return true;
        }
        let lexicon = self.words.lexicon;
        if lexicon.postpositional {
            return false;
        }
        // Walk back over articles and the capitalised words of a possessive name: "of the
        // International Longshoremen's Association".
        let possessive = |k: usize| {
            self.words.norm(k) == "s"
                && self.words.text[..self.words.span(k).start].ends_with(['\'', '’'])
        };
        let mut k = first;
        while k > 0
            && first - k < 6
            && (self.words.adjacent(k - 1) || possessive(k))
            && (lexicon.determiners.contains_word(self.words.norm(k - 1))
                || possessive(k - 1)
                || (self.words.tokens[k - 1].capitalized
                    && !lexicon.stopwords.contains_word(self.words.norm(k - 1))))
        {
            k -= 1;
        }
        k > 0 && k <= first && lexicon.stopwords.contains_word(self.words.norm(k - 1))
            && !lexicon.determiners.contains_word(self.words.norm(k - 1))
            && self.words.gap(k - 1).is_empty()
            // "China's commerce ministry": the possessive "s" is no preposition.
            && !self.words.text[..self.words.span(k - 1).start].ends_with(['\'', '’'])
    }

    /// The first mention of the clause `[floor, to)`, for verb-final languages.
    pub fn first_in(&self, floor: usize, to: usize) -> Option<usize> {
        let marked = self.relay_marked_speaker();
        // In agglutinative languages a case ending after an apostrophe ("Reuters'a konuşan")
        // marks a noun that is not the subject.
        let case_marked = |m: &Mention| {
            self.words.lexicon.agglutinative
                && m.end < self.words.len()
                && matches!(self.words.gap(m.end - 1), "'" | "’")
        };
        let first = self.mentions.iter().enumerate().position(|(k, m)| {
            Some(k) != marked
                && !case_marked(m)
                && m.first >= floor
                && m.end <= to
                && !self.quoted(m)
                && !self.after_preposition(m.first)
        });
        // A possessor is not the subject: "بورڈ کے چیئرمین محسن نقوی نے", "the board's chairman".
        first.map(|k| {
            let m = &self.mentions[k];
            match self.mentions.get(k + 1) {
                Some(next)
                    if next.first > m.end
                        && (m.end + 1..next.first).all(|w| {
                            self.words
                                .lexicon
                                .determiners
                                .contains_word(self.words.norm(w))
                        })
                        && next.end <= to
                        && Some(k + 1) != marked
                        && self
                            .words
                            .lexicon
                            .genitive_markers
                            .contains_word(self.words.norm(m.end))
                        && matches!(
                            next.kind,
                            MentionKind::Person { .. }
                                | MentionKind::Anonymous { .. }
                                | MentionKind::Title { .. }
                        ) =>
                {
                    k + 1
                }
                _ => k,
            }
        })
    }

    /// The subject of the verb cue at `cue`, as a mention index.
    pub fn subject(&self, cue: usize) -> Option<usize> {
        let c = &self.cues[cue];
        // "X نے کہا": the mention right before the subject marker is the subject.
        let marked = self.mentions.iter().rposition(|m| {
            m.end < c.first
                && self
                    .words
                    .lexicon
                    .subject_markers
                    .contains_word(self.words.norm(m.end))
                && !self.quoted(m)
        });
        if let Some(m) = marked.filter(|m| !self.marked_by_relay(*m)) {
            return Some(m);
        }
        let floor = self.cues[..cue]
            .iter()
            .rev()
            .find(|c| !matches!(c.kind, CueKind::RelayMarker { .. }))
            .map_or(0, |c| c.end);
        let limit = self.cues.get(cue + 1).map_or(self.words.len(), |n| n.first);
        let lexicon = self.words.lexicon;
        let right = self.right_of(c.end, limit);
        let left_near = self.left_of(c.first, floor, 2).map(|m| self.head_of(m));
        let left_far = if lexicon.content_before_verb {
            self.first_in(floor, c.first)
        } else {
            self.left_of(c.first, floor, MAX_SUBJECT_DISTANCE)
                .map(|m| self.head_of(m))
        };
        let relay_marked = |m: &usize| !self.marked_by_relay(*m);
        if lexicon.subject_after_verb {
            right.or(left_near).or(left_far).filter(relay_marked)
        } else if lexicon.content_before_verb {
            // Verb-final: the subject opens the clause; a place or time phrase may stand
            // right before the verb ("در بازار تهران گفت").
            left_far
                .filter(relay_marked)
                .or(left_near.filter(relay_marked))
                .or(right)
        } else {
            left_near
                .filter(relay_marked)
                .or(right)
                .or(left_far.filter(relay_marked))
        }
    }

    /// The source of an according-to cue.
    pub fn according_source(&self, cue: usize) -> Option<usize> {
        let c = &self.cues[cue];
        match c.kind {
            CueKind::AccordingTo {
                source_before: true,
            }
            | CueKind::RelayMarker {
                source_before: true,
            } => self
                .mentions
                .iter()
                .rposition(|m| m.end <= c.first && c.first - m.end <= 1),
            _ => self
                .mentions
                .iter()
                .position(|m| m.first >= c.end && m.first <= c.end + 1)
                .or_else(|| self.source_behind_data(c)),
        }
    }

    /// "según datos publicados este lunes por el Instituto…": after a word for data or figures,
    /// the source is the first mention of the clause.
    fn source_behind_data(&self, c: &Cue) -> Option<usize> {
        let lexicon = self.words.lexicon;
        let mut k = c.end;
        while k < self.words.len() && lexicon.determiners.contains_word(self.words.norm(k)) {
            k += 1;
        }
        if k >= self.words.len() || self.words.find(&lexicon.data_nouns, k).is_none() {
            return None;
        }
        let clause_end = (k..self.words.len())
            .find(|w| self.words.gap(*w).contains([',', '،', ';', ':']))
            .map_or(self.words.len(), |w| w + 1);
        self.mentions
            .iter()
            .position(|m| m.first > k && m.end <= clause_end && !self.quoted(m))
    }

    /// For "R quoted X as saying": (relayer, speaker) mention indices.
    pub fn relay(&self, cue: usize) -> (Option<usize>, Option<usize>) {
        let c = &self.cues[cue];
        let CueKind::Relay { saying, .. } = c.kind else {
            return (None, None);
        };
        // The speaker follows the link word when there is one ("عن", "את"), else stands right
        // before "saying".
        let lexicon = self.words.lexicon;
        let link = (c.end..saying).find(|k| self.words.find(&lexicon.relay_links, *k).is_some());
        let speaker = link
            .and_then(|link| {
                self.mentions
                    .iter()
                    .position(|m| m.first > link && m.end <= saying)
            })
            .or_else(|| {
                self.mentions
                    .iter()
                    .rposition(|m| m.first >= c.end && m.end <= saying)
            });
        let right = self.right_of(c.end, saying).filter(|m| Some(*m) != speaker);
        let left = self.left_of(c.first, 0, MAX_SUBJECT_DISTANCE);
        let relayer = if self.words.lexicon.subject_after_verb {
            right.or(left)
        } else {
            left.or(right)
        };
        (relayer, speaker)
    }

    /// True when the mention is the source named by a relay marker ("به نقل از X").
    fn marked_by_relay(&self, mention: usize) -> bool {
        self.cues.iter().enumerate().any(|(k, c)| {
            matches!(c.kind, CueKind::RelayMarker { .. })
                && self.according_source(k) == Some(mention)
        })
    }

    /// The speaker named by a relay marker in this sentence, if any.
    pub fn relay_marked_speaker(&self) -> Option<usize> {
        self.cues
            .iter()
            .enumerate()
            .find(|(_, c)| matches!(c.kind, CueKind::RelayMarker { .. }))
            .and_then(|(k, _)| self.according_source(k))
    }

    pub fn is_pronoun(&self, mention: usize) -> bool {
        matches!(self.mentions[mention].kind, MentionKind::Pronoun)
    }
}
