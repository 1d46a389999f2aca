//! Which register-tile kernels this CPU runs: AVX-512 (with VNNI) or AVX2 with FMA where the
//! CPU has them (chosen at run time, so one binary serves every x86-64), plain Rust everywhere
//! else. The int8 and f32 matmuls add their tiles to [`Kernel`] in their own modules. Every
//! kernel gives the same bits, so the choice changes speed only.

use std::ops::Range;
use std::sync::OnceLock;

/// Names the kernel to use instead of the fastest one (`avx512`, `avx2` or `portable`), for
/// comparing them; a kernel this CPU lacks is refused with a warning.
pub const KERNEL_VARIABLE: &str = "QAWL_CPU_KERNEL";

/// The tile kernels chosen for this CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// 512-bit vectors: `vpdpwssd` for int8, `vfmadd231ps` for f32, in 12-row tiles over two
    /// panels (32 registers hold 24 accumulators).
    #[cfg(target_arch = "x86_64")]
    Avx512,
    /// 256-bit vectors: `vpmaddwd` for int8, `vfmadd231ps` for f32, in 6-row tiles.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// Plain arithmetic; every CPU.
    Portable,
}

impl Kernel {
    /// The kernel the matmuls use: the fastest this CPU runs, unless [`KERNEL_VARIABLE`] names
    /// another it runs. Decided once per process.
    pub fn detect() -> Self {
        static CHOSEN: OnceLock<Kernel> = OnceLock::new();
        *CHOSEN.get_or_init(|| {
            let wanted = std::env::var(KERNEL_VARIABLE).ok();
            Self::choose(&Self::supported(), wanted.as_deref()).unwrap_or_else(|fastest| {
                let names: Vec<&str> = Self::supported().iter().map(|k| k.name()).collect();
                tracing::warn!(
                    "{KERNEL_VARIABLE}={:?} is not one this CPU runs ({}); using {}",
                    wanted.unwrap_or_default(),
                    names.join(", "),
                    fastest.name()
                );
                fastest
            })
        })
    }

    /// The kernel named `wanted` among `supported` (fastest first), or the fastest if `wanted`
    /// is `None`; `Err(fastest)` if `wanted` names none of them.
    fn choose(supported: &[Self], wanted: Option<&str>) -> Result<Self, Self> {
        let fastest = supported.first().copied().unwrap_or(Self::Portable);
        match wanted.map(str::trim) {
            None => Ok(fastest),
            Some(name) => supported
                .iter()
                .find(|kernel| kernel.name().eq_ignore_ascii_case(name))
                .copied()
                .ok_or(fastest),
        }
    }

    /// Every kernel this CPU runs, fastest first (tests compare them all). Every CPU with
    /// AVX2 also has FMA (Haswell, Zen and later); both are checked so the f32 tile may use
    /// either, and AVX-512 needs F and VNNI (`vpdpwssd`) besides.
    pub fn supported() -> Vec<Self> {
        let mut kernels = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx2") && has!("fma") {
                if has!("avx512f") && has!("avx512bw") && has!("avx512vnni") {
                    kernels.push(Self::Avx512);
                }
                kernels.push(Self::Avx2);
            }
        }
        kernels.push(Self::Portable);
        kernels
    }

    /// How [`KERNEL_VARIABLE`] names this kernel.
    pub fn name(self) -> &'static str {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::Avx512 => "avx512",
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => "avx2",
            Self::Portable => "portable",
        }
    }

    /// Consecutive 16-channel weight panels one register tile spans.
    pub fn panels_per_tile(self) -> usize {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::Avx512 => 2,
            _ => 1,
        }
    }

    /// Rows per register tile; the matmuls cut their tasks in whole tiles.
    pub fn tile_rows(self) -> usize {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::Avx512 => TALL_TILE_ROWS,
            _ => TILE_ROWS,
        }
    }
}

/// The row ranges of a tiled matmul's tasks, in order, covering `0..rows`: whole tiles of
/// `tile_rows` (only the last range may end mid-tile), at most `max_tiles` tiles each so a
/// task's input rows stay in L2 while every weight panel streams past them, at least two tasks
/// per thread so both cores stay busy even for one short sequence, and a task count that is a
/// multiple of the thread count with tile counts that differ by at most one, so no core is left
/// with an extra task at the end (with equal blocks and a short last one, 496 rows on two
/// threads left one core 16 % more rows than the other).
pub(crate) fn tile_tasks(rows: usize, tile_rows: usize, max_tiles: usize) -> Vec<Range<usize>> {
    let threads = rayon::current_num_threads().max(1);
    let tile_rows = tile_rows.max(1);
    let tiles = rows.div_ceil(tile_rows);
    let tasks = tiles
        .div_ceil(max_tiles.max(1))
        .max(2 * threads)
        .next_multiple_of(threads)
        .min(tiles);
    (0..tasks)
        .map(|task| {
            let start = task * tiles / tasks * tile_rows;
            let end = ((task + 1) * tiles / tasks * tile_rows).min(rows);
            start..end
        })
        .collect()
}

/// Inputs of at most this many rows (one or two sequences) are not cut into row tasks: every
/// task takes all the rows and a share of the columns, so each core reads only its share of the
/// weights (cut by rows, four tasks of one or two tiles each streamed every weight).
pub(crate) const SHORT_ROWS: usize = 128;

/// The tasks of a tiled matmul over `rows` and `groups` column groups (the panels a tile
/// spans), as row ranges × group ranges: for at most [`SHORT_ROWS`] rows, all of them × two
/// shares of the groups per thread; else [`tile_tasks`]' row ranges × all the groups.
pub(crate) fn task_grid(
    rows: usize,
    tile_rows: usize,
    max_tiles: usize,
    groups: usize,
) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
    if rows > SHORT_ROWS || groups < 2 {
        return (
            tile_tasks(rows, tile_rows, max_tiles),
            std::iter::once(0..groups).collect(),
        );
    }
    let shares = (2 * rayon::current_num_threads().max(1)).min(groups);
    let group_ranges = (0..shares)
        .map(|share| share * groups / shares..(share + 1) * groups / shares)
        .collect();
    (std::iter::once(0..rows).collect(), group_ranges)
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

/// [`for_tile_height`] for the AVX-512 tiles: heights 1 to 12 ([`TALL_TILE_ROWS`]).
#[cfg(target_arch = "x86_64")]
macro_rules! for_tall_tile_height {
    ($rows:expr, $run:ident($($arg:expr),* $(,)?)) => {
        match $rows {
            12 => $run::<12>($($arg),*),
            11 => $run::<11>($($arg),*),
            10 => $run::<10>($($arg),*),
            9 => $run::<9>($($arg),*),
            8 => $run::<8>($($arg),*),
            7 => $run::<7>($($arg),*),
            rows => $crate::fast::cpu_kernel::for_tile_height!(rows, $run($($arg),*)),
        }
    };
}
#[cfg(target_arch = "x86_64")]
pub(crate) use for_tall_tile_height;

/// Output channels per packed weight panel, in both matmuls: one AVX-512 vector of f32 or i32
/// lanes, two AVX2 vectors.
pub(crate) const PANEL: usize = 16;

/// Rows per AVX2 (and portable) register tile, for both matmuls: 6 × 2 accumulators + 2 weight
/// vectors + 1 broadcast fit the 16 ymm registers.
pub(crate) const TILE_ROWS: usize = 6;

/// Rows per AVX-512 register tile: 12 × 2 accumulators + 2 weight vectors + broadcasts fit the
/// 32 zmm registers, and each broadcast feeds two multiply-adds (one per panel), so a step
/// needs 14 loads for 24 of them, within the two loads per cycle the two vector pipes need.
pub(crate) const TALL_TILE_ROWS: usize = 12;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_tasks_cover_the_rows_in_whole_tiles_and_even_shares() {
        let threads = rayon::current_num_threads();
        for rows in [1, 5, 6, 7, 62, 431, 496, 1372, 1984, 10_000] {
            for max_tiles in [1, 8, 16] {
                let tasks = tile_tasks(rows, 6, max_tiles);
                let case = format!("{rows} rows, at most {max_tiles} tiles: {tasks:?}");
                assert_eq!(tasks.first().map(|t| t.start), Some(0), "{case}");
                assert_eq!(tasks.last().map(|t| t.end), Some(rows), "{case}");
                assert!(tasks.windows(2).all(|w| w[0].end == w[1].start), "{case}");
                assert!(tasks.iter().all(|t| t.start.is_multiple_of(6)), "{case}");
                let tiles: Vec<usize> = tasks.iter().map(|t| t.len().div_ceil(6)).collect();
                let (fewest, most) = (tiles.iter().min(), tiles.iter().max());
                assert!(most.zip(fewest).is_some_and(|(m, f)| m - f <= 1), "{case}");
                assert!(
                    tiles.iter().all(|&t| (1..=max_tiles).contains(&t)),
                    "{case}"
                );
                // Every thread gets the same number of tasks, unless every task is one tile.
                let one_tile_each = tasks.len() == rows.div_ceil(6);
                assert!(
                    one_tile_each || tasks.len().is_multiple_of(threads),
                    "{case}"
                );
            }
        }
    }

    #[test]
    fn the_variable_picks_a_supported_kernel_or_falls_back_to_the_fastest() {
        let supported = Kernel::supported();
        let fastest = supported[0];
        assert_eq!(supported.last(), Some(&Kernel::Portable));
        assert_eq!(Kernel::choose(&supported, None), Ok(fastest));
        assert_eq!(
            Kernel::choose(&supported, Some(" Portable ")),
            Ok(Kernel::Portable)
        );
        for kernel in &supported {
            assert_eq!(Kernel::choose(&supported, Some(kernel.name())), Ok(*kernel));
        }
        assert_eq!(Kernel::choose(&supported, Some("sse9")), Err(fastest));
        assert_eq!(
            Kernel::choose(&[Kernel::Portable], Some("avx512")),
            Err(Kernel::Portable)
        );
    }

    #[test]
    // Single ranges are what the grid's one row block or one column block is.
    #[allow(clippy::single_range_in_vec_init)]
    fn short_inputs_are_cut_by_columns_and_long_ones_by_rows() {
        let threads = rayon::current_num_threads();
        let (rows, groups) = task_grid(64, 12, 4, 36);
        assert_eq!(rows, [0..64]);
        assert_eq!(groups.len(), (2 * threads).min(36));
        assert_eq!(groups.first().map(|g| g.start), Some(0));
        assert_eq!(groups.last().map(|g| g.end), Some(36));
        assert!(groups
            .windows(2)
            .all(|w| w[0].end == w[1].start && !w[0].is_empty()));
        // Fewer groups than shares: one each.
        assert_eq!(task_grid(64, 12, 4, 1), (tile_tasks(64, 12, 4), vec![0..1]));
        let (rows, groups) = task_grid(496, 12, 4, 36);
        assert_eq!((rows, groups), (tile_tasks(496, 12, 4), vec![0..36]));
    }
}
