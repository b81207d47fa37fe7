//! The verdict: did the run achieve the planned throughput and latency, and
//! if not, why. Reads only the aggregate of the results and the plan.

use crate::plan::file::{PlanFile, Tolerance};
use crate::results::aggregate::{Aggregate, Stats};
use crate::units::round_sig;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub target: String,
    pub achieved: String,
    pub pass: bool,
    /// Why it failed, in words (also in `Verdict::reasons`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub pass: bool,
    pub reasons: Vec<String>,
    pub checks: Vec<Check>,
}

/// The throughput the plan expects over the window, where it sets one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    pub tpm: f64,
    pub tpm_low: f64,
    pub tpm_high: f64,
    pub transactions: f64,
    pub transactions_low: f64,
    pub transactions_high: f64,
    pub confidence: f64,
    /// "auto" (the statistical band) or a fixed percentage.
    pub tolerance: String,
}

/// The expected throughput of `plan` over `window` seconds.
pub fn expected(plan: &PlanFile, window: f64) -> Option<Expected> {
    let tps = plan.planned_tps()?;
    let tx = tps * window;
    match plan.acceptance.tolerance {
        Tolerance::Auto => {
            let band = plan.band_for_window(window)?;
            Some(Expected {
                tpm: band.tpm,
                tpm_low: band.tpm_low,
                tpm_high: band.tpm_high,
                transactions: band.expected,
                transactions_low: band.count_low,
                transactions_high: band.count_high,
                confidence: band.confidence,
                tolerance: "auto".into(),
            })
        }
        Tolerance::Fixed(f) => Some(Expected {
            tpm: tps * 60.0,
            tpm_low: tps * 60.0 * (1.0 - f),
            tpm_high: tps * 60.0 * (1.0 + f),
            transactions: tx,
            transactions_low: tx * (1.0 - f),
            transactions_high: tx * (1.0 + f),
            confidence: plan.acceptance.confidence,
            tolerance: format!("{}%", round_sig(f * 100.0, 4)),
        }),
    }
}

fn r(v: f64) -> String {
    round_sig(v, 4)
}

fn secs(v: f64) -> String {
    if v < 1.0 {
        format!("{} ms", round_sig(v * 1000.0, 3))
    } else {
        format!("{} s", round_sig(v, 3))
    }
}

/// All transactions' successful latencies merged (steps, or scripts'
/// `run()` calls; not their custom timers).
pub fn all_transactions(agg: &Aggregate) -> Stats {
    let mut h: Histogram<u64> = Histogram::new(3).expect("valid");
    for t in agg.timers.values().filter(|t| !t.custom) {
        let _ = h.add(&t.latency);
    }
    Stats::of(&h)
}

/// Judges a run. `partial` runs are judged like any other, but say so.
pub fn judge(plan: &PlanFile, agg: &Aggregate, expected: Option<&Expected>) -> Verdict {
    let mut checks = Vec::new();
    let mut reasons = Vec::new();
    let window = agg.window.1 - agg.window.0;
    let achieved_tpm = agg.window_tpm();

    if let Some(e) = expected {
        let ok = (agg.window_ok as f64) >= e.transactions_low
            && (agg.window_ok as f64) <= e.transactions_high;
        checks.push(Check {
            name: "throughput".into(),
            target: format!("{}-{} TPM", r(e.tpm_low), r(e.tpm_high)),
            achieved: format!("{} TPM", r(achieved_tpm)),
            pass: ok,
            reason: None,
        });
        if !ok {
            let why = throughput_reason(plan, agg, e, achieved_tpm, window);
            fail(&mut checks, &mut reasons, why);
        }
    }

    let all = all_transactions(agg);
    let a = &plan.acceptance;
    for (name, limit) in [
        ("p50", a.p50),
        ("p80", a.p80),
        ("p90", a.p90),
        ("p95", a.p95),
        ("p99", a.p99),
        ("max", a.max),
    ] {
        let Some(limit) = limit else { continue };
        let got = all.get(name).unwrap_or(0.0);
        let ok = all.count > 0 && got <= limit.0;
        checks.push(Check {
            name: format!("{name} response time"),
            target: format!("<= {}", secs(limit.0)),
            achieved: if all.count > 0 {
                secs(got)
            } else {
                "no successful transactions".into()
            },
            pass: ok,
            reason: None,
        });
        if !ok {
            let why = format!(
                "{name} response time {} exceeded the {} threshold",
                secs(got),
                secs(limit.0)
            );
            fail(&mut checks, &mut reasons, why);
        }
    }
    if let Some(limit) = a.error_rate {
        let rate = if agg.transactions > 0 {
            agg.error_count as f64 / agg.transactions as f64
        } else {
            0.0
        };
        let ok = rate <= limit.0;
        checks.push(Check {
            name: "error rate".into(),
            target: format!("<= {}%", r(limit.0 * 100.0)),
            achieved: format!(
                "{}% ({} of {})",
                r(rate * 100.0),
                agg.error_count,
                agg.transactions
            ),
            pass: ok,
            reason: None,
        });
        if !ok {
            let why = format!(
                "error rate {}% ({} of {} transactions) exceeded {}%",
                r(rate * 100.0),
                agg.error_count,
                agg.transactions,
                r(limit.0 * 100.0)
            );
            fail(&mut checks, &mut reasons, why);
        }
    }
    Verdict {
        pass: reasons.is_empty(),
        reasons,
        checks,
    }
}

/// Records a failed check's reason on the check and in the verdict's list.
fn fail(checks: &mut [Check], reasons: &mut Vec<String>, reason: String) {
    if let Some(c) = checks.last_mut() {
        c.reason = Some(reason.clone());
    }
    reasons.push(reason);
}

/// "540 TPM achieved vs 720 planned (band 705-735): ..." with the causes
/// the runner measured.
fn throughput_reason(
    plan: &PlanFile,
    agg: &Aggregate,
    e: &Expected,
    achieved: f64,
    window: f64,
) -> String {
    let mut s = format!(
        "{} TPM achieved vs {} planned (band {}-{})",
        r(achieved),
        r(e.tpm),
        r(e.tpm_low),
        r(e.tpm_high)
    );
    let mut causes = Vec::new();
    let iter = Stats::of(&agg.iterations.latency);
    let all = all_transactions(agg);
    if agg.late_starts > 0 {
        let late = Stats::of(&agg.lateness);
        let debt = late.avg * late.count as f64;
        // Compare the measured iteration time with the pacing it had to fit.
        let pacing = plan
            .groups
            .iter()
            .filter_map(|g| g.pacing.distribution())
            .map(|p| p.min())
            .fold(f64::INFINITY, f64::min);
        let because = if pacing.is_finite() && iter.count > 0 {
            format!(
                " because p95 response time {} (iteration p95 {}) exceeded the {} pacing interval",
                secs(all.p95),
                secs(iter.p95),
                secs(pacing)
            )
        } else {
            String::new()
        };
        causes.push(format!(
            "{} iterations started late{because} (lateness p95 {}, {} lost in all)",
            agg.late_starts,
            secs(late.p95),
            secs(debt)
        ));
    }
    if agg.dropped > 0 {
        causes.push(format!(
            "{} starts dropped: no free user in the pool",
            agg.dropped
        ));
    }
    if agg.skipped > 0 {
        causes.push(format!(
            "{} starts skipped after overruns (late = \"skip\")",
            agg.skipped
        ));
    }
    let window_errors = agg.window_all - agg.window_ok;
    if window_errors > 0 {
        causes.push(format!("{window_errors} transactions in the window failed"));
    }
    let lag = Stats::of(&agg.scheduler_lag);
    if lag.count > 0 && lag.p99 > 0.01 {
        causes.push(format!(
            "the generator itself fell behind: scheduler lag p99 {}",
            secs(lag.p99)
        ));
    }
    // Little's law on the measured run.
    if iter.count > 0 && agg.window_iterations > 0 && window > 0.0 {
        let users: u64 = plan.groups.iter().map(|g| g.users).sum();
        let rate = agg.window_iterations as f64 / window;
        let per_user_cycle = users as f64 / rate;
        let planned_rate =
            e.transactions / window / plan.target.transactions_per_iteration() as f64;
        let needed_users = (planned_rate * iter.avg).ceil();
        causes.push(format!(
            "Little's law: {users} users at {} iterations/s means {} per cycle; the measured iteration time {} needs at least {} users (or a pacing of at least {}) for the planned {} iterations/s",
            r(rate),
            secs(per_user_cycle),
            secs(iter.avg),
            needed_users,
            secs(iter.avg),
            r(planned_rate)
        ));
    }
    if !causes.is_empty() {
        s.push_str(": ");
        s.push_str(&causes.join("; "));
    }
    s
}
