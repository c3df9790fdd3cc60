//! A pseudo-terminal pair that drivers open like `/dev/ttyUSB0`.
//!
//! The slave side is put in raw mode and kept open by the sim, so the master
//! never sees `EIO` while a driver closes and reopens the port.

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::pty::openpty;
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// Why a pseudo-terminal could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum PtyError {
    /// A system call failed.
    #[error("{call} failed")]
    Sys {
        /// What was being done.
        call: &'static str,
        /// The error number.
        #[source]
        source: nix::Error,
    },
    /// The symlink to the slave could not be made.
    #[error("cannot link {link} to {target}")]
    Link {
        /// The symlink path.
        link: PathBuf,
        /// The slave device it should point to.
        target: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn sys(call: &'static str) -> impl FnOnce(nix::Error) -> PtyError {
    move |source| PtyError::Sys { call, source }
}

/// An open pseudo-terminal: non-blocking master, raw slave.
#[derive(Debug)]
pub struct Pty {
    /// The side the sim reads and writes (`O_NONBLOCK`).
    pub master: OwnedFd,
    /// The side drivers open; held so the pair survives their reopening.
    pub slave: OwnedFd,
    /// Path of the slave device, e.g. `/dev/pts/5`.
    pub path: PathBuf,
}

impl Pty {
    /// Opens a new pair.
    pub fn open() -> Result<Pty, PtyError> {
        let pair = openpty(None, None).map_err(sys("openpty"))?;
        let mut termios = tcgetattr(&pair.slave).map_err(sys("tcgetattr"))?;
        cfmakeraw(&mut termios);
        tcsetattr(&pair.slave, SetArg::TCSANOW, &termios).map_err(sys("tcsetattr"))?;
        let flags = fcntl(pair.master.as_raw_fd(), FcntlArg::F_GETFL).map_err(sys("F_GETFL"))?;
        let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
        fcntl(pair.master.as_raw_fd(), FcntlArg::F_SETFL(flags)).map_err(sys("F_SETFL"))?;
        let path = nix::unistd::ttyname(&pair.slave).map_err(sys("ttyname"))?;
        Ok(Pty {
            master: pair.master,
            slave: pair.slave,
            path,
        })
    }
}

/// Points the symlink `link` at `target`, replacing an existing symlink.
pub fn symlink(target: &Path, link: &Path) -> Result<(), PtyError> {
    let error = |source| PtyError::Link {
        link: link.to_owned(),
        target: target.to_owned(),
        source,
    };
    if link
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        std::fs::remove_file(link).map_err(error)?;
    }
    std::os::unix::fs::symlink(target, link).map_err(error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn slave_is_raw_and_reachable_through_the_link() {
        let pty = Pty::open().unwrap();
        assert!(pty.path.starts_with("/dev/pts"), "{:?}", pty.path);
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("printer0");
        symlink(&pty.path, &link).unwrap();
        symlink(&pty.path, &link).unwrap(); // replacing is fine
        let mut port = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&link)
            .unwrap();
        port.write_all(b"M105\r\n").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        let mut buf = [0u8; 16];
        let n = nix::unistd::read(pty.master.as_raw_fd(), &mut buf).unwrap();
        assert_eq!(
            &buf[..n],
            b"M105\r\n",
            "raw mode keeps CR and does not echo"
        );
        nix::unistd::write(&pty.master, b"ok\n").unwrap();
        let mut reply = [0u8; 3];
        port.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"ok\n", "no NL to CRNL translation");
    }
}
