//! Overall equipment effectiveness (OEE) and where a printer's time went,
//! from a list of intervals: the printer's state changes and its attempts.
//! Pure: the store supplies the rows, the caller the window.
//!
//! - availability = time printing / scheduled time (the whole window);
//! - performance = estimated / actual print time of completed attempts
//!   (at most 1);
//! - quality = good parts / parts started (attempts completed over
//!   attempts ended in the window);
//! - OEE = availability × performance × quality.

use super::Blame;
use serde::Serialize;

/// What a printer was doing over a span of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// A job on it (assigned, printing or paused).
    Printing,
    /// A print on the bed waits for a person.
    AwaitingClear,
    /// Ready, but nothing to do.
    Idle,
    /// Halted; needs a reset.
    Error,
    /// Not connected.
    Offline,
}

impl Activity {
    /// The activity of a state the store records (`busy`, `idle`, …);
    /// unknown words count as offline.
    pub fn from_stored(state: &str) -> Activity {
        match state {
            "busy" | "assigned" | "printing" | "paused" => Activity::Printing,
            "awaiting_clear" => Activity::AwaitingClear,
            "idle" => Activity::Idle,
            "error" => Activity::Error,
            _ => Activity::Offline,
        }
    }

    /// The word shown to people.
    pub fn as_str(self) -> &'static str {
        match self {
            Activity::Printing => "printing",
            Activity::AwaitingClear => "awaiting clear",
            Activity::Idle => "idle",
            Activity::Error => "error",
            Activity::Offline => "offline",
        }
    }
}

/// One span of a printer's timeline, `[start, end)` in unix ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Start, unix ms.
    pub start: i64,
    /// End, unix ms.
    pub end: i64,
    /// What it did.
    pub activity: Activity,
}

/// A printer's timeline over `[from, to)`: `initial` from `from` until the
/// first of `changes` (time-ordered `(at, activity)`), and so on. Changes
/// outside the window only set the starting activity; adjacent spans of the
/// same activity are merged.
pub fn timeline(initial: Activity, changes: &[(i64, Activity)], from: i64, to: i64) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    let mut current = initial;
    let mut since = from;
    let push = |start: i64, end: i64, activity: Activity, spans: &mut Vec<Span>| {
        if end <= start {
            return;
        }
        match spans.last_mut() {
            Some(last) if last.activity == activity && last.end == start => last.end = end,
            _ => spans.push(Span {
                start,
                end,
                activity,
            }),
        }
    };
    for &(at, activity) in changes {
        if at >= to {
            break;
        }
        if at > since {
            push(since, at, current, &mut spans);
            since = at;
        }
        current = activity;
    }
    push(since, to, current, &mut spans);
    spans
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Still running.
    Open,
    /// Completed: a good part.
    Completed,
    /// Failed, with who is to blame.
    Failed(Blame),
}

/// One time a job was on a printer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttemptSpan {
    /// Start, unix ms.
    pub start: i64,
    /// End, unix ms (for an open attempt: now).
    pub end: i64,
    /// How it ended.
    pub ending: Ending,
    /// The file's estimated print time, seconds.
    pub estimated_s: Option<f64>,
}

/// Hours lost, by cause.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, utoipa::ToSchema)]
pub struct Losses {
    /// A finished print waited for a person to clear the bed.
    pub awaiting_clear_h: f64,
    /// The printer halted, or an attempt failed through the printer.
    pub printer_fault_h: f64,
    /// Attempts that failed through their file.
    pub job_fault_h: f64,
    /// Ready with nothing to do.
    pub no_work_h: f64,
    /// Not connected.
    pub offline_h: f64,
}

impl Losses {
    /// The causes with their hours, in a fixed order, for charts.
    pub fn by_cause(&self) -> [(&'static str, f64); 5] {
        [
            ("waiting for bed clear", self.awaiting_clear_h),
            ("printer fault", self.printer_fault_h),
            ("job fault", self.job_fault_h),
            ("no work", self.no_work_h),
            ("offline", self.offline_h),
        ]
    }

    fn add(&mut self, other: &Losses) {
        self.awaiting_clear_h += other.awaiting_clear_h;
        self.printer_fault_h += other.printer_fault_h;
        self.job_fault_h += other.job_fault_h;
        self.no_work_h += other.no_work_h;
        self.offline_h += other.offline_h;
    }
}

/// OEE and its factors; a factor is `None` when nothing measured it.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, utoipa::ToSchema)]
pub struct Oee {
    /// Time printing / scheduled time.
    pub availability: f64,
    /// Estimated / actual print time of completed attempts, at most 1.
    pub performance: Option<f64>,
    /// Good parts / parts started.
    pub quality: Option<f64>,
    /// The product of the three (an unmeasured factor counts as 1).
    pub oee: f64,
    /// Hours lost, by cause.
    pub losses: Losses,
    /// Milliseconds printing in the window.
    #[serde(skip)]
    pub printing_ms: i64,
    /// Scheduled milliseconds (the window).
    #[serde(skip)]
    pub scheduled_ms: i64,
    /// Estimated and actual seconds of completed attempts.
    #[serde(skip)]
    pub estimated_s: f64,
    /// Actual seconds of completed attempts with an estimate.
    #[serde(skip)]
    pub actual_s: f64,
    /// Attempts completed in the window.
    #[serde(skip)]
    pub good: u64,
    /// Attempts ended in the window.
    #[serde(skip)]
    pub ended: u64,
}

const MS_PER_H: f64 = 3_600_000.0;

fn clip(start: i64, end: i64, from: i64, to: i64) -> i64 {
    (end.min(to) - start.max(from)).max(0)
}

/// One printer's OEE over `[from, to)` from its timeline and attempts.
pub fn printer_oee(spans: &[Span], attempts: &[AttemptSpan], from: i64, to: i64) -> Oee {
    let scheduled_ms = (to - from).max(0);
    let mut losses = Losses::default();
    let mut printing_ms = 0;
    for span in spans {
        let ms = clip(span.start, span.end, from, to);
        let hours = ms as f64 / MS_PER_H;
        match span.activity {
            Activity::Printing => printing_ms += ms,
            Activity::AwaitingClear => losses.awaiting_clear_h += hours,
            Activity::Idle => losses.no_work_h += hours,
            Activity::Error => losses.printer_fault_h += hours,
            Activity::Offline => losses.offline_h += hours,
        }
    }
    let (mut estimated_s, mut actual_s, mut good, mut ended) = (0.0, 0.0, 0, 0);
    for attempt in attempts {
        let hours = clip(attempt.start, attempt.end, from, to) as f64 / MS_PER_H;
        let ended_inside = attempt.end >= from && attempt.end < to;
        match attempt.ending {
            Ending::Open => {}
            Ending::Completed => {
                if ended_inside {
                    good += 1;
                    ended += 1;
                    if let Some(estimate) = attempt.estimated_s.filter(|e| *e > 0.0) {
                        estimated_s += estimate;
                        actual_s += (attempt.end - attempt.start).max(0) as f64 / 1000.0;
                    }
                }
            }
            Ending::Failed(blame) => {
                if ended_inside {
                    ended += 1;
                }
                match blame {
                    Blame::Job => losses.job_fault_h += hours,
                    Blame::Printer => losses.printer_fault_h += hours,
                    Blame::Operator | Blame::Host => {}
                }
            }
        }
    }
    finish(Oee {
        printing_ms,
        scheduled_ms,
        estimated_s,
        actual_s,
        good,
        ended,
        losses,
        ..Oee::default()
    })
}

/// Fills the ratios from the sums.
fn finish(mut oee: Oee) -> Oee {
    oee.availability = if oee.scheduled_ms > 0 {
        (oee.printing_ms as f64 / oee.scheduled_ms as f64).min(1.0)
    } else {
        0.0
    };
    oee.performance = (oee.actual_s > 0.0).then(|| (oee.estimated_s / oee.actual_s).min(1.0));
    oee.quality = (oee.ended > 0).then(|| oee.good as f64 / oee.ended as f64);
    oee.oee = oee.availability * oee.performance.unwrap_or(1.0) * oee.quality.unwrap_or(1.0);
    oee
}

/// The farm's OEE: every printer's sums added, then the ratios.
pub fn farm_oee<'a>(printers: impl IntoIterator<Item = &'a Oee>) -> Oee {
    let mut total = Oee::default();
    for p in printers {
        total.printing_ms += p.printing_ms;
        total.scheduled_ms += p.scheduled_ms;
        total.estimated_s += p.estimated_s;
        total.actual_s += p.actual_s;
        total.good += p.good;
        total.ended += p.ended;
        total.losses.add(&p.losses);
    }
    finish(total)
}

/// Counts of `times` in `buckets` equal slices of `[from, to)`.
pub fn buckets(times: &[i64], from: i64, to: i64, buckets: usize) -> Vec<u64> {
    let mut counts = vec![0u64; buckets];
    let length = to - from;
    if buckets == 0 || length <= 0 {
        return counts;
    }
    for &at in times {
        if at < from || at >= to {
            continue;
        }
        let index = ((at - from) as i128 * buckets as i128 / length as i128) as usize;
        if let Some(count) = counts.get_mut(index) {
            *count += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn a_timeline_starts_with_the_initial_activity_and_merges_repeats() {
        let changes = [
            (-5 * H, Activity::Idle),
            (H, Activity::Printing),
            (2 * H, Activity::Printing),
            (3 * H, Activity::AwaitingClear),
            (5 * H, Activity::Idle),
            (20 * H, Activity::Error),
        ];
        let spans = timeline(Activity::Offline, &changes, 0, 10 * H);
        let got: Vec<_> = spans.iter().map(|s| (s.start, s.end, s.activity)).collect();
        assert_eq!(
            got,
            vec![
                (0, H, Activity::Idle),
                (H, 3 * H, Activity::Printing),
                (3 * H, 5 * H, Activity::AwaitingClear),
                (5 * H, 10 * H, Activity::Idle),
            ]
        );
        assert_eq!(
            timeline(Activity::Offline, &[], 0, H),
            vec![Span {
                start: 0,
                end: H,
                activity: Activity::Offline
            }]
        );
        assert!(timeline(Activity::Idle, &[], H, H).is_empty());
    }

    #[test]
    fn oee_multiplies_availability_performance_and_quality() {
        // 10 h window: 4 h printing, 2 h awaiting clear, 3 h idle, 1 h error.
        let spans = timeline(
            Activity::Idle,
            &[
                (0, Activity::Printing),
                (4 * H, Activity::AwaitingClear),
                (6 * H, Activity::Idle),
                (9 * H, Activity::Error),
            ],
            0,
            10 * H,
        );
        let attempts = [
            // 2 h actual against 1.5 h estimated: completed.
            AttemptSpan {
                start: 0,
                end: 2 * H,
                ending: Ending::Completed,
                estimated_s: Some(5400.0),
            },
            // 1.5 h lost to the file, then 0.5 h to the printer.
            AttemptSpan {
                start: 2 * H,
                end: 3 * H + H / 2,
                ending: Ending::Failed(Blame::Job),
                estimated_s: Some(7200.0),
            },
            AttemptSpan {
                start: 3 * H + H / 2,
                end: 4 * H,
                ending: Ending::Failed(Blame::Printer),
                estimated_s: None,
            },
        ];
        let oee = printer_oee(&spans, &attempts, 0, 10 * H);
        assert!((oee.availability - 0.4).abs() < 1e-9);
        assert!((oee.performance.unwrap() - 0.75).abs() < 1e-9);
        assert!((oee.quality.unwrap() - 1.0 / 3.0).abs() < 1e-9);
        assert!((oee.oee - 0.4 * 0.75 / 3.0).abs() < 1e-9);
        assert!((oee.losses.awaiting_clear_h - 2.0).abs() < 1e-9);
        assert!((oee.losses.no_work_h - 3.0).abs() < 1e-9);
        assert!((oee.losses.printer_fault_h - 1.5).abs() < 1e-9);
        assert!((oee.losses.job_fault_h - 1.5).abs() < 1e-9);
        assert_eq!(oee.losses.offline_h, 0.0);
    }

    #[test]
    fn unmeasured_factors_count_as_one_and_the_farm_adds_sums() {
        let idle = printer_oee(&timeline(Activity::Idle, &[], 0, H), &[], 0, H);
        assert_eq!(
            (idle.availability, idle.performance, idle.quality),
            (0.0, None, None)
        );
        assert_eq!(idle.oee, 0.0);
        let busy = printer_oee(&timeline(Activity::Printing, &[], 0, H), &[], 0, H);
        assert_eq!(busy.oee, 1.0);
        let farm = farm_oee([&idle, &busy]);
        assert!((farm.availability - 0.5).abs() < 1e-9);
        assert!((farm.losses.no_work_h - 1.0).abs() < 1e-9);
        let empty = printer_oee(&[], &[], 5, 5);
        assert_eq!(empty.availability, 0.0);
    }

    #[test]
    fn buckets_count_times_in_equal_slices() {
        assert_eq!(buckets(&[0, 1, 5, 9, 10, -1], 0, 10, 2), vec![2, 2]);
        assert_eq!(buckets(&[3], 0, 10, 0), Vec::<u64>::new());
        assert_eq!(buckets(&[3], 10, 0, 3), vec![0, 0, 0]);
    }
}
