/// Where a claim stands toward a target proposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum StanceLabel {
    /// The claim supports the proposition.
    Entails,
    /// The claim denies the proposition.
    Contradicts,
    /// Neither: unrelated, or related without taking a side.
    Neutral,
}

impl StanceLabel {
    pub const ALL: [StanceLabel; 3] = [
        StanceLabel::Entails,
        StanceLabel::Contradicts,
        StanceLabel::Neutral,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StanceLabel::Entails => "entails",
            StanceLabel::Contradicts => "contradicts",
            StanceLabel::Neutral => "neutral",
        }
    }
}

/// Calibrated probabilities of the three labels; they sum to 1.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct StanceProbabilities {
    pub entails: f32,
    pub contradicts: f32,
    pub neutral: f32,
}

impl StanceProbabilities {
    /// The most probable label (ties go to neutral, the label that asserts nothing).
    pub fn label(&self) -> StanceLabel {
        if self.entails > self.contradicts && self.entails > self.neutral {
            StanceLabel::Entails
        } else if self.contradicts > self.entails && self.contradicts > self.neutral {
            StanceLabel::Contradicts
        } else {
            StanceLabel::Neutral
        }
    }
}

/// One claim's stance toward one target.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stance {
    pub target_id: String,
    pub label: StanceLabel,
    pub probabilities: StanceProbabilities,
}

impl Stance {
    pub fn from_probabilities(
        target_id: impl Into<String>,
        probabilities: StanceProbabilities,
    ) -> Self {
        Self {
            target_id: target_id.into(),
            label: probabilities.label(),
            probabilities,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_is_the_argmax_and_ties_are_neutral() {
        let p = |e, c, n| StanceProbabilities {
            entails: e,
            contradicts: c,
            neutral: n,
        };
        assert_eq!(p(0.1, 0.8, 0.1).label(), StanceLabel::Contradicts);
        assert_eq!(p(0.7, 0.2, 0.1).label(), StanceLabel::Entails);
        assert_eq!(p(0.45, 0.45, 0.1).label(), StanceLabel::Neutral);
    }
}
