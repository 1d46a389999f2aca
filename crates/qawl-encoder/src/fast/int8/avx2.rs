//! The AVX2 tile: `vpmaddwd` on 256-bit vectors, accumulators in registers.

use std::arch::x86_64::{
    __m256i, _mm256_add_epi32, _mm256_madd_epi16, _mm256_set1_epi32, _mm256_setzero_si256,
};

use super::{PairLanes, PANEL, TILE_ROWS};

/// Dispatches on the tile height so each has its accumulators in registers.
pub(super) fn tile(words: &[i32], pairs: usize, panel: &[PairLanes], sums: &mut [[i32; PANEL]]) {
    match sums.len() {
        6 => run::<6>(words, pairs, panel, sums),
        5 => run::<5>(words, pairs, panel, sums),
        4 => run::<4>(words, pairs, panel, sums),
        3 => run::<3>(words, pairs, panel, sums),
        2 => run::<2>(words, pairs, panel, sums),
        1 => run::<1>(words, pairs, panel, sums),
        _ => {}
    }
    const _: () = assert!(TILE_ROWS == 6);
}

#[allow(unsafe_code)]
fn run<const R: usize>(
    words: &[i32],
    pairs: usize,
    panel: &[PairLanes],
    sums: &mut [[i32; PANEL]],
) {
    assert!(words.len() >= R * pairs && panel.len() >= pairs && sums.len() >= R);
    // SAFETY: `Kernel::Avx2` is only chosen after `is_x86_feature_detected!("avx2")`, and
    // the kernel reads memory through slices only.
    unsafe { tile_avx2::<R>(words, pairs, panel, sums) }
}

#[target_feature(enable = "avx2")]
fn tile_avx2<const R: usize>(
    words: &[i32],
    pairs: usize,
    panel: &[PairLanes],
    sums: &mut [[i32; PANEL]],
) {
    let mut acc = [[_mm256_setzero_si256(); 2]; R];
    for (lanes, step) in panel[..pairs].iter().zip(words.chunks_exact(R)) {
        let [low, high]: [__m256i; 2] = bytemuck::cast(*lanes);
        for r in 0..R {
            let a = _mm256_set1_epi32(step[r]);
            acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(a, low));
            acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(a, high));
        }
    }
    for (sums, acc) in sums.iter_mut().zip(acc) {
        *sums = bytemuck::cast(acc);
    }
}
