//! The one thing the engine needs from a model: run a batch of already-tokenized inputs.

/// A model that answers a batch of inputs at once. The engine owns it on a dedicated thread,
/// so it needs to be `Send` but never `Sync`, and may keep scratch buffers in `&mut self`.
///
/// Inputs arrive tokenized: the caller tokenizes once, keeps the offsets it needs to map
/// results back to text, and hands the engine only what the model reads.
pub trait BatchModel: Send + 'static {
    /// One tokenized input, e.g. the ids of one sentence or one (premise, hypothesis) pair.
    type Input: Send + 'static;
    /// The answer for one input, e.g. class probabilities or an embedding.
    type Output: Send + 'static;
    /// Why a batch failed. Every caller whose inputs were in that batch receives it.
    type Error: std::error::Error + Send + Sync + 'static;

    /// How many positions `input` occupies before padding. The engine pads every input of a
    /// batch to the longest one, so a batch costs `longest × count` tokens of its budget.
    ///
    /// An associated function rather than a method: callers count tokens at submission, on
    /// their own task, without touching the model that lives on the engine's thread.
    fn token_count(input: &Self::Input) -> usize;

    /// Runs `inputs` as one padded batch and returns exactly one output per input, in order.
    ///
    /// The slice is borrowed because a padded batch is built by copying ids into one tensor
    /// anyway; the engine keeps ownership to know which caller each output belongs to.
    fn run_batch(&mut self, inputs: &[Self::Input]) -> Result<Vec<Self::Output>, Self::Error>;
}
