//! A Marlin-style motion planner: trapezoidal velocity profiles with look-ahead.
//!
//! Moves become blocks with a nominal (cruise) speed, an acceleration and a
//! maximum entry speed limited by jerk or junction deviation. Blocks wait in a
//! look-ahead queue; a forward and a reverse pass settle their entry speeds,
//! then each block's trapezoid gives its time. The model follows Marlin's
//! planner (and PrusaSlicer's estimator, which models Marlin the same way):
//! blocks leave the queue in batches, and a block's time is reported when it
//! leaves. Pure arithmetic: no I/O, no clock.

use super::limits::{JunctionMode, MachineLimits, E, X, Y, Z};

/// Blocks kept back for look-ahead when a batch is timed.
pub const LOOKAHEAD: usize = 64;
/// Queue length at which a batch is timed.
const REFRESH_AT: usize = LOOKAHEAD * 4;
/// Below this previous speed (mm/s) a junction is treated as a stop.
const PREVIOUS_FEEDRATE_THRESHOLD: f64 = 0.0001;
/// Slowest junction speed in junction-deviation mode (Marlin's MINIMUM_PLANNER_SPEED).
const MINIMUM_PLANNER_SPEED: f64 = 0.05;

/// What kind of move a block is; it picks the acceleration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveKind {
    /// Moves X/Y/Z while extruding.
    Print,
    /// Moves X/Y/Z without extruding.
    Travel,
    /// Moves only the extruder (retract or unretract).
    ExtruderOnly,
}

/// One linear move handed to the planner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Move {
    /// Axis deltas `[X, Y, Z, E]` in mm.
    pub delta: [f64; 4],
    /// Requested feedrate in mm/s.
    pub feedrate: f64,
    /// Extrusion factor (`M221`) applied to the extruder's speed.
    pub e_factor: f64,
}

impl Move {
    /// The kind of move, from its deltas.
    pub fn kind(&self) -> MoveKind {
        let xyz = self.delta[X] != 0.0 || self.delta[Y] != 0.0 || self.delta[Z] != 0.0;
        match (xyz, self.delta[E] > 0.0) {
            (false, _) => MoveKind::ExtruderOnly,
            (true, true) => MoveKind::Print,
            (true, false) => MoveKind::Travel,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Trapezoid {
    accelerate_until: f64,
    decelerate_after: f64,
    cruise_feedrate: f64,
}

#[derive(Debug, Clone, Copy)]
struct Block {
    distance: f64,
    acceleration: f64,
    cruise: f64,
    entry: f64,
    exit: f64,
    max_entry: f64,
    safe_feedrate: f64,
    nominal_length: bool,
    recalculate: bool,
    trapezoid: Trapezoid,
    tag: u64,
}

/// Speed state of the previous move, for junction limits.
#[derive(Debug, Clone, Copy, Default)]
struct Previous {
    axis_feedrate: [f64; 4],
    feedrate: f64,
    safe_feedrate: f64,
    unit: [f64; 3],
}

/// The planner. Feed it moves; it reports each block's time once final.
#[derive(Debug, Clone)]
pub struct Planner {
    /// The limits in force; the interpreter updates them from `M201`… commands.
    pub limits: MachineLimits,
    blocks: Vec<Block>,
    prev: Previous,
}

impl Planner {
    /// A planner with these limits.
    pub fn new(limits: MachineLimits) -> Self {
        Planner {
            limits,
            blocks: Vec::with_capacity(REFRESH_AT + 1),
            prev: Previous::default(),
        }
    }

    /// Adds a move. `tag` is handed back with the block's time, in seconds,
    /// through `done` when the block leaves the look-ahead queue.
    pub fn push(&mut self, mv: &Move, tag: u64, done: &mut impl FnMut(u64, f64)) {
        let Some(block) = self.make_block(mv, tag) else {
            return;
        };
        self.blocks.push(block);
        if self.blocks.len() > REFRESH_AT {
            self.time_blocks(LOOKAHEAD, done);
        }
    }

    /// Times every queued block (the machine stops: dwell, tool change, end).
    pub fn flush(&mut self, done: &mut impl FnMut(u64, f64)) {
        self.time_blocks(0, done);
        self.blocks.clear();
    }

    /// Number of blocks waiting in the look-ahead queue.
    pub fn queued(&self) -> usize {
        self.blocks.len()
    }

    fn make_block(&mut self, mv: &Move, tag: u64) -> Option<Block> {
        let d = mv.delta;
        let xyz = (d[X] * d[X] + d[Y] * d[Y] + d[Z] * d[Z]).sqrt();
        let distance = if xyz > 0.0 { xyz } else { d[E].abs() };
        if distance.is_nan() || distance <= 1e-9 || !distance.is_finite() {
            return None;
        }
        let inv = 1.0 / distance;
        let kind = mv.kind();
        let lim = &self.limits;
        let min = if kind == MoveKind::Print {
            lim.min_feedrate
        } else {
            lim.min_travel_feedrate
        };
        let mut cruise = mv.feedrate.max(min);
        let mut axis_feedrate = [0.0; 4];
        let mut factor: f64 = 1.0;
        for a in 0..4 {
            axis_feedrate[a] = cruise * d[a] * inv * if a == E { mv.e_factor } else { 1.0 };
            let speed = axis_feedrate[a].abs();
            if speed > 0.0 && lim.max_feedrate[a] > 0.0 {
                factor = factor.min(lim.max_feedrate[a] / speed);
            }
        }
        if factor < 1.0 {
            cruise *= factor;
            axis_feedrate.iter_mut().for_each(|v| *v *= factor);
        }
        let acceleration = self.acceleration_for(kind, &d, inv);
        let safe_feedrate = self.safe_feedrate(cruise, &axis_feedrate);
        let unit = [d[X] * inv, d[Y] * inv, d[Z] * inv];
        let vmax_junction =
            self.junction_speed(cruise, safe_feedrate, &axis_feedrate, unit, acceleration);
        let v_allowable = max_allowable_speed(-acceleration, safe_feedrate, distance);
        let block = Block {
            distance,
            acceleration,
            cruise,
            entry: vmax_junction.min(v_allowable),
            exit: safe_feedrate,
            max_entry: vmax_junction,
            safe_feedrate,
            nominal_length: cruise <= v_allowable,
            recalculate: true,
            // Computed when the block is timed: it is flagged for recalculation.
            trapezoid: Trapezoid::default(),
            tag,
        };
        self.prev = Previous {
            axis_feedrate,
            feedrate: cruise,
            safe_feedrate,
            unit,
        };
        Some(block)
    }

    fn acceleration_for(&self, kind: MoveKind, d: &[f64; 4], inv: f64) -> f64 {
        let lim = &self.limits;
        let mut acc = match kind {
            MoveKind::Print => lim.acceleration,
            MoveKind::Travel => lim.travel_acceleration,
            MoveKind::ExtruderOnly => lim.retract_acceleration,
        };
        for (delta, max) in d.iter().zip(lim.max_acceleration) {
            let share = delta.abs() * inv;
            if share > 0.0 && max > 0.0 && acc * share > max {
                acc = max / share;
            }
        }
        acc
    }

    /// The speed at which this block may start or stop from standstill.
    fn safe_feedrate(&self, cruise: f64, axis_feedrate: &[f64; 4]) -> f64 {
        match self.limits.junction {
            JunctionMode::Jerk => {
                let mut safe = cruise;
                for (speed, jerk) in axis_feedrate.iter().zip(self.limits.jerk) {
                    if speed.abs() > jerk {
                        safe = safe.min(jerk);
                    }
                }
                safe
            }
            JunctionMode::Deviation(_) => cruise.min(MINIMUM_PLANNER_SPEED.max(0.0)),
        }
    }

    fn junction_speed(
        &self,
        cruise: f64,
        safe: f64,
        axis: &[f64; 4],
        unit: [f64; 3],
        acc: f64,
    ) -> f64 {
        if self.blocks.is_empty() || self.prev.feedrate <= PREVIOUS_FEEDRATE_THRESHOLD {
            return safe;
        }
        match self.limits.junction {
            JunctionMode::Jerk => self.jerk_junction(cruise, safe, axis),
            JunctionMode::Deviation(dev) => self.deviation_junction(cruise, unit, acc, dev),
        }
    }

    /// Marlin's classic jerk junction: the largest shared speed whose per-axis
    /// speed change stays within each axis's jerk.
    fn jerk_junction(&self, cruise: f64, safe: f64, axis: &[f64; 4]) -> f64 {
        let prev = &self.prev;
        let prev_larger = prev.feedrate > cruise;
        let smaller_factor = if prev_larger {
            cruise / prev.feedrate
        } else {
            prev.feedrate / cruise
        };
        let mut vmax = if prev_larger { cruise } else { prev.feedrate };
        let mut v_factor = 1.0;
        let mut limited = false;
        for (a, &entry) in axis.iter().enumerate() {
            let mut v_exit = prev.axis_feedrate[a];
            let mut v_entry = entry;
            if prev_larger {
                v_exit *= smaller_factor;
            }
            if limited {
                v_exit *= v_factor;
                v_entry *= v_factor;
            }
            let jerk = axis_jerk(v_exit, v_entry);
            let max_jerk = self.limits.jerk[a];
            if jerk > max_jerk {
                v_factor *= max_jerk / jerk;
                limited = true;
            }
        }
        if limited {
            vmax *= v_factor;
        }
        let threshold = vmax * 0.99;
        if prev.safe_feedrate > threshold && safe > threshold {
            vmax = safe;
        }
        vmax
    }

    /// Marlin 2's junction deviation: the speed at which the centripetal
    /// acceleration around the corner stays within the block's acceleration.
    fn deviation_junction(&self, cruise: f64, unit: [f64; 3], acc: f64, deviation: f64) -> f64 {
        let p = self.prev.unit;
        let cos_theta = -(p[0] * unit[0] + p[1] * unit[1] + p[2] * unit[2]).clamp(-1.0, 1.0);
        let v_sqr = if cos_theta > 0.999_999 {
            MINIMUM_PLANNER_SPEED * MINIMUM_PLANNER_SPEED
        } else if cos_theta < -0.999_999 {
            f64::INFINITY
        } else {
            let sin_theta_d2 = (0.5 * (1.0 - cos_theta)).sqrt();
            acc * deviation * sin_theta_d2 / (1.0 - sin_theta_d2)
        };
        v_sqr.sqrt().min(cruise).min(self.prev.feedrate)
    }

    fn time_blocks(&mut self, keep: usize, done: &mut impl FnMut(u64, f64)) {
        if self.blocks.is_empty() {
            return;
        }
        for i in 0..self.blocks.len().saturating_sub(1) {
            let (head, tail) = self.blocks.split_at_mut(i + 1);
            forward_pass_kernel(&head[i], &mut tail[0]);
        }
        for i in (1..self.blocks.len()).rev() {
            let (head, tail) = self.blocks.split_at_mut(i);
            reverse_pass_kernel(&mut head[i - 1], &tail[0]);
        }
        recalculate_trapezoids(&mut self.blocks);
        let n = self.blocks.len().saturating_sub(keep);
        for b in &self.blocks[..n] {
            done(b.tag, block_time(b));
        }
        self.blocks.drain(..n);
    }
}

/// Speed change of one axis across a junction (coasting or reversing).
fn axis_jerk(v_exit: f64, v_entry: f64) -> f64 {
    if v_exit > v_entry {
        if v_entry > 0.0 || v_exit < 0.0 {
            v_exit - v_entry
        } else {
            v_exit.max(-v_entry)
        }
    } else if v_entry < 0.0 || v_exit > 0.0 {
        v_entry - v_exit
    } else {
        (-v_exit).max(v_entry)
    }
}

fn forward_pass_kernel(prev: &Block, curr: &mut Block) {
    if !prev.nominal_length && prev.entry < curr.entry {
        let entry = curr.entry.min(max_allowable_speed(
            -prev.acceleration,
            prev.entry,
            prev.distance,
        ));
        if curr.entry != entry {
            curr.entry = entry;
            curr.recalculate = true;
        }
    }
}

fn reverse_pass_kernel(curr: &mut Block, next: &Block) {
    if curr.entry != curr.max_entry {
        curr.entry = if !curr.nominal_length && curr.max_entry > next.entry {
            curr.max_entry.min(max_allowable_speed(
                -curr.acceleration,
                next.entry,
                curr.distance,
            ))
        } else {
            curr.max_entry
        };
        curr.recalculate = true;
    }
}

fn recalculate_trapezoids(blocks: &mut [Block]) {
    for i in 1..blocks.len() {
        let next_entry = blocks[i].entry;
        let next_recalc = blocks[i].recalculate;
        let curr = &mut blocks[i - 1];
        if curr.recalculate || next_recalc {
            curr.exit = next_entry;
            curr.trapezoid = trapezoid(curr);
            curr.recalculate = false;
        }
    }
    if let Some(last) = blocks.last_mut() {
        last.exit = last.safe_feedrate;
        last.trapezoid = trapezoid(last);
        last.recalculate = false;
    }
}

fn trapezoid(b: &Block) -> Trapezoid {
    let mut accel = acceleration_distance(b.entry, b.cruise, b.acceleration).max(0.0);
    let decel = acceleration_distance(b.cruise, b.exit, -b.acceleration).max(0.0);
    let mut cruise_distance = b.distance - accel - decel;
    let mut cruise_feedrate = b.cruise;
    if cruise_distance < 0.0 {
        accel = intersection_distance(b.entry, b.exit, b.acceleration, b.distance)
            .clamp(0.0, b.distance);
        cruise_distance = 0.0;
        cruise_feedrate = speed_from_distance(b.entry, accel, b.acceleration);
    }
    Trapezoid {
        accelerate_until: accel,
        decelerate_after: accel + cruise_distance,
        cruise_feedrate,
    }
}

fn block_time(b: &Block) -> f64 {
    let t = &b.trapezoid;
    let accel_time = time_over_distance(b.entry, t.accelerate_until, b.acceleration);
    let cruise_time = if t.cruise_feedrate > 0.0 {
        (t.decelerate_after - t.accelerate_until) / t.cruise_feedrate
    } else {
        0.0
    };
    let decel_time = time_over_distance(
        t.cruise_feedrate,
        b.distance - t.decelerate_after,
        -b.acceleration,
    );
    accel_time + cruise_time + decel_time
}

fn max_allowable_speed(acceleration: f64, target: f64, distance: f64) -> f64 {
    (target * target - 2.0 * acceleration * distance)
        .max(0.0)
        .sqrt()
}

fn acceleration_distance(initial: f64, target: f64, acceleration: f64) -> f64 {
    if acceleration == 0.0 {
        0.0
    } else {
        (target * target - initial * initial) / (2.0 * acceleration)
    }
}

fn intersection_distance(initial: f64, fin: f64, acceleration: f64, distance: f64) -> f64 {
    if acceleration == 0.0 {
        0.0
    } else {
        (2.0 * acceleration * distance - initial * initial + fin * fin) / (4.0 * acceleration)
    }
}

fn speed_from_distance(initial: f64, distance: f64, acceleration: f64) -> f64 {
    (initial * initial + 2.0 * acceleration * distance)
        .max(0.0)
        .sqrt()
}

fn time_over_distance(initial: f64, distance: f64, acceleration: f64) -> f64 {
    if acceleration == 0.0 {
        0.0
    } else {
        (speed_from_distance(initial, distance, acceleration) - initial) / acceleration
    }
}

#[cfg(test)]
#[path = "planner_tests.rs"]
mod tests;
