//! A minimal Marlin on a real pseudo-terminal, for driver tests only (the
//! `sim` module's virtual printer replaces it later): `ok` per line, checksum
//! and line-number checks with `Resend:`, `M115` caps, `M105` temperatures,
//! held `ok`s, injected lines and a dropped connection.

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::pty::openpty;
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the responder saw and what it was told to do.
#[derive(Default)]
struct Shared {
    /// Every line received, verbatim.
    received: Vec<String>,
    /// Commands accepted, without line number and checksum.
    accepted: Vec<String>,
    corrupt_line: Option<u32>,
    hold: bool,
    hold_from: Option<u32>,
    held_oks: usize,
    outgoing: Vec<u8>,
    drop_now: bool,
    halted: bool,
    last_line: u32,
}

/// A minimal Marlin behind a pseudo-terminal.
pub struct Responder {
    /// The slave side: give this to the driver.
    pub path: PathBuf,
    shared: Arc<Mutex<Shared>>,
    _slave: OwnedFd,
    thread: Option<JoinHandle<()>>,
}

impl Responder {
    /// Opens a pseudo-terminal in raw mode and starts answering on it.
    pub fn start() -> Self {
        let pty = openpty(None, None).unwrap();
        let mut termios = tcgetattr(&pty.slave).unwrap();
        cfmakeraw(&mut termios);
        tcsetattr(&pty.slave, SetArg::TCSANOW, &termios).unwrap();
        let path = nix::unistd::ttyname(&pty.slave).unwrap();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let thread_shared = Arc::clone(&shared);
        let master = pty.master;
        let thread = std::thread::spawn(move || serve(master, thread_shared));
        Responder {
            path,
            shared,
            _slave: pty.slave,
            thread: Some(thread),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Shared) -> T) -> T {
        f(&mut self.shared.lock().unwrap())
    }

    /// Every line received so far.
    pub fn received(&self) -> Vec<String> {
        self.with(|s| s.received.clone())
    }

    /// Commands accepted so far, without `N` and checksum, minus `M105` polls.
    pub fn accepted(&self) -> Vec<String> {
        self.with(|s| {
            s.accepted
                .iter()
                .filter(|c| *c != "M105")
                .cloned()
                .collect()
        })
    }

    /// Answers line `n` as if it arrived corrupted, once.
    pub fn corrupt_line(&self, n: u32) {
        self.with(|s| s.corrupt_line = Some(n));
    }

    /// Holds back `ok`s (true) or releases them all (false).
    pub fn hold(&self, on: bool) {
        self.with(|s| {
            s.hold = on;
            if !on {
                let oks = "ok\n".repeat(std::mem::take(&mut s.held_oks));
                s.outgoing.extend_from_slice(oks.as_bytes());
            }
        });
    }

    /// Holds back the `ok`s of line `n` and later.
    pub fn hold_from_line(&self, n: u32) {
        self.with(|s| s.hold_from = Some(n));
    }

    /// Sends these lines to the host.
    pub fn say(&self, text: &str) {
        self.with(|s| s.outgoing.extend_from_slice(text.as_bytes()));
    }

    /// Closes the master side: the host sees the port vanish.
    pub fn drop_connection(&self) {
        self.with(|s| s.drop_now = true);
    }

    /// Waits until `f` holds for what was received, up to `timeout`.
    pub fn wait_until(&self, timeout: Duration, f: impl Fn(&[String]) -> bool) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if self.with(|s| f(&s.received)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.drop_connection();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(master: OwnedFd, shared: Arc<Mutex<Shared>>) {
    let mut partial = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let out = {
            let mut s = shared.lock().unwrap();
            if s.drop_now {
                return;
            }
            std::mem::take(&mut s.outgoing)
        };
        if !out.is_empty() && nix::unistd::write(&master, &out).is_err() {
            return;
        }
        let mut fds = [PollFd::new(master.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(5u16)).unwrap_or(0) == 0 {
            continue;
        }
        let n = match nix::unistd::read(master.as_raw_fd(), &mut buf) {
            Ok(n) if n > 0 => n,
            _ => {
                std::thread::sleep(Duration::from_millis(5)); // no reader on the slave yet
                continue;
            }
        };
        partial.extend_from_slice(&buf[..n]);
        while let Some(end) = partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = partial.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line).trim().to_owned();
            answer(&mut shared.lock().unwrap(), text);
        }
    }
}

fn checksum(bytes: &[u8]) -> u32 {
    u32::from(bytes.iter().fold(0u8, |a, b| a ^ b))
}

/// `N12 G1 X1*34` → (12, "G1 X1") when the checksum matches.
fn unframe(text: &str) -> Option<(u32, String)> {
    let (body, sum) = text.rsplit_once('*')?;
    if sum.parse::<u32>().ok()? != checksum(body.as_bytes()) {
        return None;
    }
    let (number, command) = body.strip_prefix('N')?.split_once(' ')?;
    Some((number.parse().ok()?, command.to_owned()))
}

fn answer(s: &mut Shared, text: String) {
    s.received.push(text.clone());
    if text == "M112" {
        s.halted = true;
        s.outgoing
            .extend_from_slice(b"Error:Printer halted. kill() called!\n");
        return;
    }
    if s.halted || text.is_empty() {
        return;
    }
    let expected = s.last_line + 1;
    let Some((number, command)) = unframe(&text).filter(|_| !take_corruption(s, &text)) else {
        return resend(s, "checksum mismatch", expected);
    };
    if command.starts_with("M110") {
        s.last_line = number;
    } else if number != expected {
        return resend(s, "Line Number is not Last Line Number+1", expected);
    }
    s.last_line = number;
    let reply = match command.as_str() {
        "M115" => "FIRMWARE_NAME:TestMarlin 1.0 SOURCE_CODE_URL:x\nCap:AUTOREPORT_TEMP:0\nok\n",
        "M105" => "ok T:21.0 /0.0 B:20.0 /0.0 @:0 B@:0\n",
        _ => "ok\n",
    };
    s.accepted.push(command);
    let hold = s.hold || s.hold_from.is_some_and(|h| number >= h);
    if hold && reply == "ok\n" {
        s.held_oks += 1;
    } else {
        s.outgoing.extend_from_slice(reply.as_bytes());
    }
}

fn take_corruption(s: &mut Shared, text: &str) -> bool {
    let target = s.corrupt_line.map(|n| format!("N{n} "));
    if target.is_some_and(|t| text.starts_with(&t)) {
        s.corrupt_line = None;
        return true;
    }
    false
}

fn resend(s: &mut Shared, error: &str, line: u32) {
    let last = line - 1;
    let reply = format!("Error:{error}, Last Line: {last}\nResend: {line}\nok\n");
    s.outgoing.extend_from_slice(reply.as_bytes());
}
