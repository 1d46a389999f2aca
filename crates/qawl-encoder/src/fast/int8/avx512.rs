//! The AVX-512 VNNI int8 tile: 12 rows × 32 channels (two panels) of i32 sums in zmm
//! registers. `vpdpwssd` multiplies a row's broadcast i16 pair with a panel's 16 channel pairs
//! and adds both products into the sums in one instruction, so one step of the tile is two
//! weight loads, twelve broadcasts and 24 `vpdpwssd`. The sums are the same exact i32 sums as
//! the AVX2 tile's (the order of wrapping additions does not change them), and the epilogue
//! does the same f32 operations, so both give the same bits. 8-bit rows
//! ([`super::eight_bit`]) run on the same tile with `vpdpbusd`, four u8 × i8 pairs a lane.

use std::arch::asm;
use std::arch::x86_64::{
    __m512, __m512i, _mm512_add_ps, _mm512_cvtepi32_ps, _mm512_mul_ps, _mm512_set1_epi32,
    _mm512_set1_ps, _mm512_setzero_si512, _mm512_sub_epi32,
};

use super::eight_bit::QuadLanes;
use super::{PairLanes, PanelColumns, RowScale, PANEL};
use crate::fast::cpu_kernel::{
    for_tall_tile_height, padded, store_prefix, CacheLine, TALL_TILE_ROWS,
};
use crate::fast::out_block::OutBlock;

/// [`super::Kernel::multiply_panels`] for one or two panels.
#[allow(unsafe_code)]
pub(super) fn multiply_panels(
    words: &[i32],
    steps: &[RowScale],
    pairs: usize,
    columns: &PanelColumns<'_>,
    out: &mut OutBlock<'_>,
) {
    let rows = (pairs, Weights::Pairs(columns.panels));
    // SAFETY: only reached through `Kernel::Avx512`, chosen after the check for AVX-512 F, BW
    // and VNNI.
    unsafe { multiply_panels_avx512(words, steps, rows, columns, [0; 2 * PANEL], out) }
}

/// The weights of an 8-bit product in `vpdpbusd`'s layout: consecutive panels of `groups`
/// four-input groups each, and each channel's sum of weight levels.
pub(super) struct QuadPanels<'a> {
    pub quads: &'a [QuadLanes],
    pub groups: usize,
    pub level_sums: &'a [i32],
}

/// [`multiply_panels`] for 8-bit rows (`words`: four `level + 128` bytes each, `groups` per
/// row) on `vpdpbusd`; `columns` gives the dequantization (its i16 panels are unused).
#[allow(unsafe_code)]
pub(super) fn multiply_quad_panels(
    words: &[i32],
    steps: &[RowScale],
    quads: &QuadPanels<'_>,
    columns: &PanelColumns<'_>,
    out: &mut OutBlock<'_>,
) {
    // What `+ 128` on every level added to each channel's sum: 128 · Σ weight levels.
    let mut offsets = [0i32; 2 * PANEL];
    for (offset, &sum) in offsets.iter_mut().zip(quads.level_sums) {
        *offset = 128 * sum;
    }
    let rows = (quads.groups, Weights::Quads(quads.quads));
    // SAFETY: as in `multiply_panels`.
    unsafe { multiply_panels_avx512(words, steps, rows, columns, offsets, out) }
}

/// The weights a tile multiplies: i16 pairs for `vpdpwssd`, or i8 quads for `vpdpbusd`.
#[derive(Clone, Copy)]
enum Weights<'a> {
    Pairs(&'a [PairLanes]),
    Quads(&'a [QuadLanes]),
}

/// The tiles over `words` (`per_row` words a row, multiplied with `weights`), sums less
/// `offsets` per column, turned back into f32 with `columns`' factors.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn multiply_panels_avx512(
    words: &[i32],
    steps: &[RowScale],
    (per_row, weights): (usize, Weights<'_>),
    columns: &PanelColumns<'_>,
    offsets: [i32; 2 * PANEL],
    out: &mut OutBlock<'_>,
) {
    // The panels' column factors, padded to full vectors once for all their tiles.
    let factors =
        |values: &[f32]| -> [__m512; 2] { bytemuck::cast(padded::<{ 2 * PANEL }>(values)) };
    let factors = ColumnFactors {
        scales: factors(columns.scales),
        weight_sums: factors(columns.weight_sums),
        offsets: bytemuck::cast(offsets),
    };
    let panel_steps = match weights {
        Weights::Pairs(panels) => panels.len(),
        Weights::Quads(panels) => panels.len(),
    };
    let both = panel_steps >= 2 * per_row;
    let tiles = words
        .chunks(TALL_TILE_ROWS * per_row)
        .zip(steps.chunks(TALL_TILE_ROWS));
    for (tile, (words, steps)) in tiles.enumerate() {
        let out = &mut out.rows_from(tile * TALL_TILE_ROWS);
        let tile = Tile {
            words,
            steps,
            per_row,
            weights,
            columns,
            factors: &factors,
        };
        if both {
            for_tall_tile_height!(steps.len(), two_panel_tile(&tile, out));
        } else {
            for_tall_tile_height!(steps.len(), one_panel_tile(&tile, out));
        }
    }
}

/// The panels' per-column quantization steps and weight sums, sixteen columns per vector.
struct ColumnFactors {
    scales: [__m512; 2],
    weight_sums: [__m512; 2],
    /// What to take off the i32 sums first: 0 for 12-bit rows; for 8-bit ones, what storing
    /// the levels `+ 128` added (`128 · Σ weight levels`).
    offsets: [__m512i; 2],
}

/// One tile's rows and where its values go.
struct Tile<'a> {
    words: &'a [i32],
    steps: &'a [RowScale],
    /// Words per row: i16 pairs on the 12-bit path, four-byte groups on the 8-bit one.
    per_row: usize,
    weights: Weights<'a>,
    columns: &'a PanelColumns<'a>,
    factors: &'a ColumnFactors,
}

#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn two_panel_tile<const R: usize>(tile: &Tile<'_>, out: &mut OutBlock<'_>) {
    let sums = match tile.weights {
        Weights::Pairs(panels) => tile_sums::<R, 2, false, _>(tile.words, tile.per_row, panels),
        Weights::Quads(panels) => tile_sums::<R, 2, true, _>(tile.words, tile.per_row, panels),
    };
    dequantize_tile(&sums, tile, out);
}

#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn one_panel_tile<const R: usize>(tile: &Tile<'_>, out: &mut OutBlock<'_>) {
    let sums = match tile.weights {
        Weights::Pairs(panels) => tile_sums::<R, 1, false, _>(tile.words, tile.per_row, panels),
        Weights::Quads(panels) => tile_sums::<R, 1, true, _>(tile.words, tile.per_row, panels),
    };
    dequantize_tile(&sums, tile, out);
}

/// `out[r · outputs + first + c] = sums[r][c] · (step_r · scale_c) + center_r · weight_sum_c`,
/// the same operations as [`super::portable`]'s `dequantize_sums`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn dequantize_tile<const R: usize, const P: usize>(
    acc: &[[__m512i; P]; R],
    tile: &Tile<'_>,
    out: &mut OutBlock<'_>,
) {
    let columns = tile.columns;
    let width = columns.scales.len();
    for ((r, sums), row) in acc.iter().enumerate().zip(tile.steps) {
        let (step, center) = (_mm512_set1_ps(row.step), _mm512_set1_ps(row.center));
        let parts = out.row(r, columns.first, width).chunks_mut(PANEL);
        let factors = tile.factors.scales.iter().zip(&tile.factors.weight_sums);
        let factors = factors.zip(&tile.factors.offsets);
        for ((part, &sums), ((&scales, &weight_sums), &offsets)) in parts.zip(sums).zip(factors) {
            let sums = _mm512_sub_epi32(sums, offsets);
            let scaled = _mm512_mul_ps(_mm512_cvtepi32_ps(sums), _mm512_mul_ps(step, scales));
            let value = _mm512_add_ps(scaled, _mm512_mul_ps(center, weight_sums));
            let values: [f32; PANEL] = bytemuck::cast(value);
            store_prefix(part, &values);
        }
    }
}

/// `$acc += $word · $lanes` by the VNNI dot-product instruction `$instruction` (`asm!` takes
/// its mnemonic only as a literal; the operands are the same for both).
macro_rules! dot_accumulate {
    ($instruction:literal, $acc:expr, $word:expr, $lanes:expr) => {
        asm!(
            concat!($instruction, " {acc}, {word}, {lanes}"),
            acc = inout(zmm_reg) $acc,
            word = in(zmm_reg) $word,
            lanes = in(zmm_reg) $lanes,
            options(pure, nomem, nostack),
        )
    };
}

/// The i32 sums of one tile of `R` rows and `P` panels, sixteen channels per vector; row `r`
/// of the tile is `words[r · steps..(r + 1) · steps]`, panel `p` is `panels[p · steps..]`.
/// Each step multiplies a broadcast word with 64 bytes of weights: `vpdpwssd` (i16 pairs) or,
/// with `BYTES`, `vpdpbusd` (unsigned bytes of the row with signed bytes of the weights).
// Not inlined, as the AVX2 tile: on its own the loop keeps every accumulator in a register.
#[allow(unsafe_code)]
#[inline(never)]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn tile_sums<const R: usize, const P: usize, const BYTES: bool, L: bytemuck::Pod>(
    words: &[i32],
    steps: usize,
    panels: &[CacheLine<L>],
) -> [[__m512i; P]; R] {
    assert!(words.len() >= R * steps && panels.len() >= P * steps);
    let mut acc = [[_mm512_setzero_si512(); P]; R];
    for q in 0..steps {
        // SAFETY: `p · steps + q < P · steps ≤ panels.len()` (asserted above).
        let lanes: [__m512i; P] = std::array::from_fn(|p| {
            bytemuck::cast(unsafe { panels.get_unchecked(p * steps + q) }.0)
        });
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: `r · steps + q < R · steps ≤ words.len()` (asserted above).
            let word = _mm512_set1_epi32(unsafe { *words.get_unchecked(r * steps + q) });
            for (acc, &lanes) in acc.iter_mut().zip(&lanes) {
                // Written out: LLVM turns `_mm512_dpwssd_epi32` into `vpmaddwd` + `vpaddd`
                // when tuning for a generic x86-64, twice the instructions.
                // SAFETY: register operands only; AVX-512 VNNI is enabled on this function.
                unsafe {
                    if BYTES {
                        dot_accumulate!("vpdpbusd", *acc, word, lanes);
                    } else {
                        dot_accumulate!("vpdpwssd", *acc, word, lanes);
                    }
                }
            }
        }
    }
    acc
}
