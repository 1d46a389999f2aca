//! Multi-head self-attention over packed sequences, read straight from the fused Q|K|V rows.
//!
//! Sequences are packed back to back without padding, so each query attends only to the keys
//! of its own sequence: padding costs nothing, and no mask tensor exists. Heads are column
//! stripes of the `[tokens, 3 · hidden]` projection, read in place (no transposes or copies).

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

/// `a · b` with `LANES` accumulators (vectorizes).
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    const LANES: usize = 8;
    let mut acc = [0f32; LANES];
    let chunks = a.chunks_exact(LANES).zip(b.chunks_exact(LANES));
    for (x, y) in chunks {
        for ((s, &p), &q) in acc.iter_mut().zip(x).zip(y) {
            *s += p * q;
        }
    }
    let tail = a.len() - a.len() % LANES;
    let rest: f32 = a[tail..].iter().zip(&b[tail..]).map(|(p, q)| p * q).sum();
    acc.iter().sum::<f32>() + rest
}

/// Attention for query rows `first_row..first_row + out.len() / hidden` into `out`.
#[inline(always)]
fn attend_rows_body(
    qkv: &[f32],
    span_of: &[Span],
    heads: Heads,
    first_row: usize,
    scores: &mut Vec<f32>,
    out: &mut [f32],
) {
    let hidden = heads.hidden();
    let stride = 3 * hidden;
    let scale = 1.0 / (heads.dim as f32).sqrt();
    for (offset, out_row) in out.chunks_exact_mut(hidden).enumerate() {
        let row = first_row + offset;
        let Some(span) = span_of.get(row) else {
            continue;
        };
        let keys = span.start..span.start + span.len;
        scores.clear();
        scores.resize(span.len, 0.0);
        for head in 0..heads.count {
            let column = head * heads.dim;
            let query = &qkv[row * stride + column..][..heads.dim];
            for (score, key_row) in scores.iter_mut().zip(keys.clone()) {
                *score = dot(
                    query,
                    &qkv[key_row * stride + hidden + column..][..heads.dim],
                );
            }
            scaled_masked_softmax_body(scores, span.len, scale);
            let context = &mut out_row[column..column + heads.dim];
            context.fill(0.0);
            for (&p, value_row) in scores.iter().zip(keys.clone()) {
                let value = &qkv[value_row * stride + 2 * hidden + column..][..heads.dim];
                for (c, &v) in context.iter_mut().zip(value) {
                    *c += p * v;
                }
            }
        }
    }
}

#[multiversion(targets("x86_64+avx2+fma"))]
fn attend_rows(
    qkv: &[f32],
    span_of: &[Span],
    heads: Heads,
    first_row: usize,
    scores: &mut Vec<f32>,
    out: &mut [f32],
) {
    attend_rows_body(qkv, span_of, heads, first_row, scores, out);
}

/// For every token: softmax(q·kᵀ / √d) · v per head, over its own sequence's keys.
///
/// `qkv` holds `[tokens, 3 · hidden]` rows (queries, keys, values, biases added); `span_of`
/// gives each token's sequence. Returns the `[tokens, hidden]` context rows.
pub(crate) fn attention(qkv: &[f32], span_of: &[Span], heads: Heads) -> Vec<f32> {
    let hidden = heads.hidden();
    let mut out = vec![0f32; span_of.len() * hidden];
    let rows = rows_per_task(qkv.len(), 3 * hidden);
    out.par_chunks_mut(rows * hidden.max(1))
        .enumerate()
        .for_each_init(Vec::new, |scores, (task, out)| {
            attend_rows(qkv, span_of, heads, task * rows, scores, out)
        });
    out
}

/// The portable path of [`attention`], on the calling thread (for tests).
#[cfg(test)]
pub(crate) fn attention_portable(qkv: &[f32], span_of: &[Span], heads: Heads) -> Vec<f32> {
    let mut out = vec![0f32; span_of.len() * heads.hidden()];
    attend_rows_body(qkv, span_of, heads, 0, &mut Vec::new(), &mut out);
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
