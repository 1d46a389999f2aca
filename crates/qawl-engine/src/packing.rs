//! Cutting a window of queued inputs into padded batches that fit a token budget.
//!
//! Every input of a batch is padded to the longest one, so a batch costs `longest × count`
//! tokens. Sorting a window by length puts similar lengths side by side; cutting the sorted
//! window greedily then wastes little on padding.

use std::cmp::Reverse;
use std::collections::VecDeque;

/// The bounds of one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchLimits {
    /// Padded tokens: longest input × inputs.
    pub max_tokens: usize,
    /// Inputs.
    pub max_size: usize,
}

/// What a batch of `count` inputs, the longest `longest` tokens, costs once padded.
pub(crate) fn padded_tokens(longest: usize, count: usize) -> usize {
    longest.saturating_mul(count)
}

/// Sorts a window longest first. The sort is stable, so inputs of equal length keep their
/// arrival order (and one caller's equal-length inputs stay together).
pub(crate) fn sort_longest_first<T>(window: &mut VecDeque<T>, tokens: impl Fn(&T) -> usize) {
    window
        .make_contiguous()
        .sort_by_key(|item| Reverse(tokens(item)));
}

/// Takes the next batch off the front of a longest-first window: as many inputs as fit both
/// limits. The first input always goes in, so an input longer than the whole budget runs
/// alone rather than never. Returns an empty batch only for an empty window.
pub(crate) fn take_batch<T>(
    window: &mut VecDeque<T>,
    limits: BatchLimits,
    tokens: impl Fn(&T) -> usize,
) -> Vec<T> {
    let mut batch = Vec::new();
    let mut longest = 0;
    while let Some(next) = window.front() {
        let next_longest = longest.max(tokens(next));
        let cost = padded_tokens(next_longest, batch.len() + 1);
        let full = batch.len() >= limits.max_size || cost > limits.max_tokens;
        if full && !batch.is_empty() {
            break;
        }
        longest = next_longest;
        batch.extend(window.pop_front());
    }
    batch
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(lengths: &[usize], limits: BatchLimits) -> Vec<Vec<usize>> {
        let mut window: VecDeque<usize> = lengths.iter().copied().collect();
        sort_longest_first(&mut window, |len| *len);
        let mut batches = Vec::new();
        loop {
            let batch = take_batch(&mut window, limits, |len| *len);
            if batch.is_empty() {
                return batches;
            }
            batches.push(batch);
        }
    }

    fn cost(batch: &[usize]) -> usize {
        padded_tokens(batch.iter().copied().max().unwrap_or(0), batch.len())
    }

    #[test]
    fn batches_fit_the_padded_budget_and_size() {
        let lengths: Vec<usize> = (0..200).map(|i| (i * 37) % 61 + 1).collect();
        let limits = BatchLimits {
            max_tokens: 256,
            max_size: 8,
        };
        let batches = cut(&lengths, limits);
        for batch in &batches {
            assert!(cost(batch) <= limits.max_tokens, "{batch:?} is over budget");
            assert!(batch.len() <= limits.max_size, "{batch:?} is too many");
        }
        let mut seen: Vec<usize> = batches.concat();
        seen.sort_unstable();
        let mut expected = lengths.clone();
        expected.sort_unstable();
        assert_eq!(seen, expected, "every input is in exactly one batch");
    }

    #[test]
    fn an_input_longer_than_the_budget_runs_alone() {
        let limits = BatchLimits {
            max_tokens: 100,
            max_size: 8,
        };
        let batches = cut(&[5, 300, 7], limits);
        assert_eq!(batches, vec![vec![300], vec![7, 5]]);
    }

    #[test]
    fn sorting_pads_less_than_arrival_order() {
        // Short and long sentences interleaved, as in a news article with quotes.
        let lengths: Vec<usize> = (0..64).map(|i| if i % 2 == 0 { 8 } else { 64 }).collect();
        let limits = BatchLimits {
            max_tokens: 512,
            max_size: 16,
        };
        let sorted: usize = cut(&lengths, limits).iter().map(|b| cost(b)).sum();

        let mut arrival: VecDeque<usize> = lengths.iter().copied().collect();
        let mut fifo = 0;
        loop {
            let batch = take_batch(&mut arrival, limits, |len| *len);
            if batch.is_empty() {
                break;
            }
            fifo += cost(&batch);
        }
        let real: usize = lengths.iter().sum();
        assert_eq!(
            sorted, real,
            "sorted batches hold one length each: no padding"
        );
        assert!(fifo > real, "arrival order pads short inputs to long ones");
    }

    #[test]
    fn equal_lengths_keep_arrival_order() {
        let mut window: VecDeque<(usize, char)> = [(3, 'a'), (9, 'b'), (3, 'c'), (9, 'd')]
            .into_iter()
            .collect();
        sort_longest_first(&mut window, |item| item.0);
        let order: String = window.iter().map(|item| item.1).collect();
        assert_eq!(order, "bdac");
    }
}
