//! Operator shifts as a weekly calendar in local time, turned into a sorted
//! list of intervals in seconds since the instance's start.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// One weekly shift: on `days` (Monday = 0), from `from` to `to` local
/// time, with `operators` people.
#[derive(Debug, Clone, PartialEq)]
pub struct Shift {
    /// Which weekdays, Monday first.
    pub days: [bool; 7],
    /// Start, local time.
    pub from: Time,
    /// End, local time (after `from`; a shift does not cross midnight).
    pub to: Time,
    /// People on it.
    pub operators: u32,
}

/// Why a shift as written is refused: which of its fields, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ShiftError {
    /// `days`, `from` or `to`.
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Shift {
    /// A shift from its written form: `days` as [`parse_days`] reads them,
    /// `from` and `to` as `"HH:MM"` local time, `to` after `from`.
    pub fn parse(days: &str, from: &str, to: &str, operators: u32) -> Result<Shift, ShiftError> {
        let error = |field, reason| ShiftError { field, reason };
        let clock = |text: &str, field| {
            text.parse::<Time>()
                .map_err(|_| error(field, "not a time of day (HH:MM)"))
        };
        let shift = Shift {
            days: parse_days(days)
                .ok_or(error("days", "e.g. mon-fri, sat, mon,wed,fri or daily"))?,
            from: clock(from, "from")?,
            to: clock(to, "to")?,
            operators,
        };
        if shift.to <= shift.from {
            return Err(error(
                "to",
                "must be after `from` (shifts do not cross midnight)",
            ));
        }
        Ok(shift)
    }
}

/// Reads `"mon-fri"`, `"sat"`, `"mon,wed,fri"` or `"daily"`.
pub fn parse_days(text: &str) -> Option<[bool; 7]> {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let index = |d: &str| {
        NAMES
            .iter()
            .position(|n| *n == d.trim().to_ascii_lowercase())
    };
    let mut days = [false; 7];
    if text.trim().eq_ignore_ascii_case("daily") {
        return Some([true; 7]);
    }
    for part in text.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (index(a)?, index(b)?);
                if a > b {
                    return None;
                }
                days[a..=b].iter_mut().for_each(|d| *d = true);
            }
            None => days[index(part)?] = true,
        }
    }
    Some(days)
}

/// Shift intervals as instants: `(start, end, operators)` in seconds since
/// the instance start, sorted, not overlapping (overlaps are summed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Calendar {
    intervals: Vec<(i64, i64, u32)>,
}

impl Calendar {
    /// The shifts from `start` over `days` days in `tz`.
    pub fn new(shifts: &[Shift], tz: &TimeZone, start: Timestamp, days: i64) -> Calendar {
        let first: Date = start.to_zoned(tz.clone()).date();
        let mut edges: Vec<(i64, i64)> = Vec::new();
        for offset in -1..=days {
            let Ok(date) = first.checked_add(jiff::Span::new().days(offset)) else {
                continue;
            };
            let weekday = date.weekday().to_monday_zero_offset() as usize;
            for shift in shifts.iter().filter(|s| s.days[weekday]) {
                let at = |t: Time| {
                    date.to_datetime(t)
                        .to_zoned(tz.clone())
                        .map(|z| z.timestamp().as_second() - start.as_second())
                };
                if let (Ok(a), Ok(b)) = (at(shift.from), at(shift.to)) {
                    edges.push((a, i64::from(shift.operators)));
                    edges.push((b, -i64::from(shift.operators)));
                }
            }
        }
        edges.sort_unstable();
        let mut intervals = Vec::new();
        let mut level = 0i64;
        let mut since = 0i64;
        for (t, delta) in edges {
            if level > 0 && t > since {
                intervals.push((since, t, u32::try_from(level).unwrap_or(0)));
            }
            level += delta;
            since = t;
        }
        Calendar { intervals }
    }

    /// People on shift at `t`.
    pub fn operators_at(&self, t: i64) -> u32 {
        let i = self.intervals.partition_point(|(_, end, _)| *end <= t);
        match self.intervals.get(i) {
            Some((start, _, n)) if *start <= t => *n,
            _ => 0,
        }
    }

    /// The first moment at or after `t` when someone is on shift.
    pub fn next_open(&self, t: i64) -> Option<i64> {
        let i = self.intervals.partition_point(|(_, end, _)| *end <= t);
        self.intervals.get(i).map(|(start, _, _)| (*start).max(t))
    }

    /// The first shift boundary after `t` (a start or an end).
    pub fn next_change(&self, t: i64) -> Option<i64> {
        self.intervals
            .iter()
            .flat_map(|(a, b, _)| [*a, *b])
            .find(|edge| *edge > t)
    }

    /// Seconds within `[from, to)` when nobody is on shift.
    pub fn closed_within(&self, from: i64, to: i64) -> i64 {
        let open: i64 = self
            .intervals
            .iter()
            .map(|(a, b, _)| (to.min(*b) - from.max(*a)).max(0))
            .sum();
        (to - from).max(0) - open
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_days, Calendar, Shift};
    use jiff::civil::time;

    fn weekdays() -> Calendar {
        let shift = Shift {
            days: parse_days("mon-fri").expect("days"),
            from: time(8, 0, 0, 0),
            to: time(18, 0, 0, 0),
            operators: 2,
        };
        let tz = jiff::tz::TimeZone::get("Europe/Berlin").expect("tz");
        // Friday 2026-03-27 00:00 in Berlin; the clocks go forward on Sunday.
        let start: jiff::Timestamp = "2026-03-26T23:00:00Z".parse().expect("start");
        Calendar::new(&[shift], &tz, start, 10)
    }

    #[test]
    fn days_read_ranges_lists_and_single_days() {
        assert_eq!(
            parse_days("mon-fri"),
            Some([true, true, true, true, true, false, false])
        );
        assert_eq!(
            parse_days("sat"),
            Some([false, false, false, false, false, true, false])
        );
        assert_eq!(
            parse_days("mon,wed,fri"),
            Some([true, false, true, false, true, false, false])
        );
        assert_eq!(parse_days("fri-mon"), None);
        assert_eq!(parse_days("someday"), None);
    }

    #[test]
    fn shifts_are_local_time_across_a_daylight_saving_change() {
        let calendar = weekdays();
        let h = 3600;
        assert_eq!(calendar.operators_at(7 * h), 0, "Friday 07:00");
        assert_eq!(calendar.operators_at(8 * h), 2, "Friday 08:00");
        assert_eq!(calendar.operators_at(18 * h), 0, "Friday 18:00");
        // Monday 08:00 CEST is 71 hours after Friday 08:00 CET (not 72).
        assert_eq!(calendar.next_open(18 * h), Some(8 * h + 71 * h));
        assert_eq!(calendar.closed_within(17 * h, 19 * h), h);
        assert_eq!(calendar.next_change(8 * h), Some(18 * h));
    }
}
