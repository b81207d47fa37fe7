//! The post-run hook (Pyak47's `post_run_script`): the plan's `post_run`
//! command, run through the shell once the reports are written, with the
//! results folder in `PACE_RESULTS_DIR` and the verdict's word in
//! `PACE_VERDICT`. It runs in a process group of its own, so it can be
//! stopped whole: after `run.post_run_timeout`, or when the user presses
//! Ctrl-C while pace waits for it.
//!
//! A hook is code run with the user's rights, so it is always announced
//! before it starts (even with `--quiet`), and one that comes from a
//! converted Pyak47 config.cfg rather than a plan file runs only with
//! `--allow-hooks` (see [`Gate`] and docs/security.md).

use crate::results::Results;
use std::time::Duration;

/// How the hook ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It exited 0.
    Done,
    /// It failed, could not start, or ran past its timeout and was stopped:
    /// reported, never fatal (the results are already written).
    Failed,
    /// Ctrl-C or SIGTERM while it ran: it was stopped, and pace exits 3.
    Interrupted,
}

/// How long a stopped hook gets between SIGTERM and SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(2);

/// Whether the plan's hook may run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Gate {
    /// The plan is a plan file the user wrote or imported: its hook runs.
    #[default]
    Open,
    /// The plan was converted in memory from this Pyak47 config.cfg and
    /// `--allow-hooks` was not given: its `post_run_script` came with a
    /// project that may not be the user's own, so it is not run.
    Converted(std::path::PathBuf),
}

/// Runs the hook `cmd` if `gate` lets it, announcing it first; a hook that
/// is held back is said in one line, with how to allow it.
pub fn post_run_gated(cmd: &str, timeout: f64, r: &Results, gate: &Gate) -> Option<Ended> {
    match gate {
        Gate::Open => Some(post_run(cmd, timeout, r)),
        Gate::Converted(cfg) => {
            errln!(
                "pace: post_run NOT run: `{cmd}` is the post_run_script of {}, converted, not a plan file's hook; pass --allow-hooks to run it",
                cfg.display()
            );
            None
        }
    }
}

/// Runs `cmd` for the results `r`, for at most `timeout` seconds.
pub fn post_run(cmd: &str, timeout: f64, r: &Results) -> Ended {
    // Said even with --quiet: whoever runs a plan sees the code it runs.
    errln!("pace: running post_run: {cmd}");
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            errln!("warning: post_run `{cmd}` could not start: {e}; the results are kept");
            return Ended::Failed;
        }
    };
    rt.block_on(run(cmd, timeout, r))
}

async fn run(cmd: &str, timeout: f64, r: &Results) -> Ended {
    // Listening before the hook starts: a Ctrl-C the moment it starts
    // stops it too (once 1 suite run in 7 lost it, and pace waited).
    let mut interrupts = crate::runner::Interrupts::new();
    let mut command = tokio::process::Command::new("sh");
    command
        .arg("-c")
        .arg(cmd)
        .env("PACE_RESULTS_DIR", &r.dir)
        .env("PACE_VERDICT", r.summary.verdict.state.word())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    #[cfg(unix)]
    command.process_group(0);
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => {
            errln!("warning: post_run `{cmd}` could not start: {e}; the results are kept");
            return Ended::Failed;
        }
    };
    let limit = Duration::from_secs_f64(timeout.clamp(0.0, 1e9));
    let stop = tokio::select! {
        status = child.wait() => {
            return match status {
                Ok(s) if s.success() => Ended::Done,
                Ok(s) => {
                    errln!("warning: post_run `{cmd}` failed ({s}); the results are kept");
                    Ended::Failed
                }
                Err(e) => {
                    errln!("warning: post_run `{cmd}`: {e}; the results are kept");
                    Ended::Failed
                }
            };
        }
        _ = tokio::time::sleep(limit) => {
            errln!(
                "warning: post_run `{cmd}` still running after its {} timeout (run.post_run_timeout): stopped; the results are kept",
                crate::units::human_duration(timeout)
            );
            Ended::Failed
        }
        sig = interrupts.recv() => {
            errln!("pace: {sig} while post_run `{cmd}` ran: stopped it; the results are kept");
            Ended::Interrupted
        }
    };
    terminate(&mut child).await;
    stop
}

/// Stops the hook's whole process group: SIGTERM, then SIGKILL (for what
/// ignored the first, or what the shell left behind).
async fn terminate(child: &mut tokio::process::Child) {
    #[cfg(unix)]
    if let Some(pid) = child.id() {
        signal_group(pid, libc::SIGTERM);
        let _ = tokio::time::timeout(KILL_GRACE, child.wait()).await;
        signal_group(pid, libc::SIGKILL);
    }
    let _ = child.kill().await;
}

#[cfg(unix)]
fn signal_group(pid: u32, sig: i32) {
    // SAFETY: kill(2) on the process group pace made for the hook (its id
    // is the shell's pid); no memory is involved.
    unsafe {
        libc::kill(-(pid as i32), sig);
    }
}
