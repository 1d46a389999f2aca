//! The AVX2 kernels: the `vpmaddwd` tile on 256-bit vectors with its accumulators in registers,
//! and the activation quantizer, eight values at a time.

use std::arch::x86_64::{
    __m256, __m256i, _mm256_add_epi32, _mm256_add_ps, _mm256_cvtps_epi32, _mm256_madd_epi16,
    _mm256_max_ps, _mm256_min_ps, _mm256_mul_ps, _mm256_packs_epi32, _mm256_permute4x64_epi64,
    _mm256_set1_epi32, _mm256_set1_ps, _mm256_setzero_ps, _mm256_setzero_si256, _mm256_sub_ps,
};

use super::{
    activation_scale, finish_range, pack_levels, PairLanes, RowScale, ACTIVATION_LEVELS, PANEL,
};
use crate::fast::cpu_kernel::for_tile_height;

/// Dispatches on the tile height so each has its accumulators in registers.
pub(super) fn tile(words: &[i32], pairs: usize, panel: &[PairLanes], sums: &mut [[i32; PANEL]]) {
    for_tile_height!(sums.len(), run(words, pairs, panel, sums));
}

#[allow(unsafe_code)]
fn run<const R: usize>(
    words: &[i32],
    pairs: usize,
    panel: &[PairLanes],
    sums: &mut [[i32; PANEL]],
) {
    assert!(words.len() >= R * pairs && panel.len() >= pairs && sums.len() >= R);
    // SAFETY: `Kernel::Avx2` is only chosen after `is_x86_feature_detected!` found AVX2 (and
    // FMA); the assertion above bounds every read of `tile_avx2`.
    unsafe { tile_avx2::<R>(words, pairs, panel, sums) }
}

/// Row `r` of the tile is `words[r · pairs..(r + 1) · pairs]`.
#[allow(unsafe_code)]
#[target_feature(enable = "avx2")]
fn tile_avx2<const R: usize>(
    words: &[i32],
    pairs: usize,
    panel: &[PairLanes],
    sums: &mut [[i32; PANEL]],
) {
    let mut acc = [[_mm256_setzero_si256(); 2]; R];
    let step = |acc: &mut [[__m256i; 2]; R], q: usize, lanes: &PairLanes| {
        let [low, high]: [__m256i; 2] = bytemuck::cast(lanes.0);
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: `r · pairs + q < R · pairs ≤ words.len()` (checked by `run`).
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
    for (sums, acc) in sums.iter_mut().zip(acc) {
        *sums = bytemuck::cast(acc);
    }
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
    let (scale, center, inverse) = activation_scale(low, high, finite);
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
    pack_levels(rest, &mut words[done..], center, inverse);
    scale
}
