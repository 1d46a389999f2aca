//! A deterministic test double for the generic engine: answers each input with the sum of its
//! ids, records every batch it is given, and lets the test hold it at a gate so queue states
//! are reached by construction rather than by timing.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc as std_mpsc, Arc, Mutex};
use std::time::Duration;

use qawl_engine::{BatchModel, EngineConfig};
use tokio::sync::mpsc;

/// Long enough that only a hang reaches it; never a measure of speed.
pub const HANG_GUARD: Duration = Duration::from_secs(20);

pub type Ids = Vec<u32>;

/// `len` copies of `tag`: the tag names the input in recorded batches, the length sets its
/// token count.
pub fn ids(tag: u32, len: usize) -> Ids {
    vec![tag; len]
}

/// What the double answers for an input, computed independently of the engine.
pub fn sum(input: &[u32]) -> u64 {
    input.iter().map(|&id| u64::from(id)).sum()
}

pub fn config(
    max_batch_tokens: usize,
    max_batch_size: usize,
    max_queued_inputs: usize,
) -> EngineConfig {
    let nz = |n: usize| NonZeroUsize::new(n).expect("test limits are positive");
    EngineConfig {
        name: "test".to_string(),
        max_batch_tokens: nz(max_batch_tokens),
        max_batch_size: nz(max_batch_size),
        max_queued_inputs: nz(max_queued_inputs),
        sort_window: nz(256),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the test model refuses id {0}")]
pub struct Refused(pub u32);

pub struct SummingModel {
    batches: Arc<Mutex<Vec<Vec<Ids>>>>,
    started: mpsc::UnboundedSender<()>,
    gate: Option<std_mpsc::Receiver<()>>,
    fail_on: Option<u32>,
    panic_on: Option<u32>,
    one_short: bool,
    dropped: Arc<AtomicBool>,
}

/// The test's side of a [`SummingModel`].
pub struct Probe {
    batches: Arc<Mutex<Vec<Vec<Ids>>>>,
    started: mpsc::UnboundedReceiver<()>,
    gate: Option<std_mpsc::Sender<()>>,
    dropped: Arc<AtomicBool>,
}

impl SummingModel {
    /// A model that runs batches as soon as it gets them.
    pub fn open() -> (Self, Probe) {
        let (mut model, mut probe) = Self::gated();
        model.gate = None;
        probe.gate = None;
        (model, probe)
    }

    /// A model that waits at the gate before each batch until the probe lets it through.
    pub fn gated() -> (Self, Probe) {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let dropped = Arc::new(AtomicBool::new(false));
        let (started_tx, started_rx) = mpsc::unbounded_channel();
        let (gate_tx, gate_rx) = std_mpsc::channel();
        let model = Self {
            batches: batches.clone(),
            started: started_tx,
            gate: Some(gate_rx),
            fail_on: None,
            panic_on: None,
            one_short: false,
            dropped: dropped.clone(),
        };
        let probe = Probe {
            batches,
            started: started_rx,
            gate: Some(gate_tx),
            dropped,
        };
        (model, probe)
    }

    /// Fails any batch holding an input with id `id`.
    pub fn failing_on(mut self, id: u32) -> Self {
        self.fail_on = Some(id);
        self
    }

    /// Panics on any batch holding an input with id `id`.
    pub fn panicking_on(mut self, id: u32) -> Self {
        self.panic_on = Some(id);
        self
    }
}

impl SummingModel {
    /// Breaks the contract: answers every batch with one output too few.
    pub fn answering_one_short(mut self) -> Self {
        self.one_short = true;
        self
    }
}

impl BatchModel for SummingModel {
    type Input = Ids;
    type Output = u64;
    type Error = Refused;

    fn token_count(input: &Ids) -> usize {
        input.len()
    }

    fn run_batch(&mut self, inputs: &[Ids]) -> Result<Vec<u64>, Refused> {
        let _ = self.started.send(());
        if let Some(gate) = &self.gate {
            // A closed gate sender means the gate is open for good.
            let _ = gate.recv();
        }
        self.batches
            .lock()
            .expect("no test thread panics holding the lock")
            .push(inputs.to_vec());
        let holds = |id: Option<u32>| id.filter(|id| inputs.iter().any(|i| i.contains(id)));
        if let Some(id) = holds(self.panic_on) {
            panic!("the test model panics on id {id}");
        }
        if let Some(id) = holds(self.fail_on) {
            return Err(Refused(id));
        }
        let answered = inputs.len().saturating_sub(usize::from(self.one_short));
        Ok(inputs[..answered].iter().map(|input| sum(input)).collect())
    }
}

impl Drop for SummingModel {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

impl Probe {
    /// Waits until the model has taken a batch (and, if gated, is held at the gate).
    pub async fn batch_started(&mut self) {
        tokio::time::timeout(HANG_GUARD, self.started.recv())
            .await
            .expect("the model never started a batch")
            .expect("the model is alive");
    }

    /// Lets one held batch run.
    pub fn let_one_through(&self) {
        if let Some(gate) = &self.gate {
            gate.send(()).expect("the model is alive");
        }
    }

    /// Lets every batch run from now on.
    pub fn open_gate(&mut self) {
        self.gate = None;
    }

    /// Every batch the model has run, in order, each as its inputs.
    pub fn batches(&self) -> Vec<Vec<Ids>> {
        self.batches
            .lock()
            .expect("no test thread panics holding the lock")
            .clone()
    }

    /// Whether any batch held an input with id `id`.
    pub fn ran(&self, id: u32) -> bool {
        self.batches()
            .iter()
            .flatten()
            .any(|input| input.contains(&id))
    }

    pub fn model_dropped(&self) -> bool {
        self.dropped.load(Ordering::SeqCst)
    }
}
