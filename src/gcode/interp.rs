//! The G-code interpreter: positioning modes, units, arcs, firmware
//! retraction, speed and flow overrides, and the motion-limit commands.
//!
//! It turns parsed lines into [`Action`]s (moves for the planner, dwells,
//! synchronisation points). It keeps no history and does no I/O.

use super::limits::{JunctionMode, MachineLimits, E, X, Y, Z};
use super::line::{Code, Line};
use super::planner::Move;

/// Marlin's arc segment length (`MM_PER_ARC_SEGMENT`).
const ARC_SEGMENT_MM: f64 = 1.0;

/// Which firmware dialect the file targets; it changes a few units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    /// Marlin (legacy or 2.x), Prusa, Klipper: M203 in mm/s.
    #[default]
    Marlin,
    /// RepRapFirmware: M203 and M566 in mm/min.
    RepRapFirmware,
}

/// What a line asks the machine to do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// A straight move (arcs become several).
    Move {
        /// Position before, `[X, Y, Z, E]` (E accumulated across `G92` resets).
        from: [f64; 4],
        /// Position after.
        to: [f64; 4],
        /// What the planner gets.
        planned: Move,
        /// True for the extruder move of a firmware retraction (`G10`/`G11`).
        fw_retract: bool,
    },
    /// The true bounding box of an arc (its chords may cut corners).
    ArcBounds {
        /// Lower corner `[X, Y, Z]`.
        min: [f64; 3],
        /// Upper corner `[X, Y, Z]`.
        max: [f64; 3],
        /// True when the arc extrudes.
        extruding: bool,
    },
    /// A pause of the given seconds (`G4`); the planner empties first.
    Dwell(f64),
    /// The planner empties (tool change, `M400`, end of file).
    Sync,
}

/// Interpreter state.
#[derive(Debug, Clone)]
pub struct Interpreter {
    pos: [f64; 4],
    e_total: f64,
    absolute: bool,
    e_relative: bool,
    scale: f64,
    feedrate: f64,
    speed_factor: f64,
    flow_factor: f64,
    /// Current tool.
    pub tool: u32,
    /// Dialect for unit conversions.
    pub flavor: Flavor,
    /// Firmware retraction length and speed (mm, mm/s), `M207`.
    pub fw_retract: (f64, f64),
    /// Firmware recover extra length and speed (mm, mm/s), `M208`.
    pub fw_recover: (f64, f64),
    retracted: bool,
    in_fw_retract: bool,
    /// Where `G28` leaves each axis.
    pub home: [f64; 3],
}

impl Default for Interpreter {
    fn default() -> Self {
        Interpreter {
            pos: [0.0; 4],
            e_total: 0.0,
            absolute: true,
            e_relative: false,
            scale: 1.0,
            feedrate: 25.0,
            speed_factor: 1.0,
            flow_factor: 1.0,
            tool: 0,
            flavor: Flavor::Marlin,
            fw_retract: (3.0, 45.0),
            fw_recover: (0.0, 8.0),
            retracted: false,
            in_fw_retract: false,
            home: [0.0; 3],
        }
    }
}

impl Interpreter {
    /// Current logical position `[X, Y, Z, E]`.
    pub fn position(&self) -> [f64; 4] {
        self.pos
    }

    /// Current extrusion factor (`M221`), 1.0 = 100 %.
    pub fn flow_factor(&self) -> f64 {
        self.flow_factor
    }

    /// Executes one line, appending what it does to `out`. Limit commands
    /// (`M201`, `M203`, `M204`, `M205`, `M566`) update `limits`.
    pub fn execute(&mut self, line: &Line<'_>, limits: &mut MachineLimits, out: &mut Vec<Action>) {
        let Some(code) = line.code else { return };
        match (code.letter, code.number, code.sub) {
            (b'G', 0 | 1, None) => self.linear(line, out),
            (b'G', 2 | 3, None) => self.arc(line, code.number == 2, out),
            (b'G', 4, None) => self.dwell(line, out),
            (b'G', 10, None) if line.words().is_empty() => self.fw_retract_move(true, out),
            (b'G', 11, None) if line.words().is_empty() => self.fw_retract_move(false, out),
            (b'G', 20, None) => self.scale = 25.4,
            (b'G', 21, None) => self.scale = 1.0,
            (b'G', 28, _) => self.home_axes(line),
            (b'G', 90, None) => self.absolute = true,
            (b'G', 91, None) => self.absolute = false,
            (b'G', 92, None) => self.set_position(line),
            (b'M', 82, None) => self.e_relative = false,
            (b'M', 83, None) => self.e_relative = true,
            (b'M', 220, None) => self.speed_factor = percent(line, self.speed_factor),
            (b'M', 221, None) if !line.has(b'T') => {
                self.flow_factor = percent(line, self.flow_factor)
            }
            (b'M', 207, None) => set_pair(line, &mut self.fw_retract),
            (b'M', 208, None) => set_pair(line, &mut self.fw_recover),
            (b'M', 400, None) => out.push(Action::Sync),
            (b'T', n, None) => {
                self.tool = n;
                out.push(Action::Sync);
            }
            _ => apply_limit_command(code, line, self.flavor, limits),
        }
    }

    fn axis_value(&self, line: &Line<'_>, letter: u8) -> Option<f64> {
        line.get(letter)
            .map(|v| v * self.scale)
            .filter(|v| v.is_finite())
    }

    fn set_feedrate(&mut self, line: &Line<'_>) {
        if let Some(f) = line.get(b'F').filter(|f| *f > 0.0 && f.is_finite()) {
            self.feedrate = f * self.scale / 60.0;
        }
    }

    /// The target of a move, with E in the position's accumulated form.
    fn target(&self, line: &Line<'_>) -> [f64; 4] {
        let mut to = self.pos;
        for (a, letter) in [(X, b'X'), (Y, b'Y'), (Z, b'Z')] {
            if let Some(v) = self.axis_value(line, letter) {
                to[a] = if self.absolute { v } else { self.pos[a] + v };
            }
        }
        if let Some(v) = self.axis_value(line, b'E') {
            let relative = self.e_relative || !self.absolute;
            to[E] = if relative { self.pos[E] + v } else { v };
        }
        to
    }

    fn linear(&mut self, line: &Line<'_>, out: &mut Vec<Action>) {
        self.set_feedrate(line);
        let to = self.target(line);
        self.emit_move(to, out);
    }

    fn emit_move(&mut self, to: [f64; 4], out: &mut Vec<Action>) {
        let delta = [
            to[X] - self.pos[X],
            to[Y] - self.pos[Y],
            to[Z] - self.pos[Z],
            to[E] - self.pos[E],
        ];
        let from = self.accumulated(self.pos);
        self.e_total += delta[E];
        self.pos = to;
        let planned = Move {
            delta,
            feedrate: self.feedrate * self.speed_factor,
            e_factor: self.flow_factor,
        };
        let fw_retract = self.in_fw_retract;
        out.push(Action::Move {
            from,
            to: self.accumulated(to),
            planned,
            fw_retract,
        });
    }

    fn accumulated(&self, p: [f64; 4]) -> [f64; 4] {
        [p[X], p[Y], p[Z], self.e_total + (p[E] - self.pos[E])]
    }

    fn arc(&mut self, line: &Line<'_>, clockwise: bool, out: &mut Vec<Action>) {
        self.set_feedrate(line);
        let to = self.target(line);
        let Some(center) = self.arc_center(line, to, clockwise) else {
            return self.emit_move(to, out);
        };
        let from = self.pos;
        let geometry = ArcGeometry::new(from, to, center, clockwise);
        let extruding = to[E] > from[E];
        let (lo, hi) = geometry.bounds();
        let (z0, z1) = (from[Z].min(to[Z]), from[Z].max(to[Z]));
        out.push(Action::ArcBounds {
            min: [lo[0], lo[1], z0],
            max: [hi[0], hi[1], z1],
            extruding,
        });
        let segments = ((geometry.length() / ARC_SEGMENT_MM).floor() as usize).clamp(1, 10_000);
        for i in 1..=segments {
            let f = i as f64 / segments as f64;
            let mut p = geometry.point(f);
            if i == segments {
                p = [to[X], to[Y]];
            }
            let z = from[Z] + (to[Z] - from[Z]) * f;
            let e = from[E] + (to[E] - from[E]) * f;
            self.emit_move([p[0], p[1], z, e], out);
        }
    }

    fn arc_center(&self, line: &Line<'_>, to: [f64; 4], clockwise: bool) -> Option<[f64; 2]> {
        let (x0, y0) = (self.pos[X], self.pos[Y]);
        if let Some(r) = self.axis_value(line, b'R') {
            return center_from_radius([x0, y0], [to[X], to[Y]], r, clockwise);
        }
        let i = self.axis_value(line, b'I').unwrap_or(0.0);
        let j = self.axis_value(line, b'J').unwrap_or(0.0);
        (i != 0.0 || j != 0.0).then_some([x0 + i, y0 + j])
    }

    fn dwell(&mut self, line: &Line<'_>, out: &mut Vec<Action>) {
        let ms = line.get(b'P').map(|p| p / 1000.0);
        let s = line.get(b'S');
        let t = s.or(ms).unwrap_or(0.0);
        out.push(Action::Dwell(if t.is_finite() && t > 0.0 {
            t
        } else {
            0.0
        }));
    }

    fn fw_retract_move(&mut self, retract: bool, out: &mut Vec<Action>) {
        if retract == self.retracted {
            return;
        }
        self.retracted = retract;
        let (len, speed) = if retract {
            (-self.fw_retract.0, self.fw_retract.1)
        } else {
            (self.fw_retract.0 + self.fw_recover.0, self.fw_recover.1)
        };
        let saved = self.feedrate;
        self.feedrate = speed;
        let mut to = self.pos;
        to[E] += len;
        let speed_factor = std::mem::replace(&mut self.speed_factor, 1.0);
        self.in_fw_retract = true;
        self.emit_move(to, out);
        self.in_fw_retract = false;
        self.speed_factor = speed_factor;
        self.feedrate = saved;
    }

    fn home_axes(&mut self, line: &Line<'_>) {
        let named: Vec<usize> = [(X, b'X'), (Y, b'Y'), (Z, b'Z')]
            .into_iter()
            .filter(|(_, l)| line.has(*l))
            .map(|(a, _)| a)
            .collect();
        let axes = if named.is_empty() {
            vec![X, Y, Z]
        } else {
            named
        };
        for a in axes {
            self.pos[a] = self.home[a];
        }
    }

    fn set_position(&mut self, line: &Line<'_>) {
        if line.words().is_empty() {
            self.pos = [0.0; 4];
            return;
        }
        for (a, letter) in [(X, b'X'), (Y, b'Y'), (Z, b'Z'), (E, b'E')] {
            if let Some(v) = self.axis_value(line, letter) {
                self.pos[a] = v;
            }
        }
    }
}

fn percent(line: &Line<'_>, current: f64) -> f64 {
    match line.get(b'S') {
        Some(s) if s.is_finite() && s > 0.0 => s / 100.0,
        _ => current,
    }
}

fn set_pair(line: &Line<'_>, pair: &mut (f64, f64)) {
    if let Some(s) = line.get(b'S').filter(|v| v.is_finite() && *v >= 0.0) {
        pair.0 = s;
    }
    if let Some(f) = line.get(b'F').filter(|v| v.is_finite() && *v > 0.0) {
        pair.1 = f / 60.0;
    }
}

/// Applies `M201`, `M203`, `M204`, `M205` and `M566` to the limits.
pub fn apply_limit_command(
    code: Code,
    line: &Line<'_>,
    flavor: Flavor,
    limits: &mut MachineLimits,
) {
    if code.letter != b'M' || code.sub.is_some() {
        return;
    }
    let rrf = flavor == Flavor::RepRapFirmware;
    let per_axis = |line: &Line<'_>, target: &mut [f64; 4], factor: f64| {
        for (a, letter) in [b'X', b'Y', b'Z', b'E'].into_iter().enumerate() {
            if let Some(v) = line.get(letter).filter(|v| v.is_finite() && *v >= 0.0) {
                target[a] = v * factor;
            }
        }
    };
    match code.number {
        201 => per_axis(line, &mut limits.max_acceleration, 1.0),
        203 => {
            // Marlin takes mm/s; RepRapFirmware mm/min. A value no printer
            // reaches in mm/s (> 1000) means the file is in mm/min.
            let big = [b'X', b'Y']
                .iter()
                .any(|l| line.get(*l).is_some_and(|v| v > 1000.0));
            per_axis(
                line,
                &mut limits.max_feedrate,
                if rrf || big { 1.0 / 60.0 } else { 1.0 },
            );
        }
        204 => apply_m204(line, limits),
        205 => {
            per_axis(line, &mut limits.jerk, 1.0);
            let valid = |v: &f64| v.is_finite() && *v >= 0.0;
            if let Some(s) = line.get(b'S').filter(valid) {
                limits.min_feedrate = s;
            }
            if let Some(t) = line.get(b'T').filter(valid) {
                limits.min_travel_feedrate = t;
            }
            if let Some(j) = line.get(b'J').filter(|v| v.is_finite() && *v > 0.0) {
                limits.junction = JunctionMode::Deviation(j);
            }
        }
        566 => per_axis(line, &mut limits.jerk, 1.0 / 60.0),
        _ => {}
    }
}

fn apply_m204(line: &Line<'_>, limits: &mut MachineLimits) {
    let get = |l: u8| line.get(l).filter(|v| v.is_finite() && *v > 0.0);
    let print = |v: f64, max: f64| if max > 0.0 { v.min(max) } else { v };
    if let Some(s) = get(b'S') {
        // Legacy form: S sets printing and travel acceleration, T the retraction.
        limits.acceleration = print(s, limits.max_print_acceleration);
        limits.travel_acceleration = print(s, limits.max_travel_acceleration);
        if let Some(t) = get(b'T') {
            limits.retract_acceleration = t;
        }
        return;
    }
    if let Some(p) = get(b'P') {
        limits.acceleration = print(p, limits.max_print_acceleration);
    }
    if let Some(r) = get(b'R') {
        limits.retract_acceleration = r;
    }
    if let Some(t) = get(b'T') {
        limits.travel_acceleration = print(t, limits.max_travel_acceleration);
    }
}

fn center_from_radius(from: [f64; 2], to: [f64; 2], r: f64, clockwise: bool) -> Option<[f64; 2]> {
    let (dx, dy) = (to[0] - from[0], to[1] - from[1]);
    let chord = (dx * dx + dy * dy).sqrt();
    if chord == 0.0 || r == 0.0 {
        return None;
    }
    let h2 = (r * r - chord * chord / 4.0).max(0.0);
    // Marlin: a negative R takes the long way round.
    let mut h = h2.sqrt() / chord;
    if clockwise != (r < 0.0) {
        h = -h;
    }
    Some([from[0] + dx / 2.0 - h * dy, from[1] + dy / 2.0 + h * dx])
}

/// A circular arc in the XY plane.
struct ArcGeometry {
    center: [f64; 2],
    radius: f64,
    start: f64,
    sweep: f64,
}

impl ArcGeometry {
    fn new(from: [f64; 4], to: [f64; 4], center: [f64; 2], clockwise: bool) -> Self {
        let radius = (from[X] - center[0]).hypot(from[Y] - center[1]);
        let start = (from[Y] - center[1]).atan2(from[X] - center[0]);
        let end = (to[Y] - center[1]).atan2(to[X] - center[0]);
        let tau = std::f64::consts::TAU;
        let mut sweep = if clockwise { start - end } else { end - start };
        sweep = sweep.rem_euclid(tau);
        if sweep < 1e-9 {
            sweep = tau;
        }
        ArcGeometry {
            center,
            radius,
            start,
            sweep: if clockwise { -sweep } else { sweep },
        }
    }

    fn length(&self) -> f64 {
        self.radius * self.sweep.abs()
    }

    fn point(&self, fraction: f64) -> [f64; 2] {
        let a = self.start + self.sweep * fraction;
        [
            self.center[0] + self.radius * a.cos(),
            self.center[1] + self.radius * a.sin(),
        ]
    }

    /// Bounding box: the end points plus every axis crossing the arc sweeps.
    fn bounds(&self) -> ([f64; 2], [f64; 2]) {
        let ends = [self.point(0.0), self.point(1.0)];
        let mut lo = [ends[0][0].min(ends[1][0]), ends[0][1].min(ends[1][1])];
        let mut hi = [ends[0][0].max(ends[1][0]), ends[0][1].max(ends[1][1])];
        let (a0, a1) = if self.sweep > 0.0 {
            (self.start, self.start + self.sweep)
        } else {
            (self.start + self.sweep, self.start)
        };
        let quarter = std::f64::consts::FRAC_PI_2;
        let mut k = (a0 / quarter).ceil();
        while k * quarter <= a1 {
            let a = k * quarter;
            let p = [
                self.center[0] + self.radius * a.cos(),
                self.center[1] + self.radius * a.sin(),
            ];
            lo = [lo[0].min(p[0]), lo[1].min(p[1])];
            hi = [hi[0].max(p[0]), hi[1].max(p[1])];
            k += 1.0;
        }
        (lo, hi)
    }
}

#[cfg(test)]
#[path = "interp_tests.rs"]
mod tests;
