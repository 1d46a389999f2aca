//! Int8 matrix multiply for the encoder's dense projections: weights quantized once per output
//! channel (symmetric), activations per row at run time (around the row's mid-range, so the
//! skewed rows after GELU keep all 255 levels), products summed exactly in i32.
//!
//! Values are symmetric int8 (−127..=127, no zero point) held as i16, so AVX2's `vpmaddwd`
//! multiplies 16 pairs and adds neighbours into 8 exact i32 lanes: twice the multiply-adds per
//! instruction of an f32 FMA, and no saturation (unlike `vpmaddubsw`'s i16 sums). Weights are
//! packed once into panels of 16 output channels, interleaved by input pairs, so the inner loop
//! is two loads, one broadcast per row and two `vpmaddwd` + `vpaddd` per row of the tile.

use rayon::prelude::*;

use super::kernels::rows_per_task;

/// Output channels per packed panel: two AVX2 vectors of eight i32 lanes.
const PANEL: usize = 16;
/// Rows per register tile: 6 × 2 accumulators + 2 weight vectors + 1 broadcast fit the 16 ymm
/// registers.
const TILE_ROWS: usize = 6;
/// Largest quantized magnitude; symmetric, so −127..=127.
const LEVELS: f32 = 127.0;

/// One input pair of one panel: for each of the 16 channels, its weights for inputs `2q, 2q+1`.
type PairLanes = [i16; PANEL * 2];

/// A `[inputs, outputs]` linear map in int8, packed for [`matmul`].
#[derive(Debug, Clone)]
pub(crate) struct QuantizedWeight {
    inputs: usize,
    outputs: usize,
    /// Panel `p`, input pair `q` at `p · pairs + q`; channels past `outputs` are zero.
    panels: Vec<PairLanes>,
    /// Per output channel: the f32 value of one quantization step.
    scales: Vec<f32>,
    /// Per output channel: the sum of its dequantized weights (what a row's centre multiplies).
    sums: Vec<f32>,
}

impl QuantizedWeight {
    /// Quantizes `weight`, stored `[outputs, inputs]` row-major (PyTorch's `Linear` layout).
    pub fn from_rows(weight: &[f32], outputs: usize, inputs: usize) -> Self {
        debug_assert_eq!(weight.len(), outputs * inputs);
        let pairs = inputs.div_ceil(2);
        let panel_count = outputs.div_ceil(PANEL);
        let mut panels = vec![[0i16; PANEL * 2]; panel_count * pairs];
        let mut scales = vec![0f32; outputs];
        let mut sums = vec![0f32; outputs];
        for (channel, row) in weight.chunks_exact(inputs.max(1)).enumerate().take(outputs) {
            let (scale, quantized) = quantize_around(row, 0.0);
            scales[channel] = scale;
            sums[channel] = scale * quantized.iter().map(|&q| i32::from(q)).sum::<i32>() as f32;
            let (panel, lane) = (channel / PANEL, channel % PANEL);
            for (input, value) in quantized.into_iter().enumerate() {
                let pair = &mut panels[panel * pairs + input / 2];
                // Lanes follow the AVX2 layout: i32 lane `c` holds channel c's (2q, 2q+1) pair.
                pair[lane * 2 + input % 2] = value;
            }
        }
        Self {
            inputs,
            outputs,
            panels,
            scales,
            sums,
        }
    }

    /// Width of the input rows.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// Width of the output rows.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    fn pairs(&self) -> usize {
        self.inputs.div_ceil(2)
    }
}

/// The centre a row of activations is quantized around: its mid-range.
fn mid_range(row: &[f32]) -> f32 {
    let (low, high) = row
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    if low.is_finite() && high.is_finite() {
        low / 2.0 + high / 2.0
    } else {
        0.0
    }
}

/// Int8 quantization of one row around `center`: the step, and `(v − center) / step` rounded
/// into −127..=127 (as i16).
fn quantize_around(row: &[f32], center: f32) -> (f32, Vec<i16>) {
    let peak = row
        .iter()
        .fold(0f32, |peak, v| peak.max((v - center).abs()));
    if peak == 0.0 || !peak.is_finite() {
        // All zeros stay zeros; non-finite rows are reported by the layers that follow as NaN.
        let step = if peak == 0.0 { 0.0 } else { f32::NAN };
        return (step, vec![0; row.len()]);
    }
    let step = peak / LEVELS;
    let inverse = LEVELS / peak;
    let values = row
        .iter()
        .map(|v| ((v - center) * inverse).round().clamp(-LEVELS, LEVELS) as i16)
        .collect();
    (step, values)
}

/// How one quantized row maps back: `value ≈ step · q + center`.
#[derive(Debug, Clone, Copy, Default)]
struct RowScale {
    step: f32,
    center: f32,
}

/// Rows of activations quantized for [`matmul`]: each row's scale, and its values as i32 words
/// holding the i16 pair (2q, 2q+1), low half first — what one `vpbroadcastd` spreads.
struct QuantizedRows {
    steps: Vec<RowScale>,
    words: Vec<i32>,
    pairs: usize,
}

impl QuantizedRows {
    fn new(x: &[f32], inputs: usize) -> Self {
        let pairs = inputs.div_ceil(2);
        let rows = x.len() / inputs.max(1);
        let mut steps = vec![RowScale::default(); rows];
        let mut words = vec![0i32; rows * pairs];
        let chunk = rows_per_task(rows, inputs);
        steps
            .par_chunks_mut(chunk)
            .zip(words.par_chunks_mut(chunk * pairs))
            .zip(x.par_chunks(chunk * inputs))
            .for_each(|((steps, words), x)| {
                for ((step, words), row) in steps
                    .iter_mut()
                    .zip(words.chunks_exact_mut(pairs))
                    .zip(x.chunks_exact(inputs))
                {
                    let center = mid_range(row);
                    let (row_step, values) = quantize_around(row, center);
                    *step = RowScale {
                        step: row_step,
                        center,
                    };
                    for (word, pair) in words.iter_mut().zip(values.chunks(2)) {
                        let low = pair[0] as u16 as u32;
                        let high = pair.get(1).copied().unwrap_or(0) as u16 as u32;
                        *word = (low | (high << 16)) as i32;
                    }
                }
            });
        Self {
            steps,
            words,
            pairs,
        }
    }
}

/// `x · W` for `x` of shape `[rows, inputs]`: returns `[rows, outputs]` in f32 (no bias).
pub(crate) fn matmul(x: &[f32], weight: &QuantizedWeight) -> Vec<f32> {
    matmul_with(Kernel::detect(), x, weight)
}

/// [`matmul`] with a given tile kernel (tests run both).
pub(crate) fn matmul_with(kernel: Kernel, x: &[f32], weight: &QuantizedWeight) -> Vec<f32> {
    let (inputs, outputs) = (weight.inputs, weight.outputs);
    let rows = x.len() / inputs.max(1);
    let quantized = QuantizedRows::new(&x[..rows * inputs], inputs);
    let mut out = vec![0f32; rows * outputs];
    if rows == 0 || outputs == 0 {
        return out;
    }
    // Whole tiles per task, at least two tasks per thread so both cores stay busy even for one
    // short sequence, and at most 96 rows so a task's quantized rows stay in L2 (≤ 300 KB at
    // 1536 inputs) while every weight panel streams past them.
    let tasks = 2 * rayon::current_num_threads();
    let block = rows.div_ceil(tasks).div_ceil(TILE_ROWS).clamp(1, 16) * TILE_ROWS;
    let pairs = quantized.pairs;
    out.par_chunks_mut(block * outputs)
        .zip(quantized.words.par_chunks(block * pairs))
        .zip(quantized.steps.par_chunks(block))
        .for_each(|((out, words), steps)| {
            multiply_block(kernel, words, steps, weight, out);
        });
    out
}

/// One task's rows: every panel, tile by tile.
fn multiply_block(
    kernel: Kernel,
    words: &[i32],
    steps: &[RowScale],
    weight: &QuantizedWeight,
    out: &mut [f32],
) {
    let pairs = weight.pairs();
    let outputs = weight.outputs;
    for (panel_index, panel) in weight.panels.chunks_exact(pairs.max(1)).enumerate() {
        let first = panel_index * PANEL;
        let width = PANEL.min(outputs - first);
        let scales = &weight.scales[first..first + width];
        let sums_of_weights = &weight.sums[first..first + width];
        for (tile, (words, steps)) in words
            .chunks(TILE_ROWS * pairs)
            .zip(steps.chunks(TILE_ROWS))
            .enumerate()
        {
            let mut sums = [[0i32; PANEL]; TILE_ROWS];
            kernel.tile(words, pairs, panel, &mut sums[..steps.len()]);
            for (row, (sums, step)) in sums.iter().zip(steps).enumerate() {
                let at = (tile * TILE_ROWS + row) * outputs + first;
                let outputs = out[at..at + width].iter_mut().zip(sums);
                for ((o, &sum), (&scale, &weights)) in
                    outputs.zip(scales.iter().zip(sums_of_weights))
                {
                    *o = sum as f32 * (step.step * scale) + step.center * weights;
                }
            }
        }
    }
}

/// The tile kernel chosen for this CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// `vpmaddwd` on 256-bit vectors.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// Plain integer arithmetic; every CPU.
    Portable,
}

impl Kernel {
    /// The fastest kernel this CPU runs.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Self::Avx2;
        }
        Self::Portable
    }

    /// `sums[r][c] = Σ_q words[r·pairs + q] ⊙ panel[q]` for each row `r` of the tile.
    pub fn tile(self, words: &[i32], pairs: usize, panel: &[PairLanes], sums: &mut [[i32; PANEL]]) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => avx2::tile(words, pairs, panel, sums),
            Self::Portable => portable_tile(words, pairs, panel, sums),
        }
    }
}

/// The reference tile: the same sums with scalar i32 arithmetic.
fn portable_tile(words: &[i32], pairs: usize, panel: &[PairLanes], sums: &mut [[i32; PANEL]]) {
    for (row, sums) in sums.iter_mut().enumerate() {
        let words = &words[row * pairs..(row + 1) * pairs];
        for (&word, lanes) in words.iter().zip(panel) {
            let (low, high) = (word as i16 as i32, (word >> 16) as i16 as i32);
            for (sum, weights) in sums.iter_mut().zip(lanes.chunks_exact(2)) {
                *sum += low * weights[0] as i32 + high * weights[1] as i32;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi32, _mm256_madd_epi16, _mm256_set1_epi32, _mm256_setzero_si256,
    };

    use super::{PairLanes, PANEL, TILE_ROWS};

    /// Dispatches on the tile height so each has its accumulators in registers.
    pub(super) fn tile(
        words: &[i32],
        pairs: usize,
        panel: &[PairLanes],
        sums: &mut [[i32; PANEL]],
    ) {
        match sums.len() {
            6 => run::<6>(words, pairs, panel, sums),
            5 => run::<5>(words, pairs, panel, sums),
            4 => run::<4>(words, pairs, panel, sums),
            3 => run::<3>(words, pairs, panel, sums),
            2 => run::<2>(words, pairs, panel, sums),
            1 => run::<1>(words, pairs, panel, sums),
            _ => {}
        }
        const _: () = assert!(TILE_ROWS == 6);
    }

    #[allow(unsafe_code)]
    fn run<const R: usize>(
        words: &[i32],
        pairs: usize,
        panel: &[PairLanes],
        sums: &mut [[i32; PANEL]],
    ) {
        assert!(words.len() >= R * pairs && panel.len() >= pairs && sums.len() >= R);
        // SAFETY: `Kernel::Avx2` is only chosen after `is_x86_feature_detected!("avx2")`, and
        // the kernel reads memory through slices only.
        unsafe { tile_avx2::<R>(words, pairs, panel, sums) }
    }

    #[target_feature(enable = "avx2")]
    fn tile_avx2<const R: usize>(
        words: &[i32],
        pairs: usize,
        panel: &[PairLanes],
        sums: &mut [[i32; PANEL]],
    ) {
        let rows: [&[i32]; R] = std::array::from_fn(|r| &words[r * pairs..(r + 1) * pairs]);
        let mut acc = [[_mm256_setzero_si256(); 2]; R];
        for (q, lanes) in panel[..pairs].iter().enumerate() {
            let [low, high]: [__m256i; 2] = bytemuck::cast(*lanes);
            for r in 0..R {
                let a = _mm256_set1_epi32(rows[r][q]);
                acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(a, low));
                acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(a, high));
            }
        }
        for (sums, acc) in sums.iter_mut().zip(acc) {
            *sums = bytemuck::cast(acc);
        }
    }
}
