//! The engine's limits: every queue and batch is bounded.

use std::num::NonZeroUsize;

/// How an engine batches and how much it admits. `NonZeroUsize` makes a zero limit
/// unrepresentable, so there is nothing to validate at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// Names the worker thread (`qawl-{name}`) and labels the metrics (`model="{name}"`).
    pub name: String,
    /// Token budget of one batch, counted padded: longest input × number of inputs.
    /// An input longer than the whole budget still runs, alone in its batch.
    pub max_batch_tokens: NonZeroUsize,
    /// Most inputs in one batch, whatever their length.
    pub max_batch_size: NonZeroUsize,
    /// Most inputs admitted and not yet answered, across all callers. Beyond it a submission
    /// is refused with [`EngineError::Overloaded`](crate::EngineError::Overloaded).
    pub max_queued_inputs: NonZeroUsize,
    /// How many queued inputs, oldest first, are sorted by length together and cut into
    /// batches before later arrivals are considered. Larger windows pad less; the window
    /// also bounds how long a long input can be passed over by shorter ones. Keep it at
    /// least `max_batch_size`, or batches cannot fill.
    pub sort_window: NonZeroUsize,
}

// Evaluated at compile time, so these `expect`s cannot fire at run time.
const DEFAULT_MAX_BATCH_TOKENS: NonZeroUsize = NonZeroUsize::new(4096).expect("4096 is not zero");
const DEFAULT_MAX_BATCH_SIZE: NonZeroUsize = NonZeroUsize::new(32).expect("32 is not zero");
const DEFAULT_MAX_QUEUED_INPUTS: NonZeroUsize = NonZeroUsize::new(1024).expect("1024 is not zero");
const DEFAULT_SORT_WINDOW: NonZeroUsize = NonZeroUsize::new(128).expect("128 is not zero");

impl EngineConfig {
    /// Defaults sized for a small encoder on CPU: 32 inputs or 4096 padded tokens a batch,
    /// 1024 inputs admitted, a sort window of four batches.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            max_batch_tokens: DEFAULT_MAX_BATCH_TOKENS,
            max_batch_size: DEFAULT_MAX_BATCH_SIZE,
            max_queued_inputs: DEFAULT_MAX_QUEUED_INPUTS,
            sort_window: DEFAULT_SORT_WINDOW,
        }
    }
}
