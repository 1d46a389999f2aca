//! The async side: admission, submission, and waiting for answers.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot, watch, OwnedSemaphorePermit, Semaphore, TryAcquireError};
use tokio::time::Instant;

use crate::queue::Submission;
use crate::{worker, BatchModel, EngineConfig, EngineError};

/// The answer to one submission: one output per input, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion<O> {
    pub outputs: Vec<O>,
    /// From admission until the first of the inputs started running.
    pub queue_time: Duration,
    /// Time the model spent on batches holding any of the inputs (each batch counted once).
    pub inference_time: Duration,
}

/// A handle to a model running on its own thread. Cheap to clone; every clone feeds the same
/// queue. The worker stops once every clone is gone and the queue has drained.
pub struct Engine<M: BatchModel> {
    name: Arc<str>,
    submissions: mpsc::Sender<Submission<M::Input, M::Output>>,
    admission: Arc<Semaphore>,
    capacity: u32,
    stopped: watch::Receiver<()>,
}

impl<M: BatchModel> Engine<M> {
    /// Moves `model` onto a new thread named `qawl-{config.name}` and returns the handle.
    pub fn start(model: M, config: EngineConfig) -> Result<Self, EngineError> {
        let name: Arc<str> = Arc::from(config.name.as_str());
        // Semaphores count in u32 per acquisition; no real queue comes near the clamp.
        let capacity = config
            .max_queued_inputs
            .get()
            .min(Semaphore::MAX_PERMITS)
            .min(u32::MAX as usize);
        // Every queued submission holds at least one permit, so the channel fills only
        // when cancelled submissions linger in it; then admission answers Overloaded.
        let (sender, receiver) = mpsc::channel(capacity);
        let (stopped_sender, stopped) = watch::channel(());
        worker::spawn(model, &config, name.clone(), receiver, stopped_sender).map_err(
            |source| EngineError::Spawn {
                model: name.clone(),
                source,
            },
        )?;
        Ok(Self {
            name,
            submissions: sender,
            admission: Arc::new(Semaphore::new(capacity)),
            capacity: u32::try_from(capacity).unwrap_or(u32::MAX),
            stopped,
        })
    }

    /// Admits `inputs` (already tokenized) or refuses them at once; never waits.
    ///
    /// Refusals: [`EngineError::Overloaded`] when the queue cannot take `inputs.len()` more
    /// inputs, [`EngineError::DeadlineExceeded`] when `deadline` has already passed,
    /// [`EngineError::Unavailable`] when the worker has stopped. A submission larger than the
    /// whole queue is admitted only into an empty queue, taking all of it, so it is delayed
    /// rather than refused forever.
    ///
    /// The inputs may be spread over several batches; [`Pending::wait`] returns all outputs
    /// in order. Dropping the [`Pending`] withdraws the inputs not yet run.
    pub fn submit(
        &self,
        inputs: Vec<M::Input>,
        deadline: Option<Instant>,
    ) -> Result<Pending<M::Output>, EngineError> {
        let (reply, answer) = oneshot::channel();
        let mut pending = Pending {
            model: self.name.clone(),
            answer,
            deadline,
            _admission: None,
        };
        if inputs.is_empty() {
            pending.deadline = None;
            let _ = reply.send(Ok(Completion {
                outputs: Vec::new(),
                queue_time: Duration::ZERO,
                inference_time: Duration::ZERO,
            }));
            return Ok(pending);
        }
        if deadline.is_some_and(|deadline| deadline <= Instant::now()) {
            return Err(EngineError::DeadlineExceeded {
                model: self.name.clone(),
            });
        }

        let wanted = u32::try_from(inputs.len())
            .unwrap_or(u32::MAX)
            .min(self.capacity);
        let permit = match self.admission.clone().try_acquire_many_owned(wanted) {
            Ok(permit) => permit,
            Err(TryAcquireError::NoPermits) => return Err(self.overloaded()),
            Err(TryAcquireError::Closed) => return Err(self.stopped()),
        };
        pending._admission = Some(Admission::new(permit, &self.name));

        let inputs = inputs
            .into_iter()
            .map(|input| {
                let tokens = M::token_count(&input);
                (input, tokens)
            })
            .collect();
        let submission = Submission {
            inputs,
            deadline,
            admitted_at: Instant::now(),
            reply,
        };
        match self.submissions.try_send(submission) {
            Ok(()) => Ok(pending),
            Err(TrySendError::Full(_)) => Err(self.overloaded()),
            Err(TrySendError::Closed(_)) => Err(self.stopped()),
        }
    }

    /// Submits and waits: [`submit`](Self::submit) then [`Pending::wait`].
    pub async fn run(
        &self,
        inputs: Vec<M::Input>,
        deadline: Option<Instant>,
    ) -> Result<Completion<M::Output>, EngineError> {
        self.submit(inputs, deadline)?.wait().await
    }

    /// Inputs admitted and not yet answered, across all callers.
    pub fn queue_depth(&self) -> usize {
        (self.capacity as usize).saturating_sub(self.admission.available_permits())
    }

    /// Most inputs admitted at once.
    pub fn capacity(&self) -> usize {
        self.capacity as usize
    }

    /// False once the worker has stopped taking work (after a model panic), for health checks.
    pub fn is_running(&self) -> bool {
        !self.submissions.is_closed()
    }

    /// The name given in [`EngineConfig::name`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops this handle and waits until the worker has answered everything queued and
    /// stopped. With other clones still alive, waits until they are dropped too.
    pub async fn shutdown(self) {
        let Engine {
            submissions,
            mut stopped,
            ..
        } = self;
        drop(submissions);
        // The worker never sends; `changed` fails when it drops its sender on exit.
        while stopped.changed().await.is_ok() {}
    }

    fn overloaded(&self) -> EngineError {
        metrics::counter!("qawl_submissions_refused_total", "model" => self.name.to_string())
            .increment(1);
        EngineError::Overloaded {
            model: self.name.clone(),
            capacity: self.capacity as usize,
        }
    }

    fn stopped(&self) -> EngineError {
        EngineError::Unavailable {
            model: self.name.clone(),
            reason: "the model worker has stopped",
        }
    }
}

impl<M: BatchModel> Clone for Engine<M> {
    fn clone(&self) -> Self {
        Self {
            name: self.name.clone(),
            submissions: self.submissions.clone(),
            admission: self.admission.clone(),
            capacity: self.capacity,
            stopped: self.stopped.clone(),
        }
    }
}

impl<M: BatchModel> fmt::Debug for Engine<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("name", &self.name)
            .field("capacity", &self.capacity)
            .field("queue_depth", &self.queue_depth())
            .field("running", &self.is_running())
            .finish()
    }
}

/// An admitted submission. Holds its place in the queue until answered or dropped.
#[must_use = "dropping a Pending withdraws its inputs"]
#[derive(Debug)]
pub struct Pending<O> {
    model: Arc<str>,
    answer: oneshot::Receiver<Result<Completion<O>, EngineError>>,
    deadline: Option<Instant>,
    _admission: Option<Admission>,
}

impl<O> Pending<O> {
    /// Waits for all outputs. Returns [`EngineError::DeadlineExceeded`] as soon as the
    /// deadline passes, even while the model is busy with other work.
    pub async fn wait(self) -> Result<Completion<O>, EngineError> {
        let Pending {
            model,
            answer,
            deadline,
            _admission,
        } = self;
        let answer = match deadline {
            Some(deadline) => {
                tokio::time::timeout_at(deadline, answer)
                    .await
                    .map_err(|_elapsed| EngineError::DeadlineExceeded {
                        model: model.clone(),
                    })?
            }
            None => answer.await,
        };
        answer.map_err(|_closed| EngineError::Unavailable {
            model,
            reason: "the model worker stopped before answering",
        })?
    }
}

/// Queue places held by one submission; gives them back, and lowers the depth gauge, on drop.
#[derive(Debug)]
struct Admission {
    _permit: OwnedSemaphorePermit,
    gauge: metrics::Gauge,
    inputs: f64,
}

impl Admission {
    fn new(permit: OwnedSemaphorePermit, model: &str) -> Self {
        let gauge = metrics::gauge!("qawl_queue_depth", "model" => model.to_string());
        let inputs = permit.num_permits() as f64;
        gauge.increment(inputs);
        Self {
            _permit: permit,
            gauge,
            inputs,
        }
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.gauge.decrement(self.inputs);
    }
}
