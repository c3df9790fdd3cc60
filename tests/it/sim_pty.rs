//! Virtual printers on real pseudo-terminals, driven like `/dev/ttyUSB0`.

use printfarm::gcode::checksum;
use printfarm::sim::{spawn, FirmwareConfig, FirmwareState, SimConfig, SimHandle};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// The host end: the slave opened as a file, lines read on a thread.
struct Port {
    writer: File,
    lines: mpsc::Receiver<String>,
}

impl Port {
    fn open(path: &Path) -> Port {
        let writer = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap();
        let reader = writer.try_clone().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Port { writer, lines }
    }

    fn send(&mut self, text: &str) {
        self.writer.write_all(text.as_bytes()).unwrap();
    }

    fn next_line(&self) -> Option<String> {
        self.lines.recv_timeout(REPLY_TIMEOUT).ok()
    }

    /// Reads the boot banner: lines until the port has been quiet a moment.
    fn skip_banner(&self) {
        let quiet = Duration::from_millis(300);
        while let Ok(line) = self.lines.recv_timeout(quiet) {
            assert!(line == "start" || line.starts_with("echo:"), "{line}");
        }
    }

    /// Reads until a line starting with `ok`, returning every line seen.
    fn until_ok(&self) -> Vec<String> {
        let mut seen = Vec::new();
        while let Some(line) = self.next_line() {
            let done = line.starts_with("ok");
            seen.push(line);
            if done {
                return seen;
            }
        }
        panic!("no ok; got {seen:?}");
    }
}

fn numbered(n: u32, body: &str) -> String {
    let text = format!("N{n} {body}");
    format!("{text}*{}\n", checksum(text.as_bytes()))
}

fn config(dir: &Path, baud: u32, firmware: FirmwareConfig) -> SimConfig {
    SimConfig {
        baud,
        firmware,
        link: Some(dir.join("printer0")),
        record: Some(dir.join("printer0.gcode")),
        ..SimConfig::default()
    }
}

async fn in_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_lines_are_acknowledged_and_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let fast = FirmwareConfig {
        speed: 100.0,
        ..FirmwareConfig::default()
    };
    let printer = spawn(config(dir.path(), 115_200, fast)).unwrap();
    let link = printer.link().unwrap().to_owned();
    assert_eq!(std::fs::read_link(&link).unwrap(), printer.path());
    let bodies: Vec<String> = [
        "M110 N0",
        "G28",
        "G1 X10 Y10 F3000",
        "M105",
        "G4 P200",
        "M400",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain((0..30).map(|i| format!("G1 X{} E{i}", i % 7)))
    .collect();
    let sent = bodies.clone();
    let (port, transcript) = in_thread(move || {
        let mut port = Port::open(&link);
        assert_eq!(
            port.next_line().as_deref(),
            Some("start"),
            "boot banner first"
        );
        let mut transcript = Vec::new();
        for (n, body) in sent.iter().enumerate() {
            port.send(&numbered(n as u32, body));
            transcript.extend(port.until_ok());
        }
        (port, transcript)
    })
    .await;
    assert!(
        transcript
            .iter()
            .any(|l| l.starts_with("ok T:21.00 /0.00 B:")),
        "{transcript:?}"
    );
    assert!(
        !transcript.iter().any(|l| l.starts_with("Error:")),
        "{transcript:?}"
    );
    assert_eq!(printer.recorded_commands(), bodies);
    let record = std::fs::read_to_string(dir.path().join("printer0.gcode")).unwrap();
    assert_eq!(record.lines().collect::<Vec<_>>(), bodies);
    printer.reset();
    let banner = in_thread(move || port.next_line()).await;
    assert_eq!(banner.as_deref(), Some("start"), "reset prints the banner");
    stop(printer).await;
    assert!(
        !dir.path().join("printer0").exists(),
        "link removed on stop"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_baud_rate_limits_throughput() {
    let dir = tempfile::tempdir().unwrap();
    let printer = spawn(config(dir.path(), 9600, FirmwareConfig::default())).unwrap();
    let link = printer.link().unwrap().to_owned();
    // 100 lines of 10 bytes: 1000 bytes at 960 bytes/s.
    let lines: Vec<String> = (0..100).map(|i| format!("M117 m{i:03}\n")).collect();
    let payload = lines.concat();
    assert_eq!(payload.len(), 1000);
    let elapsed = in_thread(move || {
        let mut port = Port::open(&link);
        port.skip_banner();
        let start = Instant::now();
        // Ping-pong in windows of 4 lines (40 bytes) so the 128-byte RX never overflows.
        for window in lines.chunks(4) {
            port.send(&window.concat());
            for _ in window {
                port.until_ok();
            }
        }
        start.elapsed()
    })
    .await;
    assert!(
        elapsed >= Duration::from_millis(900),
        "1000 bytes at 9600 baud in {elapsed:?}"
    );
    assert_eq!(printer.recorded_commands().len(), 100);
    stop(printer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_disconnect_fault_closes_the_port() {
    let dir = tempfile::tempdir().unwrap();
    let mut firmware = FirmwareConfig::default();
    firmware.faults.disconnect_after_lines = Some(2);
    let printer = spawn(config(dir.path(), 115_200, firmware)).unwrap();
    let link = printer.link().unwrap().to_owned();
    let after_disconnect = in_thread(move || {
        let mut port = Port::open(&link);
        port.send("G90\nG91\n");
        port.until_ok();
        port.until_ok();
        port.send("G92\n");
        // The reader thread ends on EOF/EIO: the channel closes.
        let deadline = Instant::now() + REPLY_TIMEOUT;
        while Instant::now() < deadline {
            match port.lines.recv_timeout(Duration::from_millis(100)) {
                Err(mpsc::RecvTimeoutError::Disconnected) => return true,
                _ => continue,
            }
        }
        false
    })
    .await;
    assert!(after_disconnect, "the port never went away");
    assert_eq!(printer.state(), FirmwareState::Disconnected);
    assert_eq!(printer.recorded_commands(), ["G90", "G91"]);
    stop(printer).await;
}

async fn stop(printer: SimHandle) {
    tokio::time::timeout(Duration::from_secs(5), printer.stop())
        .await
        .expect("stop hung")
        .unwrap();
}
