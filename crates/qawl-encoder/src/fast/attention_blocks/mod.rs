//! The two products of attention for one head, as register blocks. Both are `out[r][c] = Σ_k
//! left[r][k] · right[k][c]` with the right side in panels of [`LANES`] columns and the left
//! read in place through strides ([`Left`]), so one block kernel per CPU serves both:
//!
//! - scores, transposed: `Sᵀ[j][q] = Σ_d K[j][d] · Q[q][d]`, rows the keys (read straight from
//!   the Q|K|V rows), columns a group of [`LANES`] queries;
//! - context: `C[q][e] = Σ_j Pᵀ[j][q] · V[j][e]`, rows the group's queries, columns the head's
//!   value columns.
//!
//! Every sum is one `mul_add` chain over `k` in order, whatever the block shape: the kernels
//! only decide how many independent sums sit in registers at once, so every CPU gives the same
//! bits.

use super::cpu_kernel::Kernel;

/// Lanes of one block column: one AVX-512 register of f32, two AVX2 ones.
pub(crate) const LANES: usize = 16;

/// One block column of sums, queries or value columns.
pub(crate) type Lanes = [f32; LANES];

/// Which of the two products (their block shapes differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Product {
    /// `Sᵀ = K·Qᵀ`: many rows (keys), one panel (a group of queries).
    Scores,
    /// `C = P·V`: [`LANES`] rows (the group's queries), a few panels (value columns).
    Context,
}

/// The left side of a product, read in place: `left[r][k] = values[r · row_stride + k ·
/// depth_stride]` for `r < rows`, `k < depth`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Left<'a> {
    pub values: &'a [f32],
    pub rows: usize,
    pub depth: usize,
    pub row_stride: usize,
    pub depth_stride: usize,
}

impl Left<'_> {
    /// Offset of row `r`'s first value; rows past the last repeat it, so a block that overhangs
    /// the end reads real values (its sums are never used).
    fn row_offset(&self, r: usize) -> usize {
        r.min(self.rows.saturating_sub(1)) * self.row_stride
    }

    /// Whether every value the product reads lies in `values`.
    fn fits(&self) -> bool {
        self.rows == 0
            || self.depth == 0
            || self.row_offset(self.rows - 1) + (self.depth - 1) * self.depth_stride
                < self.values.len()
    }
}

impl Kernel {
    /// Rows of one block: `out` must hold `rows` rounded up to a multiple of this, times
    /// `panels`.
    pub fn attention_rows(self, product: Product) -> usize {
        match (self, product) {
            // Not 16 rows for the scores: their 16 row addresses did not fit the general
            // registers and were re-extracted from vectors every step (1.5× the time).
            #[cfg(target_arch = "x86_64")]
            (Self::Avx512, _) => 8,
            #[cfg(target_arch = "x86_64")]
            (Self::Avx2, _) => 4,
            _ => 1,
        }
    }

    /// Panels of one block: `panels` must be a multiple of this (zero-padded).
    pub fn attention_panels(self, product: Product) -> usize {
        match (self, product) {
            #[cfg(target_arch = "x86_64")]
            (Self::Avx512, Product::Context) => 2,
            _ => 1,
        }
    }

    /// `out[r · panels + p][l] = Σ_k left[r][k] · right[k · panels + p][l]` for every row `r`
    /// (and the padding rows of the last block) and panel `p < panels`, the sum over `k <
    /// left.depth` in order.
    ///
    /// # Panics
    /// If `left` reads outside its values, `right` holds fewer than `depth · panels` panels,
    /// or `out` fewer than the padded rows × `panels`.
    pub fn product(
        self,
        product: Product,
        left: Left<'_>,
        right: &[Lanes],
        panels: usize,
        out: &mut [Lanes],
    ) {
        let rows = left.rows.next_multiple_of(self.attention_rows(product));
        assert!(left.fits(), "left side reads past its values");
        assert!(right.len() >= left.depth * panels && out.len() >= rows * panels);
        debug_assert_eq!(
            panels % self.attention_panels(product),
            0,
            "{self:?} {product:?}"
        );
        match (self, product) {
            #[cfg(target_arch = "x86_64")]
            (Self::Avx512, Product::Scores) => avx512::product::<8, 1>(left, right, panels, out),
            #[cfg(target_arch = "x86_64")]
            (Self::Avx512, Product::Context) => avx512::product::<8, 2>(left, right, panels, out),
            #[cfg(target_arch = "x86_64")]
            (Self::Avx2, _) => avx2::product::<4>(left, right, panels, out),
            (Self::Portable, _) => portable_product(left, right, panels, out),
        }
    }
}

/// The reference: one sum at a time, the same `mul_add` chain.
fn portable_product(left: Left<'_>, right: &[Lanes], panels: usize, out: &mut [Lanes]) {
    for (r, out) in out.chunks_exact_mut(panels).take(left.rows).enumerate() {
        let row = &left.values[left.row_offset(r)..];
        for (p, out) in out.iter_mut().enumerate() {
            let mut sums = [0f32; LANES];
            for (k, right) in right.chunks_exact(panels).take(left.depth).enumerate() {
                let value = row[k * left.depth_stride];
                for (sum, &b) in sums.iter_mut().zip(&right[p]) {
                    *sum = value.mul_add(b, *sum);
                }
            }
            *out = sums;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(test)]
mod tests;
