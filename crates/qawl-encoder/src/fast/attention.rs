//! Multi-head self-attention over packed sequences, read straight from the fused Q|K|V rows.
//!
//! Sequences are packed back to back without padding, so each query attends only to the keys
//! of its own sequence: padding costs nothing, and no mask tensor exists. Heads are column
//! stripes of the `[tokens, 3 · hidden]` projection, read in place; only each sequence's keys
//! are transposed once per task, so query scores vectorize over the keys.

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

/// Per-task buffers: the current sequence's keys transposed, and one row of scores.
#[derive(Debug, Default)]
struct Scratch {
    /// `[hidden, len]`: column `c` of the keys of `span`, contiguous over the keys, so that
    /// the scores of one query are `dim` vectorized multiply-adds over all keys at once
    /// (instead of one horizontal sum per key).
    keys_t: Vec<f32>,
    span: Option<Span>,
    scores: Vec<f32>,
    /// The current query row, bias added.
    query: Vec<f32>,
}

impl Scratch {
    /// Makes `keys_t` hold the keys of `span` (kept while consecutive rows share it).
    fn load_keys(&mut self, qkv: &[f32], key_bias: &[f32], span: Span, hidden: usize) {
        if self.span == Some(span) {
            return;
        }
        let stride = 3 * hidden;
        self.keys_t.clear();
        self.keys_t.resize(hidden * span.len, 0.0);
        for j in 0..span.len {
            let key = &qkv[(span.start + j) * stride + hidden..][..hidden];
            for (column, (&k, &b)) in key.iter().zip(key_bias).enumerate() {
                self.keys_t[column * span.len + j] = k + b;
            }
        }
        self.span = Some(span);
    }
}

/// One head's value columns of a sequence: row `j` starts at `first + j · stride`.
struct Values<'a> {
    qkv: &'a [f32],
    first: usize,
    stride: usize,
}

/// `context = Σ_j weights[j] · value_j`; `D` is the head width when known at compile time
/// (0: take it from `context`).
#[inline(always)]
fn weighted_values<const D: usize>(weights: &[f32], values: &Values<'_>, context: &mut [f32]) {
    let dim = context.len();
    let rows = weights
        .iter()
        .enumerate()
        .map(|(j, &p)| (p, &values.qkv[values.first + j * values.stride..][..dim]));
    if D == dim {
        let mut sums = [0f32; D];
        for (p, value) in rows {
            for (s, &v) in sums.iter_mut().zip(value) {
                *s += p * v;
            }
        }
        context.copy_from_slice(&sums);
    } else {
        context.fill(0.0);
        for (p, value) in rows {
            for (c, &v) in context.iter_mut().zip(value) {
                *c += p * v;
            }
        }
    }
}

/// Attention for query rows `first_row..first_row + out.len() / hidden` into `out`.
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
    let stride = 3 * hidden;
    let scale = 1.0 / (heads.dim as f32).sqrt();
    for (offset, out_row) in out.chunks_exact_mut(hidden).enumerate() {
        let row = first_row + offset;
        let Some(&span) = span_of.get(row) else {
            continue;
        };
        scratch.load_keys(qkv, &bias[hidden..2 * hidden], span, hidden);
        let Scratch {
            keys_t,
            scores,
            query: query_row,
            ..
        } = scratch;
        query_row.clear();
        query_row.extend(
            qkv[row * stride..][..hidden]
                .iter()
                .zip(&bias[..hidden])
                .map(|(q, b)| q + b),
        );
        for head in 0..heads.count {
            let column = head * heads.dim;
            scores.clear();
            scores.resize(span.len, 0.0);
            let query = &query_row[column..column + heads.dim];
            let keys =
                keys_t[column * span.len..(column + heads.dim) * span.len].chunks_exact(span.len);
            for (&q, key_column) in query.iter().zip(keys) {
                for (score, &k) in scores.iter_mut().zip(key_column) {
                    *score += q * k;
                }
            }
            scaled_masked_softmax_body(scores, span.len, scale);
            let context = &mut out_row[column..column + heads.dim];
            let values = Values {
                qkv,
                first: span.start * stride + 2 * hidden + column,
                stride,
            };
            // e5-small's heads are 32 wide: a fixed width keeps the sums in registers.
            match heads.dim {
                32 => weighted_values::<32>(scores, &values, context),
                64 => weighted_values::<64>(scores, &values, context),
                _ => weighted_values::<0>(scores, &values, context),
            }
            // The weights sum to 1, so the value bias adds once: Σ p (v + b) = Σ p v + b.
            let value_bias = &bias[2 * hidden + column..][..heads.dim];
            for (c, &b) in context.iter_mut().zip(value_bias) {
                *c += b;
            }
        }
    }
}

#[multiversion(targets("x86_64+avx2+fma"))]
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
pub(crate) fn attention(qkv: &[f32], bias: &[f32], span_of: &[Span], heads: Heads) -> Vec<f32> {
    let hidden = heads.hidden();
    let mut out = vec![0f32; span_of.len() * hidden];
    let rows = rows_per_task(qkv.len(), 3 * hidden);
    out.par_chunks_mut(rows * hidden.max(1))
        .enumerate()
        .for_each_init(Scratch::default, |scratch, (task, out)| {
            attend_rows(qkv, bias, span_of, heads, task * rows, scratch, out)
        });
    out
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
