//! The model's own OS thread: it takes in submissions, runs batches one after another, and
//! answers callers. Model calls block for milliseconds to seconds, so they stay off the async
//! runtime; the thread owns the model, so the model needs no locks.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::packing::BatchLimits;
use crate::queue::{Batch, BatchQueue, BatchRun, Submission};
use crate::{BatchModel, EngineConfig, EngineError};

/// Submissions travelling from callers to the worker.
pub(crate) type SubmissionReceiver<M> =
    mpsc::Receiver<Submission<<M as BatchModel>::Input, <M as BatchModel>::Output>>;

const PANICKED: &str = "the model panicked on a batch; see the server log";

/// Starts the worker thread. `stopped` is dropped as the thread's last act, after the model,
/// which is how [`Engine::shutdown`](crate::Engine::shutdown) learns the work is done.
pub(crate) fn spawn<M: BatchModel>(
    model: M,
    config: &EngineConfig,
    name: Arc<str>,
    submissions: SubmissionReceiver<M>,
    stopped: watch::Sender<()>,
) -> std::io::Result<()> {
    let limits = BatchLimits {
        max_tokens: config.max_batch_tokens.get(),
        max_size: config.max_batch_size.get(),
    };
    let queue = BatchQueue::new(name.clone(), limits, config.sort_window.get());
    let worker = Worker {
        model,
        name,
        submissions,
        queue,
    };
    // Dropping the join handle detaches the thread; `stopped` reports its end instead.
    let _detached = std::thread::Builder::new()
        .name(format!("qawl-{}", config.name))
        .spawn(move || {
            worker.run();
            drop(stopped);
        })?;
    Ok(())
}

struct Worker<M: BatchModel> {
    model: M,
    name: Arc<str>,
    submissions: SubmissionReceiver<M>,
    queue: BatchQueue<M::Input, M::Output>,
}

/// The model panicked; it may be half-way through a mutation, so it is not run again.
struct Panicked;

impl<M: BatchModel> Worker<M> {
    fn run(mut self) {
        tracing::debug!(model = %self.name, "model worker started");
        match self.serve() {
            Ok(()) => tracing::debug!(model = %self.name, "model worker drained and stopped"),
            Err(Panicked) => self.refuse_everything(),
        }
    }

    /// Runs batches until every handle is gone and every queued input has been answered.
    fn serve(&mut self) -> Result<(), Panicked> {
        loop {
            while let Ok(submission) = self.submissions.try_recv() {
                self.queue.admit(submission);
            }
            match self.queue.next_batch() {
                Some(batch) => self.run_batch(batch)?,
                // Idle: sleep until a submission arrives, or stop once all senders are gone.
                None => match self.submissions.blocking_recv() {
                    Some(submission) => self.queue.admit(submission),
                    None => return Ok(()),
                },
            }
        }
    }

    fn run_batch(&mut self, batch: Batch<M::Input>) -> Result<(), Panicked> {
        let Batch {
            inputs,
            slots,
            padded_tokens,
        } = batch;
        let model_label = self.name.to_string();
        metrics::histogram!("qawl_batch_size", "model" => model_label.clone())
            .record(inputs.len() as f64);
        metrics::histogram!("qawl_batch_tokens", "model" => model_label)
            .record(padded_tokens as f64);

        let started = Instant::now();
        let model = &mut self.model;
        // Unwind safety: after a panic the model is never called again (see `Panicked`), so
        // a half-finished mutation inside it cannot be observed.
        let result = panic::catch_unwind(AssertUnwindSafe(|| model.run_batch(&inputs)));
        let run = BatchRun {
            started,
            took: started.elapsed(),
        };
        let name = &self.name;
        match result {
            Ok(Ok(outputs)) if outputs.len() == slots.len() => {
                self.queue.complete(slots, outputs, run);
            }
            Ok(Ok(outputs)) => {
                let (expected, got) = (slots.len(), outputs.len());
                tracing::error!(model = %name, expected, got, "model broke one output per input");
                self.queue.fail(&slots, || EngineError::OutputCount {
                    model: name.clone(),
                    expected,
                    got,
                });
            }
            Ok(Err(error)) => {
                tracing::error!(model = %name, error = %error, inputs = slots.len(), "batch failed");
                let source: Arc<dyn std::error::Error + Send + Sync> = Arc::new(error);
                self.queue.fail(&slots, || EngineError::Model {
                    model: name.clone(),
                    source: source.clone(),
                });
            }
            Err(payload) => {
                tracing::error!(
                    model = %name,
                    panic = panic_message(payload.as_ref()),
                    "model panicked; its worker stops and refuses further work"
                );
                self.queue.fail(&slots, || EngineError::Unavailable {
                    model: name.clone(),
                    reason: PANICKED,
                });
                return Err(Panicked);
            }
        }
        Ok(())
    }

    /// After a panic: answers everyone queued or in flight, and closes the channel so new
    /// submissions are refused at once instead of waiting on a dead model.
    fn refuse_everything(&mut self) {
        let name = self.name.clone();
        let unavailable = || EngineError::Unavailable {
            model: name.clone(),
            reason: PANICKED,
        };
        self.submissions.close();
        self.queue.fail_all(unavailable);
        while let Ok(submission) = self.submissions.try_recv() {
            let _ = submission.reply.send(Err(unavailable()));
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        "non-string panic payload"
    }
}
