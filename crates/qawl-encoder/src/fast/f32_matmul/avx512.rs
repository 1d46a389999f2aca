//! The AVX-512 f32 tile: 12 rows × 32 channels (two panels) of accumulators in zmm registers,
//! stored straight into the output rows. Each row's broadcast input feeds both panels' FMAs.

use std::arch::x86_64::{__m512, _mm512_fmadd_ps, _mm512_set1_ps, _mm512_setzero_ps};

use super::{Columns, Lanes, PANEL};
use crate::fast::cpu_kernel::{for_tall_tile_height, store_prefix, TALL_TILE_ROWS};
use crate::fast::out_block::OutBlock;

/// [`super::Kernel::f32_panels`] for one or two panels.
#[allow(unsafe_code)]
pub(super) fn multiply_panels(
    x: &[f32],
    inputs: usize,
    panels: &[Lanes],
    columns: Columns,
    out: &mut OutBlock<'_>,
) {
    // SAFETY: `Kernel::Avx512` is only chosen after `is_x86_feature_detected!` found AVX-512 F.
    unsafe { multiply_panels_avx512(x, inputs, panels, columns, out) }
}

#[target_feature(enable = "avx512f")]
fn multiply_panels_avx512(
    x: &[f32],
    inputs: usize,
    panels: &[Lanes],
    columns: Columns,
    out: &mut OutBlock<'_>,
) {
    let both = panels.len() >= 2 * inputs;
    for (tile, x) in x.chunks(TALL_TILE_ROWS * inputs).enumerate() {
        let out = &mut out.rows_from(tile * TALL_TILE_ROWS);
        let rows = x.len() / inputs;
        if both {
            for_tall_tile_height!(rows, two_panel_tile(x, inputs, panels, columns, out));
        } else {
            for_tall_tile_height!(rows, one_panel_tile(x, inputs, panels, columns, out));
        }
    }
}

#[inline]
#[target_feature(enable = "avx512f")]
fn two_panel_tile<const R: usize>(
    x: &[f32],
    inputs: usize,
    panels: &[Lanes],
    columns: Columns,
    out: &mut OutBlock<'_>,
) {
    store_tile(&tile_sums::<R, 2>(x, inputs, panels), columns, out);
}

#[inline]
#[target_feature(enable = "avx512f")]
fn one_panel_tile<const R: usize>(
    x: &[f32],
    inputs: usize,
    panels: &[Lanes],
    columns: Columns,
    out: &mut OutBlock<'_>,
) {
    store_tile(&tile_sums::<R, 1>(x, inputs, panels), columns, out);
}

/// Writes a tile's sums into its rows' columns `first..first + width`.
#[inline]
#[target_feature(enable = "avx512f")]
fn store_tile<const R: usize, const P: usize>(
    acc: &[[__m512; P]; R],
    columns: Columns,
    out: &mut OutBlock<'_>,
) {
    for (r, sums) in acc.iter().enumerate() {
        let row = out.row(r, columns.first, columns.width);
        for (part, &sums) in row.chunks_mut(PANEL).zip(sums) {
            let values: [f32; PANEL] = bytemuck::cast(sums);
            store_prefix(part, &values);
        }
    }
}

/// The sums of one tile of `R` rows and `P` panels, sixteen channels per vector; row `r` of the
/// tile is `x[r · inputs..(r + 1) · inputs]`, panel `p` is `panels[p · inputs..]`.
// Not inlined, as the AVX2 tile: on its own the loop keeps every accumulator in a register.
#[allow(unsafe_code)]
#[inline(never)]
#[target_feature(enable = "avx512f")]
fn tile_sums<const R: usize, const P: usize>(
    x: &[f32],
    inputs: usize,
    panels: &[Lanes],
) -> [[__m512; P]; R] {
    assert!(x.len() >= R * inputs && panels.len() >= P * inputs);
    let mut acc = [[_mm512_setzero_ps(); P]; R];
    for k in 0..inputs {
        // SAFETY: `p · inputs + k < P · inputs ≤ panels.len()` (asserted above).
        let weights: [__m512; P] = std::array::from_fn(|p| {
            bytemuck::cast(unsafe { panels.get_unchecked(p * inputs + k) }.0)
        });
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: `r · inputs + k < R · inputs ≤ x.len()` (asserted above).
            let a = _mm512_set1_ps(unsafe { *x.get_unchecked(r * inputs + k) });
            for (acc, &weights) in acc.iter_mut().zip(&weights) {
                *acc = _mm512_fmadd_ps(a, weights, *acc);
            }
        }
    }
    acc
}
