//! The AVX2 kernels: the `vpmaddwd` tile on 256-bit vectors with its accumulators in registers
//! (turned back into f32 there too), and the activation quantizer, eight values at a time.

use std::arch::x86_64::{
    __m256, __m256i, _mm256_add_epi32, _mm256_add_ps, _mm256_cvtepi32_ps, _mm256_cvtps_epi32,
    _mm256_madd_epi16, _mm256_max_ps, _mm256_min_ps, _mm256_mul_ps, _mm256_packs_epi32,
    _mm256_permute4x64_epi64, _mm256_set1_epi32, _mm256_set1_ps, _mm256_setzero_ps,
    _mm256_setzero_si256, _mm256_sub_ps,
};

use super::six_row_tile::six_row_sums;
use super::{
    activation_scale, finish_range, pack_levels, PairLanes, PanelColumns, RowScale,
    ACTIVATION_LEVELS, PANEL,
};
use crate::fast::cpu_kernel::{for_tile_height, padded, store_prefix, TILE_ROWS};
use crate::fast::out_block::OutBlock;

/// [`super::Kernel::multiply_panel`] with each tile's sums turned back into f32 in registers,
/// one call per panel.
#[allow(unsafe_code)]
pub(super) fn multiply_panel(
    words: &[i32],
    steps: &[RowScale],
    pairs: usize,
    columns: &PanelColumns<'_>,
    out: &mut OutBlock<'_>,
) {
    // SAFETY: only reached through `Kernel::Avx2`, chosen after the feature check.
    unsafe { multiply_panel_avx2(words, steps, pairs, columns, out) }
}

#[target_feature(enable = "avx2")]
fn multiply_panel_avx2(
    words: &[i32],
    steps: &[RowScale],
    pairs: usize,
    columns: &PanelColumns<'_>,
    out: &mut OutBlock<'_>,
) {
    // The panel's column factors, padded to full vectors once for all its tiles.
    let factors = ColumnFactors {
        scales: bytemuck::cast(padded::<PANEL>(columns.scales)),
        weight_sums: bytemuck::cast(padded::<PANEL>(columns.weight_sums)),
    };
    let tiles = words.chunks(TILE_ROWS * pairs).zip(steps.chunks(TILE_ROWS));
    for (tile, (words, steps)) in tiles.enumerate() {
        let out = &mut out.rows_from(tile * TILE_ROWS);
        for_tile_height!(
            steps.len(),
            tile_rows(words, pairs, steps, columns, &factors, out)
        );
    }
}

/// A panel's per-column quantization steps and weight sums, eight columns per vector.
struct ColumnFactors {
    scales: [__m256; 2],
    weight_sums: [__m256; 2],
}

/// One tile of `R` rows: sums, then `out[r · outputs + first + c] = sums[r][c] · (step_r ·
/// scale_c) + center_r · weight_sum_c`, the same operations as [`super::portable`]'s `dequantize_sums`.
#[inline]
#[target_feature(enable = "avx2")]
fn tile_rows<const R: usize>(
    words: &[i32],
    pairs: usize,
    steps: &[RowScale],
    columns: &PanelColumns<'_>,
    factors: &ColumnFactors,
    out: &mut OutBlock<'_>,
) {
    let acc: [[__m256i; 2]; R] = if R == TILE_ROWS {
        let six = six_row_sums(words, pairs, columns.panels);
        std::array::from_fn(|r| six[r])
    } else {
        tile_sums::<R>(words, pairs, columns.panels)
    };
    let width = columns.scales.len();
    let ColumnFactors {
        scales,
        weight_sums,
    } = factors;
    // Rows by a constant range, so `acc` is indexed statically.
    #[allow(clippy::needless_range_loop)]
    for r in 0..R {
        let row = steps[r];
        let (step, center) = (_mm256_set1_ps(row.step), _mm256_set1_ps(row.center));
        let value = |half: usize| {
            let sums = _mm256_cvtepi32_ps(acc[r][half]);
            let scaled = _mm256_mul_ps(sums, _mm256_mul_ps(step, scales[half]));
            _mm256_add_ps(scaled, _mm256_mul_ps(center, weight_sums[half]))
        };
        let values: [f32; PANEL] = bytemuck::cast([value(0), value(1)]);
        store_prefix(out.row(r, columns.first, width), &values);
    }
}

/// The i32 sums of one tile, eight channels per vector; row `r` of the tile is
/// `words[r · pairs..(r + 1) · pairs]`. Full tiles take [`six_row_sums`] (the same sums,
/// scheduled by hand); this one serves the last, shorter tile of a block.
// Not inlined: inlined into the panel loop, it spilled accumulators to the stack every step.
#[allow(unsafe_code)]
#[inline(never)]
#[target_feature(enable = "avx2")]
fn tile_sums<const R: usize>(
    words: &[i32],
    pairs: usize,
    panel: &[PairLanes],
) -> [[__m256i; 2]; R] {
    assert!(words.len() >= R * pairs && panel.len() >= pairs);
    let mut acc = [[_mm256_setzero_si256(); 2]; R];
    let step = |acc: &mut [[__m256i; 2]; R], q: usize, lanes: &PairLanes| {
        let [low, high]: [__m256i; 2] = bytemuck::cast(lanes.0);
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: `r · pairs + q < R · pairs ≤ words.len()` (asserted above).
            let word = unsafe { *words.get_unchecked(r * pairs + q) };
            let a = _mm256_set1_epi32(word);
            acc[0] = _mm256_add_epi32(acc[0], _mm256_madd_epi16(a, low));
            acc[1] = _mm256_add_epi32(acc[1], _mm256_madd_epi16(a, high));
        }
    };
    // Two pairs per iteration halve the loop's counter and address arithmetic.
    let (twos, rest) = panel[..pairs].as_chunks::<2>();
    for (index, [first, second]) in twos.iter().enumerate() {
        step(&mut acc, 2 * index, first);
        step(&mut acc, 2 * index + 1, second);
    }
    if let [last] = rest {
        step(&mut acc, pairs - 1, last);
    }
    acc
}

/// [`super::quantize_activations`] on 256-bit vectors: the same scale and the same words.
#[allow(unsafe_code)]
pub(super) fn quantize_row(row: &[f32], words: &mut [i32]) -> RowScale {
    // SAFETY: only reached through `Kernel::Avx2`, chosen after the feature check.
    unsafe { quantize_row_avx2(row, words) }
}

#[target_feature(enable = "avx2")]
fn quantize_row_avx2(row: &[f32], words: &mut [i32]) -> RowScale {
    let (eights, tail) = row.as_chunks::<8>();
    let zero = _mm256_setzero_ps();
    let (mut low, mut high, mut probe) = (
        _mm256_set1_ps(f32::INFINITY),
        _mm256_set1_ps(f32::NEG_INFINITY),
        zero,
    );
    for eight in eights {
        let x: __m256 = bytemuck::cast(*eight);
        low = _mm256_min_ps(low, x);
        high = _mm256_max_ps(high, x);
        // NaN or ±inf anywhere turns the probe into NaN.
        probe = _mm256_add_ps(probe, _mm256_mul_ps(x, zero));
    }
    let (low, high, finite) = finish_range(
        bytemuck::cast(low),
        bytemuck::cast(high),
        bytemuck::cast(probe),
        tail,
    );
    let (scale, center, inverse) = activation_scale(low, high, finite, ACTIVATION_LEVELS);
    if !finite {
        // The step is NaN, so the words do not matter; the portable path also leaves zeros.
        words.fill(0);
        return scale;
    }
    let (centre, factor) = (_mm256_set1_ps(center), _mm256_set1_ps(inverse));
    let (floor, ceiling) = (
        _mm256_set1_ps(-ACTIVATION_LEVELS),
        _mm256_set1_ps(ACTIVATION_LEVELS),
    );
    // `vcvtps2dq` rounds half to even (the default rounding mode, which Rust never changes);
    // the bounds are whole numbers, so clamping before rounding equals clamping after.
    let levels = |x: __m256| {
        let scaled = _mm256_mul_ps(_mm256_sub_ps(x, centre), factor);
        _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(scaled, floor), ceiling))
    };
    let (sixteens, rest) = row.as_chunks::<16>();
    let (eight_words, _) = words.as_chunks_mut::<8>();
    for (sixteen, out) in sixteens.iter().zip(eight_words) {
        let [a, b]: [[f32; 8]; 2] = bytemuck::cast(*sixteen);
        // i32 → i16 (the levels fit), then undo the per-128-bit-lane interleave of `packs`.
        let packed = _mm256_packs_epi32(levels(bytemuck::cast(a)), levels(bytemuck::cast(b)));
        *out = bytemuck::cast(_mm256_permute4x64_epi64::<0b11_01_10_00>(packed));
    }
    let done = sixteens.len() * 8;
    pack_levels(rest, &mut words[done..], center, inverse, ACTIVATION_LEVELS);
    scale
}
