//! The AVX-512 VNNI int8 tile: 12 rows × 32 channels (two panels) of i32 sums in zmm
//! registers. `vpdpwssd` multiplies a row's broadcast i16 pair with a panel's 16 channel pairs
//! and adds both products into the sums in one instruction, so one step of the tile is two
//! weight loads, twelve broadcasts and 24 `vpdpwssd`. The sums are the same exact i32 sums as
//! the AVX2 tile's (the order of wrapping additions does not change them), and the epilogue
//! does the same f32 operations, so both give the same bits.

use std::arch::asm;
use std::arch::x86_64::{
    __m512, __m512i, _mm512_add_ps, _mm512_cvtepi32_ps, _mm512_mul_ps, _mm512_set1_epi32,
    _mm512_set1_ps, _mm512_setzero_si512, _mm512_slli_epi32, _mm512_sub_epi32,
};

use super::eight_bit::QuadLanes;
use super::{PairLanes, PanelColumns, RowScale, PANEL};
use crate::fast::cpu_kernel::{for_tall_tile_height, padded, store_prefix, TALL_TILE_ROWS};
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
    // SAFETY: only reached through `Kernel::Avx512`, chosen after the check for AVX-512 F, BW
    // and VNNI.
    unsafe { multiply_panels_avx512(words, steps, pairs, columns, out) }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn multiply_panels_avx512(
    words: &[i32],
    steps: &[RowScale],
    pairs: usize,
    columns: &PanelColumns<'_>,
    out: &mut OutBlock<'_>,
) {
    // The panels' column factors, padded to full vectors once for all their tiles.
    let factors =
        |values: &[f32]| -> [__m512; 2] { bytemuck::cast(padded::<{ 2 * PANEL }>(values)) };
    let factors = ColumnFactors {
        scales: factors(columns.scales),
        weight_sums: factors(columns.weight_sums),
        offsets: [_mm512_setzero_si512(); 2],
    };
    let both = columns.panels.len() >= 2 * pairs;
    let tiles = words
        .chunks(TALL_TILE_ROWS * pairs)
        .zip(steps.chunks(TALL_TILE_ROWS));
    for (tile, (words, steps)) in tiles.enumerate() {
        let out = &mut out.rows_from(tile * TALL_TILE_ROWS);
        let tile = Tile {
            words,
            steps,
            pairs,
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
    pairs: usize,
    columns: &'a PanelColumns<'a>,
    factors: &'a ColumnFactors,
}

#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn two_panel_tile<const R: usize>(tile: &Tile<'_>, out: &mut OutBlock<'_>) {
    let sums = tile_sums::<R, 2>(tile.words, tile.pairs, tile.columns.panels);
    dequantize_tile(&sums, tile, out);
}

#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn one_panel_tile<const R: usize>(tile: &Tile<'_>, out: &mut OutBlock<'_>) {
    let sums = tile_sums::<R, 1>(tile.words, tile.pairs, tile.columns.panels);
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

/// The i32 sums of one tile of `R` rows and `P` panels, sixteen channels per vector; row `r`
/// of the tile is `words[r · pairs..(r + 1) · pairs]`, panel `p` is `panels[p · pairs..]`.
// Not inlined, as the AVX2 tile: on its own the loop keeps every accumulator in a register.
#[allow(unsafe_code)]
#[inline(never)]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn tile_sums<const R: usize, const P: usize>(
    words: &[i32],
    pairs: usize,
    panels: &[PairLanes],
) -> [[__m512i; P]; R] {
    assert!(words.len() >= R * pairs && panels.len() >= P * pairs);
    let mut acc = [[_mm512_setzero_si512(); P]; R];
    for q in 0..pairs {
        // SAFETY: `p · pairs + q < P · pairs ≤ panels.len()` (asserted above).
        let lanes: [__m512i; P] = std::array::from_fn(|p| {
            bytemuck::cast(unsafe { panels.get_unchecked(p * pairs + q) }.0)
        });
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: `r · pairs + q < R · pairs ≤ words.len()` (asserted above).
            let word = _mm512_set1_epi32(unsafe { *words.get_unchecked(r * pairs + q) });
            for (acc, &lanes) in acc.iter_mut().zip(&lanes) {
                // `vpdpwssd` written out: LLVM turns `_mm512_dpwssd_epi32` into `vpmaddwd` +
                // `vpaddd` when tuning for a generic x86-64, twice the instructions.
                // SAFETY: register operands only; AVX-512 VNNI is enabled on this function.
                unsafe {
                    asm!(
                        "vpdpwssd {acc}, {word}, {lanes}",
                        acc = inout(zmm_reg) *acc,
                        word = in(zmm_reg) word,
                        lanes = in(zmm_reg) lanes,
                        options(pure, nomem, nostack),
                    );
                }
            }
        }
    }
    acc
}

/// The weights of an 8-bit product in `vpdpbusd`'s layout: consecutive panels of `groups`
/// four-input groups each, and each channel's sum of weight levels.
pub(super) struct QuadPanels<'a> {
    pub quads: &'a [QuadLanes],
    pub groups: usize,
    pub level_sums: &'a [i32],
}

/// [`multiply_panels`] for 8-bit rows (`words`: four `level + 128` bytes each, `groups` per
/// row) on `vpdpbusd` tiles; `columns` gives the dequantization (its i16 panels are unused).
#[allow(unsafe_code)]
pub(super) fn multiply_quad_panels(
    words: &[i32],
    steps: &[RowScale],
    quads: &QuadPanels<'_>,
    columns: &PanelColumns<'_>,
    out: &mut OutBlock<'_>,
) {
    // SAFETY: only reached through `Kernel::Avx512`, chosen after the check for AVX-512 F, BW
    // and VNNI.
    unsafe { multiply_quad_panels_avx512(words, steps, quads, columns, out) }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn multiply_quad_panels_avx512(
    words: &[i32],
    steps: &[RowScale],
    quads: &QuadPanels<'_>,
    columns: &PanelColumns<'_>,
    out: &mut OutBlock<'_>,
) {
    let factors =
        |values: &[f32]| -> [__m512; 2] { bytemuck::cast(padded::<{ 2 * PANEL }>(values)) };
    // What `+ 128` on every level added to each channel's sum: 128 · Σ weight levels.
    let mut offsets = [0i32; 2 * PANEL];
    for (offset, &sum) in offsets.iter_mut().zip(quads.level_sums) {
        *offset = sum;
    }
    let offsets: [__m512i; 2] = bytemuck::cast(offsets);
    let factors = ColumnFactors {
        scales: factors(columns.scales),
        weight_sums: factors(columns.weight_sums),
        offsets: offsets.map(|sums| _mm512_slli_epi32::<7>(sums)),
    };
    let groups = quads.groups;
    let both = quads.quads.len() >= 2 * groups;
    let tiles = words
        .chunks(TALL_TILE_ROWS * groups)
        .zip(steps.chunks(TALL_TILE_ROWS));
    for (tile, (words, steps)) in tiles.enumerate() {
        let out = &mut out.rows_from(tile * TALL_TILE_ROWS);
        let tile = Tile {
            words,
            steps,
            pairs: groups,
            columns,
            factors: &factors,
        };
        if both {
            for_tall_tile_height!(steps.len(), two_panel_quad_tile(&tile, quads.quads, out));
        } else {
            for_tall_tile_height!(steps.len(), one_panel_quad_tile(&tile, quads.quads, out));
        }
    }
}

#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn two_panel_quad_tile<const R: usize>(
    tile: &Tile<'_>,
    quads: &[QuadLanes],
    out: &mut OutBlock<'_>,
) {
    let sums = quad_tile_sums::<R, 2>(tile.words, tile.pairs, quads);
    dequantize_tile(&sums, tile, out);
}

#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn one_panel_quad_tile<const R: usize>(
    tile: &Tile<'_>,
    quads: &[QuadLanes],
    out: &mut OutBlock<'_>,
) {
    let sums = quad_tile_sums::<R, 1>(tile.words, tile.pairs, quads);
    dequantize_tile(&sums, tile, out);
}

/// [`tile_sums`] for 8-bit rows: `vpdpbusd` of each row's broadcast word of four unsigned
/// levels with a panel's sixteen channels' four signed weights.
#[allow(unsafe_code)]
#[inline(never)]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn quad_tile_sums<const R: usize, const P: usize>(
    words: &[i32],
    groups: usize,
    panels: &[QuadLanes],
) -> [[__m512i; P]; R] {
    assert!(words.len() >= R * groups && panels.len() >= P * groups);
    let mut acc = [[_mm512_setzero_si512(); P]; R];
    for g in 0..groups {
        // SAFETY: `p · groups + g < P · groups ≤ panels.len()` (asserted above).
        let lanes: [__m512i; P] = std::array::from_fn(|p| {
            bytemuck::cast(unsafe { panels.get_unchecked(p * groups + g) }.0)
        });
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: `r · groups + g < R · groups ≤ words.len()` (asserted above).
            let word = _mm512_set1_epi32(unsafe { *words.get_unchecked(r * groups + g) });
            for (acc, &lanes) in acc.iter_mut().zip(&lanes) {
                // Written out for the same reason as `vpdpwssd` in `tile_sums`.
                // SAFETY: register operands only; AVX-512 VNNI is enabled on this function.
                unsafe {
                    asm!(
                        "vpdpbusd {acc}, {word}, {lanes}",
                        acc = inout(zmm_reg) *acc,
                        word = in(zmm_reg) word,
                        lanes = in(zmm_reg) lanes,
                        options(pure, nomem, nostack),
                    );
                }
            }
        }
    }
    acc
}
