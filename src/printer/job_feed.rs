//! Reading a job's G-code on a blocking thread and handing the commands to
//! the printer task in batches, through a bounded channel: memory stays
//! constant whatever the file, and the two threads wake each other once a
//! batch, not once a line.

use crate::domain::FailureCause;
use crate::gcode::{parse_line, LineReader};
use std::collections::VecDeque;
use std::io::{self, BufRead, Read};
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TryRecvError;

/// Commands in one batch, at most.
const BATCH: usize = 32;
/// Batches read ahead of the link, at most.
const BATCHES_AHEAD: usize = 2;

/// One item from the job reader.
#[derive(Debug, PartialEq)]
pub(crate) enum JobItem {
    /// A command to send, with its source line and the file offset after it.
    Command { line: u64, text: String, end: u64 },
    /// The file cannot be read further, or a line cannot be sent.
    Invalid {
        /// Whose fault it is.
        cause: FailureCause,
        /// What happened.
        reason: String,
    },
}

/// The printer task's end of the reader: batches in, one item at a time out.
pub(crate) struct JobItems {
    batches: mpsc::Receiver<Vec<JobItem>>,
    ready: VecDeque<JobItem>,
}

impl JobItems {
    /// The next item; `None` once the reader has finished. Cancel-safe: an
    /// item is never lost when the future is dropped.
    pub async fn recv(&mut self) -> Option<JobItem> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            let batch = self.batches.recv().await?;
            self.ready.extend(batch);
        }
    }

    /// The next item if one is ready now.
    pub fn try_recv(&mut self) -> Result<JobItem, TryRecvError> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Ok(item);
            }
            let batch = self.batches.try_recv()?;
            self.ready.extend(batch);
        }
    }
}

/// Starts reading `reader` on a blocking thread; setting `stop` ends it.
pub(crate) fn spawn_reader(reader: Box<dyn BufRead + Send>, stop: Arc<AtomicBool>) -> JobItems {
    let (tx, batches) = mpsc::channel(BATCHES_AHEAD);
    tokio::task::spawn_blocking(move || {
        let reader = StopOnFlag {
            inner: reader,
            stop: Arc::clone(&stop),
        };
        let mut out = BatchSender::new(tx);
        // A panic here would be a bug; the job must still fail, not look
        // finished because the channel closed.
        let read = panic::catch_unwind(AssertUnwindSafe(|| read_all(reader, &mut out, &stop)));
        let failure = match read {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some((
                FailureCause::of_file_error(&e),
                format!("reading the file: {e}"),
            )),
            Err(_) => Some((
                FailureCause::JobUnreadable,
                "the job reader failed unexpectedly".to_owned(),
            )),
        };
        if let Some((cause, reason)) = failure.filter(|_| !stop.load(Ordering::Relaxed)) {
            out.push(JobItem::Invalid { cause, reason });
        }
        out.flush();
    });
    JobItems {
        batches,
        ready: VecDeque::new(),
    }
}

/// Collects items and sends them a batch at a time.
struct BatchSender {
    tx: mpsc::Sender<Vec<JobItem>>,
    batch: Vec<JobItem>,
    closed: bool,
}

impl BatchSender {
    fn new(tx: mpsc::Sender<Vec<JobItem>>) -> Self {
        BatchSender {
            tx,
            batch: Vec::with_capacity(BATCH),
            closed: false,
        }
    }

    /// Adds an item, sending the batch when it is full; false once the
    /// printer task has dropped its end.
    fn push(&mut self, item: JobItem) -> bool {
        self.batch.push(item);
        if self.batch.len() >= BATCH {
            self.flush();
        }
        !self.closed
    }

    fn flush(&mut self) {
        if self.batch.is_empty() || self.closed {
            return;
        }
        let batch = mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.closed = self.tx.blocking_send(batch).is_err();
    }
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

fn read_all(reader: impl BufRead, out: &mut BatchSender, stop: &AtomicBool) -> io::Result<()> {
    LineReader::new(reader).for_each_line(|raw| {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let item = if raw.truncated {
            JobItem::Invalid {
                cause: FailureCause::JobUnreadable,
                reason: format!("line {} is too long", raw.number),
            }
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
        if !out.push(item) {
            stop.store(true, Ordering::Relaxed);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

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

    /// Every command arrives once and in order across batch boundaries,
    /// whether taken by waiting or by polling, and the end is reported.
    #[tokio::test]
    async fn batches_deliver_every_command_in_order() {
        let count = BATCH * 3 + 5;
        let text: String = (0..count).map(|i| format!("G1 X{i} ; c\n\n")).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let mut items = spawn_reader(Box::new(Cursor::new(text)), stop);
        let mut got = Vec::new();
        while let Some(item) = items.recv().await {
            got.push(item);
            while let Ok(item) = items.try_recv() {
                got.push(item);
            }
        }
        let want: Vec<JobItem> = (0..count)
            .map(|i| JobItem::Command {
                line: 2 * i as u64 + 1,
                text: format!("G1 X{i}"),
                end: got_end(i),
            })
            .collect();
        assert_eq!(got, want);
        assert_eq!(items.try_recv(), Err(TryRecvError::Disconnected));
    }

    /// File offset after command `i` of the test file above: each command
    /// line is `G1 X{i} ; c` followed by a newline and a blank line.
    fn got_end(i: usize) -> u64 {
        let before: usize = (0..i).map(|j| format!("G1 X{j} ; c\n\n").len()).sum();
        (before + format!("G1 X{i} ; c").len()) as u64
    }

    /// A too-long line is reported after the commands before it.
    #[tokio::test]
    async fn a_too_long_line_is_reported_after_the_commands_before_it() {
        let text = format!("G28\nM117 {}\nG1 X1\n", "x".repeat(1 << 20));
        let stop = Arc::new(AtomicBool::new(false));
        let mut items = spawn_reader(Box::new(Cursor::new(text)), stop);
        assert!(matches!(
            items.recv().await,
            Some(JobItem::Command { line: 1, .. })
        ));
        let Some(JobItem::Invalid { reason, .. }) = items.recv().await else {
            panic!("expected the too-long line to be reported");
        };
        assert!(reason.contains("line 2"), "{reason}");
    }

    /// An endless file of moves that reports on `dropped` when the reader
    /// thread lets go of it.
    struct Endless {
        inner: io::Repeat,
        dropped: Option<std::sync::mpsc::Sender<()>>,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            for (i, byte) in buf[..n].iter_mut().enumerate() {
                *byte = b"G1 X1\n"[i % 6];
            }
            Ok(n - n % 6)
        }
    }

    impl Drop for Endless {
        fn drop(&mut self) {
            if let Some(dropped) = self.dropped.take() {
                let _ = dropped.send(());
            }
        }
    }

    fn endless_reader() -> (Box<dyn BufRead + Send>, std::sync::mpsc::Receiver<()>) {
        let (tx, rx) = std::sync::mpsc::channel();
        let endless = Endless {
            inner: io::repeat(0),
            dropped: Some(tx),
        };
        (Box::new(io::BufReader::with_capacity(60, endless)), rx)
    }

    /// Dropping the printer task's end ends the reader thread even in the
    /// middle of an endless file; setting the stop flag ends the stream.
    #[tokio::test]
    async fn the_reader_thread_ends_when_dropped_or_stopped() {
        let patience = std::time::Duration::from_secs(10);
        for drop_the_receiver in [true, false] {
            let (reader, dropped) = endless_reader();
            let stop = Arc::new(AtomicBool::new(false));
            let mut items = spawn_reader(reader, Arc::clone(&stop));
            assert!(matches!(items.recv().await, Some(JobItem::Command { .. })));
            if drop_the_receiver {
                drop(items);
            } else {
                stop.store(true, Ordering::Relaxed);
                let mut after_stop = 0;
                while items.recv().await.is_some() {
                    after_stop += 1;
                }
                assert!(
                    after_stop <= (BATCHES_AHEAD + 2) * BATCH,
                    "{after_stop} after stop"
                );
            }
            let ended = tokio::task::spawn_blocking(move || dropped.recv_timeout(patience));
            let ended = ended.await.expect("the waiting task");
            assert!(
                ended.is_ok(),
                "reader still running (dropped: {drop_the_receiver})"
            );
        }
    }
}
