//! Streaming line splitter: any `BufRead` in, one line at a time out.
//!
//! Accepts LF, CRLF and lone CR endings and a missing final newline. Memory
//! stays bounded whatever the file: lines longer than [`MAX_LINE`] are cut
//! (the caller is told) and the rest of such a line is skipped.

use std::io::{self, BufRead};

/// Longest line kept, in bytes; the rest of a longer line is dropped.
pub const MAX_LINE: usize = 64 * 1024;

/// One line handed out by [`LineReader`].
#[derive(Debug)]
pub struct RawLine<'a> {
    /// 1-based line number in the file.
    pub number: u64,
    /// The bytes of the line, without its terminator.
    pub bytes: &'a [u8],
    /// True when the line was longer than [`MAX_LINE`] and was cut.
    pub truncated: bool,
    /// Offset of the line's first byte in the stream.
    pub offset: u64,
}

/// Splits a byte stream into lines without loading it whole.
pub struct LineReader<R> {
    inner: R,
    scratch: Vec<u8>,
    line_no: u64,
    offset: u64,
    skip_lf: bool,
    done: bool,
}

impl<R: BufRead> LineReader<R> {
    /// Wraps a buffered reader.
    pub fn new(inner: R) -> Self {
        LineReader {
            inner,
            scratch: Vec::new(),
            line_no: 0,
            offset: 0,
            skip_lf: false,
            done: false,
        }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Calls `f` for every line until the end of the stream or an I/O error.
    pub fn for_each_line<F>(&mut self, mut f: F) -> io::Result<()>
    where
        F: FnMut(RawLine<'_>),
    {
        while !self.done {
            self.next_line(&mut f)?;
        }
        Ok(())
    }

    fn next_line<F: FnMut(RawLine<'_>)>(&mut self, f: &mut F) -> io::Result<()> {
        self.scratch.clear();
        let start = self.offset;
        let mut truncated = false;
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                self.done = true;
                if self.scratch.is_empty() && !truncated {
                    return Ok(());
                }
                self.line_no += 1;
                f(RawLine {
                    number: self.line_no,
                    bytes: &self.scratch,
                    truncated,
                    offset: start,
                });
                return Ok(());
            }
            if self.skip_lf {
                self.skip_lf = false;
                if buf[0] == b'\n' {
                    self.inner.consume(1);
                    self.offset += 1;
                    continue;
                }
            }
            match memchr::memchr2(b'\n', b'\r', buf) {
                Some(end) => {
                    let after = end + 1;
                    let crlf_here = buf[end] == b'\r' && buf.get(after) == Some(&b'\n');
                    let cr_at_end = buf[end] == b'\r' && after == buf.len();
                    self.line_no += 1;
                    if self.scratch.is_empty() && !truncated && end <= MAX_LINE {
                        f(RawLine {
                            number: self.line_no,
                            bytes: &buf[..end],
                            truncated,
                            offset: start,
                        });
                    } else {
                        truncated |= keep(&mut self.scratch, &buf[..end]);
                        f(RawLine {
                            number: self.line_no,
                            bytes: &self.scratch,
                            truncated,
                            offset: start,
                        });
                    }
                    let used = if crlf_here { after + 1 } else { after };
                    self.skip_lf = cr_at_end;
                    self.inner.consume(used);
                    self.offset += used as u64;
                    return Ok(());
                }
                None => {
                    let n = buf.len();
                    truncated |= keep(&mut self.scratch, buf);
                    self.inner.consume(n);
                    self.offset += n as u64;
                }
            }
        }
    }
}

/// Appends up to the line limit; returns true when something was dropped.
fn keep(scratch: &mut Vec<u8>, bytes: &[u8]) -> bool {
    let room = MAX_LINE.saturating_sub(scratch.len());
    let take = room.min(bytes.len());
    scratch.extend_from_slice(&bytes[..take]);
    take < bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], cap: usize) -> Vec<(u64, Vec<u8>, bool)> {
        let mut out = Vec::new();
        let reader = io::BufReader::with_capacity(cap, input);
        LineReader::new(reader)
            .for_each_line(|l| out.push((l.number, l.bytes.to_vec(), l.truncated)))
            .unwrap();
        out
    }

    fn texts(input: &[u8], cap: usize) -> Vec<String> {
        lines(input, cap)
            .into_iter()
            .map(|(_, b, _)| String::from_utf8_lossy(&b).into_owned())
            .collect()
    }

    #[test]
    fn splits_every_line_ending() {
        for cap in [1, 2, 3, 7, 4096] {
            assert_eq!(
                texts(b"a\nb\r\nc\rd", cap),
                ["a", "b", "c", "d"],
                "capacity {cap}"
            );
            assert_eq!(
                texts(b"a\r\n\r\nb\n", cap),
                ["a", "", "b"],
                "capacity {cap}"
            );
            assert_eq!(texts(b"\r\r\n", cap), ["", ""], "capacity {cap}");
        }
    }

    #[test]
    fn empty_input_has_no_lines() {
        assert!(texts(b"", 16).is_empty());
    }

    #[test]
    fn numbers_lines_from_one() {
        let got = lines(b"x\ny\n", 16);
        assert_eq!(got[0].0, 1);
        assert_eq!(got[1].0, 2);
    }

    #[test]
    fn cuts_very_long_lines_and_goes_on() {
        let mut input = vec![b'X'; MAX_LINE + 10];
        input.extend_from_slice(b"\nG1\n");
        // Through a small buffer, and with the whole line in one buffer.
        for cap in [8192, 4 * MAX_LINE] {
            let got = lines(&input, cap);
            assert_eq!(got.len(), 2);
            assert_eq!(got[0].1.len(), MAX_LINE, "capacity {cap}");
            assert!(got[0].2, "capacity {cap}");
            assert_eq!(got[1].1, b"G1");
            assert!(!got[1].2);
        }
    }
}
