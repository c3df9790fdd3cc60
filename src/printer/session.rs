//! One connection: the loop that reads the port, writes what the link hands
//! out, feeds job lines, and serves requests. The only writer of the port.

use super::driver::Driver;
use super::handle::Request;
use super::job::ActiveJob;
use super::job_feed::JobItem;
use super::requests::{queue_script, Queued};
use crate::domain::FailureCause;
use crate::protocol::Link;
use std::future::pending;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_serial::SerialStream;

/// Why a session ended.
pub(crate) enum SessionEnd {
    /// The port failed, closed, or the printer stopped answering.
    Disconnected(String),
    /// Every handle is gone.
    Shutdown,
    /// A technician asked for a reset: reconnect now.
    Reset,
}

async fn next_item(job: &mut Option<ActiveJob>) -> Option<JobItem> {
    match job {
        Some(job) => job.items.recv().await,
        None => pending().await,
    }
}

impl Driver {
    /// Runs one connection until it ends.
    pub(crate) async fn session(&mut self, port: &mut SerialStream) -> SessionEnd {
        let mut link = Link::new(self.config.link.clone(), self.now());
        let mut buf = vec![0u8; 4096];
        loop {
            if let Err(end) = self.pump(&mut link, port).await {
                return end;
            }
            let deadline = link.next_deadline().map(|d| self.origin + d);
            let feeding = self.wants_lines(&link);
            tokio::select! {
                read = port.read(&mut buf) => match read {
                    Ok(0) => return SessionEnd::Disconnected("port closed".into()),
                    Ok(n) => link.receive(&buf[..n], self.now()),
                    Err(e) => return SessionEnd::Disconnected(format!("read failed: {e}")),
                },
                request = self.requests.recv() => match request {
                    Some(Request::Reset(reply)) => {
                        // A Marlin stopped by an error restarts on M999; a
                        // killed one needs the reset that reopening gives.
                        let _ = port.write_all(b"M999\n").await;
                        let _ = reply.send(Ok(()));
                        return SessionEnd::Reset;
                    }
                    Some(request) => self.serve(request, &mut link),
                    None => return SessionEnd::Shutdown,
                },
                item = next_item(&mut self.job), if feeding => self.feed(item, &mut link),
                () = sleep_until(deadline), if deadline.is_some() => link.handle_deadline(self.now()),
            }
        }
    }

    /// Handles link events, then writes whatever the link hands out.
    async fn pump(&mut self, link: &mut Link, port: &mut SerialStream) -> Result<(), SessionEnd> {
        loop {
            while let Some(event) = link.poll_event() {
                self.on_link_event(event, link)?;
            }
            self.finish_if_done(link);
            if link.is_idle() {
                self.release_idle_waiters();
            }
            let Some(bytes) = link.poll_transmit(self.now()) else {
                return Ok(());
            };
            if let Err(e) = port.write_all(&bytes).await {
                return Err(SessionEnd::Disconnected(format!("write failed: {e}")));
            }
        }
    }

    fn wants_lines(&self, link: &Link) -> bool {
        self.job
            .as_ref()
            .is_some_and(|j| !j.source_done && !j.paused)
            && link.wants_more()
    }

    /// Queues one item from the reader, then as many more as are ready.
    fn feed(&mut self, mut item: Option<JobItem>, link: &mut Link) {
        loop {
            match item {
                None => {
                    queue_script(&self.config.scripts.end, Queued::AsJobLines, link);
                    if let Some(job) = self.job.as_mut() {
                        job.source_done = true;
                    }
                    return;
                }
                Some(JobItem::Invalid { cause, reason }) => {
                    return self.fail_job_and_stop(reason, cause, link)
                }
                Some(JobItem::Command { line, text, end }) => {
                    if let Err(e) = link.queue_command(&text, line) {
                        let reason = format!("line {line}: {e}");
                        return self.fail_job_and_stop(reason, FailureCause::JobUnreadable, link);
                    }
                    if let Some(job) = self.job.as_mut() {
                        job.queued(line, end);
                    }
                }
            }
            let Some(job) = self.job.as_mut() else { return };
            if !link.wants_more() {
                return;
            }
            item = match job.items.try_recv() {
                Ok(next) => Some(next),
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => return,
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => None,
            };
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => pending().await,
    }
}
