//! The planner on its own thread: the analyser parses and interprets while
//! the planner times moves. Batches go through a bounded channel, so memory
//! stays constant whatever the file's size.

use super::limits::MachineLimits;
use super::planner::{Move, Planner};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

/// Operations per batch handed to the planner thread.
const BATCH: usize = 4096;
/// Batches in flight at most.
const IN_FLIGHT: usize = 4;

/// One thing the planner thread does, in file order.
#[derive(Debug, Clone)]
pub enum PlanOp {
    /// Plan a move; `tag` is the layer shifted left by one, its lowest bit
    /// set for a firmware retraction.
    Push(Move, u64),
    /// The machine stops (dwell, tool change, end).
    Flush,
    /// New limits from now on.
    Limits(Box<MachineLimits>),
}

/// Planned time, gathered by the planner thread.
#[derive(Debug, Clone, Default)]
pub struct PlanTimes {
    /// Seconds per layer index (0 = before the first layer).
    pub per_layer: Vec<f64>,
    /// Seconds spent on firmware retractions.
    pub fw_retract: f64,
    /// All planned seconds.
    pub total: f64,
}

impl PlanTimes {
    fn record(&mut self, tag: u64, seconds: f64) {
        self.total += seconds;
        if tag & 1 == 1 {
            self.fw_retract += seconds;
        }
        let Ok(layer) = usize::try_from(tag >> 1) else {
            return;
        };
        if layer <= super::tracking::MAX_LAYERS {
            if self.per_layer.len() <= layer {
                self.per_layer.resize(layer + 1, 0.0);
            }
            self.per_layer[layer] += seconds;
        }
    }
}

/// Handle to the planner thread.
pub struct PlanWorker {
    batch: Vec<PlanOp>,
    tx: Option<SyncSender<Vec<PlanOp>>>,
    thread: Option<JoinHandle<PlanTimes>>,
}

impl PlanWorker {
    /// Starts the planner thread with these limits.
    pub fn start(limits: MachineLimits) -> Self {
        let (tx, rx) = sync_channel(IN_FLIGHT);
        let thread = std::thread::Builder::new()
            .name("gcode-planner".into())
            .spawn(move || run(Planner::new(limits), rx))
            .ok();
        PlanWorker {
            batch: Vec::with_capacity(BATCH),
            tx: Some(tx),
            thread,
        }
    }

    /// Queues an operation.
    pub fn send(&mut self, op: PlanOp) {
        self.batch.push(op);
        if self.batch.len() >= BATCH {
            self.ship();
        }
    }

    fn ship(&mut self) {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        if let Some(tx) = &self.tx {
            // A send fails only if the thread died; finish() reports that.
            let _ = tx.send(batch);
        }
    }

    /// Flushes the planner and returns the times. If the thread could not
    /// run (it panicked or never started), the times are empty.
    pub fn finish(&mut self) -> PlanTimes {
        self.batch.push(PlanOp::Flush);
        self.ship();
        self.tx = None;
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

fn run(mut planner: Planner, rx: Receiver<Vec<PlanOp>>) -> PlanTimes {
    let mut times = PlanTimes::default();
    for batch in rx {
        for op in batch {
            match op {
                PlanOp::Push(mv, tag) => planner.push(&mv, tag, &mut |t, s| times.record(t, s)),
                PlanOp::Flush => planner.flush(&mut |t, s| times.record(t, s)),
                PlanOp::Limits(limits) => planner.limits = *limits,
            }
        }
    }
    planner.flush(&mut |t, s| times.record(t, s));
    times
}
