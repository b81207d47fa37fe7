//! The timer for iteration starts. tokio's timer wheel has 1 ms ticks and
//! rounds every deadline up to the next one, so a start it wakes is 0-2 ms
//! late; the schedule promises starts to well under a millisecond.
//!
//! On Linux each run owns one timerfd (`timerfd.rs`), a kernel timer with
//! nanosecond resolution that the runtime's own event loop watches: it is
//! armed for the earliest pending deadline, and when it fires, the runtime
//! thread waiting in `epoll_wait` returns, one task wakes every start that
//! is due and re-arms it for the next. A start costs one return from
//! `epoll_wait` on the thread that runs it, with no other thread to wake;
//! that wake-up is still the price of precision, since tokio's tick woke
//! the thread once for all the starts of a millisecond (docs/pacing.md,
//! section 8, has the measurements). Elsewhere, starts use tokio's timer
//! (`coarse.rs`).

#[cfg(any(not(target_os = "linux"), test))]
mod coarse;
#[cfg(target_os = "linux")]
mod timerfd;

#[cfg(not(target_os = "linux"))]
pub use coarse::{Sleep, Timer};
#[cfg(target_os = "linux")]
pub use timerfd::{EARLY, Sleep, Timer};
