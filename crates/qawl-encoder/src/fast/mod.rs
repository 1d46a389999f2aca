//! A faster CPU forward pass for BERT-family encoders (e5-small), still on candle tensors.
//!
//! candle's `BertModel` spends over half its CPU time outside the matmuls: a scalar erf-GELU,
//! a mask broadcast into every attention score, transposes and contiguous copies per head. This
//! module multiplies the projections with register-tile kernels of its own (f32 FMA and int8)
//! and does the rest on row-major
//! slices in buffers reused from layer to layer:
//! one fused Q|K|V projection, attention per sequence over its real tokens only (sequences are
//! packed without padding), and fused bias + GELU and residual + layer-norm kernels.

mod activation_ranges;
mod attention;
mod attention_blocks;
mod cpu_kernel;
mod encoder;
// The tiles' `unsafe` (calls of `#[target_feature]` functions after the CPU check, `asm!`, the
// output blocks' raw pointers) is allowed item by item, each with its SAFETY reason.
#[cfg(test)]
mod eight_bit_tests;
mod f32_matmul;
mod int8;
#[cfg(test)]
mod int8_tests;
mod kernel_bench;
#[cfg(test)]
mod kernel_tests;
// why: `multiversion` expands into `unsafe` calls of `#[target_feature]` clones after its own
// CPU feature check; the kernels themselves contain no unsafe code.
#[allow(unsafe_code)]
mod kernels;
mod layer;
mod out_block;
mod test_values;
mod word_table;

pub(crate) use activation_ranges::ActivationRanges;
pub use activation_ranges::ACTIVATION_BITS_VARIABLE;
pub use cpu_kernel::KERNEL_VARIABLE;
pub use encoder::FastBertForward;
pub(crate) use encoder::{from_map, FastEmbeddings, FastStack, PackedStates};
pub use kernel_bench::{dense_matmul_time, matmul_rates, MatmulRate, MatmulReport};
pub(crate) use layer::LayerShape;
pub(crate) use word_table::Q4Rows;

/// The register-tile kernels the matmuls run on this CPU (`avx512`, `avx2` or `portable`):
/// the fastest it has, unless [`KERNEL_VARIABLE`] names another.
pub fn cpu_kernel_name() -> &'static str {
    cpu_kernel::Kernel::detect().name()
}
