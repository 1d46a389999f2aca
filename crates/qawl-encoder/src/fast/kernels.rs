//! The non-matmul work of a BERT layer on row-major f32 slices: bias + erf-GELU, residual +
//! bias + layer norm, and the scaled softmax of attention's scores.
//!
//! Each kernel has one body, written as fixed-width lane loops so LLVM vectorizes it, compiled
//! three times: for AVX-512 and for AVX2+FMA (`multiversion` picks the best the CPU has at run
//! time) and for the baseline target (the portable path, also what the tests call directly). Rows are split
//! across rayon's threads where the work is large enough to pay for it.

use multiversion::multiversion;
use rayon::prelude::*;

/// Lanes of the accumulators in the reductions (one AVX register of f32).
const LANES: usize = 8;

/// Rows below this many elements run on the calling thread (spawning costs more).
const PARALLEL_MIN_ELEMENTS: usize = 16 * 1024;

/// Where [`erf`] switches from its series-like form to its tail form.
const ERF_SPLIT: f32 = 1.0;

/// erf in f32 to within 6e-8 (one unit in the last place near 1), in two pieces, both
/// division-free so they vectorize 16 lanes a vector:
/// - below [`ERF_SPLIT`], `x + x·R(x²)` with `R(u) = erf(x)/x − 1` a degree-6 fit: the
///   polynomial's rounding is relative to the small `R`, and one last multiply-add rounds the
///   sum once (`x · P(x²)` rounded twice, about 2 ulp);
/// - above, `1 − e^{Q(x − 1)}` with `Q` a degree-6 fit of `log erfc` on [1, 4], weighted by
///   `erfc` (the error it leaves in erf); from 4 on, erf is 1 to f32 precision.
///
/// Both pieces are computed for every lane and one is kept: cheaper in vectors than a branch.
/// Replaces a rational evaluated in f64 (8 lanes a vector, with a division) that cost 9 % of an
/// int8 forward; the multiply-adds are fused (`mul_add`), so every build gives the same bits.
/// Coefficients: `tools/kernels/fit_erf.py` (least squares reweighted towards minimax).
#[inline(always)]
pub(crate) fn erf(x: f32) -> f32 {
    const SMALL: [f32; 7] = [
        7.816_717e-5,
        -7.998_295_5e-4,
        5.186_871e-3,
        -2.685_296_5e-2,
        0.112_835_616,
        -0.376_126_23,
        0.128_379_17,
    ];
    const TAIL: [f32; 7] = [
        1.851_232_5e-4,
        -1.824_545_8e-3,
        9.888_836e-3,
        -4.149_956e-2,
        -0.843_118_6,
        -2.638_966_8,
        -1.849_605_6,
    ];
    let magnitude = x.abs().clamp(0.0, 4.0); // NaN stays NaN, unlike `min`
    let u = magnitude * magnitude;
    let small = horner(&SMALL, u).mul_add(magnitude, magnitude);
    // Q is within −18..0 on [1, 4]: no range check needed.
    let tail = 1.0 - exp_in_range(horner(&TAIL, magnitude - ERF_SPLIT));
    // NaN takes the small piece, which keeps it NaN.
    let erf = if magnitude >= ERF_SPLIT { tail } else { small };
    erf.copysign(x)
}

/// `c[0]·tⁿ + … + c[n]` by Horner's rule, each step one fused multiply-add.
#[inline(always)]
fn horner<const N: usize>(coefficients: &[f32; N], t: f32) -> f32 {
    coefficients[1..]
        .iter()
        .fold(coefficients[0], |acc, &c| acc.mul_add(t, c))
}

/// GELU in its exact (erf) form, as BERT uses it.
#[inline(always)]
pub(crate) fn gelu(x: f32) -> f32 {
    let half = 0.5 * x;
    erf(x * std::f32::consts::FRAC_1_SQRT_2).mul_add(half, half)
}

/// e^x for x ≤ 0 (softmax arguments after the max is subtracted); 0 below -87.
#[inline(always)]
pub(crate) fn exp_nonpositive(x: f32) -> f32 {
    let y = exp_in_range(x.max(-87.0));
    if x < -87.0 {
        0.0
    } else {
        y
    }
}

/// e^x for −87 ≤ x ≤ 0 (unchecked): Cephes' `expf` polynomial with the exponent bits set
/// directly, so it vectorizes; relative error about 1.5e-7.
#[inline(always)]
fn exp_in_range(x: f32) -> f32 {
    const ROUNDER: f32 = 12_582_912.0; // 1.5 · 2^23: adding it rounds to an integer
    const POLYNOMIAL: [f32; 6] = [
        1.987_569_1e-4,
        1.398_199_9e-3,
        8.333_452e-3,
        4.166_579_6e-2,
        0.166_666_65,
        0.5,
    ];
    let n = x.mul_add(std::f32::consts::LOG2_E, ROUNDER) - ROUNDER;
    // x − n·ln 2, with ln 2 in two parts so the product of the first is exact.
    let r = n.mul_add(-0.693_359_4, x);
    let r = n.mul_add(2.121_944_4e-4, r);
    let y = (horner(&POLYNOMIAL, r) * r).mul_add(r, r) + 1.0;
    // 2^n from bits: n + 127 is an integer in [1, 127] here, and adding 2^23 puts it in the
    // low mantissa bits, which the shift moves into the exponent (the rest shifts out). Not
    // `n as i32`: the saturating cast does not vectorize (it ran one lane at a time).
    y * f32::from_bits((n + 127.0 + 8_388_608.0).to_bits() << 23)
}

#[inline(always)]
fn bias_gelu_body(values: &mut [f32], bias: &[f32]) {
    for row in values.chunks_exact_mut(bias.len()) {
        for (v, &b) in row.iter_mut().zip(bias) {
            *v = gelu(*v + b);
        }
    }
}

#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn bias_gelu_rows(values: &mut [f32], bias: &[f32]) {
    bias_gelu_body(values, bias);
}

/// `values = gelu(values + bias)`, `bias` broadcast over rows of its width. The portable path.
#[cfg(test)]
pub(crate) fn bias_gelu_portable(values: &mut [f32], bias: &[f32]) {
    bias_gelu_body(values, bias);
}

/// `values = gelu(values + bias)`, `bias` broadcast over rows of its width; dispatched,
/// parallel. In place: the matmul's fresh output is finished where it lies, not copied into a
/// second zeroed buffer.
pub(crate) fn bias_gelu(values: &mut [f32], bias: &[f32]) {
    let width = bias.len().max(1);
    let rows = rows_per_task(values.len(), width);
    values
        .par_chunks_mut(rows * width)
        .for_each(|values| bias_gelu_rows(values, bias));
}

/// Sum of a slice with `LANES` independent accumulators (vectorizes, and is more accurate than
/// one running sum).
#[inline(always)]
fn lane_sum(values: &[f32], mut term: impl FnMut(f32) -> f32) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = values.chunks_exact(LANES);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (a, &v) in acc.iter_mut().zip(chunk) {
            *a += term(v);
        }
    }
    acc.iter().sum::<f32>() + tail.iter().map(|&v| term(v)).sum::<f32>()
}

/// Normalises `row` in place to zero mean and unit variance, then scales and shifts.
#[inline(always)]
fn normalise_row(row: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let n = row.len() as f32;
    let mean = lane_sum(row, |v| v) / n;
    let variance = lane_sum(row, |v| (v - mean) * (v - mean)) / n;
    let inv_std = 1.0 / (variance + eps).sqrt();
    for ((v, &g), &b) in row.iter_mut().zip(gamma).zip(beta) {
        *v = (*v - mean) * inv_std * g + b;
    }
}

/// One row set of [`residual_layer_norm`].
#[inline(always)]
fn residual_layer_norm_body(
    values: &mut [f32],
    bias: &[f32],
    residual: &[f32],
    norm: &NormParams<'_>,
) {
    let width = bias.len();
    for (row, res_row) in values
        .chunks_exact_mut(width)
        .zip(residual.chunks_exact(width))
    {
        for ((v, &b), &r) in row.iter_mut().zip(bias).zip(res_row) {
            *v = *v + b + r;
        }
        normalise_row(row, norm.gamma, norm.beta, norm.eps);
    }
}

/// Layer-norm weights: `gamma`, `beta` (both the row width) and epsilon.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NormParams<'a> {
    pub gamma: &'a [f32],
    pub beta: &'a [f32],
    pub eps: f32,
}

// The norm's fields are passed apart: `multiversion` cannot re-declare `NormParams<'_>`.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn residual_layer_norm_rows(
    values: &mut [f32],
    bias: &[f32],
    residual: &[f32],
    (gamma, beta, eps): (&[f32], &[f32], f32),
) {
    let norm = NormParams { gamma, beta, eps };
    residual_layer_norm_body(values, bias, residual, &norm);
}

/// `values = layer_norm(values + bias + residual)` per row. The portable path.
#[cfg(test)]
pub(crate) fn residual_layer_norm_portable(
    values: &mut [f32],
    bias: &[f32],
    residual: &[f32],
    norm: &NormParams<'_>,
) {
    residual_layer_norm_body(values, bias, residual, norm);
}

/// `values = layer_norm(values + bias + residual)` per row (width `bias.len()`); dispatched,
/// parallel, in place like [`bias_gelu`].
pub(crate) fn residual_layer_norm(
    values: &mut [f32],
    bias: &[f32],
    residual: &[f32],
    norm: &NormParams<'_>,
) {
    let width = bias.len().max(1);
    let step = rows_per_task(values.len(), width) * width;
    values
        .par_chunks_mut(step)
        .zip(residual.par_chunks(step))
        .for_each(|(values, residual)| {
            residual_layer_norm_rows(values, bias, residual, (norm.gamma, norm.beta, norm.eps))
        });
}

/// Layer norm of each row in place (the embeddings' norm, which has no residual).
pub(crate) fn layer_norm_in_place(rows: &mut [f32], norm: &NormParams<'_>) {
    let width = norm.gamma.len().max(1);
    let step = rows_per_task(rows.len(), width) * width;
    rows.par_chunks_mut(step).for_each(|rows| {
        for row in rows.chunks_exact_mut(width) {
            normalise_row(row, norm.gamma, norm.beta, norm.eps);
        }
    });
}

/// Scaled softmax down the columns of `scores` (a row per key, a column per query), without
/// the division: each score becomes `e^(s·scale − max·scale)`, and the column's `1 / Σ` is
/// returned (attention divides its weighted sums once instead of every weight). Inlined into the
/// (dispatched) attention loop, so it runs with that loop's target features; every operation is
/// down a column, so the columns are vector lanes.
#[inline(always)]
pub(crate) fn exponentiate_columns<const N: usize>(
    scores: &mut [[f32; N]],
    scale: f32,
) -> [f32; N] {
    let mut max = [f32::NEG_INFINITY; N];
    for row in scores.iter() {
        for (max, &s) in max.iter_mut().zip(row) {
            // Not `f32::max`: its NaN rule costs a compare and a blend per vector.
            *max = if s > *max { s } else { *max };
        }
    }
    let shift = max.map(|max| max * scale);
    let mut sums = [0f32; N];
    for row in scores.iter_mut() {
        for ((s, &shift), sum) in row.iter_mut().zip(&shift).zip(sums.iter_mut()) {
            *s = exp_nonpositive(*s * scale - shift);
            *sum += *s;
        }
    }
    sums.map(|sum| 1.0 / sum)
}

/// Rows per rayon task: all of them when small, else a few tasks per thread for balance.
pub(crate) fn rows_per_task(elements: usize, width: usize) -> usize {
    let rows = elements / width.max(1);
    if elements < PARALLEL_MIN_ELEMENTS {
        return rows.max(1);
    }
    let tasks = rayon::current_num_threads() * 4;
    rows.div_ceil(tasks).max(1)
}
