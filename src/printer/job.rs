//! A job being streamed: its reader and what the firmware acknowledged.

use super::job_feed::{spawn_reader, JobItems};
use super::types::{JobId, JobProgress, JobSource, PrinterError};
use crate::domain::FailureCause;
use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Cursor};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The source line given to script commands sent as part of a job (file
/// lines are numbered from 1).
pub(crate) const SCRIPT_LINE: u64 = 0;

/// A job being streamed.
pub(crate) struct ActiveJob {
    pub id: JobId,
    pub items: JobItems,
    pub stop: Arc<AtomicBool>,
    pub source_done: bool,
    pub paused: bool,
    pub progress: JobProgress,
    queued: VecDeque<(u64, u64)>,
}

impl ActiveJob {
    /// Opens the source and starts the reader thread.
    pub fn start(id: JobId, source: JobSource) -> Result<Self, PrinterError> {
        let stop = Arc::new(AtomicBool::new(false));
        let (reader, bytes_total): (Box<dyn BufRead + Send>, u64) = match source {
            JobSource::File(path) => {
                let failed = |e: io::Error| PrinterError::JobFile {
                    path: path.clone(),
                    message: e.to_string(),
                    cause: FailureCause::of_file_error(&e),
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
        let items = spawn_reader(reader, Arc::clone(&stop));
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
    fn eta_scales_the_elapsed_time() {
        assert_eq!(
            eta(Duration::from_secs(10), 25, 100),
            Some(Duration::from_secs(30))
        );
        assert_eq!(eta(Duration::from_secs(10), 0, 100), None);
    }
}
