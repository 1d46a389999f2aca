//! Multi-head self-attention over packed sequences, from the fused Q|K|V rows.
//!
//! Sequences are packed back to back without padding, so each query attends only to the keys
//! of its own sequence: padding costs nothing, and no mask tensor exists. Each sequence's
//! queries and values are regrouped by head and its keys transposed, once per task, so the
//! loops over one head read a few contiguous kilobytes that stay in L1.

use std::ops::Range;

use multiversion::multiversion;
use rayon::prelude::*;

use super::kernels::{rows_per_task, scaled_masked_softmax_body};

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

/// Per-task buffers: the current sequence's queries, keys and values regrouped by head, so
/// every inner loop reads contiguous memory, and one row of scores.
#[derive(Debug, Default)]
struct Scratch {
    /// `[hidden, width]`: column `c` of the keys of the sequence, bias added, contiguous over
    /// the keys and zero-padded to `width` ([`padded_keys`]), so that the scores of one query
    /// are `dim` vectorized multiply-adds over all keys at once (instead of one horizontal sum
    /// per key).
    keys_t: Vec<f32>,
    /// `[heads, rows, dim]`: each head's queries of the task's rows of the sequence, bias added.
    queries: Vec<f32>,
    /// `[heads, len, dim]`: each head's values of the sequence, without bias (added once at the
    /// end).
    values: Vec<f32>,
    scores: Vec<f32>,
}

impl Scratch {
    /// Regroups the keys and values of `span`, and the queries of its rows `segment` (positions
    /// within the sequence).
    fn load_sequence(
        &mut self,
        qkv: &[f32],
        bias: &[f32],
        span: Span,
        segment: &Range<usize>,
        heads: Heads,
    ) {
        let hidden = heads.hidden();
        let stride = 3 * hidden;
        let width = padded_keys(span.len);
        self.keys_t.clear();
        self.keys_t.resize(hidden * width, 0.0);
        self.values.resize(hidden * span.len, 0.0);
        self.queries.resize(hidden * segment.len(), 0.0);
        let (query_bias, key_bias) = (&bias[..hidden], &bias[hidden..2 * hidden]);
        let dim = heads.dim;
        for j in 0..span.len {
            let row = &qkv[(span.start + j) * stride + hidden..][..2 * hidden];
            let (key, value) = row.split_at(hidden);
            for (column, (&k, &b)) in key.iter().zip(key_bias).enumerate() {
                self.keys_t[column * width + j] = k + b;
            }
            for head in 0..heads.count {
                let columns = head * dim..(head + 1) * dim;
                let to = (head * span.len + j) * dim;
                self.values[to..to + dim].copy_from_slice(&value[columns]);
            }
        }
        let rows = segment.len();
        for (i, j) in segment.clone().enumerate() {
            let query = &qkv[(span.start + j) * stride..][..hidden];
            for head in 0..heads.count {
                let columns = head * dim..(head + 1) * dim;
                let to = (head * rows + i) * dim;
                let biased = query[columns.clone()].iter().zip(&query_bias[columns]);
                for (out, (&q, &b)) in self.queries[to..to + dim].iter_mut().zip(biased) {
                    *out = q + b;
                }
            }
        }
    }
}

/// Row width of the transposed keys of a `len`-token sequence.
fn padded_keys(len: usize) -> usize {
    len.next_multiple_of(KEY_LANES)
}

/// `context = Σ_j weights[j] · values[j] + bias`, with `values` one head's `[len, dim]` rows;
/// `D` is the head width when known at compile time (0: take it from `context`).
#[inline(always)]
fn weighted_values<const D: usize>(
    weights: &[f32],
    values: &[f32],
    bias: &[f32],
    context: &mut [f32],
) {
    let dim = context.len();
    let rows = weights.iter().zip(values.chunks_exact(dim.max(1)));
    if D == dim {
        let mut sums = [0f32; D];
        for (&p, value) in rows {
            for (s, &v) in sums.iter_mut().zip(value) {
                *s += p * v;
            }
        }
        for ((c, s), &b) in context.iter_mut().zip(sums).zip(bias) {
            *c = s + b;
        }
    } else {
        context.fill(0.0);
        for (&p, value) in rows {
            for (c, &v) in context.iter_mut().zip(value) {
                *c += p * v;
            }
        }
        for (c, &b) in context.iter_mut().zip(bias) {
            *c += b;
        }
    }
}

/// Keys scored together: four AVX registers of sums that stay in registers over a head's
/// dimensions, instead of one pass over the whole score row per dimension.
const KEY_BLOCK: usize = 32;
/// The narrower block for the rest of the keys; the transposed keys are padded to a multiple of
/// it (with zero keys, whose scores are never used), so no key is scored one at a time.
const KEY_LANES: usize = 8;

/// `scores[j] = Σ_d query[d] · keys[d][j]` for `j < width`, where `keys` holds `query.len()`
/// rows of `width` keys and `width` is a multiple of [`KEY_LANES`]; each sum is taken over `d`
/// in order.
#[inline(always)]
fn score_keys(query: &[f32], keys: &[f32], width: usize, scores: &mut [f32]) {
    let (blocks, lanes) = scores[..width].split_at_mut(width / KEY_BLOCK * KEY_BLOCK);
    for (index, block) in blocks.chunks_exact_mut(KEY_BLOCK).enumerate() {
        score_block::<KEY_BLOCK>(query, keys, width, index * KEY_BLOCK, block);
    }
    let first = blocks.len();
    for (index, block) in lanes.chunks_exact_mut(KEY_LANES).enumerate() {
        score_block::<KEY_LANES>(query, keys, width, first + index * KEY_LANES, block);
    }
}

/// The scores of keys `first..first + N`, summed in registers.
#[inline(always)]
fn score_block<const N: usize>(
    query: &[f32],
    keys: &[f32],
    width: usize,
    first: usize,
    out: &mut [f32],
) {
    let mut sums = [0f32; N];
    for (&q, keys) in query.iter().zip(keys.chunks_exact(width)) {
        for (s, &k) in sums.iter_mut().zip(&keys[first..first + N]) {
            *s += q * k;
        }
    }
    out.copy_from_slice(&sums);
}

/// Attention for query rows `first_row..first_row + out.len() / hidden` into `out`.
///
/// Rows are taken a sequence at a time and, within it, a head at a time: one head's keys and
/// values of one sequence (8 KB each for 64 tokens of e5-small) then stay in L1 across all
/// its queries. Every (row, head) is computed exactly as on its own.
#[inline(always)]
fn attend_rows_body(
    qkv: &[f32],
    bias: &[f32],
    span_of: &[Span],
    heads: Heads,
    first_row: usize,
    scratch: &mut Scratch,
    out: &mut [f32],
) {
    let hidden = heads.hidden();
    let dim = heads.dim;
    let scale = 1.0 / (dim as f32).sqrt();
    let end = first_row + out.len() / hidden.max(1);
    let mut row = first_row;
    while row < end {
        let Some(&span) = span_of.get(row) else {
            break;
        };
        let segment = row - span.start..(span.start + span.len).min(end) - span.start;
        scratch.load_sequence(qkv, bias, span, &segment, heads);
        let Scratch {
            keys_t,
            queries,
            values,
            scores,
        } = scratch;
        let width = padded_keys(span.len);
        scores.resize(width, 0.0);
        for head in 0..heads.count {
            let column = head * dim;
            let keys = &keys_t[column * width..(column + dim) * width];
            let queries = &queries[head * segment.len() * dim..(head + 1) * segment.len() * dim];
            let values = &values[head * span.len * dim..(head + 1) * span.len * dim];
            // The weights sum to 1, so the value bias adds once: Σ p (v + b) = Σ p v + b.
            let value_bias = &bias[2 * hidden + column..][..dim];
            for (query, j) in queries.chunks_exact(dim.max(1)).zip(segment.clone()) {
                score_keys(query, keys, width, scores);
                let scores = &mut scores[..span.len];
                scaled_masked_softmax_body(scores, span.len, scale);
                let at = (span.start + j - first_row) * hidden + column;
                let context = &mut out[at..at + dim];
                // e5-small's heads are 32 wide: a fixed width keeps the sums in registers.
                match dim {
                    32 => weighted_values::<32>(scores, values, value_bias, context),
                    64 => weighted_values::<64>(scores, values, value_bias, context),
                    _ => weighted_values::<0>(scores, values, value_bias, context),
                }
            }
        }
        row = span.start + segment.end;
    }
}

#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn attend_rows(
    qkv: &[f32],
    bias: &[f32],
    span_of: &[Span],
    heads: Heads,
    first_row: usize,
    scratch: &mut Scratch,
    out: &mut [f32],
) {
    attend_rows_body(qkv, bias, span_of, heads, first_row, scratch, out);
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
    // Every task regroups the keys and values of each sequence it touches: with fewer
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
    out.par_chunks_mut(rows * hidden.max(1))
        .enumerate()
        .for_each_init(Scratch::default, |scratch, (task, out)| {
            attend_rows(qkv, bias, span_of, heads, task * rows, scratch, out)
        });
}

/// The portable path of [`attention`], on the calling thread (for tests).
#[cfg(test)]
pub(crate) fn attention_portable(
    qkv: &[f32],
    bias: &[f32],
    span_of: &[Span],
    heads: Heads,
) -> Vec<f32> {
    let mut out = vec![0f32; span_of.len() * heads.hidden()];
    attend_rows_body(
        qkv,
        bias,
        span_of,
        heads,
        0,
        &mut Scratch::default(),
        &mut out,
    );
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
