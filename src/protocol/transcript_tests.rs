//! Sessions with each firmware family, replayed through the link.
//!
//! `< text` is a line from the firmware, `> text` a line the link must send
//! (checksum verified, shown without it), `q TAG command` queues a job line,
//! `@ +MS` lets time pass and fires deadlines, `? text` is the next event
//! (echo and busy events are skipped).

use super::test_support::{lines_of, ms};
use super::{Link, LinkConfig, LinkEvent};
use std::collections::VecDeque;
use std::time::Duration;

fn describe(event: &LinkEvent) -> Option<String> {
    Some(match event {
        LinkEvent::Connected { firmware, .. } => format!("connected {firmware}"),
        LinkEvent::Temperatures(t) => {
            let readings: Vec<_> = t
                .readings
                .iter()
                .map(|r| format!("{}:{}", r.sensor, r.actual))
                .collect();
            format!("temps {}", readings.join(" "))
        }
        LinkEvent::Acked { tag } => format!("acked {tag}"),
        LinkEvent::HostAction(a) => format!("action {}", a.name),
        LinkEvent::Error {
            fatal: true,
            message,
        } => format!("fatal {message}"),
        LinkEvent::Error {
            fatal: false,
            message,
        } => format!("error {message}"),
        LinkEvent::LineRejected { line, count, .. } => format!("rejected {line} x{count}"),
        LinkEvent::Reset => "reset".to_owned(),
        LinkEvent::Lost => "lost".to_owned(),
        LinkEvent::Busy(_) | LinkEvent::Echo(_) => return None,
    })
}

struct Replay {
    link: Link,
    now: Duration,
    written: VecDeque<String>,
    events: VecDeque<String>,
}

impl Replay {
    fn pump(&mut self) {
        if let Some(batch) = self.link.poll_transmit(self.now) {
            self.written.extend(lines_of(&batch));
        }
        while let Some(event) = self.link.poll_event() {
            self.events.extend(describe(&event));
        }
    }

    fn step(&mut self, number: usize, line: &str) {
        self.now += ms(1);
        let (kind, text) = line.split_at(1);
        let text = text.trim();
        match kind {
            "<" => {
                self.link.receive(format!("{text}\n").as_bytes(), self.now);
                self.pump();
            }
            ">" => {
                if self.written.is_empty() {
                    self.pump();
                }
                assert_eq!(
                    self.written.pop_front().as_deref(),
                    Some(text),
                    "line {number}"
                );
            }
            "q" => {
                let (tag, command) = text.split_once(' ').unwrap();
                self.link
                    .queue_command(command, tag.parse().unwrap())
                    .unwrap();
            }
            "@" => {
                self.now += ms(text.trim_start_matches('+').parse().unwrap());
                self.link.handle_deadline(self.now);
                self.pump();
            }
            "?" => {
                self.pump();
                assert_eq!(
                    self.events.pop_front().as_deref(),
                    Some(text),
                    "line {number}"
                );
            }
            _ => panic!("line {number}: bad transcript line {line:?}"),
        }
    }
}

fn replay(transcript: &str) {
    let mut replay = Replay {
        link: Link::new(LinkConfig::default(), Duration::ZERO),
        now: Duration::ZERO,
        written: VecDeque::new(),
        events: VecDeque::new(),
    };
    for (i, line) in transcript.lines().map(str::trim).enumerate() {
        if !line.is_empty() {
            replay.step(i + 1, line);
        }
    }
    assert!(
        replay.written.is_empty(),
        "unchecked writes {:?}",
        replay.written
    );
    assert!(
        replay.events.is_empty(),
        "unchecked events {:?}",
        replay.events
    );
}

#[test]
fn marlin_2_with_advanced_ok_and_autoreport() {
    replay(include_str!("transcripts/marlin2.txt"));
}

#[test]
fn prusa_mk3() {
    replay(include_str!("transcripts/prusa_mk3.txt"));
}

#[test]
fn klipper() {
    replay(include_str!("transcripts/klipper.txt"));
}

#[test]
fn smoothieware() {
    replay(include_str!("transcripts/smoothie.txt"));
}

#[test]
fn repetier() {
    replay(include_str!("transcripts/repetier.txt"));
}
