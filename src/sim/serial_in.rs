//! The receiving side of the board: the UART receive buffer, the emergency
//! parser that sees every byte as it arrives, and Marlin's line assembly
//! (comments stripped, over-long lines truncated, empty lines skipped).

use std::collections::VecDeque;

/// A command the emergency parser acts on before the line is queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emergency {
    /// `M112`: kill the printer now.
    Kill,
    /// `M108`: stop waiting for heaters.
    CancelWait,
    /// `M410`: quick stop, discard planned moves.
    QuickStop,
}

/// Longest prefix the emergency parser needs to look at.
const EMERGENCY_WINDOW: usize = 24;

/// Receive buffer plus line assembly.
#[derive(Debug, Clone)]
pub struct SerialIn {
    rx: VecDeque<u8>,
    rx_capacity: usize,
    line: Vec<u8>,
    max_line: usize,
    in_comment: bool,
    dropped: u64,
    emergency_line: Vec<u8>,
}

impl SerialIn {
    /// A receive buffer of `rx_capacity` bytes feeding lines of at most
    /// `max_line - 1` bytes (Marlin's `MAX_CMD_SIZE` semantics).
    pub fn new(rx_capacity: usize, max_line: usize) -> Self {
        SerialIn {
            rx: VecDeque::with_capacity(rx_capacity),
            rx_capacity,
            line: Vec::with_capacity(max_line),
            max_line,
            in_comment: false,
            dropped: 0,
            emergency_line: Vec::with_capacity(EMERGENCY_WINDOW),
        }
    }

    /// One byte off the wire: stored if the buffer has room (lost otherwise),
    /// and shown to the emergency parser either way.
    pub fn receive(&mut self, byte: u8) -> Option<Emergency> {
        if self.rx.len() < self.rx_capacity {
            self.rx.push_back(byte);
        } else {
            self.dropped += 1;
        }
        self.emergency_byte(byte)
    }

    /// Bytes lost to a full receive buffer since power-on.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Bytes waiting in the receive buffer.
    pub fn pending(&self) -> usize {
        self.rx.len()
    }

    /// Drains the receive buffer up to the next complete, non-empty line.
    pub fn next_line(&mut self) -> Option<Vec<u8>> {
        while let Some(byte) = self.rx.pop_front() {
            if byte == b'\n' || byte == b'\r' {
                self.in_comment = false;
                if !self.line.is_empty() {
                    return Some(std::mem::take(&mut self.line));
                }
            } else if byte == b';' {
                self.in_comment = true;
            } else if !self.in_comment && self.line.len() + 1 < self.max_line {
                self.line.push(byte);
            }
        }
        None
    }

    /// Throws away the receive buffer and the partial line, as Marlin does
    /// after a line error.
    pub fn flush(&mut self) {
        self.rx.clear();
        self.line.clear();
        self.in_comment = false;
    }

    fn emergency_byte(&mut self, byte: u8) -> Option<Emergency> {
        if byte == b'\n' || byte == b'\r' {
            let found = emergency_command(&self.emergency_line);
            self.emergency_line.clear();
            return found;
        }
        if self.emergency_line.len() < EMERGENCY_WINDOW {
            self.emergency_line.push(byte);
        }
        None
    }
}

/// Recognises `[N<digits>] M112|M108|M410` at the start of a line.
fn emergency_command(line: &[u8]) -> Option<Emergency> {
    let mut rest = trim_start(line);
    if let Some(after_n) = rest.strip_prefix(b"N") {
        let digits = after_n.iter().take_while(|b| b.is_ascii_digit()).count();
        rest = trim_start(&after_n[digits..]);
    }
    let (found, tail) = [
        (b"M112", Emergency::Kill),
        (b"M108", Emergency::CancelWait),
        (b"M410", Emergency::QuickStop),
    ]
    .into_iter()
    .find_map(|(word, kind)| rest.strip_prefix(word).map(|tail| (kind, tail)))?;
    matches!(tail.first(), None | Some(b' ' | b'*')).then_some(found)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != b' ').unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(serial: &mut SerialIn, bytes: &[u8]) -> Vec<Emergency> {
        bytes.iter().filter_map(|b| serial.receive(*b)).collect()
    }

    fn lines(serial: &mut SerialIn) -> Vec<String> {
        std::iter::from_fn(|| serial.next_line())
            .map(|l| String::from_utf8(l).unwrap())
            .collect()
    }

    #[test]
    fn assembles_lines_like_marlin() {
        // (max line size, input, lines)
        let cases: &[(usize, &[u8], &[&str])] = &[
            (96, b"G28\n", &["G28"]),
            (96, b"G28\r\nM105\r\n", &["G28", "M105"]),
            (96, b"; only a comment\n\n\r\n", &[]),
            (96, b"G1 X1 ; move\nM105", &["G1 X1 "]),
            (5, b"0123456789\n", &["0123"]),
        ];
        for (max_line, input, expected) in cases {
            let mut serial = SerialIn::new(128, *max_line);
            feed(&mut serial, input);
            assert_eq!(
                lines(&mut serial),
                *expected,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn bytes_beyond_the_receive_buffer_are_lost() {
        let mut serial = SerialIn::new(8, 96);
        feed(&mut serial, b"M105\nM114\nM115\n");
        assert_eq!(serial.dropped(), 7);
        assert_eq!(serial.pending(), 8);
        assert_eq!(lines(&mut serial), ["M105"]);
        assert_eq!(serial.pending(), 0);
        feed(&mut serial, b"4\n");
        assert_eq!(lines(&mut serial), ["M114"]);
    }

    #[test]
    fn flush_discards_the_buffer_and_the_partial_line() {
        let mut serial = SerialIn::new(128, 96);
        feed(&mut serial, b"N1 G1 X1*9\nN2 G1");
        assert_eq!(serial.next_line().as_deref(), Some(&b"N1 G1 X1*9"[..]));
        assert_eq!(serial.next_line(), None);
        feed(&mut serial, b" X2");
        serial.flush();
        feed(&mut serial, b"*5\n");
        assert_eq!(lines(&mut serial), ["*5"]);
    }

    #[test]
    fn emergency_parser_sees_commands_even_when_bytes_are_lost() {
        // (input, emergencies)
        let cases: &[(&[u8], &[Emergency])] = &[
            (b"M112\n", &[Emergency::Kill]),
            (b"N12 M112*17\n", &[Emergency::Kill]),
            (b"  M108\r", &[Emergency::CancelWait]),
            (b"M410 \n", &[Emergency::QuickStop]),
            (b"M1120\n", &[]),
            (b"G1 M112\n", &[]),
            (b"M105\nM112\n", &[Emergency::Kill]),
        ];
        for (input, expected) in cases {
            let mut full = SerialIn::new(0, 96);
            assert_eq!(
                feed(&mut full, input),
                *expected,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }
}
