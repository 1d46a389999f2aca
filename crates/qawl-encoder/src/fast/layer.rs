//! One BERT layer on packed token rows: the dense matmuls through [`super::f32_matmul`] or
//! [`super::int8`], everything between them through [`super::kernels`] and
//! [`super::attention`], all on plain slices in buffers the stack reuses from layer to layer.

use candle_core::{bail, DType, Device, Result, Storage, Tensor};

use super::activation_ranges::ActivationRanges;
use super::attention::{attention_into, Heads, Span};
use super::f32_matmul::{self, F32Weight};
use super::int8::eight_bit::{self, EightBitWeight};
use super::int8::{self, Kernel, QuantizedRows, QuantizedWeight};
use super::kernels::{bias_gelu, residual_layer_norm, NormParams};
use crate::device::Precision;

/// Reads a weight by its Hugging Face name (e.g. `encoder.layer.3.output.dense.weight`).
pub(crate) type WeightSource<'a> = dyn Fn(&str) -> Result<Tensor> + 'a;

/// Runs `f` on the f32 values of a contiguous CPU tensor, without copying them.
pub(crate) fn with_values<R>(tensor: &Tensor, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
    let (storage, layout) = tensor.storage_and_layout();
    let Storage::Cpu(cpu) = &*storage else {
        bail!("the fast encoder runs on the CPU only")
    };
    let values = cpu.as_slice::<f32>()?;
    let Some((start, end)) = layout.contiguous_offsets() else {
        bail!("the fast encoder needs contiguous tensors")
    };
    Ok(f(&values[start..end]))
}

/// A tensor's values as an owned f32 vector, of the expected length.
pub(crate) fn vector(tensor: &Tensor, len: usize, name: &str) -> Result<Vec<f32>> {
    let values = tensor
        .to_dtype(DType::F32)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    if values.len() != len {
        bail!("{name}: {} values, expected {len}", values.len())
    }
    Ok(values)
}

/// `[rows, columns]` CPU f32 tensor over `values`.
pub(crate) fn matrix(values: Vec<f32>, columns: usize) -> Result<Tensor> {
    let rows = values.len() / columns.max(1);
    Tensor::from_vec(values, (rows, columns), &Device::Cpu)
}

/// The weights of a linear map, as its matmul reads them.
#[derive(Debug)]
enum Projection {
    /// f32, packed for [`f32_matmul::matmul_into`].
    F32(F32Weight),
    /// Int8 per output channel, packed for [`int8::matmul_into`].
    Int8(QuantizedWeight),
    /// Int8 for 8-bit, smoothed activations ([`eight_bit::matmul_into`]).
    EightBit(EightBitWeight),
}

/// A linear map and its bias (added by the kernel that follows the matmul).
#[derive(Debug)]
struct Dense {
    weight: Projection,
    bias: Vec<f32>,
}

impl Dense {
    /// Stacks the `[out_i, in]` weights of `modules` along the output, packed for the f32 tile
    /// or quantized per output channel for the int8 one (for 8-bit activations where the
    /// inputs' `ranges` are known).
    fn load(
        get: &WeightSource<'_>,
        modules: &[String],
        inputs: usize,
        (precision, ranges): (Precision, Option<&[f32]>),
    ) -> Result<Self> {
        let mut weights = Vec::new();
        let mut bias = Vec::new();
        for module in modules {
            let weight = get(&format!("{module}.weight"))?.to_dtype(DType::F32)?;
            let (outputs, width) = weight.dims2()?;
            if width != inputs {
                bail!("{module}.weight: {width} inputs, expected {inputs}")
            }
            bias.extend(vector(&get(&format!("{module}.bias"))?, outputs, module)?);
            weights.push(weight);
        }
        let stacked = Tensor::cat(&weights, 0)?
            .to_device(&Device::Cpu)?
            .contiguous()?;
        let outputs = bias.len();
        let weight = match (precision, ranges) {
            (Precision::Int8, Some(ranges)) if inputs <= int8::MAX_INPUTS => {
                Projection::EightBit(with_values(&stacked, |rows| {
                    EightBitWeight::from_rows(rows, outputs, inputs, ranges)
                })?)
            }
            (Precision::Int8, _) if inputs <= int8::MAX_INPUTS => {
                Projection::Int8(with_values(&stacked, |rows| {
                    QuantizedWeight::from_rows(rows, outputs, inputs)
                })?)
            }
            _ => {
                let packed =
                    with_values(&stacked, |rows| F32Weight::from_rows(rows, outputs, inputs))?;
                match packed {
                    Some(weight) => Projection::F32(weight),
                    None => bail!(
                        "{}: weights do not fill {outputs} × {inputs}",
                        modules.join(", ")
                    ),
                }
            }
        };
        Ok(Self { weight, bias })
    }

    fn outputs(&self) -> usize {
        self.bias.len()
    }

    /// `out = x · W` for packed `[tokens, in]` rows (bias not added); `out` is resized and
    /// overwritten, `quantized` holds int8 activations.
    fn apply_into(
        &self,
        x: &[f32],
        quantized: &mut QuantizedRows,
        out: &mut Vec<f32>,
    ) -> Result<()> {
        let inputs = match &self.weight {
            Projection::F32(weight) => weight.inputs(),
            Projection::Int8(weight) => weight.inputs(),
            Projection::EightBit(weight) => weight.inputs(),
        };
        if inputs == 0 || !x.len().is_multiple_of(inputs) {
            bail!("{} values do not split into rows of {inputs}", x.len())
        }
        match &self.weight {
            Projection::F32(weight) => f32_matmul::matmul_into(Kernel::detect(), x, weight, out),
            Projection::Int8(weight) => {
                int8::matmul_into(Kernel::detect(), x, weight, quantized, out)
            }
            Projection::EightBit(weight) => {
                eight_bit::matmul_into(Kernel::detect(), x, weight, quantized, out)
            }
        }
        Ok(())
    }
}

/// Layer-norm weights, owned.
#[derive(Debug)]
struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
    eps: f32,
}

impl Norm {
    fn load(get: &WeightSource<'_>, module: &str, width: usize, eps: f32) -> Result<Self> {
        Ok(Self {
            gamma: vector(&get(&format!("{module}.weight"))?, width, module)?,
            beta: vector(&get(&format!("{module}.bias"))?, width, module)?,
            eps,
        })
    }

    fn params(&self) -> NormParams<'_> {
        NormParams {
            gamma: &self.gamma,
            beta: &self.beta,
            eps: self.eps,
        }
    }
}

/// Shape of the layers of one model.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerShape {
    /// Hidden width.
    pub hidden: usize,
    /// Attention heads.
    pub heads: usize,
    /// Feed-forward width.
    pub intermediate: usize,
    /// Layer-norm epsilon.
    pub eps: f32,
    /// How the dense projections run: f32, or int8 ([`Precision::Int8`]).
    pub precision: Precision,
}

impl LayerShape {
    /// The shape candle's BERT config describes; the hidden width must split into the heads.
    pub fn of(config: &candle_transformers::models::bert::Config) -> Result<Self> {
        let heads = config.num_attention_heads;
        if heads == 0 || !config.hidden_size.is_multiple_of(heads) {
            bail!(
                "hidden size {} does not split into {heads} attention heads",
                config.hidden_size
            )
        }
        Ok(Self {
            hidden: config.hidden_size,
            heads,
            intermediate: config.intermediate_size,
            eps: config.layer_norm_eps as f32,
            precision: Precision::F32,
        })
    }

    /// The same shape with the dense projections in `precision`.
    pub fn with_precision(self, precision: Precision) -> Self {
        Self { precision, ..self }
    }
}

/// One encoder layer: fused Q|K|V projection, attention, output projection + norm, GELU
/// feed-forward + norm.
#[derive(Debug)]
pub(crate) struct FastLayer {
    qkv: Dense,
    attention_output: Dense,
    attention_norm: Norm,
    intermediate: Dense,
    output: Dense,
    output_norm: Norm,
    heads: Heads,
}

impl FastLayer {
    /// Loads the layer whose weights sit under `prefix` (e.g. `encoder.layer.3`); with
    /// `ranges` for it, its int8 Q|K|V and feed-forward-in projections take 8-bit activations.
    pub fn load(
        get: &WeightSource<'_>,
        prefix: &str,
        shape: LayerShape,
        ranges: Option<&ActivationRanges>,
    ) -> Result<Self> {
        let module = |path: &str| format!("{prefix}.{path}");
        let range = |path: &str| ranges.and_then(|r| r.of(&module(path), shape.hidden));
        let qkv = Dense::load(
            get,
            &[
                module("attention.self.query"),
                module("attention.self.key"),
                module("attention.self.value"),
            ],
            shape.hidden,
            (shape.precision, range("attention.self.query")),
        )?;
        let dense = |name: &str, inputs: usize, ranges: Option<&[f32]>| {
            Dense::load(get, &[module(name)], inputs, (shape.precision, ranges))
        };
        let attention_output = dense("attention.output.dense", shape.hidden, None)?;
        let intermediate = dense(
            "intermediate.dense",
            shape.hidden,
            range("intermediate.dense"),
        )?;
        let output = dense("output.dense", shape.intermediate, None)?;
        if qkv.outputs() != 3 * shape.hidden
            || attention_output.outputs() != shape.hidden
            || intermediate.outputs() != shape.intermediate
            || output.outputs() != shape.hidden
        {
            bail!(
                "{prefix}: projection widths do not match hidden size {}",
                shape.hidden
            )
        }
        Ok(Self {
            qkv,
            attention_output,
            attention_norm: Norm::load(
                get,
                &module("attention.output.LayerNorm"),
                shape.hidden,
                shape.eps,
            )?,
            intermediate,
            output,
            output_norm: Norm::load(get, &module("output.LayerNorm"), shape.hidden, shape.eps)?,
            heads: Heads {
                count: shape.heads,
                dim: shape.hidden / shape.heads,
            },
        })
    }

    /// The layer over packed `[tokens, hidden]` rows into `out`; `span_of` gives each token's
    /// sequence.
    pub fn forward(
        &self,
        states: &[f32],
        span_of: &[Span],
        buffers: &mut LayerBuffers,
        out: &mut Vec<f32>,
    ) -> Result<()> {
        let LayerBuffers {
            qkv,
            context,
            attended,
            intermediate,
            hidden_rows,
            intermediate_rows,
        } = buffers;
        self.qkv.apply_into(states, hidden_rows, qkv)?;
        attention_into(qkv, &self.qkv.bias, span_of, self.heads, context);

        self.attention_output
            .apply_into(context, hidden_rows, attended)?;
        let norm = self.attention_norm.params();
        residual_layer_norm(attended, &self.attention_output.bias, states, &norm);

        self.intermediate
            .apply_into(attended, hidden_rows, intermediate)?;
        bias_gelu(intermediate, &self.intermediate.bias);
        self.output
            .apply_into(intermediate, intermediate_rows, out)?;
        let norm = self.output_norm.params();
        residual_layer_norm(out, &self.output.bias, attended, &norm);
        Ok(())
    }
}

/// What a layer computes on the way, kept from one layer to the next (and so allocated and
/// zeroed once per forward pass, not once per layer: fresh buffers cost ≈ 9 % of an int8
/// forward at batch 32 in page faults and memset). Each buffer always holds the same shape.
#[derive(Debug, Default)]
pub(crate) struct LayerBuffers {
    qkv: Vec<f32>,
    context: Vec<f32>,
    attended: Vec<f32>,
    intermediate: Vec<f32>,
    /// Int8 activations of the hidden-wide inputs (Q|K|V, attention output, intermediate).
    hidden_rows: QuantizedRows,
    /// Int8 activations of the intermediate-wide input (the output projection).
    intermediate_rows: QuantizedRows,
}
