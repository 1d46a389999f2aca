//! Where models run and in which precision.

use std::fmt;
use std::str::FromStr;

use candle_core::{DType, Device};

use crate::error::{EncoderError, Result};

/// The compute device, as chosen on the command line (`cpu`, `cuda`, `cuda:1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// The CPU (always available).
    #[default]
    Cpu,
    /// An NVIDIA GPU by ordinal; needs this crate's `cuda` feature.
    Cuda(usize),
}

impl DeviceChoice {
    /// Opens the device; CUDA without the `cuda` feature is an error that says how to build.
    pub fn open(self) -> Result<Device> {
        match self {
            Self::Cpu => Ok(Device::Cpu),
            Self::Cuda(ordinal) => open_cuda(ordinal),
        }
    }
}

#[cfg(feature = "cuda")]
fn open_cuda(ordinal: usize) -> Result<Device> {
    Device::new_cuda(ordinal).map_err(EncoderError::tensor(format!(
        "opening CUDA device {ordinal}"
    )))
}

#[cfg(not(feature = "cuda"))]
fn open_cuda(ordinal: usize) -> Result<Device> {
    Err(EncoderError::InvalidInput(format!(
        "device cuda:{ordinal} requested, but this build has no CUDA support (rebuild with --features cuda)"
    )))
}

impl FromStr for DeviceChoice {
    type Err = EncoderError;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "cpu" => Ok(Self::Cpu),
            "cuda" => Ok(Self::Cuda(0)),
            other => other
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(Self::Cuda)
                .ok_or_else(|| {
                    EncoderError::InvalidInput(format!(
                        "unknown device {other:?}; expected cpu, cuda or cuda:N"
                    ))
                }),
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cpu => f.write_str("cpu"),
            Self::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

/// Floating-point precision of the weights and activations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// 32-bit floats: the default, exact reference behaviour, supported by every architecture.
    #[default]
    F32,
    /// IEEE half precision: rejected at load for now (candle 0.9's BERT mask yields NaN in f16).
    F16,
    /// bfloat16: BERT-family models on CUDA only.
    Bf16,
    /// The fast CPU encoder's dense projections in int8 (weights per output channel, activations
    /// per row, exact i32 sums); everything else in f32. BERT-family models on the CPU only.
    Int8,
}

impl Precision {
    /// The candle dtype.
    pub fn dtype(self) -> DType {
        match self {
            Self::F32 => DType::F32,
            Self::F16 => DType::F16,
            Self::Bf16 => DType::BF16,
            // Loaded and computed in f32; the projections quantize their f32 weights once.
            Self::Int8 => DType::F32,
        }
    }
}

impl FromStr for Precision {
    type Err = EncoderError;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "f32" => Ok(Self::F32),
            "f16" => Ok(Self::F16),
            "bf16" => Ok(Self::Bf16),
            "int8" => Ok(Self::Int8),
            other => Err(EncoderError::InvalidInput(format!(
                "unknown dtype {other:?}; expected f32, int8, f16 or bf16"
            ))),
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::F32 => "f32",
            Self::F16 => "f16",
            Self::Bf16 => "bf16",
            Self::Int8 => "int8",
        })
    }
}

/// Device and precision for loading a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RuntimeOptions {
    /// Where to run.
    pub device: DeviceChoice,
    /// Which precision.
    pub precision: Precision,
}

impl RuntimeOptions {
    /// Why this combination cannot run a model, if it cannot. Measured on candle 0.9: its BERT
    /// attention mask becomes `0 * -inf = NaN` in f16, its CPU matmul has no bf16 kernel, and its
    /// XLM-R and DeBERTa-v2 masks are built in f32 only.
    pub(crate) fn unsupported_because(self, bert_family: bool) -> Option<String> {
        match (self.precision, self.device, bert_family) {
            (Precision::F32, _, _) => None,
            (Precision::F16, _, _) => {
                Some("f16 turns the BERT attention mask into NaN in candle 0.9; use f32 (or bf16 on CUDA)".into())
            }
            (Precision::Bf16, DeviceChoice::Cpu, _) => {
                Some("candle has no bf16 matrix multiply on the CPU; use f32".into())
            }
            (Precision::Bf16, DeviceChoice::Cuda(_), false) => {
                Some("XLM-RoBERTa and DeBERTa-v2 run in f32 only (candle builds their masks in f32)".into())
            }
            (Precision::Bf16, DeviceChoice::Cuda(_), true) => None,
            (Precision::Int8, DeviceChoice::Cuda(_), _) => {
                Some("int8 runs on the CPU only; use f32 or bf16 on CUDA".into())
            }
            (Precision::Int8, DeviceChoice::Cpu, false) => {
                Some("int8 exists for BERT-family encoders (e5) only; use f32".into())
            }
            (Precision::Int8, DeviceChoice::Cpu, true) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_and_precision_parse_from_flags() -> Result<()> {
        assert_eq!("cpu".parse::<DeviceChoice>()?, DeviceChoice::Cpu);
        assert_eq!("cuda:2".parse::<DeviceChoice>()?, DeviceChoice::Cuda(2));
        assert!("gpu".parse::<DeviceChoice>().is_err());
        assert_eq!("bf16".parse::<Precision>()?, Precision::Bf16);
        assert!("int3".parse::<Precision>().is_err());
        Ok(())
    }

    #[test]
    fn only_precisions_that_give_numbers_are_accepted() {
        let options = |precision, device| RuntimeOptions { device, precision };
        assert_eq!(
            options(Precision::F32, DeviceChoice::Cpu).unsupported_because(false),
            None
        );
        assert!(options(Precision::F16, DeviceChoice::Cuda(0))
            .unsupported_because(true)
            .is_some());
        assert!(options(Precision::Bf16, DeviceChoice::Cpu)
            .unsupported_because(true)
            .is_some());
        assert_eq!(
            options(Precision::Bf16, DeviceChoice::Cuda(0)).unsupported_because(true),
            None
        );
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_without_the_feature_says_how_to_build() {
        let err = DeviceChoice::Cuda(0).open().err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("--features cuda")));
    }
}
