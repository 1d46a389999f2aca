//! 8-bit activations for the projections that read a layer norm's output (Q|K|V and the
//! feed-forward's first), where AVX-512 VNNI's `vpdpbusd` multiplies four u8 × i8 pairs per
//! lane: twice the multiply-adds of `vpdpwssd` on the 12-bit path.
//!
//! 8 bits per row alone lose too much on those inputs: a few channels of a layer norm's output
//! run 10–20× wider than the rest and set every token's step. So the inputs are smoothed first
//! (SmoothQuant): channel `j` is divided by `s_j = √(range_j / max_o |W_oj|)` and the weights'
//! column `j` multiplied by it (the product is unchanged), with `range_j` the channel's largest
//! |value| on training text ([`super::super::activation_ranges`]). Rows are then quantized
//! around their mid-range to −127..=127, as on the 12-bit path.
//!
//! `vpdpbusd` takes unsigned activations, so they are stored as `level + 128`, and the tile
//! subtracts `128 · Σ_k w_k` per channel from its sums: the same exact i32 sums as the AVX2 and
//! portable tiles get from the signed levels in their i16 lanes, so every kernel gives the same
//! bits here too.

use multiversion::multiversion;
use rayon::prelude::*;

use super::{
    activation_scale, group_spans, multiply_block, pack_levels, range_of, round_even, run_tasks,
    Kernel, QuantizedRows, QuantizedWeight, RowScale, PANEL,
};
use crate::fast::cpu_kernel::CacheLine;
use crate::fast::kernels::rows_per_task;

/// Largest 8-bit activation level: −127..=127 (255 levels, what a u8 holds after `+ 128`).
const LEVELS: f32 = 127.0;

/// What `vpdpbusd` adds to every level (it multiplies unsigned bytes).
const OFFSET: i32 = 128;

/// One group of four inputs of one panel: for each of the 16 channels, its weights for
/// inputs `4g..4g + 4` — what `vpdpbusd` multiplies with one broadcast word of four levels.
pub(super) type QuadLanes = CacheLine<[i8; PANEL * 4]>;

/// A linear map for 8-bit activations: smoothed, quantized per output channel, packed for the
/// kernels it was built for.
#[derive(Debug, Clone)]
pub(crate) struct EightBitWeight {
    /// The smoothed weights in the 12-bit path's layout (the AVX2 and portable tiles); its
    /// panels are empty where only `vpdpbusd` multiplies (its column factors serve every tile).
    weight: QuantizedWeight,
    /// The same levels by groups of four inputs: panel `p`, group `g` at `p · groups + g`;
    /// empty where no kernel built for takes them.
    quads: Vec<QuadLanes>,
    /// Per output channel (padded to whole panels): the sum of its weight levels.
    level_sums: Vec<i32>,
    /// Per input channel: `1 / s_j`, what the activations are multiplied by.
    inverse_smoothing: Vec<f32>,
}

impl EightBitWeight {
    /// Smooths `weight` (`[outputs, inputs]` row-major) with the inputs' `ranges` (largest
    /// |value| per input channel), quantizes it and packs it for this CPU's kernel
    /// ([`Kernel::detect`]). A channel with a zero or non-finite range or weight column is left
    /// as it is.
    pub fn from_rows(weight: &[f32], outputs: usize, inputs: usize, ranges: &[f32]) -> Self {
        Self::for_kernels(weight, outputs, inputs, ranges, &[Kernel::detect()])
    }

    /// [`Self::from_rows`] packed for each of `kernels` (the tests compare them on one
    /// weight): the 12-bit path's i16 panels are kept only if one of them does not take
    /// `vpdpbusd`'s quads (on AVX-512 VNNI they would be ≈ 25 MB of e5-small's weights that
    /// nothing reads), the quads only if one does.
    pub fn for_kernels(
        weight: &[f32],
        outputs: usize,
        inputs: usize,
        ranges: &[f32],
        kernels: &[Kernel],
    ) -> Self {
        // Row by row (the weights are stored by output channel), not column by column.
        let rows = weight.chunks_exact(inputs.max(1)).take(outputs);
        let mut peaks = vec![0f32; inputs];
        for row in rows.clone() {
            for (peak, &w) in peaks.iter_mut().zip(row) {
                *peak = peak.max(w.abs());
            }
        }
        let factors: Vec<f32> = peaks
            .iter()
            .enumerate()
            .map(|(j, &peak)| ranges.get(j).map_or(1.0, |&range| (range / peak).sqrt()))
            .map(|factor| {
                if factor.is_finite() && factor > 0.0 {
                    factor
                } else {
                    1.0
                }
            })
            .collect();
        let inverse_smoothing = factors.iter().map(|factor| 1.0 / factor).collect();
        let smoothed: Vec<f32> = rows
            .flat_map(|row| row.iter().zip(&factors).map(|(&w, &factor)| w * factor))
            .collect();
        let mut weight = QuantizedWeight::from_rows(&smoothed, outputs, inputs);
        let (pairs, groups) = (weight.pairs(), inputs.div_ceil(4));
        let panel_count = outputs.div_ceil(PANEL);
        let quad_count = match kernels.iter().any(|&kernel| uses_quads(kernel)) {
            true => panel_count * groups,
            false => 0,
        };
        let mut quads = vec![CacheLine([0i8; PANEL * 4]); quad_count];
        let mut level_sums = vec![0i32; panel_count * PANEL];
        for (index, pair) in weight.panels.iter().enumerate() {
            let (panel, q) = (index / pairs.max(1), index % pairs.max(1));
            for (lane, levels) in pair.0.chunks_exact(2).enumerate() {
                for (half, &level) in levels.iter().enumerate() {
                    let input = 2 * q + half;
                    // Weight levels are −127..=127: they fit an i8.
                    if let Some(quad) = quads.get_mut(panel * groups + input / 4) {
                        quad.0[lane * 4 + input % 4] = level as i8;
                    }
                    level_sums[panel * PANEL + lane] += i32::from(level);
                }
            }
        }
        if kernels.iter().all(|&kernel| uses_quads(kernel)) {
            weight.drop_panels();
        }
        Self {
            weight,
            quads,
            level_sums,
            inverse_smoothing,
        }
    }

    /// Width of the input rows.
    pub fn inputs(&self) -> usize {
        self.weight.inputs
    }

    /// Whether `kernel` multiplies this weight's quads (else the 12-bit path's panels): it
    /// must be one of the kernels the weight was packed for.
    fn multiplies_quads(&self, kernel: Kernel) -> bool {
        uses_quads(kernel) && !self.quads.is_empty()
    }

    /// Bytes of packed weights kept (both packings where both were asked for).
    #[cfg(test)]
    pub fn packed_bytes(&self) -> usize {
        std::mem::size_of_val(self.quads.as_slice())
            + std::mem::size_of_val(self.weight.panels.as_slice())
    }
}

/// Quantizes one row to 8 bits after smoothing it (`row ⊙ inverse_smoothing`, written to
/// `smoothed`): its scale, and its levels as i16 pair `words` or, for `vpdpbusd`, as unsigned
/// `quads`. Non-finite rows get a NaN step (and zero words), as on the 12-bit path.
fn quantize_row(
    row: &[f32],
    inverse_smoothing: &[f32],
    smoothed: &mut Vec<f32>,
    out: RowWords<'_>,
) -> RowScale {
    smoothed.resize(row.len(), 0.0);
    smooth(row, inverse_smoothing, smoothed);
    let (low, high, finite) = range_of(smoothed);
    let (scale, center, inverse) = activation_scale(low, high, finite, LEVELS);
    match out {
        RowWords::Pairs(words) if finite => pack_levels(smoothed, words, center, inverse, LEVELS),
        RowWords::Pairs(words) => words.fill(0),
        RowWords::Quads(quads) => {
            let bytes: &mut [u8] = bytemuck::cast_slice_mut(quads);
            let (levels, padding) = bytes.split_at_mut(smoothed.len().min(bytes.len()));
            if finite {
                pack_offset_levels(smoothed, center, inverse, levels);
            } else {
                levels.fill(OFFSET as u8);
            }
            // Padding inputs meet zero weights: any level will do.
            padding.fill(OFFSET as u8);
        }
    }
    scale
}

/// `smoothed = row ⊙ inverse_smoothing`, dispatched so it runs on the widest vectors.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn smooth(row: &[f32], inverse_smoothing: &[f32], smoothed: &mut [f32]) {
    for ((s, &v), &factor) in smoothed.iter_mut().zip(row).zip(inverse_smoothing) {
        *s = v * factor;
    }
}

/// Each value's level `+ 128` as a byte (little-endian words: the first input in the low
/// byte), dispatched like [`smooth`].
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn pack_offset_levels(smoothed: &[f32], center: f32, inverse: f32, bytes: &mut [u8]) {
    // 2²³ puts the (whole, 1..=255) level + 128 in the low mantissa bits: no float-to-int
    // conversion, which LLVM would saturate lane by lane.
    const LOW_BITS: f32 = 8_388_608.0 + OFFSET as f32;
    for (byte, &v) in bytes.iter_mut().zip(smoothed) {
        let level = round_even((v - center) * inverse).clamp(-LEVELS, LEVELS);
        *byte = (level + LOW_BITS).to_bits() as u8;
    }
}

/// Where one row's levels go.
enum RowWords<'a> {
    /// i16 pairs, for the AVX2 and portable tiles.
    Pairs(&'a mut [i32]),
    /// Four `level + 128` bytes a word, for `vpdpbusd`.
    Quads(&'a mut [i32]),
}

impl QuantizedRows {
    /// Quantizes the rows of `x` for `weight` on `kernel`, every word overwritten.
    fn fill_eight_bit(&mut self, kernel: Kernel, x: &[f32], weight: &EightBitWeight) {
        let inputs = weight.inputs();
        let rows = x.len() / inputs.max(1);
        let quads = weight.multiplies_quads(kernel);
        let (pairs, groups) = (inputs.div_ceil(2), inputs.div_ceil(4));
        let per_row = if quads { groups } else { pairs };
        self.steps.resize(rows, RowScale::default());
        self.pairs = pairs;
        let words = if quads {
            &mut self.quads
        } else {
            &mut self.words
        };
        words.resize(rows * per_row, 0);
        let chunk = rows_per_task(rows * inputs, inputs);
        self.steps
            .par_chunks_mut(chunk)
            .zip(words.par_chunks_mut(chunk * per_row.max(1)))
            .zip(x.par_chunks(chunk * inputs.max(1)))
            .for_each(|((steps, words), x)| {
                let mut smoothed = Vec::new();
                let rows = x.chunks_exact(inputs).zip(words.chunks_exact_mut(per_row));
                for (step, (row, words)) in steps.iter_mut().zip(rows) {
                    let out = if quads {
                        RowWords::Quads(words)
                    } else {
                        RowWords::Pairs(words)
                    };
                    *step = quantize_row(row, &weight.inverse_smoothing, &mut smoothed, out);
                }
            });
    }
}

/// Whether `kernel` multiplies 8-bit rows with `vpdpbusd`, faster than 12-bit ones (the other
/// kernels take them on the 12-bit path's tiles, at its speed).
pub(crate) fn uses_quads(kernel: Kernel) -> bool {
    #[cfg(target_arch = "x86_64")]
    if kernel == Kernel::Avx512 {
        return true;
    }
    let _ = kernel;
    false
}

/// `out = x · W` with `x`'s rows smoothed and quantized to 8 bits (`[rows, inputs]` →
/// `[rows, outputs]`, no bias); `out` is resized and every value overwritten.
pub(crate) fn matmul_into(
    kernel: Kernel,
    x: &[f32],
    weight: &EightBitWeight,
    quantized: &mut QuantizedRows,
    out: &mut Vec<f32>,
) {
    let (inputs, outputs) = (weight.weight.inputs, weight.weight.outputs);
    let rows = x.len() / inputs.max(1);
    quantized.fill_eight_bit(kernel, &x[..rows * inputs], weight);
    let quads = weight.multiplies_quads(kernel);
    let (pairs, groups) = (inputs.div_ceil(2), inputs.div_ceil(4));
    let QuantizedRows {
        steps,
        words,
        quads: quad_words,
        ..
    } = &*quantized;
    run_tasks(kernel, out, (rows, inputs, outputs), |task, out| {
        let steps = &steps[task.rows.clone()];
        if quads {
            let words = &quad_words[task.rows.start * groups..task.rows.end * groups];
            multiply_quad_block(words, steps, weight, task.groups, out);
        } else {
            let words = &words[task.rows.start * pairs..task.rows.end * pairs];
            multiply_block(kernel, words, steps, &weight.weight, task.groups, out);
        }
    });
}

/// One task's rows and column groups on the `vpdpbusd` tile (x86-64 only; [`uses_quads`] is
/// false elsewhere, so the arguments go unused there).
#[allow(unused_variables)]
fn multiply_quad_block(
    words: &[i32],
    steps: &[RowScale],
    weight: &EightBitWeight,
    groups: std::ops::Range<usize>,
    out: &mut crate::fast::out_block::OutBlock<'_>,
) {
    #[cfg(target_arch = "x86_64")]
    {
        let quad_groups = weight.inputs().div_ceil(4);
        let outputs = weight.weight.outputs;
        for (panels, columns) in group_spans(Kernel::Avx512, groups, outputs) {
            let panel_columns = weight.weight.panel_columns(panels.clone(), columns);
            let quads = super::avx512::QuadPanels {
                quads: &weight.quads[panels.start * quad_groups..panels.end * quad_groups],
                groups: quad_groups,
                level_sums: &weight.level_sums[panels.start * PANEL..panels.end * PANEL],
            };
            super::avx512::multiply_quad_panels(words, steps, &quads, &panel_columns, out);
        }
    }
}
