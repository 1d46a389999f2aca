//! The AVX2 + FMA f32 tile: 6 rows × 16 channels of accumulators in registers.

use std::arch::x86_64::{__m256, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_setzero_ps};

use super::{Lanes, Sums};
use crate::fast::cpu_kernel::for_tile_height;

/// Dispatches on the tile height so each has its accumulators in registers.
pub(super) fn tile(x: &[f32], inputs: usize, panel: &[Lanes], sums: &mut [Sums]) {
    for_tile_height!(sums.len(), run(x, inputs, panel, sums));
}

#[allow(unsafe_code)]
fn run<const R: usize>(x: &[f32], inputs: usize, panel: &[Lanes], sums: &mut [Sums]) {
    assert!(x.len() >= R * inputs && panel.len() >= inputs && sums.len() >= R);
    // SAFETY: `Kernel::Avx2` is only chosen after `is_x86_feature_detected!` found AVX2 and
    // FMA; the assertion above bounds every read of `tile_fma`.
    unsafe { tile_fma::<R>(x, inputs, panel, sums) }
}

/// Row `r` of the tile is `x[r · inputs..(r + 1) · inputs]`.
#[allow(unsafe_code)]
#[target_feature(enable = "avx2,fma")]
fn tile_fma<const R: usize>(x: &[f32], inputs: usize, panel: &[Lanes], sums: &mut [Sums]) {
    let mut acc = [[_mm256_setzero_ps(); 2]; R];
    let step = |acc: &mut [[__m256; 2]; R], k: usize, lanes: &Lanes| {
        let [low, high]: [__m256; 2] = bytemuck::cast(lanes.0);
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: `r · inputs + k < R · inputs ≤ x.len()` (checked by `run`).
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
    for (sums, acc) in sums.iter_mut().zip(acc) {
        *sums = bytemuck::cast(acc);
    }
}
