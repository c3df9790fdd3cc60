//! The farm's shift calendar in the running service: the configured
//! weekly shifts turned into instants around now (rebuilt as time moves
//! on), on the scale the time-aware rule works in (seconds since a start).

use super::timed::Clock;
use crate::config::FarmTime;
use crate::domain::calendar::Calendar;

/// Days of shifts laid out ahead of the start.
const DAYS_AHEAD: i64 = 60;
/// Rebuild once now is this far past the start.
const REBUILD_AFTER_S: i64 = 30 * 86_400;

/// The configured time model, laid out around now.
#[derive(Debug, Clone)]
pub struct FarmClock {
    time: FarmTime,
    start_s: i64,
    calendar: Option<Calendar>,
}

impl FarmClock {
    /// The calendar of `time` from a day before `now_ms` (unix ms).
    pub fn new(time: &FarmTime, now_ms: i64) -> FarmClock {
        let start_s = now_ms.div_euclid(1000) - 86_400;
        let calendar = (!time.shifts.is_empty()).then(|| {
            let start =
                jiff::Timestamp::from_second(start_s).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            Calendar::new(&time.shifts, &time.timezone, start, DAYS_AHEAD)
        });
        FarmClock {
            time: time.clone(),
            start_s,
            calendar,
        }
    }

    /// Lays the calendar out again when `now_ms` has moved far from its start.
    pub fn refresh(&mut self, now_ms: i64) {
        if now_ms.div_euclid(1000) - self.start_s > REBUILD_AFTER_S {
            *self = FarmClock::new(&self.time, now_ms);
        }
    }

    /// Unix ms on the rule's scale (seconds since the start).
    pub fn at(&self, unix_ms: i64) -> i64 {
        unix_ms.div_euclid(1000) - self.start_s
    }

    /// The rule's seconds back to unix ms.
    pub fn unix_ms(&self, at: i64) -> i64 {
        (at + self.start_s).saturating_mul(1000)
    }

    /// The rule's clock at `now_ms`.
    pub fn clock(&self, now_ms: i64) -> Clock<'_> {
        Clock {
            now: self.at(now_ms),
            calendar: self.calendar.as_ref(),
            bed_clear: self.time.bed_clear_s,
            material_change: self.time.material_change_s,
        }
    }

    /// When someone is next on shift at or after `unix_ms` (unix ms).
    pub fn next_open_ms(&self, unix_ms: i64) -> i64 {
        let clock = self.clock(unix_ms);
        let open = clock.next_open(clock.now);
        if open == clock.now {
            unix_ms
        } else {
            self.unix_ms(open)
        }
    }

    /// The configured heat-up cap.
    pub fn max_heatups(&self) -> Option<u32> {
        self.time.max_heatups
    }
}

#[cfg(test)]
mod tests {
    use super::FarmClock;
    use crate::config::FarmTime;
    use crate::domain::calendar::Shift;

    #[test]
    fn the_next_shift_is_found_in_the_farm_zone() {
        let time = FarmTime {
            timezone: jiff::tz::TimeZone::get("Europe/Berlin").expect("zone"),
            shifts: vec![Shift::parse("mon-fri", "08:00", "18:00", 1).expect("shift")],
            ..FarmTime::default()
        };
        // Saturday 2026-12-05 12:00 UTC → Monday 2026-12-07 08:00 CET = 07:00 UTC.
        let saturday: jiff::Timestamp = "2026-12-05T12:00:00Z".parse().expect("time");
        let clock = FarmClock::new(&time, saturday.as_millisecond());
        let monday: jiff::Timestamp = "2026-12-07T07:00:00Z".parse().expect("time");
        assert_eq!(
            clock.next_open_ms(saturday.as_millisecond()),
            monday.as_millisecond()
        );
        let tuesday_noon: jiff::Timestamp = "2026-12-08T11:00:00Z".parse().expect("time");
        let ms = tuesday_noon.as_millisecond();
        assert_eq!(clock.next_open_ms(ms), ms, "on shift now");
        let always = FarmClock::new(&FarmTime::default(), ms);
        assert_eq!(
            always.next_open_ms(ms),
            ms,
            "no shifts: always someone there"
        );
    }
}
