//! A matmul's output cut into blocks of rows × columns, one per task, so that the cores can share
//! the rows of a short input (one sequence) and each take a share of the columns: each core then
//! reads only its share of the weights, instead of every core streaming all of them for a few
//! rows each. Slices cannot express two tasks writing the same rows, so a block keeps a raw
//! pointer and hands out one row's columns at a time, checked against its rectangle.

use std::marker::PhantomData;
use std::ops::Range;

use super::cpu_kernel::{task_grid, Kernel, PANEL};

/// One task of a tiled matmul: its rows, and its column groups (group `g` is the panels one
/// tile spans, from panel `g · panels_per_tile` on).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MatmulTask {
    pub rows: Range<usize>,
    pub groups: Range<usize>,
}

/// The tasks of a product into `out` (`[rows, outputs]`) on `kernel`'s tiles, at most
/// `max_rows` rows each where rows are cut ([`task_grid`]), each with the block it writes.
pub(crate) fn matmul_tasks<'a>(
    kernel: Kernel,
    out: &'a mut [f32],
    outputs: usize,
    max_rows: usize,
) -> Vec<(MatmulTask, OutBlock<'a>)> {
    let rows = out.len().checked_div(outputs).unwrap_or(0);
    let tile_rows = kernel.tile_rows();
    let groups = outputs.div_ceil(kernel.panels_per_tile() * PANEL);
    let (row_ranges, group_ranges) = task_grid(rows, tile_rows, max_rows / tile_rows, groups);
    let column_ranges: Vec<Range<usize>> = group_ranges
        .iter()
        .map(|groups| group_span(kernel, groups, outputs).1)
        .collect();
    let tasks = row_ranges.iter().flat_map(|rows| {
        group_ranges.iter().map(move |groups| MatmulTask {
            rows: rows.clone(),
            groups: groups.clone(),
        })
    });
    tasks
        .zip(OutBlock::grid(out, outputs, &row_ranges, &column_ranges))
        .collect()
}

/// The panels and the output columns that column groups `groups` cover, of `outputs` columns on
/// `kernel`'s tiles (the last group may have fewer panels and columns).
fn group_span(
    kernel: Kernel,
    groups: &Range<usize>,
    outputs: usize,
) -> (Range<usize>, Range<usize>) {
    let per_group = kernel.panels_per_tile();
    let panel_count = outputs.div_ceil(PANEL);
    let panels =
        (groups.start * per_group).min(panel_count)..(groups.end * per_group).min(panel_count);
    let columns = (panels.start * PANEL).min(outputs)..(panels.end * PANEL).min(outputs);
    (panels, columns)
}

/// For each column group of a task, the panels its tiles multiply and the output columns they
/// write.
pub(crate) fn group_spans(
    kernel: Kernel,
    groups: Range<usize>,
    outputs: usize,
) -> impl Iterator<Item = (Range<usize>, Range<usize>)> {
    groups.map(move |group| group_span(kernel, &(group..group + 1), outputs))
}

/// Rows `rows` of a row-major `[.., outputs]` output, of which only `columns` may be written.
#[derive(Debug)]
pub(crate) struct OutBlock<'a> {
    /// Column 0 of the block's first row.
    start: *mut f32,
    rows: usize,
    outputs: usize,
    columns: Range<usize>,
    _out: PhantomData<&'a mut [f32]>,
}

// SAFETY: the blocks of one `OutBlock::grid` cover disjoint rectangles of one exclusively
// borrowed slice, so threads holding different blocks never touch the same element.
#[allow(unsafe_code)]
unsafe impl Send for OutBlock<'_> {}

impl<'a> OutBlock<'a> {
    /// `out` (rows `outputs` wide) cut into the blocks `row_ranges` × `column_ranges`, row range
    /// by row range. Each list must be increasing, without overlaps, and inside `out`.
    pub fn grid(
        out: &'a mut [f32],
        outputs: usize,
        row_ranges: &[Range<usize>],
        column_ranges: &[Range<usize>],
    ) -> Vec<Self> {
        let rows = out.len().checked_div(outputs).unwrap_or(0);
        assert!(
            increasing_within(row_ranges, rows) && increasing_within(column_ranges, outputs),
            "overlapping or out-of-bounds blocks: rows {row_ranges:?} of {rows}, columns {column_ranges:?} of {outputs}"
        );
        let base = out.as_mut_ptr();
        row_ranges
            .iter()
            .flat_map(|rows| {
                column_ranges.iter().map(move |columns| OutBlock {
                    start: base.wrapping_add(rows.start * outputs),
                    rows: rows.len(),
                    outputs,
                    columns: columns.clone(),
                    _out: PhantomData,
                })
            })
            .collect()
    }

    /// The same block from its row `first` on (a tile's rows).
    pub fn rows_from(&mut self, first: usize) -> OutBlock<'_> {
        let first = first.min(self.rows);
        OutBlock {
            start: self.start.wrapping_add(first * self.outputs),
            rows: self.rows - first,
            outputs: self.outputs,
            columns: self.columns.clone(),
            _out: PhantomData,
        }
    }

    /// Row `r`'s columns `first..first + width`; panics unless they lie in the block.
    #[allow(unsafe_code)]
    pub fn row(&mut self, r: usize, first: usize, width: usize) -> &mut [f32] {
        assert!(
            r < self.rows && self.columns.start <= first && first + width <= self.columns.end,
            "row {r}, columns {first}..{} outside the block of {} rows, columns {:?}",
            first + width,
            self.rows,
            self.columns
        );
        // SAFETY: row `r` is one of this block's rows, inside the slice `grid` cut (checked
        // there), and the columns are inside this block's, which no other block shares; the
        // `&mut self` borrow keeps this the block's only live slice.
        unsafe { std::slice::from_raw_parts_mut(self.start.add(r * self.outputs + first), width) }
    }
}

/// Whether `ranges` are increasing, do not overlap and end by `limit`.
fn increasing_within(ranges: &[Range<usize>], limit: usize) -> bool {
    let ordered = ranges.windows(2).all(|pair| pair[0].end <= pair[1].start);
    ordered
        && ranges
            .iter()
            .all(|range| range.start <= range.end && range.end <= limit)
}

#[cfg(test)]
// One row block or one column block is a grid too.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    #[test]
    fn each_block_writes_only_its_rectangle() {
        let mut out = vec![0f32; 5 * 4];
        let mut blocks = OutBlock::grid(&mut out, 4, &[0..2, 2..5], &[0..1, 1..4]);
        assert_eq!(blocks.len(), 4);
        for (index, block) in blocks.iter_mut().enumerate() {
            let (rows, first, width) = (block.rows, block.columns.start, block.columns.len());
            for r in 0..rows {
                block.row(r, first, width).fill(index as f32 + 1.0);
            }
        }
        let expected = [
            [1., 2., 2., 2.],
            [1., 2., 2., 2.],
            [3., 4., 4., 4.],
            [3., 4., 4., 4.],
            [3., 4., 4., 4.],
        ];
        assert_eq!(out, expected.concat());
    }

    #[test]
    fn a_tile_block_starts_at_its_row() {
        let mut out = vec![0f32; 3 * 2];
        let mut blocks = OutBlock::grid(&mut out, 2, &[0..3], &[0..2]);
        blocks[0].rows_from(2).row(0, 1, 1)[0] = 7.0;
        assert_eq!(out, [0., 0., 0., 0., 0., 7.]);
    }

    #[test]
    #[should_panic(expected = "outside the block")]
    fn writing_another_blocks_columns_panics() {
        let mut out = vec![0f32; 4];
        let mut blocks = OutBlock::grid(&mut out, 2, &[0..2], &[0..1, 1..2]);
        blocks[0].row(0, 1, 1);
    }

    #[test]
    #[should_panic(expected = "overlapping")]
    fn overlapping_blocks_are_refused() {
        let mut out = vec![0f32; 4];
        OutBlock::grid(&mut out, 2, &[0..2], &[0..2, 1..2]);
    }
}
