//! The worker's side of the queue: who is waiting, which inputs are still to run, and the
//! answers collected so far. Owned by the worker thread alone, so it needs no locks.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::packing::{padded_tokens, sort_longest_first, take_batch, BatchLimits};
use crate::{Completion, EngineError};

/// Where a submission's answer goes.
pub(crate) type Reply<O> = oneshot::Sender<Result<Completion<O>, EngineError>>;

/// One caller's inputs, as sent to the worker after admission.
pub(crate) struct Submission<I, O> {
    /// Each input with its token count, counted once by the caller.
    pub inputs: Vec<(I, usize)>,
    pub deadline: Option<Instant>,
    pub admitted_at: Instant,
    pub reply: Reply<O>,
}

/// Which caller, and which of its inputs, a batch position answers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    submission: u64,
    index: usize,
}

/// Inputs to run together, and where each answer goes.
pub(crate) struct Batch<I> {
    pub inputs: Vec<I>,
    pub slots: Vec<Slot>,
    /// Longest input × inputs: what the batch costs once padded.
    pub padded_tokens: usize,
}

/// How one batch ran, for the timings each caller gets back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchRun {
    pub started: Instant,
    pub took: Duration,
}

struct Queued<I> {
    slot: Slot,
    tokens: usize,
    input: I,
}

/// A submission some of whose inputs have not been answered yet.
struct Waiting<O> {
    reply: Reply<O>,
    deadline: Option<Instant>,
    admitted_at: Instant,
    outputs: Vec<Option<O>>,
    remaining: usize,
    first_run: Option<Instant>,
    inference: Duration,
    /// The last batch counted in `inference`, so a batch holding several of this
    /// submission's inputs is counted once.
    last_batch: Option<u64>,
}

/// Why queued inputs were dropped without running, as a metrics label.
#[derive(Debug, Clone, Copy)]
enum DropReason {
    CallerGone,
    Deadline,
}

impl DropReason {
    fn as_str(self) -> &'static str {
        match self {
            DropReason::CallerGone => "caller_gone",
            DropReason::Deadline => "deadline",
        }
    }
}

pub(crate) struct BatchQueue<I, O> {
    model: Arc<str>,
    limits: BatchLimits,
    sort_window: usize,
    waiting: HashMap<u64, Waiting<O>>,
    /// Inputs in arrival order, not yet in a window.
    backlog: VecDeque<Queued<I>>,
    /// Inputs sorted longest first, all run before the next window is formed, so no input
    /// waits behind more than one window of later, shorter ones.
    window: VecDeque<Queued<I>>,
    next_submission: u64,
    batches_run: u64,
}

impl<I, O> BatchQueue<I, O> {
    pub(crate) fn new(model: Arc<str>, limits: BatchLimits, sort_window: usize) -> Self {
        Self {
            model,
            limits,
            sort_window,
            waiting: HashMap::new(),
            backlog: VecDeque::new(),
            window: VecDeque::new(),
            next_submission: 0,
            batches_run: 0,
        }
    }

    /// Takes in a submission. Empty ones are answered by the engine before they get here.
    pub(crate) fn admit(&mut self, submission: Submission<I, O>) {
        let id = self.next_submission;
        self.next_submission += 1;
        let count = submission.inputs.len();
        for (index, (input, tokens)) in submission.inputs.into_iter().enumerate() {
            self.backlog.push_back(Queued {
                slot: Slot {
                    submission: id,
                    index,
                },
                tokens,
                input,
            });
        }
        self.waiting.insert(
            id,
            Waiting {
                reply: submission.reply,
                deadline: submission.deadline,
                admitted_at: submission.admitted_at,
                outputs: std::iter::repeat_with(|| None).take(count).collect(),
                remaining: count,
                first_run: None,
                inference: Duration::ZERO,
                last_batch: None,
            },
        );
    }

    /// The next batch to run, after dropping the inputs of callers who went away or whose
    /// deadline passed. `None` when no live input is queued.
    pub(crate) fn next_batch(&mut self) -> Option<Batch<I>> {
        if self.drop_abandoned() {
            let waiting = &self.waiting;
            self.window
                .retain(|queued| waiting.contains_key(&queued.slot.submission));
            self.backlog
                .retain(|queued| waiting.contains_key(&queued.slot.submission));
        }
        if self.window.is_empty() {
            self.fill_window();
        }
        let queued = take_batch(&mut self.window, self.limits, |queued| queued.tokens);
        if queued.is_empty() {
            return None;
        }
        let longest = queued.iter().map(|q| q.tokens).max().unwrap_or(0);
        let padded_tokens = padded_tokens(longest, queued.len());
        let (slots, inputs) = queued.into_iter().map(|q| (q.slot, q.input)).unzip();
        Some(Batch {
            inputs,
            slots,
            padded_tokens,
        })
    }

    /// Files a batch's outputs with their callers; answers each caller whose last input this
    /// was. Callers who went away meanwhile are skipped.
    pub(crate) fn complete(&mut self, slots: Vec<Slot>, outputs: Vec<O>, run: BatchRun) {
        let batch = self.batches_run;
        self.batches_run += 1;
        for (slot, output) in slots.into_iter().zip(outputs) {
            let Some(waiting) = self.waiting.get_mut(&slot.submission) else {
                continue;
            };
            waiting.first_run.get_or_insert(run.started);
            if waiting.last_batch != Some(batch) {
                waiting.last_batch = Some(batch);
                waiting.inference += run.took;
            }
            if let Some(place) = waiting.outputs.get_mut(slot.index) {
                if place.replace(output).is_none() {
                    waiting.remaining -= 1;
                }
            }
            if waiting.remaining == 0 {
                self.answer(slot.submission);
            }
        }
    }

    /// Answers every caller with an input in the batch with an error; their other inputs
    /// are dropped unrun.
    pub(crate) fn fail(&mut self, slots: &[Slot], error: impl Fn() -> EngineError) {
        self.batches_run += 1;
        for slot in slots {
            if let Some(waiting) = self.waiting.remove(&slot.submission) {
                // The caller may have gone; then nobody needs the answer.
                let _ = waiting.reply.send(Err(error()));
            }
        }
    }

    /// Answers every queued caller with an error and forgets all queued inputs.
    pub(crate) fn fail_all(&mut self, error: impl Fn() -> EngineError) {
        for (_, waiting) in self.waiting.drain() {
            let _ = waiting.reply.send(Err(error()));
        }
        self.window.clear();
        self.backlog.clear();
    }

    fn answer(&mut self, submission: u64) {
        let Some(waiting) = self.waiting.remove(&submission) else {
            return;
        };
        let queue_time = waiting
            .first_run
            .map(|first| first.saturating_duration_since(waiting.admitted_at))
            .unwrap_or_default();
        let answer = match waiting.outputs.into_iter().collect::<Option<Vec<O>>>() {
            Some(outputs) => Ok(Completion {
                outputs,
                queue_time,
                inference_time: waiting.inference,
            }),
            // Unreachable while `remaining` counts the empty places; answered as an error
            // rather than a panic on the worker thread.
            None => Err(EngineError::Unavailable {
                model: self.model.clone(),
                reason: "the engine lost track of an output",
            }),
        };
        let _ = waiting.reply.send(answer);
    }

    /// Forgets submissions whose caller went away and answers those past their deadline.
    /// Returns whether any were dropped, so their inputs can be swept from the queue.
    fn drop_abandoned(&mut self) -> bool {
        let now = Instant::now();
        let abandoned: Vec<(u64, DropReason)> = self
            .waiting
            .iter()
            .filter_map(|(id, waiting)| {
                if waiting.reply.is_closed() {
                    Some((*id, DropReason::CallerGone))
                } else if waiting.deadline.is_some_and(|deadline| deadline <= now) {
                    Some((*id, DropReason::Deadline))
                } else {
                    None
                }
            })
            .collect();
        for (id, reason) in &abandoned {
            let Some(waiting) = self.waiting.remove(id) else {
                continue;
            };
            metrics::counter!(
                "qawl_inputs_dropped_total",
                "model" => self.model.to_string(),
                "reason" => reason.as_str()
            )
            .increment(waiting.remaining as u64);
            if let DropReason::Deadline = reason {
                let _ = waiting.reply.send(Err(EngineError::DeadlineExceeded {
                    model: self.model.clone(),
                }));
            }
        }
        !abandoned.is_empty()
    }

    fn fill_window(&mut self) {
        while self.window.len() < self.sort_window {
            let Some(queued) = self.backlog.pop_front() else {
                break;
            };
            if self.waiting.contains_key(&queued.slot.submission) {
                self.window.push_back(queued);
            }
        }
        sort_longest_first(&mut self.window, |queued| queued.tokens);
    }
}
