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
    /// IEEE half precision (BERT-family models; mainly for GPUs).
    F16,
    /// bfloat16 (BERT-family models; mainly for GPUs).
    Bf16,
}

impl Precision {
    /// The candle dtype.
    pub fn dtype(self) -> DType {
        match self {
            Self::F32 => DType::F32,
            Self::F16 => DType::F16,
            Self::Bf16 => DType::BF16,
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
            other => Err(EncoderError::InvalidInput(format!(
                "unknown dtype {other:?}; expected f32, f16 or bf16"
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

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_without_the_feature_says_how_to_build() {
        let err = DeviceChoice::Cuda(0).open().err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("--features cuda")));
    }
}
