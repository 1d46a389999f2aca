//! Int8 matrix multiply for the encoder's dense projections: weights quantized once per output
//! channel to int8 (symmetric), activations per row at run time (around the row's mid-range, so
//! the skewed rows after GELU keep every level), products summed exactly in i32.
//!
//! Values are held as i16, so AVX2's `vpmaddwd` multiplies 16 pairs and adds neighbours into 8
//! exact i32 lanes: twice the multiply-adds per instruction of an f32 FMA, and no saturation
//! (unlike `vpmaddubsw`'s i16 sums). Since the lanes are 16-bit anyway, activations get 12 bits
//! (−2047..=2047) at no cost: with 8-bit activations the stance dev score moved by up to 0.6
//! points from one rounding detail to the next, with 12 bits it stays with f32. Weights are
//! packed once into panels of 16 output channels, interleaved by input pairs, so the inner loop
//! is two loads, one broadcast per row and two `vpmaddwd` + `vpaddd` per row of the tile. With
//! AVX-512 VNNI, `vpdpwssd` does the same multiply-adds 32 at a time and adds them in the same
//! instruction, on tiles of 12 rows × two panels.

use rayon::prelude::*;

pub(crate) use super::cpu_kernel::Kernel;
use std::ops::Range;

use super::cpu_kernel::{CacheLine, PANEL};
use super::kernels::rows_per_task;
use super::out_block::{group_spans, matmul_tasks, MatmulTask, OutBlock};

/// Largest quantized weight; symmetric, so −127..=127 (int8).
const WEIGHT_LEVELS: f32 = 127.0;
/// Largest quantized activation: 12 bits, −2047..=2047.
const ACTIVATION_LEVELS: f32 = 2047.0;
/// Widest input the i32 sums hold exactly: `inputs · 2047 · 127 < 2³¹`.
pub(crate) const MAX_INPUTS: usize = 8192;

/// One input pair of one panel: for each of the 16 channels, its weights for inputs `2q, 2q+1`.
type PairLanes = CacheLine<[i16; PANEL * 2]>;

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
    /// Quantizes `weight`, stored `[outputs, inputs]` row-major (PyTorch's `Linear` layout);
    /// `inputs` must be at most [`MAX_INPUTS`].
    pub fn from_rows(weight: &[f32], outputs: usize, inputs: usize) -> Self {
        debug_assert_eq!(weight.len(), outputs * inputs);
        let pairs = inputs.div_ceil(2);
        let panel_count = outputs.div_ceil(PANEL);
        let mut panels = vec![CacheLine([0i16; PANEL * 2]); panel_count * pairs];
        let mut scales = vec![0f32; outputs];
        let mut sums = vec![0f32; outputs];
        for (channel, row) in weight.chunks_exact(inputs.max(1)).enumerate().take(outputs) {
            let (scale, quantized) = quantize_weights(row);
            scales[channel] = scale;
            sums[channel] = scale * quantized.iter().map(|&q| i32::from(q)).sum::<i32>() as f32;
            let (panel, lane) = (channel / PANEL, channel % PANEL);
            for (input, value) in quantized.into_iter().enumerate() {
                let pair = &mut panels[panel * pairs + input / 2];
                // Lanes follow the AVX2 layout: i32 lane `c` holds channel c's (2q, 2q+1) pair.
                pair.0[lane * 2 + input % 2] = value;
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
    #[cfg(test)]
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    fn pairs(&self) -> usize {
        self.inputs.div_ceil(2)
    }
}

/// Rounds half to even for |x| < 2²² (adding 1.5 · 2²³ leaves no fraction bits), in plain
/// arithmetic so the loops vectorize on every x86-64 (`f32::round` is a libm call there).
#[inline(always)]
fn round_even(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    (x + MAGIC) - MAGIC
}

/// `(v − center) · inverse`, rounded and clamped into −levels..=levels.
#[inline(always)]
fn level(v: f32, center: f32, inverse: f32, levels: f32) -> i32 {
    round_even((v - center) * inverse).clamp(-levels, levels) as i32
}

/// Smallest and largest value of a row, and whether every value is finite (eight lanes at a
/// time, so it vectorizes).
fn range_of(row: &[f32]) -> (f32, f32, bool) {
    let (mut low, mut high, mut probe) = ([f32::INFINITY; 8], [f32::NEG_INFINITY; 8], [0f32; 8]);
    let chunks = row.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        for lane in 0..8 {
            low[lane] = low[lane].min(chunk[lane]);
            high[lane] = high[lane].max(chunk[lane]);
            // NaN or ±inf anywhere turns the probe into NaN.
            probe[lane] += chunk[lane] * 0.0;
        }
    }
    finish_range(low, high, probe, tail)
}

/// The row's range from eight lanes of minima, maxima and finiteness probes, and the `tail`
/// values the lanes did not cover: `(low, high, finite)`.
#[inline(always)]
fn finish_range(
    mut low: [f32; 8],
    mut high: [f32; 8],
    mut probe: [f32; 8],
    tail: &[f32],
) -> (f32, f32, bool) {
    for &v in tail {
        low[0] = low[0].min(v);
        high[0] = high[0].max(v);
        probe[0] += v * 0.0;
    }
    let low = low.iter().copied().fold(f32::INFINITY, f32::min);
    let high = high.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    (low, high, probe.iter().sum::<f32>() == 0.0)
}

/// How a row is quantized: its scale, and `levels / peak` (0 for an all-equal row).
fn row_scale(low: f32, high: f32, finite: bool, center: f32, levels: f32) -> (RowScale, f32) {
    let peak = (high - center).max(center - low);
    if !finite {
        // Non-finite inputs give NaN outputs, as f32 arithmetic would.
        let nan = RowScale {
            step: f32::NAN,
            center: f32::NAN,
        };
        return (nan, 0.0);
    }
    if peak <= 0.0 {
        return (RowScale { step: 0.0, center }, 0.0);
    }
    (
        RowScale {
            step: peak / levels,
            center,
        },
        levels / peak,
    )
}

/// A weight row quantized around zero: its step and levels.
fn quantize_weights(row: &[f32]) -> (f32, Vec<i16>) {
    let (low, high, finite) = range_of(row);
    let (scale, inverse) = row_scale(low, high, finite, 0.0, WEIGHT_LEVELS);
    let levels = row
        .iter()
        .map(|&v| level(v, 0.0, inverse, WEIGHT_LEVELS) as i16)
        .collect();
    (scale.step, levels)
}

/// An activation row quantized around its mid-range into i16 pair words; returns its scale.
fn quantize_activations(row: &[f32], words: &mut [i32]) -> RowScale {
    let (low, high, finite) = range_of(row);
    let (scale, center, inverse) = activation_scale(low, high, finite, ACTIVATION_LEVELS);
    pack_levels(row, words, center, inverse, ACTIVATION_LEVELS);
    scale
}

/// How an activation row with this range is quantized: its scale, and the centre and
/// `levels / peak` that map its values to levels (around its mid-range; 0 if not finite).
#[inline(always)]
fn activation_scale(low: f32, high: f32, finite: bool, levels: f32) -> (RowScale, f32, f32) {
    let center = if finite { low / 2.0 + high / 2.0 } else { 0.0 };
    let (scale, inverse) = row_scale(low, high, finite, center, levels);
    (scale, center, inverse)
}

/// The levels of `row` as i16 pair words, low half first; an odd row's last word holds one.
#[inline(always)]
fn pack_levels(row: &[f32], words: &mut [i32], center: f32, inverse: f32, levels: f32) {
    let level = |v: f32| level(v, center, inverse, levels);
    let mut pairs = row.chunks_exact(2);
    for (word, pair) in words.iter_mut().zip(&mut pairs) {
        *word = (level(pair[0]) & 0xFFFF) | (level(pair[1]) << 16);
    }
    if let ([last], Some(word)) = (pairs.remainder(), words.last_mut()) {
        *word = level(*last) & 0xFFFF;
    }
}

/// How one quantized row maps back: `value ≈ step · q + center`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct RowScale {
    /// The value of one level.
    pub step: f32,
    /// The value of level 0.
    pub center: f32,
}

/// Rows of activations quantized for [`matmul`]: each row's scale, and its values as i32 words
/// holding the i16 pair (2q, 2q+1), low half first — what one `vpbroadcastd` spreads. Row `r`'s
/// words are `words[r · pairs..(r + 1) · pairs]`. Kept between products of the same shape, so
/// its buffers are neither allocated nor zeroed again.
#[derive(Debug, Default)]
pub(crate) struct QuantizedRows {
    steps: Vec<RowScale>,
    words: Vec<i32>,
    pairs: usize,
    /// 8-bit rows for `vpdpbusd` ([`eight_bit`]): four unsigned levels a word, low byte first.
    quads: Vec<i32>,
}

impl QuantizedRows {
    /// Quantizes the rows of `x` (`inputs` wide), every word overwritten.
    fn fill(&mut self, kernel: Kernel, x: &[f32], inputs: usize) {
        let pairs = inputs.div_ceil(2);
        let rows = x.len() / inputs.max(1);
        self.steps.resize(rows, RowScale::default());
        self.words.resize(rows * pairs, 0);
        self.pairs = pairs;
        let chunk = rows_per_task(rows * inputs, inputs);
        self.steps
            .par_chunks_mut(chunk)
            .zip(self.words.par_chunks_mut(chunk * pairs.max(1)))
            .zip(x.par_chunks(chunk * inputs.max(1)))
            .for_each(|((steps, words), x)| {
                let rows = x.chunks_exact(inputs).zip(words.chunks_exact_mut(pairs));
                for (step, (row, words)) in steps.iter_mut().zip(rows) {
                    *step = kernel.quantize_row(row, words);
                }
            });
    }
}

/// `x · W` for `x` of shape `[rows, inputs]`: returns `[rows, outputs]` in f32 (no bias).
#[cfg(test)]
pub(crate) fn matmul(x: &[f32], weight: &QuantizedWeight) -> Vec<f32> {
    matmul_with(Kernel::detect(), x, weight)
}

/// [`matmul`] with a given tile kernel (tests run both).
#[cfg(test)]
pub(crate) fn matmul_with(kernel: Kernel, x: &[f32], weight: &QuantizedWeight) -> Vec<f32> {
    let mut out = Vec::new();
    matmul_into(kernel, x, weight, &mut QuantizedRows::default(), &mut out);
    out
}

/// [`matmul`] into `out` (resized to `[rows, outputs]`, every value overwritten), quantizing
/// through `quantized`.
pub(crate) fn matmul_into(
    kernel: Kernel,
    x: &[f32],
    weight: &QuantizedWeight,
    quantized: &mut QuantizedRows,
    out: &mut Vec<f32>,
) {
    let (inputs, outputs) = (weight.inputs, weight.outputs);
    let rows = x.len() / inputs.max(1);
    quantized.fill(kernel, &x[..rows * inputs], inputs);
    let pairs = quantized.pairs;
    let (words, steps) = (&quantized.words, &quantized.steps);
    run_tasks(kernel, out, (rows, inputs, outputs), |task, out| {
        let words = &words[task.rows.start * pairs..task.rows.end * pairs];
        let steps = &steps[task.rows.clone()];
        multiply_block(kernel, words, steps, weight, task.groups, out);
    });
}

/// Sizes `out` to `[rows, outputs]` and runs `multiply` on every task of the product, in
/// parallel (both int8 paths; with no rows, inputs or outputs, `out` is all zeros). At most 96
/// rows per task: their quantized words stay in L2 (≤ 300 KB at 1536 inputs).
fn run_tasks(
    kernel: Kernel,
    out: &mut Vec<f32>,
    (rows, inputs, outputs): (usize, usize, usize),
    multiply: impl Fn(MatmulTask, &mut OutBlock<'_>) + Sync,
) {
    out.resize(rows * outputs, 0.0);
    if rows == 0 || outputs == 0 || inputs == 0 {
        out.fill(0.0);
        return;
    }
    matmul_tasks(kernel, out, outputs, 96)
        .into_par_iter()
        .for_each(|(task, mut out)| multiply(task, &mut out));
}

/// One task's rows and column groups: group by group, tile by tile.
fn multiply_block(
    kernel: Kernel,
    words: &[i32],
    steps: &[RowScale],
    weight: &QuantizedWeight,
    groups: Range<usize>,
    out: &mut OutBlock<'_>,
) {
    for (panels, columns) in group_spans(kernel, groups, weight.outputs) {
        let columns = weight.panel_columns(panels, columns);
        kernel.multiply_panels(words, steps, weight.pairs(), &columns, out);
    }
}

impl QuantizedWeight {
    /// Frees the i16 panels, keeping the column factors (for a weight that only the
    /// `vpdpbusd` tile multiplies, from its own packing).
    fn drop_panels(&mut self) {
        self.panels = Vec::new();
    }

    /// Panels `panels` and what turns their sums back into f32 columns `columns` (one column
    /// group of a task, as [`group_spans`] gives them).
    fn panel_columns(&self, panels: Range<usize>, columns: Range<usize>) -> PanelColumns<'_> {
        let pairs = self.pairs();
        PanelColumns {
            // Empty where only `vpdpbusd`'s quads were kept (see `drop_panels`).
            panels: self
                .panels
                .get(panels.start * pairs..panels.end * pairs)
                .unwrap_or_default(),
            scales: &self.scales[columns.clone()],
            weight_sums: &self.sums[columns.clone()],
            first: columns.start,
        }
    }
}

/// Consecutive packed panels (`pairs` lanes each) and what maps their i32 sums back to f32
/// columns `first..first + width`.
pub(super) struct PanelColumns<'a> {
    panels: &'a [PairLanes],
    /// Per column: the weights' quantization step.
    scales: &'a [f32],
    /// Per column: the sum of its dequantized weights.
    weight_sums: &'a [f32],
    first: usize,
}

impl Kernel {
    /// `out[r][first + c] = Σ_q words[r · pairs + q] ⊙ panels[c / 16 · pairs + q][c % 16]`,
    /// dequantized, for every row `r` of `words` (one [`RowScale`] each in `steps`) and every
    /// column of the panels (at most [`Self::panels_per_tile`] of them).
    pub(super) fn multiply_panels(
        self,
        words: &[i32],
        steps: &[RowScale],
        pairs: usize,
        columns: &PanelColumns<'_>,
        out: &mut OutBlock<'_>,
    ) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::Avx512 => avx512::multiply_panels(words, steps, pairs, columns, out),
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => avx2::multiply_panel(words, steps, pairs, columns, out),
            Self::Portable => portable::multiply_panel(words, steps, pairs, columns, out),
        }
    }

    /// Quantizes one activation row into `words` (`row.len().div_ceil(2)` of them); returns
    /// its scale. Every kernel gives the same words.
    pub fn quantize_row(self, row: &[f32], words: &mut [i32]) -> RowScale {
        match self {
            // Every AVX-512 CPU has AVX2, and the quantizer is bound by its loads anyway.
            #[cfg(target_arch = "x86_64")]
            Self::Avx512 | Self::Avx2 => avx2::quantize_row(row, words),
            Self::Portable => quantize_activations(row, words),
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
pub(crate) mod eight_bit;
mod portable;
#[cfg(target_arch = "x86_64")]
mod six_row_tile;
