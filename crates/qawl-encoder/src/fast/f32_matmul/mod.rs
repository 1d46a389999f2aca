//! The f32 dense projections: weights packed once into panels of 16 output channels, input by
//! input, and multiplied by a 6 × 16 register tile of FMAs — two loads, six broadcasts and
//! twelve `vfmadd231ps` per input, the shape that keeps both FMA pipes of a core busy. The
//! `gemm` crate (candle's CPU matmul) reached 50–65 % of this CPU's FMA peak on e5-small's
//! projections; its general blocking does not pay off at these small shapes.
//!
//! Every output is one running FMA sum over the inputs in order, starting from zero, so the
//! AVX2 and the portable tile give the same bits.

use rayon::prelude::*;

use super::cpu_kernel::{rows_per_tile_task, CacheLine, Kernel, TILE_ROWS};

/// Output channels per packed panel: two AVX2 vectors of eight f32 lanes.
const PANEL: usize = 16;

/// One input of one panel: its weights for the panel's 16 channels.
type Lanes = CacheLine<[f32; PANEL]>;
/// One row of a tile's sums.
type Sums = [f32; PANEL];

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
    let block = rows_per_tile_task(rows, TILE_ROWS, 8);
    out.par_chunks_mut(block * outputs)
        .zip(x[..rows * inputs].par_chunks(block * inputs))
        .for_each(|(out, x)| multiply_block(kernel, x, weight, out));
}

/// One task's rows: every panel, tile by tile (the panel stays in cache across the tiles).
fn multiply_block(kernel: Kernel, x: &[f32], weight: &F32Weight, out: &mut [f32]) {
    let (inputs, outputs) = (weight.inputs, weight.outputs);
    for (panel_index, panel) in weight.panels.chunks_exact(inputs).enumerate() {
        let first = panel_index * PANEL;
        let width = PANEL.min(outputs - first);
        for (tile, x) in x.chunks(TILE_ROWS * inputs).enumerate() {
            let mut sums = [[0f32; PANEL]; TILE_ROWS];
            let tile_rows = x.len() / inputs;
            kernel.f32_tile(x, inputs, panel, &mut sums[..tile_rows]);
            for (row, sums) in sums[..tile_rows].iter().enumerate() {
                let at = (tile * TILE_ROWS + row) * outputs + first;
                out[at..at + width].copy_from_slice(&sums[..width]);
            }
        }
    }
}

impl Kernel {
    /// `sums[r][c] = Σ_k x[r · inputs + k] · panel[k][c]` for each row `r` of the tile, one
    /// FMA at a time in input order.
    pub fn f32_tile(self, x: &[f32], inputs: usize, panel: &[Lanes], sums: &mut [Sums]) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => fma::tile(x, inputs, panel, sums),
            Self::Portable => portable_tile(x, inputs, panel, sums),
        }
    }
}

/// The reference tile: the same FMAs in the same order, one value at a time (`mul_add` is one
/// instruction where the CPU has FMA, a correctly rounded library call elsewhere).
fn portable_tile(x: &[f32], inputs: usize, panel: &[Lanes], sums: &mut [Sums]) {
    for (sums, row) in sums.iter_mut().zip(x.chunks_exact(inputs)) {
        let mut acc = [0f32; PANEL];
        for (&value, lanes) in row.iter().zip(panel) {
            for (acc, &weight) in acc.iter_mut().zip(&lanes.0) {
                *acc = value.mul_add(weight, *acc);
            }
        }
        *sums = acc;
    }
}

#[cfg(target_arch = "x86_64")]
mod fma;

#[cfg(test)]
mod tests;
