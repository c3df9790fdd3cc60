//! The analyser: streams lines through the parser, the interpreter and the
//! planner, and gathers an [`Analysis`].

use super::analysis::{Analysis, CommandLength, Diagnostic, NozzleHint};
use super::interp::{Action, Flavor, Interpreter};
use super::limits::{LimitOverrides, MachineLimits};
use super::line::{Code, Line};
use super::metadata::{CommentEvent, Metadata};
use super::parser::{parse_line, IssueKind, ParseIssue};
use super::plan_worker::{MoveOp, PlanOp, PlanWorker};
use super::prescan::SlicerSettings;
use super::tracking::CommandCounter;
use super::tracking::Heat;

/// Commands that may be this long as sent are measured exactly; shorter ones
/// are far from any firmware's limit (Marlin's 96 bytes, framing included).
const EXACT_FROM: u32 = 64;

/// Diagnostics kept in full; the rest are only counted.
const MAX_DIAGNOSTICS: usize = 200;
/// Waits and hints kept.
const MAX_LISTED: usize = 1000;

/// How to analyse: the printer's own limits and geometry, when known.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    /// Motion limits from the printer profile; they win over the file.
    pub limits: Option<LimitOverrides>,
    /// Where `G28` leaves X, Y, Z.
    pub home: [f64; 3],
}

/// Streaming analyser. Feed it lines, then call [`Analyzer::finish`].
pub struct Analyzer {
    interp: Interpreter,
    limits: MachineLimits,
    planner: PlanWorker,
    profile: Option<LimitOverrides>,
    meta: Metadata,
    actions: Vec<Action>,
    issues: Vec<ParseIssue>,
    heat: Heat,
    started: bool,
    dwell: f64,
    max_feedrate: f64,
    commands: CommandCounter,
    out: Analysis,
}

impl Analyzer {
    /// An analyser seeded with settings found before the pass (may be empty).
    pub fn new(options: &AnalyzeOptions, settings: &SlicerSettings) -> Self {
        let mut limits = MachineLimits::default();
        let mut source = vec!["defaults"];
        if settings.apply_limits(&mut limits) {
            source.push("slicer settings");
        }
        if let Some(p) = &options.limits {
            p.apply(&mut limits);
            source.push("printer profile");
        }
        let mut interp = Interpreter::default();
        interp.home = options.home;
        settings.apply_interpreter(&mut interp);
        let out = Analysis {
            limits_source: source.join(" < "),
            filament_diameter_mm: settings.filament_diameter().unwrap_or(1.75),
            ..Analysis::default()
        };
        Analyzer {
            interp,
            planner: PlanWorker::start(limits.clone()),
            limits,
            profile: options.limits.clone(),
            meta: Metadata::default(),
            actions: Vec::with_capacity(64),
            issues: Vec::new(),
            heat: Heat::default(),
            started: false,
            dwell: 0.0,
            max_feedrate: 0.0,
            commands: CommandCounter::default(),
            out,
        }
    }

    /// Reads one line (without its terminator).
    pub fn feed(&mut self, number: u64, bytes: &[u8], truncated: bool) {
        self.feed_line(number, bytes, truncated);
    }

    /// Notes the length of the command a host would send for this line.
    fn track_command_length(&mut self, number: u64, bytes: &[u8], line: &Line<'_>) {
        self.out.command_lines += 1;
        let raw = memchr::memchr(b';', bytes).map_or(bytes, |at| &bytes[..at]);
        let longest = self.out.longest_command.map_or(0, |c| c.bytes);
        let raw_len = u32::try_from(raw.trim_ascii().len()).unwrap_or(u32::MAX);
        // Canonical printing adds at most a separator and a leading zero per
        // word (`G1X.5` is sent as `G1 X0.5`). Short commands cannot come
        // near any printer's limit: their raw length is kept as is; longer
        // ones are printed exactly.
        let words = u32::try_from(line.words().len()).unwrap_or(u32::MAX);
        let most = raw_len.saturating_add(2 * words + 2);
        let bytes = if most < EXACT_FROM {
            raw_len
        } else if most <= longest {
            return;
        } else {
            let mut sent = line.clone();
            sent.comment = None;
            sent.number = None;
            u32::try_from(sent.to_string().len()).unwrap_or(u32::MAX)
        };
        if bytes > longest {
            self.out.longest_command = Some(CommandLength {
                line: number,
                bytes,
            });
        }
    }

    fn feed_line(&mut self, number: u64, bytes: &[u8], truncated: bool) {
        self.issues.clear();
        let line = parse_line(bytes, &mut self.issues);
        if truncated {
            let column = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
            self.issues.push(ParseIssue {
                column,
                kind: IssueKind::Truncated,
            });
        }
        self.record_issues(number);
        self.out.lines = number;
        if !line.is_empty() {
            self.track_command_length(number, bytes, &line);
        }
        match line.code {
            Some(code) => self.command(number, code, &line),
            None => {
                if let Some(comment) = line.comment {
                    self.comment(number, comment);
                }
            }
        }
    }

    fn record_issues(&mut self, number: u64) {
        for issue in &self.issues {
            self.out.diagnostics_total += 1;
            if self.out.diagnostics.len() < MAX_DIAGNOSTICS {
                self.out.diagnostics.push(Diagnostic {
                    line: number,
                    column: issue.column,
                    message: issue.kind.to_string(),
                });
            }
        }
    }

    fn comment(&mut self, number: u64, comment: &[u8]) {
        match self.meta.observe(comment) {
            CommentEvent::LayerChange => self.planner.send(PlanOp::LayerMarker),
            CommentEvent::Feature(false) if !self.started => {
                self.started = true;
                self.planner.send(PlanOp::Started);
            }
            CommentEvent::LayerZ(z) => self.planner.send(PlanOp::LayerZ(z)),
            CommentEvent::Setting("nozzle_diameter", v) => {
                if let Some(d) = super::limits::first_number(v) {
                    self.nozzle_hint(d, "nozzle_diameter setting", number);
                }
            }
            CommentEvent::Setting("FLAVOR", v) if v.contains("RepRap") => {
                self.interp.flavor = Flavor::RepRapFirmware;
            }
            _ => {}
        }
    }

    fn nozzle_hint(&mut self, diameter_mm: f64, source: &str, line: u64) {
        let known = self
            .out
            .nozzle_hints
            .iter()
            .any(|h| h.diameter_mm == diameter_mm);
        if !known && self.out.nozzle_hints.len() < MAX_LISTED {
            self.out.nozzle_hints.push(NozzleHint {
                diameter_mm,
                source: source.to_string(),
                line,
            });
        }
    }

    fn command(&mut self, number: u64, code: Code, line: &Line<'_>) {
        self.count_command(number, code);
        if code.letter == b'M' && code.sub.is_none() {
            self.machine_command(number, code, line);
        } else if code.letter == b'M' && code.number == 862 && code.sub == Some(1) {
            if let Some(d) = line.get(b'P') {
                self.nozzle_hint(d, "M862.1", number);
            }
        }
        self.actions.clear();
        self.interp
            .execute(line, &mut self.limits, &mut self.actions);
        if is_limit_command(code) {
            // The interpreter applied the file's limits; the profile wins over them.
            if let Some(p) = &self.profile {
                p.apply(&mut self.limits);
            }
            self.planner
                .send(PlanOp::Limits(Box::new(self.limits.clone())));
        }
        if let Some(f) = line
            .get(b'F')
            .filter(|f| f.is_finite() && code.letter == b'G')
        {
            self.max_feedrate = self.max_feedrate.max(f / 60.0);
        }
        if !self.actions.is_empty() {
            self.apply_actions(number);
        }
    }

    fn count_command(&mut self, number: u64, code: Code) {
        self.commands.count(number, code);
    }

    fn machine_command(&mut self, number: u64, code: Code, line: &Line<'_>) {
        match code.number {
            566 => self.interp.flavor = Flavor::RepRapFirmware,
            201 | 203 | 204 | 205 => {}
            0 | 1 | 25 | 125 | 600 | 601 => self.operator_pause(number, code),
            _ => self.heat.observe(number, code, line, self.interp.tool),
        }
    }

    fn operator_pause(&mut self, number: u64, code: Code) {
        if self.out.operator_pauses.len() < MAX_LISTED {
            self.out.operator_pauses.push(super::analysis::Wait {
                line: number,
                command: code.to_string(),
                target_c: None,
            });
        }
    }

    fn apply_actions(&mut self, number: u64) {
        let arc = self
            .actions
            .iter()
            .any(|a| matches!(a, Action::ArcBounds { .. }));
        for i in 0..self.actions.len() {
            match self.actions[i] {
                Action::Move {
                    from,
                    to,
                    planned,
                    fw_retract,
                } => self.planner.send(PlanOp::Move(MoveOp {
                    from: [from[0], from[1], from[2]],
                    to: [to[0], to[1], to[2]],
                    planned,
                    line: number,
                    tool: self.interp.tool,
                    fw_retract,
                    in_arc: arc,
                })),
                Action::ArcBounds {
                    min,
                    max,
                    extruding,
                } => self.planner.send(PlanOp::ArcBounds {
                    min,
                    max,
                    extruding,
                    line: number,
                }),
                Action::Dwell(seconds) => {
                    self.flush();
                    self.dwell += seconds;
                }
                Action::Sync => self.flush(),
            }
        }
    }

    fn flush(&mut self) {
        self.planner.send(PlanOp::Flush);
    }

    /// Ends the pass and returns the analysis.
    pub fn finish(mut self, bytes: u64) -> Analysis {
        let mut out = std::mem::take(&mut self.out);
        match self.planner.finish() {
            Ok(motion) => {
                out.tools = motion.tools_used();
                motion.fill(&mut out);
            }
            Err(error) => out.motion_error = Some(error),
        }
        out.bytes = bytes;
        out.dwell_time_s = self.dwell;
        out.estimated_time_s = out.motion_time_s + out.dwell_time_s;
        out.max_feedrate_mm_s = self.max_feedrate;
        (out.temperatures, out.heating_waits) = self.heat.finish();
        out.slicer = self.meta.slicer;
        out.thumbnails = self.meta.thumbnails;
        out.objects = self.meta.objects;
        out.commands = self.commands.into_sorted();
        out
    }
}

fn is_limit_command(code: Code) -> bool {
    code.letter == b'M' && code.sub.is_none() && matches!(code.number, 201 | 203 | 204 | 205 | 566)
}
