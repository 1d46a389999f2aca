//! The AVX-512 attention block: `R` rows × `P` panels of 16 sums in zmm registers.

use std::arch::x86_64::{__m512, _mm512_fmadd_ps, _mm512_set1_ps, _mm512_setzero_ps};

use super::{Lanes, Left};

/// [`super::Kernel::product`] in blocks of `R` rows × `P` panels; `panels` is a multiple of
/// `P`, and the caller checked that `left` fits its values and `right` and `out` their sizes.
#[allow(unsafe_code)]
pub(super) fn product<const R: usize, const P: usize>(
    left: Left<'_>,
    right: &[Lanes],
    panels: usize,
    out: &mut [Lanes],
) {
    // SAFETY: `Kernel::Avx512` is only chosen after `is_x86_feature_detected!` found AVX-512 F.
    unsafe { product_avx512::<R, P>(left, right, panels, out) }
}

#[target_feature(enable = "avx512f")]
fn product_avx512<const R: usize, const P: usize>(
    left: Left<'_>,
    right: &[Lanes],
    panels: usize,
    out: &mut [Lanes],
) {
    for first_row in (0..left.rows).step_by(R) {
        for first in (0..panels).step_by(P) {
            let sums = block_sums::<R, P>(left, right, panels, first_row, first);
            for (row, sums) in sums.iter().enumerate() {
                let at = (first_row + row) * panels + first;
                for (out, &sums) in out[at..at + P].iter_mut().zip(sums) {
                    *out = bytemuck::cast(sums);
                }
            }
        }
    }
}

/// One block: `Σ_k left[first_row + r][k] · right[k · panels + first + p]`, `k` in order.
#[allow(unsafe_code)]
#[inline]
#[target_feature(enable = "avx512f")]
fn block_sums<const R: usize, const P: usize>(
    left: Left<'_>,
    right: &[Lanes],
    panels: usize,
    first_row: usize,
    first: usize,
) -> [[__m512; P]; R] {
    let rows: [usize; R] = std::array::from_fn(|r| left.row_offset(first_row + r));
    let mut sums = [[_mm512_setzero_ps(); P]; R];
    for (k, right) in right.chunks_exact(panels).take(left.depth).enumerate() {
        let b: [__m512; P] = std::array::from_fn(|p| bytemuck::cast(right[first + p]));
        let depth = k * left.depth_stride;
        for (sums, &row) in sums.iter_mut().zip(&rows) {
            // SAFETY: `row ≤ row_offset(rows - 1)` and `k < depth`, and `Kernel::product`
            // asserted `left.fits()`: the last row's last value lies in `values`.
            let a = _mm512_set1_ps(unsafe { *left.values.get_unchecked(row + depth) });
            for (sum, &b) in sums.iter_mut().zip(&b) {
                *sum = _mm512_fmadd_ps(a, b, *sum);
            }
        }
    }
    sums
}
