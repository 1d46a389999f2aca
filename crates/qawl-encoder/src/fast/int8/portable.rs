//! The portable int8 tile: the reference sums in scalar i32 arithmetic, which every other kernel
//! must match exactly, and the dequantization the AVX kernels do in vectors.

use super::{PairLanes, PanelColumns, RowScale, PANEL};
use crate::fast::cpu_kernel::TILE_ROWS;
use crate::fast::out_block::OutBlock;

/// The reference panel product: [`portable_tile`] tile by tile, then [`dequantize_sums`].
pub(super) fn multiply_panel(
    words: &[i32],
    steps: &[RowScale],
    pairs: usize,
    columns: &PanelColumns<'_>,
    out: &mut OutBlock<'_>,
) {
    let width = columns.scales.len();
    let tiles = words.chunks(TILE_ROWS * pairs).zip(steps.chunks(TILE_ROWS));
    for (tile, (words, steps)) in tiles.enumerate() {
        let mut sums = [[0i32; PANEL]; TILE_ROWS];
        portable_tile(words, pairs, columns.panels, &mut sums[..steps.len()]);
        for (row, (sums, step)) in sums.iter().zip(steps).enumerate() {
            dequantize_sums(
                out.row(tile * TILE_ROWS + row, columns.first, width),
                sums,
                *step,
                columns.scales,
                columns.weight_sums,
            );
        }
    }
}

/// `out[c] = sums[c] · (step · scales[c]) + center · weight_sums[c]`: a tile row's i32 sums
/// back to f32 (the AVX2 epilogue does the same operations, eight columns at a time).
fn dequantize_sums(
    out: &mut [f32],
    sums: &[i32; PANEL],
    row: RowScale,
    scales: &[f32],
    weight_sums: &[f32],
) {
    let columns = out.iter_mut().zip(sums).zip(scales.iter().zip(weight_sums));
    for ((o, &sum), (&scale, &weights)) in columns {
        *o = sum as f32 * (row.step * scale) + row.center * weights;
    }
}

/// The reference tile: the same sums with scalar i32 arithmetic.
fn portable_tile(words: &[i32], pairs: usize, panel: &[PairLanes], sums: &mut [[i32; PANEL]]) {
    for (row, sums) in sums.iter_mut().enumerate() {
        let words = words.iter().skip(row * pairs).take(pairs);
        for (&word, lanes) in words.zip(panel) {
            let (low, high) = (word as i16 as i32, (word >> 16) as i16 as i32);
            for (sum, weights) in sums.iter_mut().zip(lanes.0.chunks_exact(2)) {
                *sum += low * weights[0] as i32 + high * weights[1] as i32;
            }
        }
    }
}
