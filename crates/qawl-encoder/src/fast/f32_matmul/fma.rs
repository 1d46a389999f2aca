//! The AVX2 + FMA f32 tile: 6 rows × 16 channels of accumulators in registers, stored straight
//! into the output rows.

use std::arch::x86_64::{__m256, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_setzero_ps};

use super::{Columns, Lanes, PANEL};
use crate::fast::cpu_kernel::{for_tile_height, store_prefix, TILE_ROWS};
use crate::fast::out_block::OutBlock;

/// [`super::Kernel::f32_panel`], one call per panel.
#[allow(unsafe_code)]
pub(super) fn multiply_panel(
    x: &[f32],
    inputs: usize,
    panel: &[Lanes],
    columns: Columns,
    out: &mut OutBlock<'_>,
) {
    // SAFETY: `Kernel::Avx2` is only chosen after `is_x86_feature_detected!` found AVX2 and
    // FMA.
    unsafe { multiply_panel_fma(x, inputs, panel, columns, out) }
}

#[target_feature(enable = "avx2,fma")]
fn multiply_panel_fma(
    x: &[f32],
    inputs: usize,
    panel: &[Lanes],
    columns: Columns,
    out: &mut OutBlock<'_>,
) {
    for (tile, x) in x.chunks(TILE_ROWS * inputs).enumerate() {
        let out = &mut out.rows_from(tile * TILE_ROWS);
        for_tile_height!(x.len() / inputs, tile_rows(x, inputs, panel, columns, out));
    }
}

/// One tile of `R` rows: its sums, stored into the output rows.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn tile_rows<const R: usize>(
    x: &[f32],
    inputs: usize,
    panel: &[Lanes],
    columns: Columns,
    out: &mut OutBlock<'_>,
) {
    let acc = tile_sums::<R>(x, inputs, panel);
    // Rows by a constant range, so `acc` is indexed statically.
    #[allow(clippy::needless_range_loop)]
    for r in 0..R {
        let values: [f32; PANEL] = bytemuck::cast(acc[r]);
        store_prefix(out.row(r, columns.first, columns.width), &values);
    }
}

/// The sums of one tile, eight channels per vector; row `r` of the tile is
/// `x[r · inputs..(r + 1) · inputs]`.
// Not inlined: on its own, the loop keeps all twelve accumulators and the weight vectors in
// registers; inlined into the panel loop, it spilled some of them to the stack every step.
#[allow(unsafe_code)]
#[inline(never)]
#[target_feature(enable = "avx2,fma")]
fn tile_sums<const R: usize>(x: &[f32], inputs: usize, panel: &[Lanes]) -> [[__m256; 2]; R] {
    assert!(x.len() >= R * inputs && panel.len() >= inputs);
    let mut acc = [[_mm256_setzero_ps(); 2]; R];
    let step = |acc: &mut [[__m256; 2]; R], k: usize, lanes: &Lanes| {
        let [low, high]: [__m256; 2] = bytemuck::cast(lanes.0);
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: `r · inputs + k < R · inputs ≤ x.len()` (asserted above).
            let a = _mm256_set1_ps(unsafe { *x.get_unchecked(r * inputs + k) });
            acc[0] = _mm256_fmadd_ps(a, low, acc[0]);
            acc[1] = _mm256_fmadd_ps(a, high, acc[1]);
        }
    };
    // Two inputs per iteration halve the loop's counter and address arithmetic; each
    // accumulator still takes its inputs in order.
    let (twos, rest) = panel[..inputs].as_chunks::<2>();
    for (index, [first, second]) in twos.iter().enumerate() {
        step(&mut acc, 2 * index, first);
        step(&mut acc, 2 * index + 1, second);
    }
    if let [last] = rest {
        step(&mut acc, inputs - 1, last);
    }
    acc
}
