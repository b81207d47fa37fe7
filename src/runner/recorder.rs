//! The recorder: the one consumer of samples. Streams each to the raw file
//! (flushed every second, so a crash loses at most the last second), folds
//! it into the aggregate, and prints progress.

use super::Signals;
use crate::results::aggregate::{Aggregate, Stats};
use crate::results::sample::{ErrorKind, Kind, Sample, SampleWriter};
use crate::units::round_sig;
use std::io::BufWriter;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub struct Progress {
    pub quiet: bool,
    pub duration: f64,
    pub total_users: u64,
    pub target_tpm: Option<f64>,
}

/// Watches a run's first requests for a target that does not answer at
/// all: every request failing to connect (refused, unreachable, DNS) in the
/// first [`Silence::SECONDS`] seconds, or the first [`Silence::REQUESTS`]
/// requests, is said at once, loudly and once, rather than only in the
/// verdict at the end.
#[derive(Default)]
pub struct Silence {
    failed: u64,
    /// The first failure's message: what the client said.
    first: Option<String>,
    /// Said, or something answered: nothing more to watch.
    done: bool,
}

impl Silence {
    pub const SECONDS: f64 = 3.0;
    pub const REQUESTS: u64 = 40;

    /// Takes one sample into account.
    pub fn see(&mut self, s: &Sample) {
        if self.done || s.kind != Kind::Step {
            return;
        }
        if s.error_kind == Some(ErrorKind::Connect) {
            self.failed += 1;
            self.first.get_or_insert_with(|| s.error.clone());
        } else {
            self.done = true;
        }
    }

    /// The warning, once, when it is due `now` seconds into the run.
    pub fn warning(&mut self, now: f64) -> Option<String> {
        if self.done || self.failed == 0 || (self.failed < Self::REQUESTS && now < Self::SECONDS) {
            return None;
        }
        self.done = true;
        let what = self.first.as_deref().unwrap_or("connect error");
        // A failure through a proxy names the proxy (runner::http): then
        // it is the proxy that does not answer, and the advice is about it.
        let (who, check) = if what.contains(super::net_error::PROXY_FOR) {
            (
                "the proxy",
                "is it up, and should the target be reached through it (NO_PROXY)?",
            )
        } else {
            ("the target", "is it up, and is the URL right?")
        };
        Some(format!(
            "pace: WARNING: {who} does not answer: all {} request(s) of the first {:.0} s failed to connect ({what}): {check}",
            self.failed,
            // The watch is checked once a second: at 3.02 s it is the
            // first 3 s that failed, not 4.
            if now < Self::SECONDS {
                now.max(0.0).ceil()
            } else {
                now.floor()
            }
        ))
    }
}

/// Where the samples go.
pub struct Output {
    pub file: std::fs::File,
    /// Its path, to name it in an error.
    pub path: std::path::PathBuf,
}

/// Folds every sample into the aggregate and streams it to the samples
/// file until every sender is gone. A write that fails (a full disk) stops
/// the load at once through `signals`: no traffic is sent that cannot be
/// recorded. What arrives after that is still folded, so the reports hold
/// every measurement; the file keeps what it could.
pub async fn record(
    mut rx: mpsc::UnboundedReceiver<Sample>,
    out: Output,
    mut agg: Aggregate,
    progress: Progress,
    t0: Instant,
    signals: Arc<Signals>,
) -> Aggregate {
    let mut w = Some(SampleWriter::new(BufWriter::with_capacity(
        1 << 16,
        out.file,
    )));
    let mut written = 0u64;
    let fail = |w: &mut Option<_>, e: std::io::Error, written: u64| {
        *w = None;
        let why = format!(
            "{}: {e}: the load was stopped at once ({written} samples recorded until then; the file may end mid-line, `pace report` leaves that line out)",
            out.path.display()
        );
        errln!("error: {why}");
        signals.fail(why, t0.elapsed().as_secs_f64());
    };
    // The header at once: the file is a samples file even if the run
    // stops before its first row.
    if let Some(e) = w.as_mut().and_then(|w| w.header().err()) {
        fail(&mut w, e, written);
    }
    let mut flush = tokio::time::interval(Duration::from_secs(1));
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let every = agg.ts_interval.max(1.0);
    let mut next_line = every;
    // A live bar on a terminal; a plain line per ts_interval otherwise.
    let bar =
        (!progress.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr())).then(|| {
            let b = indicatif::ProgressBar::new(progress.duration.ceil() as u64);
            b.set_style(
                // One clock: the message's elapsed / total.
                indicatif::ProgressStyle::with_template("[{bar:30}] {msg}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            b
        });
    // Counts for the progress line's current rate.
    let mut last = (0.0f64, 0u64);
    let mut silence = Silence::default();
    let say = |bar: &Option<indicatif::ProgressBar>, w: String| match bar {
        Some(b) => b.suspend(|| errln!("{w}")),
        None => errln!("{w}"),
    };
    loop {
        tokio::select! {
            s = rx.recv() => match s {
                Some(s) => {
                    if let Some(wr) = &mut w {
                        match wr.write(&s) {
                            Ok(()) => written += 1,
                            Err(e) => fail(&mut w, e, written),
                        }
                    }
                    agg.add(&s);
                    // Once something answered (or the warning was said),
                    // a sample costs no clock read here.
                    if !silence.done {
                        silence.see(&s);
                        if let Some(w) = silence.warning(t0.elapsed().as_secs_f64()) {
                            say(&bar, w);
                        }
                    }
                }
                None => break,
            },
            _ = flush.tick() => {
                if let Some(wr) = &mut w
                    && let Err(e) = wr.flush()
                {
                    fail(&mut w, e, written);
                }
                let now = t0.elapsed().as_secs_f64();
                if let Some(w) = silence.warning(now) {
                    say(&bar, w);
                }
                if let Some(b) = &bar {
                    let ok = agg.transactions - agg.error_count;
                    let tpm = (ok - last.1) as f64 * 60.0 / (now - last.0).max(1e-9);
                    last = (now, ok);
                    b.set_position(now.min(progress.duration) as u64);
                    b.set_message(line(&agg, &progress, now, tpm));
                } else if !progress.quiet && now >= next_line {
                    next_line += every;
                    let ok = agg.transactions - agg.error_count;
                    let tpm = (ok - last.1) as f64 * 60.0 / (now - last.0).max(1e-9);
                    last = (now, ok);
                    errln!("{}", line(&agg, &progress, now, tpm));
                }
            }
        }
    }
    if let Some(wr) = &mut w
        && let Err(e) = wr.flush()
    {
        fail(&mut w, e, written);
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    agg
}

fn line(agg: &Aggregate, p: &Progress, now: f64, tpm: f64) -> String {
    // No p95 before a response has been measured: "0 ms" would be a lie.
    let p95 = agg
        .series
        .iter()
        .rev()
        .find(|b| !b.latency.is_empty())
        .map(|b| crate::units::measured_time(Stats::of(&b.latency).p95))
        .unwrap_or_else(|| "-".into());
    let target = p
        .target_tpm
        .map(|t| format!(" (target {})", round_sig(t, 4)))
        .unwrap_or_default();
    format!(
        "[{:>5.0}s / {:.0}s] users {}/{} | {} TPM{target} | p95 {p95} | errors {} | late starts {} | dropped {}",
        now,
        p.duration,
        agg.active_users,
        p.total_users,
        round_sig(tpm, 4),
        agg.error_count,
        agg.late_starts,
        agg.dropped + agg.skipped
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(error: &str) -> Sample {
        let mut s = Sample::event(Kind::Step, 0.1, "g", 0);
        s.ok = false;
        s.error_kind = Some(ErrorKind::Connect);
        s.error = error.into();
        s
    }

    /// Said once, when every request of the first 3 s failed to connect,
    /// naming who does not answer: the target, or the proxy in between.
    #[test]
    fn the_warning_names_who_does_not_answer() {
        let mut w = Silence::default();
        w.see(&refused("connection refused by 127.0.0.1:9"));
        assert_eq!(w.warning(1.0), None, "not yet due");
        let said = w.warning(3.02).expect("due");
        assert!(
            said.starts_with("pace: WARNING: the target does not answer: all 1 request(s) of the first 3 s failed to connect (connection refused by 127.0.0.1:9): is it up"),
            "{said}"
        );
        assert_eq!(w.warning(4.0), None, "said once");

        let mut w = Silence::default();
        w.see(&refused(
            "connection refused by the proxy 127.0.0.1:1 (the proxy for 127.0.0.1:9)",
        ));
        let said = w.warning(3.0).expect("due");
        assert!(
            said.starts_with("pace: WARNING: the proxy does not answer:")
                && said.ends_with("should the target be reached through it (NO_PROXY)?"),
            "{said}"
        );

        // Anything that answered, even an error status, ends the watch.
        let mut w = Silence::default();
        let mut ok = refused("");
        ok.error_kind = Some(ErrorKind::Status);
        w.see(&ok);
        w.see(&refused("connection refused by 127.0.0.1:9"));
        assert_eq!(w.warning(10.0), None);
    }
}
