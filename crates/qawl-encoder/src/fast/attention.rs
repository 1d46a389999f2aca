//! Multi-head self-attention over packed sequences, from the fused Q|K|V rows.
//!
//! Sequences are packed back to back without padding, so each query attends only to the keys
//! of its own sequence: padding costs nothing, and no mask tensor exists. Per sequence and head,
//! queries go in groups of 16: the scores come transposed (a row per key, a lane per query) from
//! one register-block product that reads the keys in place, softmax runs down the lanes, and a
//! second product weighs the values ([`super::attention_blocks`]). Each sequence's queries and
//! values are regrouped by head once per task, so the loops over one head read a few
//! contiguous kilobytes that stay in L1.

use std::ops::Range;

use multiversion::multiversion;
use rayon::prelude::*;

use super::attention_blocks::{Lanes, Left, Product, LANES};
use super::cpu_kernel::Kernel;
use super::kernels::{exponentiate_columns, rows_per_task};

/// Where one sequence sits in the packed token rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    /// First row.
    pub start: usize,
    /// Number of rows (tokens).
    pub len: usize,
}

/// Head layout of an attention block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Heads {
    /// Number of heads.
    pub count: usize,
    /// Width of one head; `count · dim` is the hidden size.
    pub dim: usize,
}

impl Heads {
    fn hidden(&self) -> usize {
        self.count * self.dim
    }
}

/// Per-task buffers: the current sequence's queries and values regrouped by head in the layouts
/// the [`attention_blocks`](super::attention_blocks) products read, and one group's scores and
/// context. Keys need none: the scores read them in place.
#[derive(Debug, Default)]
struct Scratch {
    /// `[heads, groups, dim]`: per group of [`LANES`] query rows of the task's part of the
    /// sequence, each head's queries transposed (a lane per query), bias added; zero lanes pad
    /// the last group.
    queries_t: Vec<Lanes>,
    /// `[heads, len, value panels]`: each head's values of the sequence, without bias (added
    /// once at the end), zero-padded to whole panels.
    values: Vec<Lanes>,
    /// `[keys, 1]`: one group's scores `Sᵀ` (a lane per query), then `e^(s − max)` in place.
    scores: Vec<Lanes>,
    /// `[LANES, value panels]`: one group's context before the softmax's division.
    context: Vec<Lanes>,
}

impl Scratch {
    /// Regroups the values of `span` and the queries of its rows `segment` (positions within
    /// the sequence), and sizes the group buffers for `kernel`.
    fn load_sequence(
        &mut self,
        kernel: Kernel,
        (qkv, bias): (&[f32], &[f32]),
        (span, segment): (Span, &Range<usize>),
        heads: Heads,
        value_panels: usize,
    ) {
        let hidden = heads.hidden();
        let stride = 3 * hidden;
        let dim = heads.dim;
        self.values.clear();
        self.values
            .resize(heads.count * span.len * value_panels, [0.0; LANES]);
        for j in 0..span.len {
            let value = &qkv[(span.start + j) * stride + 2 * hidden..][..hidden];
            for head in 0..heads.count {
                let to = (head * span.len + j) * value_panels;
                let lanes = self.values[to..to + value_panels].as_flattened_mut();
                lanes[..dim].copy_from_slice(&value[head * dim..(head + 1) * dim]);
            }
        }
        let groups = segment.len().div_ceil(LANES);
        self.queries_t.clear();
        self.queries_t.resize(hidden * groups, [0.0; LANES]);
        for (i, j) in segment.clone().enumerate() {
            let query = &qkv[(span.start + j) * stride..][..hidden];
            let (group, lane) = (i / LANES, i % LANES);
            for head in 0..heads.count {
                let columns = head * dim..(head + 1) * dim;
                let to = (head * groups + group) * dim;
                let biased = query[columns.clone()].iter().zip(&bias[columns]);
                for (queries, (&q, &b)) in self.queries_t[to..to + dim].iter_mut().zip(biased) {
                    queries[lane] = q + b;
                }
            }
        }
        let score_rows = span
            .len
            .next_multiple_of(kernel.attention_rows(Product::Scores));
        self.scores.resize(score_rows, [0.0; LANES]);
        self.context.resize(LANES * value_panels, [0.0; LANES]);
    }
}

/// Where one group's context rows go, and what they need besides the scratch.
struct GroupRows<'a> {
    /// The first query's output, its head's first column.
    out: &'a mut [f32],
    /// Distance between query rows in `out` (the hidden size).
    stride: usize,
    /// Queries of the group that exist (the rest of [`LANES`] is padding).
    rows: usize,
    /// The head's value bias: the weights sum to 1, so it adds once, `Σ p (v + b) = Σ p v + b`.
    bias: &'a [f32],
    /// `1 / √dim`.
    scale: f32,
}

/// One group of queries of one head: scores against `keys` (read in place; the key bias is left
/// out, as it adds the same to every score of a query, which softmax ignores), softmax, weighted
/// values, into the group's output rows.
#[inline(always)]
fn attend_group(
    kernel: Kernel,
    scratch: &mut Scratch,
    keys: Left<'_>,
    (queries, values): (Range<usize>, Range<usize>),
    group: GroupRows<'_>,
) {
    let Scratch {
        queries_t,
        values: all_values,
        scores,
        context,
    } = scratch;
    let value_panels = context.len() / LANES;
    kernel.product(Product::Scores, keys, &queries_t[queries], 1, scores);
    let scores = &mut scores[..keys.rows];
    let inverse = exponentiate_columns(scores, group.scale);
    let weights = Left {
        values: scores.as_flattened(),
        rows: LANES,
        depth: keys.rows,
        row_stride: 1,
        depth_stride: LANES,
    };
    let values = &all_values[values];
    kernel.product(Product::Context, weights, values, value_panels, context);
    let dim = group.bias.len();
    let rows = context
        .chunks_exact(value_panels)
        .zip(inverse)
        .take(group.rows);
    for (row, (context, inverse)) in rows.enumerate() {
        let out = &mut group.out[row * group.stride..][..dim];
        for ((out, &c), &b) in out.iter_mut().zip(context.as_flattened()).zip(group.bias) {
            *out = c * inverse + b;
        }
    }
}

/// Attention for query rows `first_row..first_row + out.len() / hidden` into `out`.
///
/// Rows are taken a sequence at a time and, within it, a head at a time: one head's keys and
/// values of one sequence (8 KB each for 64 tokens of e5-small) then stay in L1 across all
/// its queries. Every (row, head) is computed exactly as on its own.
#[inline(always)]
fn attend_rows_body(
    kernel: Kernel,
    (qkv, bias): (&[f32], &[f32]),
    span_of: &[Span],
    heads: Heads,
    first_row: usize,
    scratch: &mut Scratch,
    out: &mut [f32],
) {
    let hidden = heads.hidden();
    let (dim, stride) = (heads.dim, 3 * hidden);
    let scale = 1.0 / (dim as f32).sqrt();
    let value_panels = dim
        .div_ceil(LANES)
        .next_multiple_of(kernel.attention_panels(Product::Context));
    let end = first_row + out.len() / hidden.max(1);
    let mut row = first_row;
    while row < end {
        let Some(&span) = span_of.get(row) else {
            break;
        };
        let segment = row - span.start..(span.start + span.len).min(end) - span.start;
        let sequence = (span, &segment);
        scratch.load_sequence(kernel, (qkv, bias), sequence, heads, value_panels);
        let groups = segment.len().div_ceil(LANES);
        for head in 0..heads.count {
            let column = head * dim;
            let keys = Left {
                values: &qkv[span.start * stride + hidden + column..],
                rows: span.len,
                depth: dim,
                row_stride: stride,
                depth_stride: 1,
            };
            let values = head * span.len * value_panels..(head + 1) * span.len * value_panels;
            for group in 0..groups {
                let queries = (head * groups + group) * dim;
                let first = span.start + segment.start + group * LANES;
                let at = (first - first_row) * hidden + column;
                let rows = GroupRows {
                    out: &mut out[at..],
                    stride: hidden,
                    rows: (segment.len() - group * LANES).min(LANES),
                    bias: &bias[2 * hidden + column..][..dim],
                    scale,
                };
                let parts = (queries..queries + dim, values.clone());
                attend_group(kernel, scratch, keys, parts, rows);
            }
        }
        row = span.start + segment.end;
    }
}

#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn attend_rows(
    kernel: Kernel,
    (qkv, bias): (&[f32], &[f32]),
    span_of: &[Span],
    heads: Heads,
    first_row: usize,
    scratch: &mut Scratch,
    out: &mut [f32],
) {
    attend_rows_body(kernel, (qkv, bias), span_of, heads, first_row, scratch, out);
}

/// For every token: softmax(q·kᵀ / √d) · v per head, over its own sequence's keys.
///
/// `qkv` holds `[tokens, 3 · hidden]` rows (queries, keys, values) without their `bias`
/// (`3 · hidden`, added here on the fly); `span_of` gives each token's sequence. Returns the
/// `[tokens, hidden]` context rows.
#[cfg(test)]
pub(crate) fn attention(qkv: &[f32], bias: &[f32], span_of: &[Span], heads: Heads) -> Vec<f32> {
    let mut out = Vec::new();
    attention_into(qkv, bias, span_of, heads, &mut out);
    out
}

/// [`attention`] into `out`, resized to `[tokens, hidden]` and every value overwritten.
pub(crate) fn attention_into(
    qkv: &[f32],
    bias: &[f32],
    span_of: &[Span],
    heads: Heads,
    out: &mut Vec<f32>,
) {
    let hidden = heads.hidden();
    out.resize(span_of.len() * hidden, 0.0);
    // Every task regroups the queries and values of each sequence it touches: with fewer
    // sequences than threads, finer tasks would mostly repeat that work, so take two per thread.
    let threads = rayon::current_num_threads();
    let sequences = span_of
        .iter()
        .enumerate()
        .filter(|(row, span)| span.start == *row)
        .count();
    let mut rows = rows_per_task(qkv.len(), 3 * hidden);
    if sequences < threads {
        rows = rows.max(span_of.len().div_ceil(2 * threads));
    }
    let kernel = Kernel::detect();
    out.par_chunks_mut(rows * hidden.max(1))
        .enumerate()
        .for_each_init(Scratch::default, |scratch, (task, out)| {
            attend_rows(
                kernel,
                (qkv, bias),
                span_of,
                heads,
                task * rows,
                scratch,
                out,
            )
        });
}

/// [`attention`] with block kernel `kernel`, the rest compiled for the baseline target, on the
/// calling thread (for tests).
#[cfg(test)]
pub(crate) fn attention_with(
    kernel: Kernel,
    qkv: &[f32],
    bias: &[f32],
    span_of: &[Span],
    heads: Heads,
) -> Vec<f32> {
    let mut out = vec![0f32; span_of.len() * heads.hidden()];
    let scratch = &mut Scratch::default();
    attend_rows_body(kernel, (qkv, bias), span_of, heads, 0, scratch, &mut out);
    out
}

/// Each token's span, for sequences of `lengths` packed in order.
pub(crate) fn spans_of_tokens(lengths: &[usize]) -> (Vec<Span>, Vec<Span>) {
    let mut spans = Vec::with_capacity(lengths.len());
    let mut start = 0;
    for &len in lengths {
        spans.push(Span { start, len });
        start += len;
    }
    let per_token = spans
        .iter()
        .flat_map(|&span| std::iter::repeat_n(span, span.len))
        .collect();
    (spans, per_token)
}
