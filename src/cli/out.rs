//! Standard output that a closed reader stops quietly. `pace plan | head`
//! closes the pipe after ten lines; `outln!` would then panic on EPIPE.
//! SIGPIPE stays ignored (the Rust default): a script worker's pipe that
//! closes must never kill pace, so a broken stdout is an error to handle,
//! here. Once stdout is broken nothing more is written to it, and the
//! command goes on to its normal end (a run still writes its results
//! folder). A closed pipe keeps the command's exit code; any other write
//! error (a full disk, a quota under `pace plan --json > plan.json`)
//! turns a success into exit 3, "could not be written" ([`finish`]): a
//! script's `&& next-step` must not go on with a truncated file.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static BROKEN: AtomicBool = AtomicBool::new(false);

/// A write to stdout failed other than by a closed pipe.
static FAILED: AtomicBool = AtomicBool::new(false);

/// Writes `args` (and a line break if `newline`) to stdout. A closed pipe
/// stops all further output silently; any other error (a full disk under
/// a redirect) is said once on stderr, then output stops too.
pub fn write(args: std::fmt::Arguments, newline: bool) {
    if BROKEN.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let r = out.write_fmt(args).and_then(|()| {
        if newline {
            out.write_all(b"\n")
        } else {
            Ok(())
        }
    });
    if let Err(e) = r {
        failed_with(&e);
    }
}

fn failed_with(e: &std::io::Error) {
    BROKEN.store(true, Ordering::Relaxed);
    if e.kind() != std::io::ErrorKind::BrokenPipe {
        FAILED.store(true, Ordering::Relaxed);
        errln!("error: cannot write to standard output: {e}");
    }
}

/// Flushes stdout at the command's end and gives the exit code to use:
/// `code`, or [`super::exit::INTERRUPTED`] (3) in place of a success when
/// a write to stdout failed other than by a closed pipe. A command that
/// already failed keeps its own code (it says more).
pub fn finish(code: i32) -> i32 {
    if !BROKEN.load(Ordering::Relaxed)
        && let Err(e) = std::io::stdout().lock().flush()
    {
        failed_with(&e);
    }
    if FAILED.load(Ordering::Relaxed) && code == super::exit::OK {
        super::exit::INTERRUPTED
    } else {
        code
    }
}
