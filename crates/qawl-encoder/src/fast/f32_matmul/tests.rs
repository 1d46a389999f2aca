use super::*;
use crate::fast::test_values::values;
use candle_core::{Device, Tensor};

/// `x · Wᵀ` by candle for `weight` stored `[outputs, inputs]`.
fn candle_product(
    x: &[f32],
    weight: &[f32],
    rows: usize,
    inputs: usize,
    outputs: usize,
) -> Vec<f32> {
    let product = || -> candle_core::Result<Vec<f32>> {
        let x = Tensor::from_vec(x.to_vec(), (rows, inputs), &Device::Cpu)?;
        let w = Tensor::from_vec(weight.to_vec(), (outputs, inputs), &Device::Cpu)?;
        x.matmul(&w.t()?)?.flatten_all()?.to_vec1::<f32>()
    };
    product().unwrap_or_else(|error| panic!("candle matmul: {error}"))
}

#[test]
fn matches_candles_matmul_into_a_reused_buffer() {
    // A buffer left over from a larger product must not leak into a smaller one.
    let mut out = vec![f32::NAN; 80_000];
    let shapes = [
        (13, 383, 17),
        (1, 1, 1),
        (62, 384, 1152),
        (7, 1536, 40),
        (0, 4, 4),
    ];
    for (rows, inputs, outputs) in shapes {
        let x = values(rows * inputs, 3, 1.0);
        let w = values(inputs * outputs, 4, 0.2);
        let weight = F32Weight::from_rows(&w, outputs, inputs).expect("weight size");
        matmul_into(Kernel::detect(), &x, &weight, &mut out);
        let expected = candle_product(&x, &w, rows, inputs, outputs);
        assert_eq!(
            out.len(),
            expected.len(),
            "{rows}×{inputs}·{inputs}×{outputs}"
        );
        // Only the summation order differs from gemm's: errors of a few ulps of the sum's size.
        let bound = 1e-6 * (inputs as f32).sqrt() * 0.2 * inputs as f32;
        for (i, (got, want)) in out.iter().zip(&expected).enumerate() {
            assert!(
                (got - want).abs() <= bound,
                "{rows}×{inputs}·{inputs}×{outputs} at {i}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn every_kernel_gives_the_same_bits() {
    // Odd heights (every tile size of both tile heights), an input count that is not a
    // multiple of anything, a partial last panel, panel pairs and a lone last panel (40 outputs:
    // 16 + 16 | 8), and one input; more rows than `SHORT_ROWS`, cut by rows rather than columns.
    let shapes = [
        (300, 37, 40),
        (13, 37, 21),
        (6, 1, 16),
        (5, 64, 3),
        (1, 384, 33),
        (25, 37, 40),
        (12, 1, 21),
        (23, 384, 64),
    ];
    for (rows, inputs, outputs) in shapes {
        let x = values(rows * inputs, 5, 2.0);
        let w = values(inputs * outputs, 6, 0.5);
        let weight = F32Weight::from_rows(&w, outputs, inputs).expect("weight size");
        let mut portable = Vec::new();
        matmul_into(Kernel::Portable, &x, &weight, &mut portable);
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        for kernel in Kernel::supported() {
            let mut fast = vec![f32::NAN; 7];
            matmul_into(kernel, &x, &weight, &mut fast);
            assert_eq!(
                bits(&fast),
                bits(&portable),
                "{rows}×{inputs}·{inputs}×{outputs} ({kernel:?})"
            );
        }
    }
}

#[test]
fn non_finite_inputs_reach_only_their_rows() {
    let (rows, inputs, outputs) = (8, 20, 18);
    let mut x = values(rows * inputs, 7, 1.0);
    x[2 * inputs + 5] = f32::NAN;
    x[6 * inputs] = f32::INFINITY;
    let w = values(inputs * outputs, 8, 0.5);
    let weight = F32Weight::from_rows(&w, outputs, inputs).expect("weight size");
    let mut out = Vec::new();
    matmul_into(Kernel::detect(), &x, &weight, &mut out);
    for (row, values) in out.chunks(outputs).enumerate() {
        let finite = values.iter().all(|v| v.is_finite());
        assert_eq!(finite, row != 2 && row != 6, "row {row}: {values:?}");
    }
}

#[test]
fn a_weight_of_the_wrong_size_is_refused() {
    assert!(F32Weight::from_rows(&[1.0; 10], 3, 4).is_none());
    assert!(F32Weight::from_rows(&[1.0; 12], 3, 4).is_some());
}
