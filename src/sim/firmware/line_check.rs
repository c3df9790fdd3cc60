//! Marlin's acceptance test of one received line (`GCodeQueue::get_serial_commands`):
//! line number first, then checksum; unnumbered lines pass unchecked.

use crate::gcode::checksum;

/// Why a numbered line was refused. The `Display` text is Marlin's, minus the
/// `Error:` prefix and the `Last Line: n` suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// `N` is not the last accepted number plus one.
    #[error("Line Number is not Last Line Number+1")]
    LineNumber,
    /// The `*` checksum does not match.
    #[error("checksum mismatch")]
    Checksum,
    /// A numbered line without `*` checksum.
    #[error("No Checksum with line number")]
    NoChecksum,
}

/// The verdict on one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Take the line; a numbered line moves the last line number to `number`.
    Accept {
        /// The line's number (or the `M110` argument), if it had one.
        number: Option<u32>,
    },
    /// Refuse the line and ask for a resend.
    Reject(LineError),
}

/// Checks `raw` (one line, comment already stripped) against `last_line`.
/// `corrupted` makes a numbered line fail its checksum, as if noise had hit it.
pub fn check_line(raw: &[u8], last_line: u32, corrupted: bool) -> Verdict {
    let command = trim_start(raw);
    if command.first() != Some(&b'N') {
        return Verdict::Accept { number: None };
    }
    let is_m110 = memchr::memmem::find(command, b"M110").is_some();
    let number_at = match is_m110 {
        true => memchr::memchr(b'N', command.get(4..).unwrap_or_default()).map_or(0, |i| i + 4),
        false => 0,
    };
    let number = leading_number(&command[number_at + 1..]);
    if !is_m110 && Some(number) != last_line.checked_add(1) {
        return Verdict::Reject(LineError::LineNumber);
    }
    let Some(star) = memchr::memrchr(b'*', command) else {
        return Verdict::Reject(LineError::NoChecksum);
    };
    let stated = leading_number(&command[star + 1..]);
    if corrupted || stated != u32::from(checksum(&command[..star])) {
        return Verdict::Reject(LineError::Checksum);
    }
    Verdict::Accept {
        number: Some(number),
    }
}

/// The command as the record keeps it: no `N`, no `*checksum`, trimmed.
pub fn command_text(raw: &[u8]) -> String {
    let mut text = trim_start(raw);
    if let Some(after_n) = text.strip_prefix(b"N") {
        let digits = after_n.iter().take_while(|b| b.is_ascii_digit()).count();
        text = &after_n[digits..];
    }
    if let Some(star) = memchr::memrchr(b'*', text) {
        if text[star + 1..]
            .iter()
            .all(|b| b.is_ascii_digit() || *b == b' ')
        {
            text = &text[..star];
        }
    }
    String::from_utf8_lossy(text).trim().to_owned()
}

/// `strtol` on the leading digits (0 when there are none, saturating).
fn leading_number(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0u32, |acc, d| {
            acc.saturating_mul(10).saturating_add(u32::from(d - b'0'))
        })
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != b' ').unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `N<n> <body>*<checksum>` as a host sends it.
    pub(crate) fn numbered(n: u32, body: &str) -> String {
        let text = format!("N{n} {body}");
        format!("{text}*{}", checksum(text.as_bytes()))
    }

    #[test]
    fn verdicts_match_marlin() {
        use LineError::*;
        let accept = |n| Verdict::Accept { number: n };
        // (line, last line, corrupted, verdict)
        let cases: Vec<(String, u32, bool, Verdict)> = vec![
            ("G28".into(), 7, false, accept(None)),
            ("M105*99".into(), 7, false, accept(None)),
            (numbered(8, "G28"), 7, false, accept(Some(8))),
            (
                format!("  {}", numbered(8, "G28")),
                7,
                false,
                accept(Some(8)),
            ),
            (numbered(9, "G28"), 7, false, Verdict::Reject(LineNumber)),
            (numbered(7, "G28"), 7, false, Verdict::Reject(LineNumber)),
            ("N8 G28*0".into(), 7, false, Verdict::Reject(Checksum)),
            (numbered(8, "G28"), 7, true, Verdict::Reject(Checksum)),
            ("N8 G28".into(), 7, false, Verdict::Reject(NoChecksum)),
            ("N9 G28".into(), 7, false, Verdict::Reject(LineNumber)),
            (numbered(0, "M110 N0"), 7, false, accept(Some(0))),
            (numbered(3, "M110 N100"), 7, false, accept(Some(100))),
            (numbered(42, "M110"), 7, false, accept(Some(42))),
            ("N0 M110 N0".into(), 7, false, Verdict::Reject(NoChecksum)),
        ];
        for (line, last, corrupted, expected) in cases {
            assert_eq!(
                check_line(line.as_bytes(), last, corrupted),
                expected,
                "{line}"
            );
        }
    }

    #[test]
    fn command_text_drops_transport_framing() {
        let cases = [
            (numbered(12, "G1 X10.0 Y2"), "G1 X10.0 Y2"),
            ("  G28 ".to_owned(), "G28"),
            ("M117 a*b".to_owned(), "M117 a*b"),
            ("M105*37".to_owned(), "M105"),
        ];
        for (raw, expected) in cases {
            assert_eq!(command_text(raw.as_bytes()), expected);
        }
    }
}
