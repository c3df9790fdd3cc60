//! Line framing (`N{n} {cmd}*{checksum}`) and how long a command may take.

use crate::gcode::{checksum, parse_line};
use std::time::Duration;

/// Frames one numbered line: `N{number} {command}*{xor}\n`.
pub fn frame_line(number: u32, command: &str) -> Vec<u8> {
    let mut line = format!("N{number} {command}").into_bytes();
    let sum = checksum(&line);
    line.extend_from_slice(format!("*{sum}\n").as_bytes());
    line
}

/// How long the firmware may take to acknowledge commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Ordinary commands (moves, settings).
    pub normal: Duration,
    /// Homing, probing, heating and waiting (`G28`, `G29`, `M109`, `M190`, `M400`, …).
    pub long: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            normal: Duration::from_secs(10),
            long: Duration::from_secs(30 * 60),
        }
    }
}

/// Commands that run for a long time before their `ok`.
fn is_long(letter: u8, number: u32) -> bool {
    match letter {
        b'G' => matches!(number, 28 | 29 | 30 | 33 | 34 | 35 | 76 | 80),
        b'M' => matches!(number, 109 | 190 | 191 | 400 | 303 | 600 | 0 | 1 | 226 | 48),
        _ => false,
    }
}

/// How long the acknowledgement of `command` may take.
/// `G4` waits its own duration (`P` milliseconds or `S` seconds) on top of the normal timeout.
pub fn command_timeout(command: &str, timeouts: &Timeouts) -> Duration {
    let mut issues = Vec::new();
    let line = parse_line(command.as_bytes(), &mut issues);
    let Some(code) = line.code.filter(|c| c.sub.is_none()) else {
        return timeouts.normal;
    };
    if code.is(b'G', 4) {
        let millis = line.get(b'P').unwrap_or(0.0) + line.get(b'S').unwrap_or(0.0) * 1000.0;
        let dwell = Duration::try_from_secs_f64(millis.max(0.0) / 1000.0).unwrap_or(timeouts.long);
        return timeouts.normal.saturating_add(dwell);
    }
    if is_long(code.letter, code.number) {
        timeouts.long
    } else {
        timeouts.normal
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gcode::Checksum;
    use proptest::prelude::*;

    #[test]
    fn frames_with_number_and_checksum() {
        assert_eq!(frame_line(0, "M110 N0"), b"N0 M110 N0*125\n");
        assert_eq!(frame_line(1, "M115"), b"N1 M115*39\n");
    }

    #[test]
    fn long_commands_get_the_long_timeout() {
        let t = Timeouts::default();
        let table = [
            ("G1 X10", t.normal),
            ("G28", t.long),
            ("G29", t.long),
            ("M109 S200", t.long),
            ("M190 S60", t.long),
            ("M400", t.long),
            ("G4 P500", t.normal + Duration::from_millis(500)),
            ("G4 S30", t.normal + Duration::from_secs(30)),
            ("M117 Hi", t.normal),
            ("", t.normal),
        ];
        for (cmd, want) in table {
            assert_eq!(command_timeout(cmd, &t), want, "{cmd}");
        }
    }

    proptest! {
        #[test]
        fn framed_lines_parse_back_with_a_valid_checksum(
            number in 0u32..10_000_000,
            command in "[GM][0-9]{1,3}( [XYZEF]-?[0-9]{1,4}(\\.[0-9]{1,3})?){0,4}",
        ) {
            let framed = frame_line(number, &command);
            prop_assert_eq!(framed.last(), Some(&b'\n'));
            let body = &framed[..framed.len() - 1];
            let mut issues = Vec::new();
            let line = parse_line(body, &mut issues);
            prop_assert!(issues.is_empty(), "{:?}", issues);
            prop_assert_eq!(line.number, Some(number));
            prop_assert!(matches!(line.checksum, Some(Checksum::Valid(_))));
            let mut reparsed = Vec::new();
            let original = parse_line(command.as_bytes(), &mut reparsed);
            prop_assert_eq!(line.code, original.code);
            prop_assert_eq!(line.words(), original.words());
        }
    }
}
