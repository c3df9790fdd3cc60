//! Small accumulators the analyser uses: bounds, layers, temperatures.

use super::analysis::{
    Analysis, CommandUse, ExtentLines, Extents, Layer, TemperatureRequest, Temperatures, Wait,
};
use super::line::{Code, Line};

/// Layers kept in detail (a vase file can have thousands; a bad file millions).
pub const MAX_LAYERS: usize = 100_000;

/// Running min/max box with the lines where each side was reached.
#[derive(Debug, Clone, Default)]
pub struct Bounds {
    extents: Option<Extents>,
    lines: ExtentLines,
}

impl Bounds {
    /// Grows the box to hold `[lo, hi]`, remembering `line` for new extremes.
    pub fn extend(&mut self, lo: [f64; 3], hi: [f64; 3], line: u64) {
        if lo.iter().chain(&hi).any(|v| !v.is_finite()) {
            return;
        }
        let e = self.extents.get_or_insert(Extents { min: lo, max: hi });
        for a in 0..3 {
            if lo[a] < e.min[a] || self.lines.min[a] == 0 {
                e.min[a] = e.min[a].min(lo[a]);
                self.lines.min[a] = line;
            }
            if hi[a] > e.max[a] || self.lines.max[a] == 0 {
                e.max[a] = e.max[a].max(hi[a]);
                self.lines.max[a] = line;
            }
        }
    }

    /// The box, if anything was added.
    pub fn extents(&self) -> Option<Extents> {
        self.extents
    }

    /// Where each extreme was reached.
    pub fn lines(&self) -> ExtentLines {
        self.lines
    }
}

/// Counts layers from slicer markers, or from Z when a file has none, and
/// sums planned time per layer.
#[derive(Debug, Clone, Default)]
pub struct LayerTracker {
    markers: bool,
    current: u32,
    z: Vec<f64>,
}

impl LayerTracker {
    /// A slicer layer marker.
    pub fn marker(&mut self) {
        if !self.markers {
            self.markers = true;
            self.current = 0;
            self.z.clear();
        }
        self.current = self.current.saturating_add(1);
        if self.z.len() < MAX_LAYERS {
            self.z.push(f64::NAN);
        }
    }

    /// The Z a slicer gave the layer just started.
    pub fn marker_z(&mut self, z: f64) {
        if let Some(last) = self.z.last_mut().filter(|_| self.markers) {
            *last = z;
        }
    }

    /// An extruding move ends at this Z.
    pub fn extruding_at(&mut self, z: f64) {
        if self.markers {
            if let Some(last) = self.z.last_mut().filter(|l| l.is_nan()) {
                *last = z;
            }
            return;
        }
        let new_layer = self.z.last().is_none_or(|last| z > last + 1e-6);
        if new_layer && z.is_finite() {
            self.current = self.current.saturating_add(1);
            if self.z.len() < MAX_LAYERS {
                self.z.push(z);
            }
        }
    }

    /// The layer moves are attributed to now (0 = before the first layer).
    pub fn current(&self) -> u32 {
        self.current
    }

    /// Writes layer count, heights and details into the analysis.
    pub fn fill(&self, out: &mut Analysis, times: &[f64]) {
        out.layers = self.current;
        let zs: Vec<f64> = self
            .z
            .iter()
            .map(|z| if z.is_finite() { *z } else { 0.0 })
            .collect();
        out.layer_details = zs
            .iter()
            .enumerate()
            .map(|(i, z)| Layer {
                z: *z,
                time_s: times.get(i + 1).copied().unwrap_or(0.0),
            })
            .collect();
        if let Some(first) = out.layer_details.first_mut() {
            first.time_s += times.first().copied().unwrap_or(0.0);
            out.first_layer_height_mm = Some(round3(first.z));
        }
        out.layer_height_mm = most_common_step(&zs);
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The most frequent positive difference between consecutive heights.
fn most_common_step(zs: &[f64]) -> Option<f64> {
    let mut counts: std::collections::BTreeMap<i64, u32> = Default::default();
    for w in zs.windows(2) {
        let step = ((w[1] - w[0]) * 1000.0).round() as i64;
        if step > 0 {
            *counts.entry(step).or_default() += 1;
        }
    }
    let best = counts.into_iter().max_by_key(|(step, n)| (*n, -step))?;
    Some(best.0 as f64 / 1000.0)
}

/// Temperature requests and heating waits.
#[derive(Debug, Clone, Default)]
pub struct Heat {
    temps: Temperatures,
    waits: Vec<Wait>,
}

impl Heat {
    /// Looks at an M command for temperatures.
    pub fn observe(&mut self, number: u64, code: Code, line: &Line<'_>, current_tool: u32) {
        let target = line
            .get(b'S')
            .or_else(|| line.get(b'R'))
            .filter(|t| t.is_finite());
        let Some(target) = target else { return };
        let tool = line
            .get(b'T')
            .filter(|t| *t >= 0.0 && *t < 256.0)
            .map_or(current_tool, |t| t as u32);
        let wait = matches!(code.number, 109 | 190 | 191);
        let slot = match code.number {
            104 | 109 => hotend_slot(&mut self.temps.hotend, tool),
            140 | 190 => self.temps.bed.get_or_insert(TemperatureRequest {
                tool: 0,
                max_c: target,
                line: number,
            }),
            141 | 191 => self.temps.chamber.get_or_insert(TemperatureRequest {
                tool: 0,
                max_c: target,
                line: number,
            }),
            _ => return,
        };
        if target > slot.max_c || slot.line == 0 {
            slot.max_c = target;
            slot.line = number;
        }
        if wait && self.waits.len() < 1000 {
            self.waits.push(Wait {
                line: number,
                command: code.to_string(),
                target_c: Some(target),
            });
        }
    }

    /// The temperatures and waits gathered.
    pub fn finish(self) -> (Temperatures, Vec<Wait>) {
        (self.temps, self.waits)
    }
}

fn hotend_slot(list: &mut Vec<TemperatureRequest>, tool: u32) -> &mut TemperatureRequest {
    let at = match list.iter().position(|t| t.tool == tool) {
        Some(i) => i,
        None => {
            list.push(TemperatureRequest {
                tool,
                max_c: f64::MIN,
                line: 0,
            });
            list.len() - 1
        }
    };
    &mut list[at]
}

/// Plain G and M codes below this number are counted in arrays.
const DIRECT_CODES: usize = 1024;
/// Distinct other commands tracked (a bad file could name millions).
const MAX_OTHER_COMMANDS: usize = 1024;

/// Counts each distinct command and its first line. Plain `G`/`M` codes,
/// the common case on every line, index an array; the rest use a map.
#[derive(Debug, Clone)]
pub struct CommandCounter {
    direct: Vec<(u64, u64)>,
    other: std::collections::HashMap<Code, (u64, u64)>,
}

impl Default for CommandCounter {
    fn default() -> Self {
        CommandCounter {
            direct: vec![(0, 0); 2 * DIRECT_CODES],
            other: Default::default(),
        }
    }
}

impl CommandCounter {
    /// Counts one use of `code` on `line`.
    pub fn count(&mut self, line: u64, code: Code) {
        let slot = match (code.letter, code.sub) {
            (b'G', None) => Some(0),
            (b'M', None) => Some(DIRECT_CODES),
            _ => None,
        };
        let entry = match slot {
            Some(base) if (code.number as usize) < DIRECT_CODES => {
                &mut self.direct[base + code.number as usize]
            }
            _ => {
                let full = self.other.len() >= MAX_OTHER_COMMANDS;
                if full && !self.other.contains_key(&code) {
                    return;
                }
                self.other.entry(code).or_insert((0, 0))
            }
        };
        if entry.0 == 0 {
            entry.1 = line;
        }
        entry.0 += 1;
    }

    /// Every command seen, sorted by code.
    pub fn into_sorted(self) -> Vec<CommandUse> {
        let direct = self
            .direct
            .into_iter()
            .enumerate()
            .filter(|(_, (n, _))| *n > 0)
            .map(|(i, e)| {
                let letter = if i < DIRECT_CODES { b'G' } else { b'M' };
                (Code::new(letter, (i % DIRECT_CODES) as u32), e)
            });
        let mut all: Vec<(Code, (u64, u64))> = direct.chain(self.other).collect();
        all.sort_by_key(|(code, _)| *code);
        all.into_iter()
            .map(|(code, (count, first_line))| CommandUse {
                command: code.to_string(),
                count,
                first_line,
            })
            .collect()
    }
}
