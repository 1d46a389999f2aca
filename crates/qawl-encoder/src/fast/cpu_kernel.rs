//! Which register-tile kernels this CPU runs: AVX2 with FMA where the CPU has them (chosen at
//! run time, so one binary serves every x86-64), plain Rust everywhere else. The int8 and f32
//! matmuls add their tiles to [`Kernel`] in their own modules.

/// The tile kernels chosen for this CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// 256-bit vectors: `vpmaddwd` for int8, `vfmadd231ps` for f32.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// Plain arithmetic; every CPU.
    Portable,
}

impl Kernel {
    /// The fastest kernel this CPU runs. Every CPU with AVX2 also has FMA (Haswell, Zen and
    /// later); both are checked so the f32 tile may use either.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Self::Avx2;
        }
        Self::Portable
    }
}

/// Rows per task of a tiled matmul: whole tiles of `tile_rows`, at least two tasks per thread
/// so both cores stay busy even for one short sequence, and at most `max_tiles` tiles so a
/// task's input rows stay in L2 while every weight panel streams past them.
pub(crate) fn rows_per_tile_task(rows: usize, tile_rows: usize, max_tiles: usize) -> usize {
    let tasks = 2 * rayon::current_num_threads();
    rows.div_ceil(tasks)
        .div_ceil(tile_rows)
        .clamp(1, max_tiles.max(1))
        * tile_rows
}

/// One 64-byte cache line of a packed weight panel, aligned so that neither of the tile's two
/// 32-byte loads per step straddles two lines.
#[repr(C, align(64))]
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CacheLine<T>(pub T);

/// `$run::<R>(args)` for the tile height `R = $rows`, 1 to 6 (the tiles' [`TILE_ROWS`]), so
/// that each height keeps its accumulators in registers; other heights do nothing.
// Only the x86-64 tiles dispatch on the height; elsewhere the portable tiles loop over rows.
#[cfg(target_arch = "x86_64")]
macro_rules! for_tile_height {
    ($rows:expr, $run:ident($($arg:expr),* $(,)?)) => {
        match $rows {
            6 => $run::<6>($($arg),*),
            5 => $run::<5>($($arg),*),
            4 => $run::<4>($($arg),*),
            3 => $run::<3>($($arg),*),
            2 => $run::<2>($($arg),*),
            1 => $run::<1>($($arg),*),
            _ => {}
        }
    };
}
#[cfg(target_arch = "x86_64")]
pub(crate) use for_tile_height;

/// Rows per register tile, for both matmuls: 6 × 2 accumulators + 2 weight vectors + 1
/// broadcast fit the 16 ymm registers.
pub(crate) const TILE_ROWS: usize = 6;

/// Writes the first `out.len()` (at most `N`) of `values` into `out`: a fixed-size store for a
/// full panel, so the tiles' epilogues make no `memcpy` call per row.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn store_prefix<const N: usize>(out: &mut [f32], values: &[f32; N]) {
    match <&mut [f32; N]>::try_from(&mut *out) {
        Ok(full) => *full = *values,
        Err(_) => {
            let width = out.len();
            out.copy_from_slice(&values[..width]);
        }
    }
}

/// `values` padded with zeros to `N` (a plain copy when it already has `N`).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn padded<const N: usize>(values: &[f32]) -> [f32; N] {
    match <&[f32; N]>::try_from(values) {
        Ok(full) => *full,
        Err(_) => {
            let mut padded = [0f32; N];
            let width = values.len().min(N);
            padded[..width].copy_from_slice(&values[..width]);
            padded
        }
    }
}
