//! One BERT layer on packed token rows: the dense matmuls through candle (gemm) in f32 or
//! through [`super::int8`], everything between them through [`super::kernels`] and
//! [`super::attention`].

use candle_core::{bail, DType, Device, Result, Storage, Tensor};

use super::attention::{attention, Heads, Span};
use super::int8::{self, QuantizedWeight};
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
    /// `[in, out]` f32 (transposed once at load, so gemm reads rows).
    F32(Tensor),
    /// Int8 per output channel, packed for [`int8::matmul`].
    Int8(QuantizedWeight),
}

/// A linear map and its bias (added by the kernel that follows the matmul).
#[derive(Debug)]
struct Dense {
    weight: Projection,
    bias: Vec<f32>,
}

impl Dense {
    /// Stacks the `[out_i, in]` weights of `modules` along the output; f32 ones are transposed,
    /// int8 ones quantized per output channel.
    fn load(
        get: &WeightSource<'_>,
        modules: &[String],
        inputs: usize,
        precision: Precision,
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
        let stacked = Tensor::cat(&weights, 0)?.to_device(&Device::Cpu)?;
        let weight = match precision {
            Precision::Int8 if inputs <= int8::MAX_INPUTS => {
                Projection::Int8(with_values(&stacked.contiguous()?, |rows| {
                    QuantizedWeight::from_rows(rows, bias.len(), inputs)
                })?)
            }
            _ => Projection::F32(stacked.t()?.contiguous()?),
        };
        Ok(Self { weight, bias })
    }

    fn outputs(&self) -> usize {
        self.bias.len()
    }

    /// `states · W` for packed `[tokens, in]` rows (bias not added).
    fn apply(&self, states: &Tensor) -> Result<Tensor> {
        match &self.weight {
            Projection::F32(weight) => states.matmul(weight),
            Projection::Int8(weight) => matrix(self.apply_owned(states)?, weight.outputs()),
        }
    }

    /// [`Dense::apply`] as owned row-major values, for a kernel to finish in place.
    fn apply_owned(&self, states: &Tensor) -> Result<Vec<f32>> {
        match &self.weight {
            Projection::F32(weight) => states.matmul(weight)?.flatten_all()?.to_vec1::<f32>(),
            Projection::Int8(weight) => {
                if states.dim(1)? != weight.inputs() {
                    bail!("{} inputs, expected {}", states.dim(1)?, weight.inputs())
                }
                with_values(states, |rows| int8::matmul(rows, weight))
            }
        }
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
    /// Loads the layer whose weights sit under `prefix` (e.g. `encoder.layer.3`).
    pub fn load(get: &WeightSource<'_>, prefix: &str, shape: LayerShape) -> Result<Self> {
        let module = |path: &str| format!("{prefix}.{path}");
        let qkv = Dense::load(
            get,
            &[
                module("attention.self.query"),
                module("attention.self.key"),
                module("attention.self.value"),
            ],
            shape.hidden,
            shape.precision,
        )?;
        let dense =
            |name: &str, inputs: usize| Dense::load(get, &[module(name)], inputs, shape.precision);
        let attention_output = dense("attention.output.dense", shape.hidden)?;
        let intermediate = dense("intermediate.dense", shape.hidden)?;
        let output = dense("output.dense", shape.intermediate)?;
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

    /// The layer over packed `[tokens, hidden]` rows; `span_of` gives each token's sequence.
    pub fn forward(&self, states: &Tensor, span_of: &[Span]) -> Result<Tensor> {
        let hidden = self.attention_output.outputs();
        let qkv = self.qkv.apply(states)?;
        let context = with_values(&qkv, |qkv| {
            attention(qkv, &self.qkv.bias, span_of, self.heads)
        })?;
        let context = matrix(context, hidden)?;
        drop(qkv);

        let attended = add_and_norm(
            self.attention_output.apply_owned(&context)?,
            &self.attention_output.bias,
            states,
            &self.attention_norm,
        )?;

        let mut activated = self.intermediate.apply_owned(&attended)?;
        bias_gelu(&mut activated, &self.intermediate.bias);
        let activated = matrix(activated, self.intermediate.outputs())?;
        let output = self.output.apply_owned(&activated)?;
        add_and_norm(output, &self.output.bias, &attended, &self.output_norm)
    }
}

/// `layer_norm(projected + bias + residual)`, in `projected`'s buffer, as a `[tokens, hidden]`
/// tensor.
fn add_and_norm(
    mut projected: Vec<f32>,
    bias: &[f32],
    residual: &Tensor,
    norm: &Norm,
) -> Result<Tensor> {
    with_values(residual, |residual| {
        residual_layer_norm(&mut projected, bias, residual, &norm.params())
    })?;
    matrix(projected, bias.len())
}
