//! What the benchmarks measure with: the `assay` binary they time, and peak memory (this
//! process's own, or a child's from the kernel's accounting when it is reaped).

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};

use crate::error::{Error, IoContext, Result};

/// The `assay` binary: `ASSAY_BIN`, else the one built beside this benchmark binary (in a
/// test run this binary sits one folder further down, in `deps/`).
pub fn assay_binary() -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("ASSAY_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let me = std::env::current_exe().io_context(|| "cannot find this benchmark binary".into())?;
    let dir = me.parent().map(PathBuf::from).unwrap_or_default();
    let candidates = [dir.join("assay"), dir.join("../assay")];
    candidates.into_iter().find(|p| p.is_file()).ok_or_else(|| {
        Error::Usage(format!(
            "no `assay` binary beside {}: build it (`cargo build --release`) or set ASSAY_BIN",
            me.display()
        ))
    })
}

/// Peak resident memory of this process so far, in MiB (Linux; 0 elsewhere).
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A finished child: its status, output, and peak resident memory in MiB.
pub struct Measured {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub peak_rss_mib: f64,
}

/// Run a child to its end and read its peak memory from `wait4`'s resource usage, so the
/// product binary carries no measuring code of its own.
pub fn run_measured(command: &mut Command) -> Result<Measured> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .io_context(|| format!("cannot run {:?}", command.get_program()))?;
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).to_string()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped")));
    let err = drain(Box::new(child.stderr.take().expect("piped")));
    let mut status = 0;
    // SAFETY: rusage is plain data the kernel fills; the pid is our own unreaped child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if reaped != pid {
        return Err(Error::Runtime(format!(
            "waiting for {:?}: {}",
            command.get_program(),
            std::io::Error::last_os_error()
        )));
    }
    Ok(Measured {
        status: ExitStatus::from_raw(status),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        // Linux reports ru_maxrss in KiB.
        peak_rss_mib: usage.ru_maxrss as f64 / 1024.0,
    })
}
