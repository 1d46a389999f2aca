//! The f32 dense projections: weights packed once into panels of 16 output channels, input by
//! input, and multiplied by a 6 × 16 register tile of FMAs — two loads, six broadcasts and
//! twelve `vfmadd231ps` per input, the shape that keeps both FMA pipes of a core busy. The
//! `gemm` crate (candle's CPU matmul) reached 50–65 % of this CPU's FMA peak on e5-small's
//! projections; its general blocking does not pay off at these small shapes.
//!
//! Every output is one running FMA sum over the inputs in order, starting from zero, so the
//! AVX2 and the portable tile give the same bits.

use rayon::prelude::*;

use super::cpu_kernel::{split_rows, split_rows_mut, tile_tasks, CacheLine, Kernel, TILE_ROWS};

/// Output channels per packed panel: two AVX2 vectors of eight f32 lanes.
const PANEL: usize = 16;

/// One input of one panel: its weights for the panel's 16 channels.
type Lanes = CacheLine<[f32; PANEL]>;

/// A `[inputs, outputs]` linear map in f32, packed for [`matmul_into`].
#[derive(Debug, Clone)]
pub(crate) struct F32Weight {
    /// Panel `p`, input `k` at `p · inputs + k`; channels past `outputs` are zero.
    panels: Vec<Lanes>,
    inputs: usize,
    outputs: usize,
}

impl F32Weight {
    /// Packs `weight`, stored `[outputs, inputs]` row-major (PyTorch's `Linear` layout);
    /// `None` if it does not hold `outputs × inputs` values.
    pub fn from_rows(weight: &[f32], outputs: usize, inputs: usize) -> Option<Self> {
        if weight.len() != outputs * inputs {
            return None;
        }
        let mut panels = vec![CacheLine([0f32; PANEL]); outputs.div_ceil(PANEL) * inputs];
        for (channel, row) in weight.chunks_exact(inputs.max(1)).enumerate().take(outputs) {
            let (panel, lane) = (channel / PANEL, channel % PANEL);
            for (input, &value) in row.iter().enumerate() {
                panels[panel * inputs + input].0[lane] = value;
            }
        }
        Some(Self {
            panels,
            inputs,
            outputs,
        })
    }

    /// Width of the input rows.
    pub fn inputs(&self) -> usize {
        self.inputs
    }
}

/// `out = x · W` for `x` of `[rows, inputs]` (no bias); `out` is resized to `[rows, outputs]`
/// and every value overwritten. `x.len()` must be a multiple of `inputs`.
pub(crate) fn matmul_into(kernel: Kernel, x: &[f32], weight: &F32Weight, out: &mut Vec<f32>) {
    let (inputs, outputs) = (weight.inputs, weight.outputs);
    let rows = x.len().checked_div(inputs).unwrap_or(0);
    out.resize(rows * outputs, 0.0);
    if rows == 0 || outputs == 0 {
        return;
    }
    // At most 48 rows per task: their inputs stay in L2 (≤ 300 KB at 1536 inputs).
    let tasks = tile_tasks(rows, TILE_ROWS, 8);
    split_rows_mut(out, outputs, &tasks)
        .into_par_iter()
        .zip(split_rows(&x[..rows * inputs], inputs, &tasks))
        .for_each(|(out, x)| multiply_block(kernel, x, weight, out));
}

/// One task's rows: every panel, tile by tile (the panel stays in cache across the tiles).
fn multiply_block(kernel: Kernel, x: &[f32], weight: &F32Weight, out: &mut [f32]) {
    let (inputs, outputs) = (weight.inputs, weight.outputs);
    for (panel_index, panel) in weight.panels.chunks_exact(inputs).enumerate() {
        let first = panel_index * PANEL;
        let columns = Columns {
            first,
            width: PANEL.min(outputs - first),
            outputs,
        };
        kernel.f32_panel(x, inputs, panel, columns, out);
    }
}

/// Where a panel's sums go: columns `first..first + width` of rows `outputs` wide.
#[derive(Debug, Clone, Copy)]
pub(super) struct Columns {
    first: usize,
    width: usize,
    outputs: usize,
}

impl Kernel {
    /// `out[r · outputs + first + c] = Σ_k x[r · inputs + k] · panel[k][c]` for every row `r`
    /// of `x` and column `c < width`, one FMA at a time in input order.
    pub fn f32_panel(
        self,
        x: &[f32],
        inputs: usize,
        panel: &[Lanes],
        columns: Columns,
        out: &mut [f32],
    ) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => fma::multiply_panel(x, inputs, panel, columns, out),
            Self::Portable => portable_panel(x, inputs, panel, columns, out),
        }
    }
}

/// The reference panel product: the same FMAs in the same order, one value at a time
/// (`mul_add` is one instruction where the CPU has FMA, a correctly rounded library call
/// elsewhere).
fn portable_panel(x: &[f32], inputs: usize, panel: &[Lanes], columns: Columns, out: &mut [f32]) {
    for (r, row) in x.chunks_exact(inputs).enumerate() {
        let mut acc = [0f32; PANEL];
        for (&value, lanes) in row.iter().zip(panel) {
            for (acc, &weight) in acc.iter_mut().zip(&lanes.0) {
                *acc = value.mul_add(weight, *acc);
            }
        }
        let at = r * columns.outputs + columns.first;
        out[at..at + columns.width].copy_from_slice(&acc[..columns.width]);
    }
}

#[cfg(target_arch = "x86_64")]
mod fma;

#[cfg(test)]
mod tests;
