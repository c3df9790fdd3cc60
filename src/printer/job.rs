//! Reading a job's G-code on a blocking thread, a bounded channel at a time,
//! and keeping track of what the firmware acknowledged.

use super::types::{JobId, JobProgress, JobSource, PrinterError};
use crate::gcode::{parse_line, LineReader};
use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Commands read ahead of the link, at most.
const READ_AHEAD: usize = 64;

/// One item from the job reader.
#[derive(Debug)]
pub(crate) enum JobItem {
    /// A command to send, with its source line and the file offset after it.
    Command { line: u64, text: String, end: u64 },
    /// The file cannot be read further, or a line cannot be sent.
    Invalid(String),
}

/// A reader that fails once `stop` is set, so a cancelled job stops reading.
struct StopOnFlag<R> {
    inner: R,
    stop: Arc<AtomicBool>,
}

impl<R: Read> Read for StopOnFlag<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.check()?;
        self.inner.read(buf)
    }
}

impl<R: BufRead> BufRead for StopOnFlag<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.check()?;
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
    }
}

impl<R> StopOnFlag<R> {
    fn check(&self) -> io::Result<()> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(io::Error::other("job cancelled"));
        }
        Ok(())
    }
}

/// The command text of one file line: canonical form without comment or
/// line number; `None` for blank and comment-only lines.
pub(crate) fn command_text(bytes: &[u8]) -> Option<String> {
    let mut issues = Vec::new();
    let mut line = parse_line(bytes, &mut issues);
    if line.is_empty() {
        return None;
    }
    line.comment = None;
    line.number = None;
    Some(line.to_string())
}

fn read_all(reader: impl BufRead, tx: &mpsc::Sender<JobItem>, stop: &AtomicBool) -> io::Result<()> {
    LineReader::new(reader).for_each_line(|raw| {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let item = if raw.truncated {
            JobItem::Invalid(format!("line {} is too long", raw.number))
        } else {
            match command_text(raw.bytes) {
                Some(text) => JobItem::Command {
                    line: raw.number,
                    text,
                    end: raw.offset + raw.bytes.len() as u64,
                },
                None => return,
            }
        };
        if tx.blocking_send(item).is_err() {
            stop.store(true, Ordering::Relaxed);
        }
    })
}

/// A job being streamed.
pub(crate) struct ActiveJob {
    pub id: JobId,
    pub items: mpsc::Receiver<JobItem>,
    pub stop: Arc<AtomicBool>,
    pub source_done: bool,
    pub paused: bool,
    pub progress: JobProgress,
    queued: VecDeque<(u64, u64)>,
}

impl ActiveJob {
    /// Opens the source and starts the reader thread.
    pub fn start(id: JobId, source: JobSource) -> Result<Self, PrinterError> {
        let (tx, items) = mpsc::channel(READ_AHEAD);
        let stop = Arc::new(AtomicBool::new(false));
        let (reader, bytes_total): (Box<dyn BufRead + Send>, u64) = match source {
            JobSource::File(path) => {
                let failed = |e: io::Error| PrinterError::JobFile {
                    path: path.clone(),
                    message: e.to_string(),
                };
                let file = std::fs::File::open(&path).map_err(failed)?;
                let size = file.metadata().map_err(failed)?.len();
                (Box::new(BufReader::with_capacity(64 * 1024, file)), size)
            }
            JobSource::Lines(lines) => {
                let text = lines.join("\n").into_bytes();
                let size = text.len() as u64;
                (Box::new(Cursor::new(text)), size)
            }
        };
        let flag = Arc::clone(&stop);
        tokio::task::spawn_blocking(move || {
            let reader = StopOnFlag {
                inner: reader,
                stop: Arc::clone(&flag),
            };
            if let Err(e) = read_all(reader, &tx, &flag) {
                if !flag.load(Ordering::Relaxed) {
                    let _ = tx.blocking_send(JobItem::Invalid(format!("reading the file: {e}")));
                }
            }
        });
        let progress = JobProgress {
            job_id: id,
            last_acked_line: 0,
            lines_acked: 0,
            bytes_acked: 0,
            bytes_total,
            eta: None,
        };
        Ok(ActiveJob {
            id,
            items,
            stop,
            source_done: false,
            paused: false,
            progress,
            queued: VecDeque::new(),
        })
    }

    /// Remembers a command handed to the link.
    pub fn queued(&mut self, line: u64, end: u64) {
        self.queued.push_back((line, end));
    }

    /// Records the acknowledgement of source line `line` after `elapsed` printing.
    pub fn acked(&mut self, line: u64, elapsed: Duration) {
        while let Some(&(queued_line, end)) = self.queued.front() {
            if queued_line > line {
                break;
            }
            self.queued.pop_front();
            self.progress.bytes_acked = end;
        }
        self.progress.last_acked_line = line;
        self.progress.lines_acked += 1;
        self.progress.eta = eta(
            elapsed,
            self.progress.bytes_acked,
            self.progress.bytes_total,
        );
    }
}

impl Drop for ActiveJob {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Time left at the rate so far.
fn eta(elapsed: Duration, done: u64, total: u64) -> Option<Duration> {
    if done == 0 || total < done {
        return None;
    }
    Some(elapsed.mul_f64((total - done) as f64 / done as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_text_drops_comments_numbers_and_blank_lines() {
        let table: &[(&[u8], Option<&str>)] = &[
            (b"G1 X10 Y20 ; move", Some("G1 X10 Y20")),
            (b"N12 G28*33", Some("G28")),
            (b"; only a comment", None),
            (b"   ", None),
            (b"M117 Hello world", Some("M117 Hello world")),
        ];
        for (bytes, want) in table {
            assert_eq!(command_text(bytes).as_deref(), *want);
        }
    }

    #[test]
    fn eta_scales_the_elapsed_time() {
        assert_eq!(
            eta(Duration::from_secs(10), 25, 100),
            Some(Duration::from_secs(30))
        );
        assert_eq!(eta(Duration::from_secs(10), 0, 100), None);
    }
}
