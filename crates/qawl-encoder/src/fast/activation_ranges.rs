//! The default encoder's activation ranges: for every layer, the largest |value| each input
//! channel of its Q|K|V and feed-forward-in projections took on training text of the three
//! heads (`tools/calibrate/activation_ranges.py` measures them; the file is committed and built
//! in). With them the int8 path quantizes those inputs to 8 bits for `vpdpbusd`, smoothed first
//! ([`super::int8::eight_bit`]); without them (a CPU without AVX-512 VNNI, or
//! [`ACTIVATION_BITS_VARIABLE`] set to 12) every input keeps 12 bits. They are looked up by
//! module name and width, so they fit the default model: the fast forward is built only from
//! E5S1 files (the default model's format); Hugging Face checkpoints run through candle.

use std::collections::HashMap;
use std::sync::OnceLock;

use candle_core::{Device, Result};

use super::int8::eight_bit;
use super::int8::Kernel;

/// Set to `12` to keep every int8 activation at 12 bits (for comparing the two; `8`, the
/// default, uses the ranges where the model has them).
pub const ACTIVATION_BITS_VARIABLE: &str = "QAWL_INT8_ACTIVATION_BITS";

/// The ranges measured on multilingual-e5-small, the default model.
const BUNDLED: &[u8] = include_bytes!(
    "../../../../models/calibration/multilingual-e5-small.activation-ranges.safetensors"
);

/// Per-channel ranges by projection module (`encoder.layer.L.attention.self.query`, …).
#[derive(Debug, Default)]
pub(crate) struct ActivationRanges {
    ranges: HashMap<String, Vec<f32>>,
}

impl ActivationRanges {
    /// The built-in ranges, unless [`ACTIVATION_BITS_VARIABLE`] asks for 12 bits or this CPU's
    /// tiles gain nothing from 8 bits (no AVX-512 VNNI).
    pub fn bundled() -> Option<&'static Self> {
        static BUILT_IN: OnceLock<Option<ActivationRanges>> = OnceLock::new();
        BUILT_IN
            .get_or_init(|| {
                let wanted = std::env::var(ACTIVATION_BITS_VARIABLE).ok();
                let bits = wanted_bits(wanted.as_deref()).unwrap_or_else(|bits| {
                    tracing::warn!(
                        "{ACTIVATION_BITS_VARIABLE}={:?} is neither 8 nor 12; using {bits}",
                        wanted.unwrap_or_default()
                    );
                    bits
                });
                // Only `vpdpbusd` (AVX-512 VNNI) multiplies 8-bit rows faster; the other tiles
                // would take them at the 12-bit speed, for less accuracy.
                if bits == 12 || !eight_bit::uses_quads(Kernel::detect()) {
                    return None;
                }
                match Self::parse(BUNDLED) {
                    Ok(ranges) => Some(ranges),
                    Err(error) => {
                        tracing::warn!("built-in activation ranges unreadable ({error}); int8 activations stay at 12 bits");
                        None
                    }
                }
            })
            .as_ref()
    }

    /// Ranges from a safetensors file's bytes (`{module}.input_absmax`, one f32 vector each).
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let tensors = candle_core::safetensors::load_buffer(bytes, &Device::Cpu)?;
        let mut ranges = HashMap::new();
        for (name, tensor) in tensors {
            if let Some(module) = name.strip_suffix(".input_absmax") {
                ranges.insert(module.to_owned(), tensor.flatten_all()?.to_vec1::<f32>()?);
            }
        }
        Ok(Self { ranges })
    }

    /// The ranges of `module`'s input channels, if measured for `width` of them.
    pub fn of(&self, module: &str, width: usize) -> Option<&[f32]> {
        self.ranges
            .get(module)
            .map(Vec::as_slice)
            .filter(|ranges| ranges.len() == width)
    }
}

/// The activation bits [`ACTIVATION_BITS_VARIABLE`]'s value asks for: 8 when unset, `Err(8)`
/// when it names neither 8 nor 12.
pub(crate) fn wanted_bits(value: Option<&str>) -> std::result::Result<u8, u8> {
    match value.map(str::trim) {
        None | Some("8") => Ok(8),
        Some("12") => Ok(12),
        Some(_) => Err(8),
    }
}
