//! The full-height int8 tile (6 rows × 16 channels) as one `asm!` loop.
//!
//! Written with intrinsics, the two-pairs-per-iteration loop needs 17 ymm registers at LLVM's
//! schedule (12 accumulators, the next pair's weights loaded early, a broadcast, a product), so
//! two accumulators went through the stack every iteration: a store, a reload and an add on
//! their dependency chains. Here the schedule is fixed by hand: 12 accumulators, 2 weight
//! vectors, 1 broadcast and 1 product, exactly the 16 registers, nothing spilled. The sums are
//! the same wrapping i32 additions in the same order as [`super::avx2`]'s generic tile.

use std::arch::asm;
use std::arch::x86_64::{__m256i, _mm256_setzero_si256};

use super::PairLanes;

/// One row's step: broadcast its word at `[$row + $word]`, multiply it with the weight vectors in
/// ymm12 and ymm13 (`vpmaddwd`), add the products into accumulators `$low` and `$high`.
macro_rules! row_step {
    ($row:literal, $word:literal, $low:literal, $high:literal) => {
        concat!(
            "vpbroadcastd ymm14, dword ptr [",
            $row,
            " + ",
            $word,
            "]\n",
            "vpmaddwd ymm15, ymm14, ymm12\n",
            "vpaddd ",
            $low,
            ", ",
            $low,
            ", ymm15\n",
            "vpmaddwd ymm14, ymm14, ymm13\n",
            "vpaddd ",
            $high,
            ", ",
            $high,
            ", ymm14\n",
        )
    };
}

/// One input pair for all six rows: the panel's lanes at byte `$lanes` past `{panel}`, each
/// row's word at byte `$word` past its row start. Rows 0, 1, 2, 4 are addressed from `{a}`
/// (row 0) and rows 3, 5 from `{b}` (row 3), with `{s}` the row stride in bytes.
macro_rules! pair_step {
    ($lanes:literal, $word:literal) => {
        concat!(
            "vmovdqu ymm12, ymmword ptr [{panel} + ",
            $lanes,
            "]\n",
            "vmovdqu ymm13, ymmword ptr [{panel} + ",
            $lanes,
            " + 32]\n",
            row_step!("{a}", $word, "ymm0", "ymm1"),
            row_step!("{a} + {s}", $word, "ymm2", "ymm3"),
            row_step!("{a} + {s}*2", $word, "ymm4", "ymm5"),
            row_step!("{b}", $word, "ymm6", "ymm7"),
            row_step!("{a} + {s}*4", $word, "ymm8", "ymm9"),
            row_step!("{b} + {s}*2", $word, "ymm10", "ymm11"),
        )
    };
}

/// The i32 sums of six rows against one panel, eight channels per vector: row `r` is
/// `words[r · pairs..(r + 1) · pairs]`. The same sums as the generic tile at height 6.
#[allow(unsafe_code)]
#[target_feature(enable = "avx2")]
pub(super) fn six_row_sums(words: &[i32], pairs: usize, panel: &[PairLanes]) -> [[__m256i; 2]; 6] {
    assert!(words.len() >= 6 * pairs && panel.len() >= pairs);
    let mut sums = [[_mm256_setzero_si256(); 2]; 6];
    let out = sums.as_mut_ptr().cast::<__m256i>();
    // SAFETY: the loop reads words `r · pairs + q` for r < 6, q < pairs and panel entries
    // q < pairs, all in bounds (asserted above); it writes the 12 vectors of `sums` through
    // `out`, which points at them; AVX2 is enabled on this function.
    unsafe {
        asm!(
            "vpxor ymm0, ymm0, ymm0",
            "vpxor ymm1, ymm1, ymm1",
            "vpxor ymm2, ymm2, ymm2",
            "vpxor ymm3, ymm3, ymm3",
            "vpxor ymm4, ymm4, ymm4",
            "vpxor ymm5, ymm5, ymm5",
            "vpxor ymm6, ymm6, ymm6",
            "vpxor ymm7, ymm7, ymm7",
            "vpxor ymm8, ymm8, ymm8",
            "vpxor ymm9, ymm9, ymm9",
            "vpxor ymm10, ymm10, ymm10",
            "vpxor ymm11, ymm11, ymm11",
            "test {twos}, {twos}",
            "jz 3f",
            "2:",
            pair_step!("0", "0"),
            pair_step!("64", "4"),
            "add {a}, 8",
            "add {b}, 8",
            "add {panel}, 128",
            "dec {twos}",
            "jnz 2b",
            "3:",
            "test {odd}, {odd}",
            "jz 4f",
            pair_step!("0", "0"),
            "4:",
            "vmovdqu ymmword ptr [{out}], ymm0",
            "vmovdqu ymmword ptr [{out} + 32], ymm1",
            "vmovdqu ymmword ptr [{out} + 64], ymm2",
            "vmovdqu ymmword ptr [{out} + 96], ymm3",
            "vmovdqu ymmword ptr [{out} + 128], ymm4",
            "vmovdqu ymmword ptr [{out} + 160], ymm5",
            "vmovdqu ymmword ptr [{out} + 192], ymm6",
            "vmovdqu ymmword ptr [{out} + 224], ymm7",
            "vmovdqu ymmword ptr [{out} + 256], ymm8",
            "vmovdqu ymmword ptr [{out} + 288], ymm9",
            "vmovdqu ymmword ptr [{out} + 320], ymm10",
            "vmovdqu ymmword ptr [{out} + 352], ymm11",
            a = inout(reg) words.as_ptr() => _,
            b = inout(reg) words.as_ptr().add(3 * pairs) => _,
            s = in(reg) pairs * 4,
            panel = inout(reg) panel.as_ptr() => _,
            twos = inout(reg) pairs / 2 => _,
            odd = in(reg) pairs % 2,
            out = in(reg) out,
            out("ymm0") _, out("ymm1") _, out("ymm2") _, out("ymm3") _,
            out("ymm4") _, out("ymm5") _, out("ymm6") _, out("ymm7") _,
            out("ymm8") _, out("ymm9") _, out("ymm10") _, out("ymm11") _,
            out("ymm12") _, out("ymm13") _, out("ymm14") _, out("ymm15") _,
            options(nostack),
        );
    }
    sums
}
