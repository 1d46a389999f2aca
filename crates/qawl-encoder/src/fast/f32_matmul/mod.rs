//! The f32 dense projections: weights packed once into panels of 16 output channels, input by
//! input, and multiplied by a register tile of FMAs — with AVX2, 6 rows × 16 channels: two
//! loads, six broadcasts and twelve `vfmadd231ps` per input; with AVX-512, 12 rows × 32
//! channels (two panels): two loads, twelve broadcasts and 24. Either keeps both FMA pipes of a
//! core busy. The
//! `gemm` crate (candle's CPU matmul) reached 50–65 % of this CPU's FMA peak on e5-small's
//! projections; its general blocking does not pay off at these small shapes.
//!
//! Every output is one running FMA sum over the inputs in order, starting from zero, so the
//! AVX2 and the portable tile give the same bits.

use rayon::prelude::*;

use std::ops::Range;

use super::cpu_kernel::{CacheLine, Kernel, PANEL};
use super::out_block::{group_spans, matmul_tasks, OutBlock};

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
    matmul_tasks(kernel, out, outputs, 48)
        .into_par_iter()
        .for_each(|(task, mut out)| {
            let x = &x[task.rows.start * inputs..task.rows.end * inputs];
            multiply_block(kernel, x, weight, task.groups, &mut out);
        });
}

/// One task's rows and column groups: group by group (the group's panels stay in cache across
/// the tiles), tile by tile.
fn multiply_block(
    kernel: Kernel,
    x: &[f32],
    weight: &F32Weight,
    groups: Range<usize>,
    out: &mut OutBlock<'_>,
) {
    let inputs = weight.inputs;
    for (panels, columns) in group_spans(kernel, groups, weight.outputs) {
        let panels = &weight.panels[panels.start * inputs..panels.end * inputs];
        let columns = Columns {
            first: columns.start,
            width: columns.len(),
        };
        kernel.f32_panels(x, inputs, panels, columns, out);
    }
}

/// Where a tile's sums go: columns `first..first + width` of its rows.
#[derive(Debug, Clone, Copy)]
pub(super) struct Columns {
    first: usize,
    width: usize,
}

impl Kernel {
    /// `out[r · outputs + first + c] = Σ_k x[r · inputs + k] · panels[c / 16 · inputs + k][c %
    /// 16]` for every row `r` of `x` and column `c < width`, one FMA at a time in input order;
    /// `panels` holds at most [`Self::panels_per_tile`] panels.
    pub fn f32_panels(
        self,
        x: &[f32],
        inputs: usize,
        panels: &[Lanes],
        columns: Columns,
        out: &mut OutBlock<'_>,
    ) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::Avx512 => avx512::multiply_panels(x, inputs, panels, columns, out),
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => fma::multiply_panel(x, inputs, panels, columns, out),
            Self::Portable => portable_panel(x, inputs, panels, columns, out),
        }
    }
}

/// The reference panel product: the same FMAs in the same order, one value at a time
/// (`mul_add` is one instruction where the CPU has FMA, a correctly rounded library call
/// elsewhere).
fn portable_panel(
    x: &[f32],
    inputs: usize,
    panel: &[Lanes],
    columns: Columns,
    out: &mut OutBlock<'_>,
) {
    for (r, row) in x.chunks_exact(inputs).enumerate() {
        let mut acc = [0f32; PANEL];
        for (&value, lanes) in row.iter().zip(panel) {
            for (acc, &weight) in acc.iter_mut().zip(&lanes.0) {
                *acc = value.mul_add(weight, *acc);
            }
        }
        out.row(r, columns.first, columns.width)
            .copy_from_slice(&acc[..columns.width]);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "x86_64")]
mod fma;

#[cfg(test)]
mod tests;
