//! The post-run hook (Pyak47's `post_run_script`): the plan's `post_run`
//! command, run through the shell once the reports are written, with the
//! results folder in `PACE_RESULTS_DIR` and the verdict's word in
//! `PACE_VERDICT`. It runs in a process group of its own, so it can be
//! stopped whole: after `run.post_run_timeout`, or when the user presses
//! Ctrl-C while pace waits for it.

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

/// Runs `cmd` for the results `r`, for at most `timeout` seconds.
pub fn post_run(cmd: &str, timeout: f64, r: &Results) -> Ended {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("warning: post_run `{cmd}` could not start: {e}; the results are kept");
            return Ended::Failed;
        }
    };
    rt.block_on(run(cmd, timeout, r))
}

async fn run(cmd: &str, timeout: f64, r: &Results) -> Ended {
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
            eprintln!("warning: post_run `{cmd}` could not start: {e}; the results are kept");
            return Ended::Failed;
        }
    };
    let limit = Duration::from_secs_f64(timeout.clamp(0.0, 1e9));
    let stop = tokio::select! {
        status = child.wait() => {
            return match status {
                Ok(s) if s.success() => Ended::Done,
                Ok(s) => {
                    eprintln!("warning: post_run `{cmd}` failed ({s}); the results are kept");
                    Ended::Failed
                }
                Err(e) => {
                    eprintln!("warning: post_run `{cmd}`: {e}; the results are kept");
                    Ended::Failed
                }
            };
        }
        _ = tokio::time::sleep(limit) => {
            eprintln!(
                "warning: post_run `{cmd}` still running after its {} timeout (run.post_run_timeout): stopped; the results are kept",
                crate::units::human_duration(timeout)
            );
            Ended::Failed
        }
        sig = crate::runner::interrupt() => {
            eprintln!("pace: {sig} while post_run `{cmd}` ran: stopped it; the results are kept");
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
