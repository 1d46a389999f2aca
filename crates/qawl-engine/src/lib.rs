//! qawl's inference engine: one model on its own OS thread, fed padded batches packed to a
//! token budget, answering many async callers. Modelled on text-embeddings-inference's queue.
//!
//! # Design
//! - **A thread per model.** [`Engine::start`] moves a [`BatchModel`] onto a named thread
//!   that owns it, so model calls (CPU-heavy, milliseconds to seconds) never block the
//!   async runtime and the model needs no locks.
//! - **Bounded admission.** [`Engine::submit`] is synchronous and never waits: it takes
//!   one queue place per input from a semaphore (`try_acquire`) or answers
//!   [`EngineError::Overloaded`] at once, then hands the tokenized inputs to the worker over
//!   a bounded channel. The places are held until the caller has its answer.
//! - **Packing.** The worker takes the oldest `sort_window` inputs, sorts them longest
//!   first, and cuts them into batches of at most `max_batch_size` inputs and
//!   `max_batch_tokens` padded tokens (longest × count). An input longer than the whole
//!   budget runs alone. The window is finished before the next is formed, so no input is
//!   passed over for long.
//! - **Nothing wasted on the departed.** Inputs of callers who dropped their [`Pending`], or
//!   whose deadline passed, are removed before each batch; deadline callers get
//!   [`EngineError::DeadlineExceeded`], also straight from [`Pending::wait`] when the
//!   deadline passes while the model is busy.
//! - **Failure reaches every caller.** A model error goes to every caller of the batch; a
//!   panic is caught, answered with [`EngineError::Unavailable`] to everyone queued, and the
//!   worker stops (the model may be half-mutated), so nobody hangs.
//! - **Shutdown drains.** Dropping every [`Engine`] clone lets the worker finish what is
//!   queued and exit; [`Engine::shutdown`] waits for that.
//! - **Metrics** (`metrics` crate, label `model`): gauge `qawl_queue_depth` (inputs admitted,
//!   not yet answered), histograms `qawl_batch_size` (inputs) and `qawl_batch_tokens`
//!   (padded tokens), counters `qawl_submissions_refused_total` and
//!   `qawl_inputs_dropped_total{reason}`.
//!
//! # How the server uses it
//! The encoder implements [`BatchModel`] for each head (inputs: token ids of a sentence or
//! pair, tokenized once by the caller, who keeps the offsets). The server starts one
//! `Engine` per head at start-up, clones it into its handlers, and per request calls
//! `engine.run(inputs, deadline).await` with the gRPC deadline. It maps
//! `Overloaded` → RESOURCE_EXHAUSTED, `DeadlineExceeded` → DEADLINE_EXCEEDED,
//! `Unavailable` → UNAVAILABLE, the rest → INTERNAL, reports `is_running()` to the health
//! service, and on SIGTERM drops its handlers, then awaits `shutdown()`.

mod config;
mod engine;
mod error;
mod model;
mod packing;
mod queue;
mod worker;

pub use config::EngineConfig;
pub use engine::{Completion, Engine, Pending};
pub use error::EngineError;
pub use model::BatchModel;
