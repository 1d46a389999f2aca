//! The int8 matmul: every tile kernel this CPU runs (AVX-512, AVX2) against the portable one
//! (identical integer sums), the whole
//! product against an f64 product of the same quantized values, and the quantization error
//! against its analytic bound, on odd sizes (1, 7, 13, 385 rows; 1, 7, 383, 384 inputs; 1, 15,
//! 17, 384 outputs).

use super::int8::{matmul, matmul_with, Kernel, QuantizedWeight};
use super::test_values::values;

/// Per-row int8 rounding around `center` (half to even), as the product sees each row:
/// `(step, dequantized row)`.
fn dequantized(row: &[f32], center: f32, levels: f32) -> (f64, Vec<f64>) {
    let low = row.iter().copied().fold(f32::INFINITY, f32::min);
    let high = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let peak = (high - center).max(center - low);
    if peak <= 0.0 {
        return (0.0, row.iter().map(|_| f64::from(center)).collect());
    }
    let step = f64::from(peak / levels);
    let inverse = levels / peak;
    let values = row
        .iter()
        .map(|v| {
            f64::from(
                ((v - center) * inverse)
                    .round_ties_even()
                    .clamp(-levels, levels),
            ) * step
                + f64::from(center)
        })
        .collect();
    (step, values)
}

/// Activations are quantized around their mid-range to 12 bits, weights around zero to 8.
fn activations(row: &[f32]) -> (f64, Vec<f64>) {
    let low = row.iter().copied().fold(f32::INFINITY, f32::min);
    let high = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    dequantized(row, low / 2.0 + high / 2.0, 2047.0)
}

/// `x [rows, inputs]` times `weight [outputs, inputs]ᵀ` in f64.
fn product(x: &[Vec<f64>], weight: &[Vec<f64>]) -> Vec<f64> {
    x.iter()
        .flat_map(|row| {
            weight
                .iter()
                .map(|w| row.iter().zip(w).map(|(a, b)| a * b).sum::<f64>())
        })
        .collect()
}

const SHAPES: [(usize, usize, usize); 12] = [
    (1, 1, 1),
    // AVX-512 tiles: two full 12-row tiles and one row, over two panels and then one (40
    // outputs: 16 + 16 | 8), and over one partial pair of panels (21 outputs).
    (25, 37, 40),
    (12, 1, 21),
    (23, 384, 33),
    // Full six-row tiles over one pair and over an odd number of pairs (the hand-scheduled
    // tile's loop runs two pairs per iteration, then the odd one).
    (6, 1, 3),
    (12, 9, 16),
    (7, 7, 15),
    (13, 383, 17),
    (6, 384, 16),
    (385, 384, 384),
    (2, 1536, 33),
    (0, 384, 16),
];

fn case(rows: usize, inputs: usize, outputs: usize) -> (Vec<f32>, Vec<f32>) {
    let seed = (rows * 1_000_003 + inputs * 1_009 + outputs) as u64;
    // Odd row counts get skewed rows, as after GELU (−0.17 up), so the centre matters.
    let skew = |v: f32| if rows % 2 == 1 { v.abs() - 0.17 } else { v };
    (
        values(rows * inputs, seed, 3.0)
            .into_iter()
            .map(skew)
            .collect(),
        values(outputs * inputs, seed + 1, 0.2),
    )
}

#[test]
fn every_kernel_gives_the_same_product_as_the_portable_one() {
    for (rows, inputs, outputs) in SHAPES {
        let (x, w) = case(rows, inputs, outputs);
        let weight = QuantizedWeight::from_rows(&w, outputs, inputs);
        let reference = matmul_with(Kernel::Portable, &x, &weight);
        for kernel in Kernel::supported() {
            let fast = matmul_with(kernel, &x, &weight);
            let shape = format!("{rows}×{inputs}·{inputs}×{outputs} ({kernel:?})");
            assert_eq!(fast.len(), reference.len(), "{shape}");
            // Bits, so that NaN == NaN and −0 ≠ +0 would show.
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&fast), bits(&reference), "{shape}");
        }
        assert_eq!(matmul(&x, &weight), reference);
    }
}

#[test]
fn the_product_is_exact_on_the_quantized_values() {
    for (rows, inputs, outputs) in SHAPES {
        let (x, w) = case(rows, inputs, outputs);
        let weight = QuantizedWeight::from_rows(&w, outputs, inputs);
        let got = matmul(&x, &weight);
        let xq: Vec<Vec<f64>> = x.chunks(inputs).map(|r| activations(r).1).collect();
        let wq: Vec<Vec<f64>> = w
            .chunks(inputs)
            .map(|r| dequantized(r, 0.0, 127.0).1)
            .collect();
        let want = product(&xq, &wq);
        assert_eq!(got.len(), rows * outputs);
        for (index, (&g, &e)) in got.iter().zip(&want).enumerate() {
            // Integer sums are exact; only the final f32 scaling rounds.
            assert!(
                (f64::from(g) - e).abs() <= 2e-6 * e.abs().max(1.0),
                "{rows}×{inputs}×{outputs} at {index}: {g} vs {e}"
            );
        }
    }
}

#[test]
fn the_quantization_error_stays_within_half_a_step_per_factor() {
    for (rows, inputs, outputs) in SHAPES {
        let (x, w) = case(rows, inputs, outputs);
        let weight = QuantizedWeight::from_rows(&w, outputs, inputs);
        let got = matmul(&x, &weight);
        for (r, row) in x.chunks(inputs).enumerate() {
            let (x_step, _) = activations(row);
            for (c, channel) in w.chunks(inputs).enumerate() {
                let (w_step, _) = dequantized(channel, 0.0, 127.0);
                let exact: f64 = row
                    .iter()
                    .zip(channel)
                    .map(|(&a, &b)| f64::from(a) * f64::from(b))
                    .sum();
                // |ab − âb̂| ≤ |a|·δb + |b|·δa + δa·δb with δ = half a step.
                let bound: f64 = row
                    .iter()
                    .zip(channel)
                    .map(|(&a, &b)| {
                        f64::from(a.abs()) * w_step / 2.0
                            + f64::from(b.abs()) * x_step / 2.0
                            + x_step * w_step / 4.0
                    })
                    .sum();
                let error = (f64::from(got[r * outputs + c]) - exact).abs();
                assert!(error <= bound * 1.0001 + 1e-6, "{error} > {bound}");
            }
        }
    }
}

#[test]
fn non_finite_inputs_give_nan_not_numbers() {
    let weight = QuantizedWeight::from_rows(&values(14, 4, 1.0), 2, 7);
    let mut x = values(14, 5, 1.0);
    x[3] = f32::NAN;
    x[7 + 2] = f32::INFINITY;
    let out = matmul(&x, &weight);
    assert!(out.iter().all(|v| v.is_nan()), "{out:?}");
}

#[test]
fn zero_rows_and_zero_weights_give_zeros() {
    let weight = QuantizedWeight::from_rows(&[0.0; 14], 2, 7);
    assert_eq!(matmul(&values(21, 3, 1.0), &weight), vec![0.0; 6]);
    let weight = QuantizedWeight::from_rows(&values(14, 4, 1.0), 2, 7);
    assert_eq!(matmul(&[0.0; 7], &weight), vec![0.0; 2]);
    assert_eq!((weight.inputs(), weight.outputs()), (7, 2));
}

/// Rows the quantizer must agree on: odd lengths around the 8- and 16-wide vector steps, a
/// constant row, ties that round half to even, and non-finite values.
fn quantizer_rows() -> Vec<Vec<f32>> {
    let mut rows: Vec<Vec<f32>> = [1, 2, 7, 8, 15, 16, 17, 31, 33, 383, 384, 1536]
        .iter()
        .map(|&len| values(len, len as u64, 2.5))
        .collect();
    rows.push(vec![0.75; 19]);
    // Centre 0 and one level per unit: ±0.5, 1.5, 2.5 sit exactly between two levels.
    let mut ties = vec![-2047.0, 2047.0, 0.5, -0.5, 1.5, 2.5, -2.5, 2046.5];
    ties.extend(values(24, 9, 100.0));
    rows.push(ties);
    let mut with_nan = values(40, 11, 1.0);
    with_nan[21] = f32::NAN;
    rows.push(with_nan);
    let mut with_infinity = values(17, 12, 1.0);
    with_infinity[16] = f32::NEG_INFINITY;
    rows.push(with_infinity);
    rows
}

#[test]
fn every_kernel_quantizes_activations_to_the_same_words() {
    for row in quantizer_rows() {
        let pairs = row.len().div_ceil(2);
        let mut portable = vec![7i32; pairs];
        let portable_scale = Kernel::Portable.quantize_row(&row, &mut portable);
        for kernel in Kernel::supported() {
            let mut fast = vec![-7i32; pairs];
            let fast_scale = kernel.quantize_row(&row, &mut fast);
            assert_eq!(fast, portable, "{} values ({kernel:?})", row.len());
            let finite = row.iter().all(|v| v.is_finite());
            if finite {
                assert_eq!(fast_scale, portable_scale, "{} values", row.len());
            } else {
                assert!(fast_scale.step.is_nan() && portable_scale.step.is_nan());
            }
        }
    }
}

#[test]
fn ties_round_half_to_even() {
    let row = [-2047.0, 2047.0, 0.5, -0.5, 1.5, 2.5, -2.5, 2046.5];
    let mut words = vec![0i32; 4];
    Kernel::detect().quantize_row(&row, &mut words);
    let levels: Vec<i16> = words
        .iter()
        .flat_map(|&w| [w as i16, (w >> 16) as i16])
        .collect();
    assert_eq!(levels, [-2047, 2047, 0, 0, 2, 2, -2, 2046]);
}
