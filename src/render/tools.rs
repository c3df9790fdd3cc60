//! The external tools a render runs, found at start, and how each is run:
//! a child process in its own directory, with a clean environment, a time
//! limit and an address-space limit (`prlimit`), killed if it overruns.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

/// The command that installs what rendering needs (Debian).
pub const INSTALL_HINT: &str = "apt-get install openscad prusa-slicer fonts-dejavu-core";

/// A tool that was found, with the version it reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    /// The program.
    pub program: String,
    /// Its version, as it reports it.
    pub version: String,
}

/// What this host can render with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tools {
    /// OpenSCAD.
    pub openscad: Option<Tool>,
    /// PrusaSlicer.
    pub slicer: Option<Tool>,
    /// `prlimit` (util-linux), to cap a render's memory.
    pub prlimit: bool,
    /// fontconfig's `fc-match` and `fc-query`, to check glyphs.
    pub fontconfig: bool,
}

impl Tools {
    /// Looks for the tools on `PATH`.
    pub async fn detect() -> Tools {
        let openscad = version("openscad", &["--version"], "OpenSCAD version ").await;
        let slicer = version("prusa-slicer", &["--help"], "PrusaSlicer-").await;
        Tools {
            openscad: openscad.map(|v| Tool {
                program: "openscad".into(),
                version: v,
            }),
            slicer: slicer.map(|v| Tool {
                program: "prusa-slicer".into(),
                version: v.split_whitespace().next().unwrap_or_default().to_owned(),
            }),
            prlimit: runs("prlimit", &["--version"]).await,
            fontconfig: runs("fc-match", &["--version"]).await,
        }
    }

    /// The tools missing for a render, in words; empty when it can run.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.openscad.is_none() {
            out.push("openscad");
        }
        if self.slicer.is_none() {
            out.push("prusa-slicer");
        }
        out
    }

    /// Why renders cannot run here, with the install command; `None` when
    /// they can.
    pub fn unavailable(&self) -> Option<String> {
        let missing = self.missing();
        (!missing.is_empty()).then(|| {
            format!(
                "{} not installed on this host; install with `{INSTALL_HINT}` and restart printfarm",
                missing.join(" and ")
            )
        })
    }

    /// The versions a render's output depends on (part of its cache key).
    pub fn fingerprint(&self) -> String {
        let v = |t: &Option<Tool>| t.as_ref().map_or("-".to_owned(), |t| t.version.clone());
        format!(
            "openscad {}; prusa-slicer {}",
            v(&self.openscad),
            v(&self.slicer)
        )
    }
}

async fn output(program: &str, args: &[&str]) -> Option<std::process::Output> {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .ok()
}

async fn runs(program: &str, args: &[&str]) -> bool {
    output(program, args)
        .await
        .is_some_and(|o| o.status.success())
}

/// The rest of the first line (on stdout or stderr) that starts with `prefix`.
async fn version(program: &str, args: &[&str], prefix: &str) -> Option<String> {
    let out = output(program, args).await?;
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .find_map(|l| l.trim().strip_prefix(prefix))
        .map(|v| v.trim().to_owned())
}

/// How a child process ended.
#[derive(Debug)]
pub enum Ran {
    /// It exited; its status code (`None` when killed by a signal), and
    /// what it printed.
    Exited {
        /// Exit code.
        code: Option<i32>,
        /// Stdout.
        stdout: String,
        /// Stderr.
        stderr: String,
    },
    /// It overran its time and was killed.
    TimedOut,
    /// It could not be started.
    NotStarted(std::io::Error),
}

/// Limits of one child process.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall time.
    pub timeout: Duration,
    /// Address space, MiB.
    pub memory_mb: u64,
}

/// Runs `program args` in `dir` under `limits`.
pub async fn run(tools: &Tools, program: &str, args: &[&str], dir: &Path, limits: Limits) -> Ran {
    let mut command = if tools.prlimit {
        let mut c = Command::new("prlimit");
        c.arg(format!("--as={}", limits.memory_mb * 1024 * 1024))
            .arg("--core=0")
            .arg("--")
            .arg(program);
        c
    } else {
        Command::new(program)
    };
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", dir)
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return Ran::NotStarted(e),
    };
    match tokio::time::timeout(limits.timeout, child.wait_with_output()).await {
        Err(_) => Ran::TimedOut,
        Ok(Err(e)) => Ran::NotStarted(e),
        Ok(Ok(out)) => Ran::Exited {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        },
    }
}

/// The glyphs of the font fontconfig picks for `pattern`: the font file and
/// its charset text.
pub async fn font_charset(pattern: &str) -> Result<(String, String), String> {
    let file = output("fc-match", &["-f", "%{file}", pattern])
        .await
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|f| !f.is_empty())
        .ok_or_else(|| format!("fontconfig found no font for {pattern:?}"))?;
    let charset = output("fc-query", &["-f", "%{charset}", &file])
        .await
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .ok_or_else(|| format!("fontconfig could not read the glyphs of {file}"))?;
    Ok((file, charset))
}
