//! The discrete-event simulation: printers print, finished prints wait on
//! their beds until an operator on shift clears them, material changes
//! take an operator too, at most `max_heatups` prints heat at once, and the
//! policy is asked what to start whenever something changed.

use super::instance::{Model, HEATUP_S};
use super::policy::{Assignment, Policy, View};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Instant;

/// Where a printer is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// Free, bed clear.
    Idle,
    /// Holding `job` until an operator changes its material.
    AwaitChange(usize),
    /// An operator is changing the material for `job`.
    Changing(usize),
    /// Ready for `job`, waiting for a heat-up slot.
    AwaitHeat(usize),
    /// Printing `job`.
    Printing(usize),
    /// A finished print on the bed since the time given.
    Full(i64),
    /// An operator is clearing the bed.
    Clearing,
}

/// One print as it ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Job index.
    pub job: usize,
    /// Printer index.
    pub printer: usize,
    /// Print start, s.
    pub start: i64,
    /// Print end, s.
    pub end: i64,
    /// Material change before it, s.
    pub setup: i64,
}

/// What a simulation produced.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Every print, in start order.
    pub runs: Vec<Run>,
    /// Material changes made.
    pub material_changes: u32,
    /// Bed-full intervals `(printer, from, to)`.
    pub blocked: Vec<(usize, i64, i64)>,
    /// Most prints heating at once.
    pub peak_heatups: u32,
    /// Each decision's wall time, s.
    pub decide_s: Vec<f64>,
    /// Jobs that never ran (a policy that left them).
    pub unfinished: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Printed(usize),
    TaskFinished(usize),
    HeatedUp,
}

struct Sim<'a> {
    model: &'a Model,
    now: i64,
    states: Vec<State>,
    loads: Vec<String>,
    idle_since: Vec<i64>,
    waiting: Vec<usize>,
    tasks: VecDeque<usize>,
    busy_operators: u32,
    heating: u32,
    events: BinaryHeap<Reverse<(i64, Event)>>,
    out: Outcome,
    setup: Vec<i64>,
    print_end: Vec<i64>,
    order_weight: Vec<f64>,
    order_due: Vec<i64>,
    done: usize,
}

/// Runs `policy` on `model` until every job has printed (or nothing more
/// can happen).
pub fn simulate(model: &Model, policy: &mut dyn Policy) -> Outcome {
    let mut sim = Sim::new(model);
    let mut releases: Vec<usize> = (0..model.jobs.len()).collect();
    releases.sort_by_key(|&j| model.jobs[j].release);
    let mut next_release = 0;
    loop {
        while next_release < releases.len() && model.jobs[releases[next_release]].release <= sim.now
        {
            sim.waiting.push(releases[next_release]);
            next_release += 1;
        }
        sim.settle(policy);
        if sim.done == model.jobs.len() {
            break;
        }
        let release_at = releases.get(next_release).map(|&j| model.jobs[j].release);
        // Tasks wait for a shift, and so may prints the policy held back
        // until someone is there to clear their bed.
        let shift_at = (!sim.tasks.is_empty() || !sim.waiting.is_empty())
            .then(|| model.calendar.next_change(sim.now))
            .flatten();
        let event_at = sim.events.peek().map(|Reverse((t, _))| *t);
        let Some(next) = [release_at, shift_at, event_at].into_iter().flatten().min() else {
            break;
        };
        sim.now = next.max(sim.now);
        while let Some(Reverse((t, event))) = sim.events.peek().copied() {
            if t > sim.now {
                break;
            }
            sim.events.pop();
            sim.apply(event);
        }
    }
    sim.out.unfinished = model.jobs.len() - sim.done;
    sim.out
}

impl<'a> Sim<'a> {
    fn new(model: &'a Model) -> Sim<'a> {
        let orders = model.orders.len();
        let mut order_weight = vec![0.0f64; orders];
        let mut order_due = vec![i64::MAX; orders];
        for job in &model.jobs {
            order_weight[job.order] = order_weight[job.order].max(job.weight);
            order_due[job.order] = order_due[job.order].min(job.due);
        }
        let printers = model.printers.len();
        Sim {
            model,
            now: 0,
            states: vec![State::Idle; printers],
            loads: model.printers.iter().map(|p| p.load.clone()).collect(),
            idle_since: vec![0; printers],
            waiting: Vec::new(),
            tasks: VecDeque::new(),
            busy_operators: 0,
            heating: 0,
            events: BinaryHeap::new(),
            out: Outcome::default(),
            setup: vec![0; printers],
            print_end: vec![0; printers],
            order_weight,
            order_due,
            done: 0,
        }
    }

    fn apply(&mut self, event: Event) {
        match event {
            Event::HeatedUp => self.heating = self.heating.saturating_sub(1),
            Event::Printed(p) => {
                self.states[p] = State::Full(self.now);
                self.tasks.push_back(p);
                self.done += 1;
            }
            Event::TaskFinished(p) => {
                self.busy_operators = self.busy_operators.saturating_sub(1);
                self.states[p] = match self.states[p] {
                    State::Changing(job) => {
                        self.loads[p] = self.model.jobs[job].load.clone();
                        State::AwaitHeat(job)
                    }
                    _ => {
                        self.idle_since[p] = self.now;
                        State::Idle
                    }
                };
            }
        }
    }

    /// Hands out tasks, starts prints and asks the policy until nothing changes.
    fn settle(&mut self, policy: &mut dyn Policy) {
        loop {
            self.work_tasks();
            self.start_heating();
            if !self.ask(policy) {
                return;
            }
        }
    }

    fn work_tasks(&mut self) {
        let on_shift = self.model.calendar.operators_at(self.now);
        while self.busy_operators < on_shift {
            let Some(p) = self.tasks.pop_front() else {
                return;
            };
            let until = match self.states[p] {
                State::Full(since) => {
                    self.out.blocked.push((p, since, self.now));
                    self.states[p] = State::Clearing;
                    self.now + self.model.bed_clear
                }
                State::AwaitChange(job) => {
                    self.states[p] = State::Changing(job);
                    self.setup[p] = self.model.material_change;
                    self.out.material_changes += 1;
                    self.now + self.model.material_change
                }
                _ => continue,
            };
            self.busy_operators += 1;
            self.events.push(Reverse((until, Event::TaskFinished(p))));
        }
    }

    fn start_heating(&mut self) {
        for p in 0..self.states.len() {
            if self.heating >= self.model.max_heatups {
                return;
            }
            if let State::AwaitHeat(job) = self.states[p] {
                self.start_print(p, job);
            }
        }
    }

    fn start_print(&mut self, p: usize, job: usize) {
        let end = self.now + self.model.jobs[job].seconds_on(&self.model.printers[p]);
        let setup = std::mem::take(&mut self.setup[p]);
        self.heating += 1;
        self.out.peak_heatups = self.out.peak_heatups.max(self.heating);
        self.events
            .push(Reverse((self.now + HEATUP_S, Event::HeatedUp)));
        self.events.push(Reverse((end, Event::Printed(p))));
        self.print_end[p] = end;
        self.states[p] = State::Printing(job);
        self.out.runs.push(Run {
            job,
            printer: p,
            start: self.now,
            end,
            setup,
        });
    }

    /// Asks the policy; true when it started or reserved something.
    fn ask(&mut self, policy: &mut dyn Policy) -> bool {
        let mut free: Vec<usize> = (0..self.states.len())
            .filter(|&p| self.states[p] == State::Idle)
            .collect();
        if free.is_empty() || self.waiting.is_empty() {
            return false;
        }
        free.sort_by_key(|&p| (self.idle_since[p], p));
        let free_at = self.free_at();
        let view = View {
            now: self.now,
            model: self.model,
            waiting: &self.waiting,
            free: &free,
            loads: &self.loads,
            free_at: &free_at,
            heatup_slots: self.model.max_heatups.saturating_sub(self.heating),
            order_weight: &self.order_weight,
            order_due: &self.order_due,
        };
        let started = Instant::now();
        let chosen = policy.decide(&view);
        self.out.decide_s.push(started.elapsed().as_secs_f64());
        let mut applied = false;
        for Assignment { job, printer } in chosen {
            applied |= self.assign(job, printer);
        }
        applied
    }

    /// Gives `job` to `printer` if both are still free and it fits.
    fn assign(&mut self, job: usize, printer: usize) -> bool {
        let Some(position) = self.waiting.iter().position(|&j| j == job) else {
            return false;
        };
        let fits = self.model.jobs[job].fits(&self.model.printers[printer]);
        if self.states.get(printer) != Some(&State::Idle) || !fits {
            return false;
        }
        self.waiting.swap_remove(position);
        if self.loads[printer] == self.model.jobs[job].load {
            self.states[printer] = State::AwaitHeat(job);
        } else {
            self.states[printer] = State::AwaitChange(job);
            self.tasks.push_back(printer);
        }
        true
    }

    /// When each busy printer is expected to be free again.
    fn free_at(&self) -> Vec<Option<i64>> {
        let clear =
            |end: i64| self.model.calendar.next_open(end).unwrap_or(end) + self.model.bed_clear;
        self.states
            .iter()
            .enumerate()
            .map(|(p, state)| match state {
                State::Printing(_) => Some(clear(self.print_end[p])),
                State::Full(_) => Some(clear(self.now)),
                State::Clearing => Some(self.now + self.model.bed_clear),
                _ => None,
            })
            .collect()
    }
}
