//! Standard output that a closed reader stops quietly. `pace plan | head`
//! closes the pipe after ten lines; `outln!` would then panic on EPIPE.
//! SIGPIPE stays ignored (the Rust default): a script worker's pipe that
//! closes must never kill pace, so a broken stdout is an error to handle,
//! here. Once stdout is broken nothing more is written to it, and the
//! command goes on to its normal end and exit code (a run still writes its
//! results folder).

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static BROKEN: AtomicBool = AtomicBool::new(false);

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
        BROKEN.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            errln!("error: cannot write to standard output: {e}");
        }
    }
}
