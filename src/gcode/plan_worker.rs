//! The motion half of the analysis, on its own thread: the planner, and the
//! bookkeeping that follows moves (extents, filament, layers). The parsing
//! half sends it operations in file order, in batches, through a bounded
//! channel, so memory stays constant whatever the file's size and the two
//! halves run on two cores.

use super::analysis::Analysis;
use super::limits::{MachineLimits, E};
use super::planner::{Move, Planner};
use super::tracking::{Bounds, LayerTracker};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

/// Operations per batch handed to the motion thread.
const BATCH: usize = 4096;
/// Batches in flight at most.
const IN_FLIGHT: usize = 4;
/// Tools tracked for filament.
const MAX_TOOLS: usize = 256;

/// One straight move as the motion thread needs it.
#[derive(Debug, Clone, Copy)]
pub struct MoveOp {
    /// Start `[X, Y, Z]`.
    pub from: [f64; 3],
    /// End `[X, Y, Z]`.
    pub to: [f64; 3],
    /// What the planner gets.
    pub planned: Move,
    /// Source line.
    pub line: u64,
    /// Active tool.
    pub tool: u32,
    /// A firmware retraction (`G10`/`G11`).
    pub fw_retract: bool,
    /// A chord of an arc whose true bounds were sent before it.
    pub in_arc: bool,
}

/// One thing the motion thread does, in file order.
#[derive(Debug, Clone)]
pub enum PlanOp {
    /// A move.
    Move(MoveOp),
    /// The true bounds of an arc.
    ArcBounds {
        /// Lower corner.
        min: [f64; 3],
        /// Upper corner.
        max: [f64; 3],
        /// True when the arc extrudes.
        extruding: bool,
        /// Source line.
        line: u64,
    },
    /// The machine stops (dwell, tool change, end).
    Flush,
    /// New limits from now on.
    Limits(Box<MachineLimits>),
    /// A slicer layer marker.
    LayerMarker,
    /// The Z a slicer gave the layer just started.
    LayerZ(f64),
    /// The start G-code is over (first layer or feature marker).
    Started,
}

/// What the motion thread learned.
#[derive(Debug, Default)]
pub struct MotionSummary {
    per_layer: Vec<f64>,
    fw_retract: f64,
    total: f64,
    layers: LayerTracker,
    extrusion: Bounds,
    moves: Bounds,
    filament: Vec<f64>,
    prime_filament: Vec<f64>,
    started: bool,
    first_extrusion: Option<u64>,
}

impl MotionSummary {
    /// Writes time, extents, filament and layers into the analysis.
    pub fn fill(mut self, out: &mut Analysis) {
        out.motion_time_s = self.total;
        out.fw_retract_time_s = self.fw_retract;
        out.extrusion_extents = self.extrusion.extents();
        out.extrusion_extent_lines = self.extrusion.lines();
        out.move_extents = self.moves.extents();
        out.first_extrusion_line = self.first_extrusion;
        self.layers.fill(out, &self.per_layer);
        // Files without layer or feature markers (Slic3r) have no start
        // G-code to set apart: everything they extrude counts.
        if !self.started {
            std::mem::swap(&mut self.filament, &mut self.prime_filament);
        }
        out.prime_filament_mm = self.prime_filament.iter().sum();
        out.filament_mm = self.filament.iter().map(|f| f.max(0.0)).collect();
        let area = std::f64::consts::PI * (out.filament_diameter_mm / 2.0).powi(2);
        out.filament_cm3 = out
            .filament_mm
            .iter()
            .map(|mm| mm * area / 1000.0)
            .collect();
    }

    /// Tools that deposited filament, ascending (T0 when none did).
    pub fn tools_used(&self) -> Vec<u32> {
        let source = if self.started {
            &self.filament
        } else {
            &self.prime_filament
        };
        let mut tools: Vec<u32> = source
            .iter()
            .enumerate()
            .filter(|(_, f)| **f > 0.0)
            .filter_map(|(t, _)| u32::try_from(t).ok())
            .collect();
        if tools.is_empty() {
            tools.push(0);
        }
        tools
    }

    fn record_time(&mut self, tag: u64, seconds: f64) {
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

    fn deposit(&mut self, tool: u32, de: f64) {
        let bucket = if self.started {
            &mut self.filament
        } else {
            &mut self.prime_filament
        };
        let tool = tool as usize;
        if tool < MAX_TOOLS {
            if bucket.len() <= tool {
                bucket.resize(tool + 1, 0.0);
            }
            bucket[tool] += de;
        }
    }

    /// Extents, filament and layer of one move; returns its planner tag
    /// (the layer, shifted left, with the firmware-retraction bit).
    fn track(&mut self, m: &MoveOp) -> u64 {
        let d = m.planned.delta;
        let de = d[E];
        let xy_moved = d[0] != 0.0 || d[1] != 0.0;
        let xyz_moved = xy_moved || d[2] != 0.0;
        if de > 0.0 && self.first_extrusion.is_none() {
            self.first_extrusion = Some(m.line);
        }
        if de > 0.0 && xy_moved {
            self.deposit(m.tool, de);
        }
        if !m.in_arc && xyz_moved {
            let lo = [
                m.from[0].min(m.to[0]),
                m.from[1].min(m.to[1]),
                m.from[2].min(m.to[2]),
            ];
            let hi = [
                m.from[0].max(m.to[0]),
                m.from[1].max(m.to[1]),
                m.from[2].max(m.to[2]),
            ];
            self.moves.extend(lo, hi, m.line);
            if de > 0.0 {
                self.extrusion.extend(lo, hi, m.line);
            }
        }
        if de > 0.0 && xyz_moved {
            self.layers.extruding_at(m.to[2]);
        }
        (u64::from(self.layers.current()) << 1) | u64::from(m.fw_retract)
    }
}

/// Handle to the motion thread.
pub struct PlanWorker {
    batch: Vec<PlanOp>,
    tx: Option<SyncSender<Vec<PlanOp>>>,
    thread: Option<JoinHandle<MotionSummary>>,
}

impl PlanWorker {
    /// Starts the motion thread with these limits.
    pub fn start(limits: MachineLimits) -> Self {
        Self::spawn(move |rx| run(Planner::new(limits), rx))
    }

    /// Starts `work` as the motion thread.
    fn spawn(work: impl FnOnce(Receiver<Vec<PlanOp>>) -> MotionSummary + Send + 'static) -> Self {
        let (tx, rx) = sync_channel(IN_FLIGHT);
        let thread = std::thread::Builder::new()
            .name("gcode-motion".into())
            .spawn(move || work(rx))
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

    /// Ends the stream and returns what the motion thread learned, or why
    /// it could not (it never started, or it panicked).
    pub fn finish(&mut self) -> Result<MotionSummary, String> {
        self.batch.push(PlanOp::Flush);
        self.ship();
        self.tx = None;
        let thread = self
            .thread
            .take()
            .ok_or_else(|| "the motion thread could not be started".to_owned())?;
        thread.join().map_err(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            format!("the motion planner failed: {what}")
        })
    }
}

fn run(mut planner: Planner, rx: Receiver<Vec<PlanOp>>) -> MotionSummary {
    let mut s = MotionSummary::default();
    for batch in rx {
        for op in batch {
            apply(&mut planner, &mut s, op);
        }
    }
    planner.flush(&mut |t, secs| s.record_time(t, secs));
    s
}

fn apply(planner: &mut Planner, s: &mut MotionSummary, op: PlanOp) {
    match op {
        PlanOp::Move(m) => {
            let tag = s.track(&m);
            planner.push(&m.planned, tag, &mut |t, secs| s.record_time(t, secs));
        }
        PlanOp::ArcBounds {
            min,
            max,
            extruding,
            line,
        } => {
            s.moves.extend(min, max, line);
            if extruding {
                s.extrusion.extend(min, max, line);
            }
        }
        PlanOp::Flush => planner.flush(&mut |t, secs| s.record_time(t, secs)),
        PlanOp::Limits(limits) => planner.limits = *limits,
        PlanOp::LayerMarker => {
            s.started = true;
            s.layers.marker();
        }
        PlanOp::LayerZ(z) => s.layers.marker_z(z),
        PlanOp::Started => s.started = true,
    }
}

#[cfg(test)]
mod tests {
    use super::{MotionSummary, PlanOp, PlanWorker};

    #[test]
    fn a_panicking_motion_thread_is_reported_not_swallowed() {
        let mut worker = PlanWorker::spawn(|rx| -> MotionSummary {
            let _first = rx.recv();
            panic!("planner invariant broken");
        });
        worker.send(PlanOp::Flush);
        let error = worker.finish().expect_err("the panic must surface");
        assert!(error.contains("planner invariant broken"), "{error}");
    }
}
