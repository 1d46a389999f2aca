//! The f32 dense projections: `x · W` through the `gemm` crate — the kernel candle's own CPU
//! matmul calls, with the same arguments — but into a buffer the forward pass reuses, instead
//! of a fresh zeroed one per projection.

use gemm::{gemm, Parallelism};

/// `[inputs, outputs]` weights, row-major (transposed once at load, so gemm reads rows).
#[derive(Debug, Clone)]
pub(crate) struct F32Weight {
    values: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

impl F32Weight {
    /// `values` holds `inputs` rows of `outputs` weights.
    pub fn new(values: Vec<f32>, inputs: usize, outputs: usize) -> Option<Self> {
        (values.len() == inputs * outputs).then_some(Self {
            values,
            inputs,
            outputs,
        })
    }

    /// Width of the input rows.
    pub fn inputs(&self) -> usize {
        self.inputs
    }
}

/// `out = x · W` for `x` of `[rows, inputs]` (no bias); `out` is resized to `[rows, outputs]`
/// and every value overwritten. `x.len()` must be a multiple of `inputs`.
pub(crate) fn matmul_into(x: &[f32], weight: &F32Weight, out: &mut Vec<f32>) {
    let (inputs, outputs) = (weight.inputs, weight.outputs);
    let rows = x.len().checked_div(inputs).unwrap_or(0);
    out.resize(rows * outputs, 0.0);
    // No inputs means no rows (an empty product).
    if rows == 0 || outputs == 0 {
        return;
    }
    let threads = rayon::current_num_threads();
    let parallelism = if threads > 1 {
        Parallelism::Rayon(threads)
    } else {
        Parallelism::None
    };
    assert!(x.len() >= rows * inputs && weight.values.len() == inputs * outputs);
    // SAFETY: `out` holds `rows × outputs` values (row stride `outputs`), `x` at least
    // `rows × inputs` (row stride `inputs`) and the weight `inputs × outputs` (row stride
    // `outputs`), as asserted above; every column stride is 1; `read_dst` is false, so `out`'s
    // old values are never read, only overwritten.
    #[allow(unsafe_code)]
    unsafe {
        gemm(
            rows,
            outputs,
            inputs,
            out.as_mut_ptr(),
            1,
            outputs as isize,
            false,
            x.as_ptr(),
            1,
            inputs as isize,
            weight.values.as_ptr(),
            1,
            outputs as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fast::test_values::values;
    use candle_core::{Device, Tensor};

    #[test]
    fn gives_candles_matmul_into_a_reused_buffer() -> candle_core::Result<()> {
        // A buffer left over from a larger product must not leak into a smaller one.
        let mut out = vec![f32::NAN; 5000];
        for (rows, inputs, outputs) in [(13, 383, 17), (1, 1, 1), (62, 384, 1152), (0, 4, 4)] {
            let x = values(rows * inputs, 3, 1.0);
            let w = values(inputs * outputs, 4, 0.2);
            let weight = F32Weight::new(w.clone(), inputs, outputs)
                .ok_or_else(|| candle_core::Error::Msg("weight size".into()))?;
            matmul_into(&x, &weight, &mut out);
            let expected = Tensor::from_vec(x, (rows, inputs), &Device::Cpu)?
                .matmul(&Tensor::from_vec(w, (inputs, outputs), &Device::Cpu)?)?
                .flatten_all()?
                .to_vec1::<f32>()?;
            assert_eq!(out, expected, "{rows}×{inputs}·{inputs}×{outputs}");
        }
        Ok(())
    }
}
