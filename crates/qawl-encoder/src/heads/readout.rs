//! From last-layer hidden states to calibrated probabilities: pooling, the linear head and the
//! tempered softmax, exactly as `models/train/layer_cache.py` computes them.
//!
//! Plain Rust on rows already copied out of the tensor: the head is a few thousand
//! multiply-adds per input, far below what a tensor op would save.

use super::manifest::Pooling;

/// Which part of a `<s> A </s></s> B </s>` sequence each position belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    Special,
    First,
    Second,
}

/// Positions 1..first separator are A; from two after it to the last-but-one are B (a single
/// text is all A), as the training script's `segments_of`.
fn segments_of(ids: &[u32], separator: u32) -> Vec<Segment> {
    let n = ids.len();
    let mut segments = vec![Segment::Special; n];
    let first_sep = ids
        .iter()
        .skip(1)
        .position(|&id| id == separator)
        .map_or(n.saturating_sub(1), |i| i + 1);
    for segment in segments.iter_mut().take(first_sep).skip(1) {
        *segment = Segment::First;
    }
    for segment in segments
        .iter_mut()
        .take(n.saturating_sub(1))
        .skip(first_sep + 2)
    {
        *segment = Segment::Second;
    }
    segments
}

/// Mean of the rows whose flag is set; zeros when none is (the script clamps the count to 1).
fn mean_of<'a>(rows: impl Iterator<Item = &'a [f32]>, width: usize) -> Vec<f32> {
    let mut sum = vec![0f32; width];
    let mut count = 0usize;
    for row in rows {
        for (s, v) in sum.iter_mut().zip(row) {
            *s += v;
        }
        count += 1;
    }
    let count = count.max(1) as f32;
    sum.iter_mut().for_each(|s| *s /= count);
    sum
}

/// The head's input for one sequence: `hidden` holds its unpadded rows, `ids` its token ids.
pub(crate) fn pool(hidden: &[Vec<f32>], ids: &[u32], pooling: Pooling, separator: u32) -> Vec<f32> {
    let width = hidden.first().map_or(0, Vec::len);
    match pooling {
        Pooling::Mean | Pooling::PerToken => mean_of(hidden.iter().map(Vec::as_slice), width),
        Pooling::Segments => {
            let segments = segments_of(ids, separator);
            let part = |wanted: Segment| {
                mean_of(
                    hidden
                        .iter()
                        .zip(&segments)
                        .filter(move |(_, s)| **s == wanted)
                        .map(|(row, _)| row.as_slice()),
                    width,
                )
            };
            let (a, b) = (part(Segment::First), part(Segment::Second));
            let mut features = Vec::with_capacity(4 * width);
            features.extend_from_slice(&a);
            features.extend_from_slice(&b);
            features.extend(a.iter().zip(&b).map(|(x, y)| (x - y).abs()));
            features.extend(a.iter().zip(&b).map(|(x, y)| x * y));
            features
        }
    }
}

/// `logits = W x + b`, with `W` stored row-major `[labels, input]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LinearHead {
    weight: Vec<f32>,
    bias: Vec<f32>,
    input_width: usize,
}

impl LinearHead {
    /// `weight.len()` must equal `bias.len() × input_width` (checked by the loader).
    pub(crate) fn new(weight: Vec<f32>, bias: Vec<f32>, input_width: usize) -> Self {
        Self {
            weight,
            bias,
            input_width,
        }
    }

    pub(crate) fn logits(&self, input: &[f32]) -> Vec<f32> {
        self.weight
            .chunks_exact(self.input_width)
            .zip(&self.bias)
            .map(|(row, bias)| row.iter().zip(input).map(|(w, x)| w * x).sum::<f32>() + bias)
            .collect()
    }
}

/// `softmax(logits / temperature)`, stable for large logits.
pub fn tempered_softmax(logits: &[f32], temperature: f32) -> Vec<f32> {
    let scaled: Vec<f32> = logits.iter().map(|l| l / temperature).collect();
    let max = scaled.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = scaled.iter().map(|s| (s - max).exp()).collect();
    let total: f32 = exps.iter().sum();
    exps.iter().map(|e| e / total).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_segments_skip_the_specials_around_and_between_the_texts() {
        // <s> a a </s> </s> b </s>
        let segments = segments_of(&[0, 7, 8, 2, 2, 9, 2], 2);
        use Segment::*;
        assert_eq!(
            segments,
            [Special, First, First, Special, Special, Second, Special]
        );
        // A single text is all first segment.
        assert_eq!(segments_of(&[0, 7, 2], 2), [Special, First, Special]);
    }

    #[test]
    fn segment_pooling_gives_means_their_distance_and_product() {
        let hidden = vec![
            vec![100.0, 100.0], // <s>
            vec![1.0, 2.0],
            vec![3.0, 4.0],
            vec![100.0, 100.0], // </s>
            vec![100.0, 100.0], // </s>
            vec![5.0, 1.0],
            vec![100.0, 100.0], // </s>
        ];
        let features = pool(&hidden, &[0, 7, 8, 2, 2, 9, 2], Pooling::Segments, 2);
        assert_eq!(
            features,
            [2.0, 3.0, 5.0, 1.0, 3.0, 2.0, 10.0, 3.0],
            "a = (2, 3), b = (5, 1), |a - b|, a * b"
        );
        let mean = pool(&hidden[..3], &[0, 7, 8], Pooling::Mean, 2);
        assert_eq!(mean, [104.0 / 3.0, 106.0 / 3.0]);
    }

    #[test]
    fn the_head_is_an_affine_map_and_the_softmax_sums_to_one() {
        let head = LinearHead::new(vec![1.0, 0.0, 0.0, 2.0], vec![0.5, -0.5], 2);
        assert_eq!(head.logits(&[3.0, 4.0]), [3.5, 7.5]);
        let p = tempered_softmax(&[1000.0, 0.0, -1000.0], 1.0);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6 && p[0] > 0.999);
        let hot = tempered_softmax(&[1.0, 0.0], 0.5);
        let cold = tempered_softmax(&[1.0, 0.0], 2.0);
        assert!(hot[0] > cold[0], "a lower temperature sharpens");
    }
}
