//! USB-serial adapters that hold replies back. An FTDI chip passes what it
//! received to the host only when 62 bytes are waiting or its latency timer
//! runs out: 16 ms by default. Each `ok` then comes back up to 16 ms late,
//! and with a 128-byte receive buffer no host can keep a 250000-baud line
//! more than about a quarter busy (BENCHMARKS.md, "Serial link"). Linux
//! shows the timer as `/sys/bus/usb-serial/devices/<tty>/latency_timer`;
//! the printer task lowers it each time it opens such a port (a replug
//! resets it). Ports without the file (PTYs, boards with a native USB
//! serial such as the MK3S's) are left alone.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Where Linux lists USB-serial ports.
pub const SYSFS_USB_SERIAL: &str = "/sys/bus/usb-serial/devices";

/// What became of a port's latency timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatencyTimer {
    /// The port has no latency timer to set.
    NotAdjustable,
    /// The timer already was at most the wanted value, in ms.
    AlreadyLow(u32),
    /// The timer was lowered.
    Lowered {
        /// The value found, ms.
        from: u32,
        /// The value written, ms.
        to: u32,
    },
}

/// Why the latency timer could not be read or lowered.
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    /// The timer file exists but cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The sysfs file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The timer file does not hold a number.
    #[error("{path} holds {text:?}, not a number of milliseconds")]
    NotANumber {
        /// The sysfs file.
        path: PathBuf,
        /// What it holds.
        text: String,
    },
    /// Writing the timer failed, usually for lack of permission.
    #[error(
        "cannot lower the adapter's latency timer in {path} from {from} to {to} ms: {source} \
         (run printfarm as a user allowed to write it, or add a udev rule setting \
         ATTR{{latency_timer}}=\"{to}\")"
    )]
    Write {
        /// The sysfs file.
        path: PathBuf,
        /// The value found, ms.
        from: u32,
        /// The value wanted, ms.
        to: u32,
        /// The I/O error.
        source: io::Error,
    },
}

/// Lowers the latency timer of the adapter behind `port` to `wanted_ms`,
/// looking for it under `sysfs` ([`SYSFS_USB_SERIAL`] on Linux). `port`
/// may be a symlink such as `/dev/serial/by-id/…`.
pub fn lower_latency_timer(
    port: &Path,
    sysfs: &Path,
    wanted_ms: u32,
) -> Result<LatencyTimer, AdapterError> {
    let Some(path) = latency_file(port, sysfs) else {
        return Ok(LatencyTimer::NotAdjustable);
    };
    let text = fs::read_to_string(&path).map_err(|source| AdapterError::Read {
        path: path.clone(),
        source,
    })?;
    let Ok(current) = text.trim().parse::<u32>() else {
        let text = text.trim().to_owned();
        return Err(AdapterError::NotANumber { path, text });
    };
    if current <= wanted_ms {
        return Ok(LatencyTimer::AlreadyLow(current));
    }
    match fs::write(&path, format!("{wanted_ms}\n")) {
        Ok(()) => Ok(LatencyTimer::Lowered {
            from: current,
            to: wanted_ms,
        }),
        Err(source) => Err(AdapterError::Write {
            path,
            from: current,
            to: wanted_ms,
            source,
        }),
    }
}

/// The sysfs timer file of the device `port` leads to, if it has one.
fn latency_file(port: &Path, sysfs: &Path) -> Option<PathBuf> {
    let device = fs::canonicalize(port).ok()?;
    let file = sysfs.join(device.file_name()?).join("latency_timer");
    file.is_file().then_some(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A fake `/dev` with `ttyUSB0` and a by-id symlink to it, and a fake
    /// sysfs where `ttyUSB0` has a latency timer holding `timer`.
    fn setup(timer: Option<&str>) -> (tempfile::TempDir, PathBuf, PathBuf) {
        let root = tempfile::tempdir().expect("a temp dir");
        let dev = root.path().join("dev");
        fs::create_dir_all(&dev).expect("dev");
        fs::write(dev.join("ttyUSB0"), "").expect("device");
        symlink(dev.join("ttyUSB0"), dev.join("usb-FTDI_FT232R-if00")).expect("symlink");
        let sysfs = root.path().join("sysfs");
        let device_dir = sysfs.join("ttyUSB0");
        fs::create_dir_all(&device_dir).expect("sysfs");
        if let Some(text) = timer {
            fs::write(device_dir.join("latency_timer"), text).expect("timer");
        }
        (root, dev, sysfs)
    }

    #[test]
    fn lowers_a_high_timer_and_leaves_a_low_one() {
        let table = [
            ("16\n", LatencyTimer::Lowered { from: 16, to: 1 }, "1\n"),
            ("1\n", LatencyTimer::AlreadyLow(1), "1\n"),
            ("0\n", LatencyTimer::AlreadyLow(0), "0\n"),
        ];
        for (before, outcome, after) in table {
            let (_root, dev, sysfs) = setup(Some(before));
            let port = dev.join("usb-FTDI_FT232R-if00");
            let got = lower_latency_timer(&port, &sysfs, 1).expect("no error");
            assert_eq!(got, outcome, "timer {before:?}");
            let written = fs::read_to_string(sysfs.join("ttyUSB0/latency_timer")).expect("read");
            assert_eq!(written, after, "timer {before:?}");
        }
    }

    #[test]
    fn a_port_without_a_timer_is_left_alone() {
        let (_root, dev, sysfs) = setup(None);
        let got = lower_latency_timer(&dev.join("ttyUSB0"), &sysfs, 1).expect("no error");
        assert_eq!(got, LatencyTimer::NotAdjustable);
        let missing = dev.join("ttyACM0");
        let got = lower_latency_timer(&missing, &sysfs, 1).expect("no error");
        assert_eq!(got, LatencyTimer::NotAdjustable);
    }

    #[test]
    fn a_timer_that_is_not_a_number_is_named() {
        let (_root, dev, sysfs) = setup(Some("fast\n"));
        let err = lower_latency_timer(&dev.join("ttyUSB0"), &sysfs, 1).expect_err("an error");
        let text = err.to_string();
        assert!(
            text.contains("latency_timer") && text.contains("\"fast\""),
            "{text}"
        );
    }
}
