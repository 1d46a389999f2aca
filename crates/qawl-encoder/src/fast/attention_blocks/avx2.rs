//! The AVX2 + FMA attention block: `R` rows × one panel of 16 sums, two ymm registers each.

use std::arch::x86_64::{__m256, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_setzero_ps};

use super::{Lanes, Left};

/// [`super::Kernel::product`] in blocks of `R` rows × one panel; the caller checked that
/// `left` fits its values and `right` and `out` their sizes.
#[allow(unsafe_code)]
pub(super) fn product<const R: usize>(
    left: Left<'_>,
    right: &[Lanes],
    panels: usize,
    out: &mut [Lanes],
) {
    // SAFETY: `Kernel::Avx2` is only chosen after `is_x86_feature_detected!` found AVX2 and
    // FMA.
    unsafe { product_fma::<R>(left, right, panels, out) }
}

#[target_feature(enable = "avx2,fma")]
fn product_fma<const R: usize>(left: Left<'_>, right: &[Lanes], panels: usize, out: &mut [Lanes]) {
    for first_row in (0..left.rows).step_by(R) {
        for panel in 0..panels {
            let sums = block_sums::<R>(left, right, panels, first_row, panel);
            for (row, &sums) in sums.iter().enumerate() {
                out[(first_row + row) * panels + panel] = bytemuck::cast(sums);
            }
        }
    }
}

/// One block: `Σ_k left[first_row + r][k] · right[k · panels + panel]`, `k` in order.
#[allow(unsafe_code)]
#[inline]
#[target_feature(enable = "avx2,fma")]
fn block_sums<const R: usize>(
    left: Left<'_>,
    right: &[Lanes],
    panels: usize,
    first_row: usize,
    panel: usize,
) -> [[__m256; 2]; R] {
    let rows: [usize; R] = std::array::from_fn(|r| left.row_offset(first_row + r));
    let mut sums = [[_mm256_setzero_ps(); 2]; R];
    for (k, right) in right.chunks_exact(panels).take(left.depth).enumerate() {
        let [low, high]: [__m256; 2] = bytemuck::cast(right[panel]);
        let depth = k * left.depth_stride;
        for (sums, &row) in sums.iter_mut().zip(&rows) {
            // SAFETY: `row ≤ row_offset(rows - 1)` and `k < depth`, and `Kernel::product`
            // asserted `left.fits()`: the last row's last value lies in `values`.
            let a = _mm256_set1_ps(unsafe { *left.values.get_unchecked(row + depth) });
            sums[0] = _mm256_fmadd_ps(a, low, sums[0]);
            sums[1] = _mm256_fmadd_ps(a, high, sums[1]);
        }
    }
    sums
}
