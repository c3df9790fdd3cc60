//! A forward simulation of the queue under the time-aware rule: when each
//! waiting job should end if the farm keeps going as it does. Orders get
//! their estimated completion (and whether it is later than their due
//! date) from it.
//!
//! It replays what `serve` does in virtual time: whenever printers are
//! free, [`TimedRule::decide`] picks; a pick prints for its estimated time,
//! after a material change (which waits for someone on shift) when needed;
//! the printer is free again once its bed is cleared (someone on shift, or
//! at once for auto-eject printers). Heat-up caps are left out: they move
//! starts by minutes, not hours.

use super::timed::{seconds_on, Clock, Round, Station, TimedRule, Work};

/// A printer at the start of the forecast.
#[derive(Debug, Clone, Copy)]
pub struct Start {
    /// When it can take work, on the rule's scale (now when free); `None`
    /// for a printer that is offline or in error.
    pub available_at: Option<i64>,
    /// True when finished parts leave its bed by themselves.
    pub auto_eject: bool,
}

/// What a forecast knows of jobs and printers, besides times.
pub trait Shop {
    /// Whether job `j` can print on printer `p` as loaded at the start
    /// (`Some(false)`), after a material change (`Some(true)`), or never.
    fn fit(&self, j: usize, p: usize) -> Option<bool>;
    /// True when the material loaded for job `k` also suits job `j`.
    fn same_load(&self, j: usize, k: usize) -> bool;
}

/// Most decisions one forecast makes; jobs beyond stay without an estimate.
pub const MAX_DECISIONS: usize = 20_000;

/// When each job should end, on the rule's scale; `None` for jobs no
/// printer can take or beyond [`MAX_DECISIONS`].
pub fn forecast(
    rule: &TimedRule,
    clock: Clock<'_>,
    jobs: &[Work],
    starts: &[Start],
    shop: &impl Shop,
) -> Vec<Option<i64>> {
    let mut ends = vec![None; jobs.len()];
    let mut waiting: Vec<usize> = (0..jobs.len()).collect();
    let mut available: Vec<Option<i64>> = starts.iter().map(|s| s.available_at).collect();
    let mut loaded_for: Vec<Option<usize>> = vec![None; starts.len()];
    let stations: Vec<Station> = starts
        .iter()
        .map(|_| Station {
            speed: 1.0,
            free_at: None,
            wear_h: 0.0,
        })
        .collect();
    for _ in 0..MAX_DECISIONS {
        let Some(now) = available.iter().flatten().min().copied() else {
            break;
        };
        if waiting.is_empty() {
            break;
        }
        let free: Vec<usize> = (0..starts.len())
            .filter(|&p| available[p].is_some_and(|t| t <= now))
            .collect();
        let work: Vec<Work> = waiting.iter().map(|&j| jobs[j]).collect();
        let fit = |w: usize, p: usize| {
            let j = waiting[w];
            let fits = shop.fit(j, p)?;
            Some(match loaded_for[p] {
                None => fits,
                Some(k) => !shop.same_load(j, k),
            })
        };
        let round = Round {
            clock: Clock { now, ..clock },
            jobs: &work,
            printers: &stations,
            free: &free,
            heatup_slots: u32::MAX,
            fit,
        };
        let picks = rule.decide(&round);
        let next_event = available
            .iter()
            .flatten()
            .copied()
            .filter(|&t| t > now)
            .min();
        // A printer that took nothing waits for the next event, or for the
        // next shift boundary (a print deferred to the morning starts then).
        let retry = match (next_event, clock.next_change(now)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        for &p in &free {
            available[p] = retry;
        }
        let mut done = Vec::with_capacity(picks.len());
        for pick in picks {
            let (j, p) = (waiting[pick.job], pick.printer);
            let start = if pick.change {
                loaded_for[p] = Some(j);
                clock.next_open(now) + clock.material_change
            } else {
                now
            };
            let end = start + seconds_on(&jobs[j], &stations[p]);
            ends[j] = Some(end);
            available[p] = Some(if starts[p].auto_eject {
                end
            } else {
                clock.cleared(end)
            });
            done.push(pick.job);
        }
        done.sort_unstable_by(|a, b| b.cmp(a));
        for w in done {
            waiting.swap_remove(w);
        }
    }
    ends
}

#[cfg(test)]
mod tests {
    use super::{forecast, Shop, Start};
    use crate::domain::calendar::{Calendar, Shift};
    use crate::scheduler::timed::{Clock, TimedRule, Work};

    const H: i64 = 3600;

    /// Jobs and printers by material name; every job fits every printer.
    struct Materials {
        jobs: Vec<&'static str>,
        printers: Vec<&'static str>,
    }

    impl Shop for Materials {
        fn fit(&self, j: usize, p: usize) -> Option<bool> {
            Some(self.jobs[j] != self.printers[p])
        }
        fn same_load(&self, j: usize, k: usize) -> bool {
            self.jobs[j] == self.jobs[k]
        }
    }

    fn job(hours: f64) -> Work {
        Work {
            due: 100 * H,
            weight: 1.0,
            duration: hours * 3600.0,
        }
    }

    fn clock(calendar: Option<&Calendar>) -> Clock<'_> {
        Clock {
            now: 0,
            calendar,
            bed_clear: 300,
            material_change: 900,
        }
    }

    #[test]
    fn jobs_queue_behind_each_other_with_a_bed_clear_between() {
        let shop = Materials {
            jobs: vec!["PLA", "PLA"],
            printers: vec!["PLA"],
        };
        let starts = [Start {
            available_at: Some(0),
            auto_eject: false,
        }];
        let ends = forecast(
            &TimedRule::default(),
            clock(None),
            &[job(1.0), job(2.0)],
            &starts,
            &shop,
        );
        let mut sorted: Vec<i64> = ends.iter().flatten().copied().collect();
        sorted.sort_unstable();
        assert_eq!(sorted.len(), 2);
        assert_eq!(
            sorted[1],
            sorted[0] + 300 + if sorted[0] == H { 2 * H } else { H }
        );
    }

    #[test]
    fn a_short_print_in_the_evening_waits_for_the_morning_and_the_next_for_its_bed_clear() {
        // Weekdays 08:00–17:00 UTC from Monday 2026-01-05 00:00 (t = 0); now 16:00.
        let shift = Shift::parse("mon-fri", "08:00", "17:00", 1).expect("shift");
        let start: jiff::Timestamp = "2026-01-05T00:00:00Z".parse().expect("start");
        let calendar = Calendar::new(&[shift], &jiff::tz::TimeZone::UTC, start, 10);
        let shop = Materials {
            jobs: vec!["PLA", "PLA"],
            printers: vec!["PLA"],
        };
        let starts = [Start {
            available_at: Some(16 * H),
            auto_eject: false,
        }];
        let mut at = clock(Some(&calendar));
        at.now = 16 * H;
        let ends = forecast(
            &TimedRule::default(),
            at,
            &[job(3.0), job(3.0)],
            &starts,
            &shop,
        );
        let mut sorted: Vec<i64> = ends.iter().flatten().copied().collect();
        sorted.sort_unstable();
        // At 16:00 a 3-hour print would sit on the bed until 08:05: it
        // waits for Tuesday 08:00, the second follows the bed clear.
        assert_eq!(sorted[0], 32 * H + 3 * H, "the first ends Tuesday 11:00");
        assert_eq!(
            sorted[1],
            35 * H + 300 + 3 * H,
            "the second after the clear"
        );
    }

    #[test]
    fn a_change_is_timed_and_remembered_and_unprintable_jobs_get_no_estimate() {
        struct OnlySmall(Materials);
        impl Shop for OnlySmall {
            fn fit(&self, j: usize, p: usize) -> Option<bool> {
                if j == 2 {
                    return None;
                }
                self.0.fit(j, p)
            }
            fn same_load(&self, j: usize, k: usize) -> bool {
                self.0.same_load(j, k)
            }
        }
        let shop = OnlySmall(Materials {
            jobs: vec!["PETG", "PETG", "PLA"],
            printers: vec!["PLA"],
        });
        let starts = [Start {
            available_at: Some(0),
            auto_eject: true,
        }];
        let jobs = [job(1.0), job(1.0), job(1.0)];
        let ends = forecast(&TimedRule::default(), clock(None), &jobs, &starts, &shop);
        let mut sorted: Vec<i64> = ends.iter().flatten().copied().collect();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            [900 + H, 900 + 2 * H],
            "one change, then PETG stays loaded"
        );
        assert_eq!(ends[2], None);
    }
}
