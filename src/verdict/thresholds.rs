//! The latency and error-rate checks, at every level a plan sets them
//! (the plan, a group, a step of a group), each its own row, judged on
//! the span's transactions of that level (docs/verdict.md, "The checks").
//!
//! Latency: by default every transaction of the span counts, successes
//! and failures alike, each at its elapsed time, and a timeout or a
//! cut-off is never within a limit (it was never answered in time): a
//! p95 holds when 100·within >= 95·n. `latency_of = "ok"` counts the
//! successes only, and then cannot pass while the timeouts and cut-offs
//! it leaves out exceed the percentile's own share (5 % for a p95): the
//! case p95-ignores-timeouts, where a quarter of the requests timed out
//! and a p95 over the rest read 11.8 ms. Every comparison is in integers.

use super::{Span, Verdict, push};
use crate::plan::file::PlanFile;
use crate::plan::thresholds::{LatencyLimit, LatencyOf, Thresholds};
use crate::ratio::Ratio;
use crate::results::aggregate::Aggregate;
use crate::results::judgement::Check;
use crate::results::span::SpanTally;
use crate::units::{human_duration, measured_time, round_sig};

/// Which transactions a row judges: the plan's, a group's or a step's.
#[derive(Debug, Clone, Copy)]
enum Level<'a> {
    Plan,
    Group(&'a str),
    Step(&'a str, &'a str),
}

impl Level<'_> {
    /// The row's name: "p95 response time", "error rate, group 'pay'",
    /// "p95 response time, step 'pay' of group 'checkout'".
    fn name(&self, check: &str) -> String {
        match self {
            Level::Plan => check.to_string(),
            Level::Group(g) => format!("{check}, group '{g}'"),
            Level::Step(g, s) => format!("{check}, step '{s}' of group '{g}'"),
        }
    }

    /// Whose transactions, in words.
    fn whose(&self) -> String {
        match self {
            Level::Plan => "transactions".into(),
            Level::Group(g) => format!("transactions of group '{g}'"),
            Level::Step(g, s) => format!("transactions of step '{s}' of group '{g}'"),
        }
    }
}

/// Judges every latency and error-rate threshold of the plan; returns
/// how many promises that is.
pub fn judge(plan: &PlanFile, agg: &Aggregate, span: &Span, v: &mut Verdict) -> usize {
    let default_of = plan.acceptance.latency_of;
    let limits = agg.limits.len();
    let mut n = judge_level(
        &plan.plan_thresholds(),
        default_of,
        &agg.span_total(),
        Level::Plan,
        agg,
        span,
        v,
    );
    for g in &plan.groups {
        let tally = agg.groups.iter().find(|t| t.name == g.name);
        // A step inherits its group's `latency_of`, the group the plan's.
        let group_of = g
            .acceptance
            .as_ref()
            .and_then(|t| t.latency_of)
            .unwrap_or(default_of);
        if let Some(t) = &g.acceptance {
            let total = tally.map_or_else(|| SpanTally::new(limits), |t| t.span.total(limits));
            n += judge_level(t, group_of, &total, Level::Group(&g.name), agg, span, v);
        }
        for s in &g.steps {
            let Some(t) = &s.acceptance else { continue };
            let empty = SpanTally::new(limits);
            let step = tally.and_then(|t| t.span.step(&s.name)).unwrap_or(&empty);
            n += judge_level(
                t,
                group_of,
                step,
                Level::Step(&g.name, &s.name),
                agg,
                span,
                v,
            );
        }
    }
    n
}

fn judge_level(
    t: &Thresholds,
    default_of: LatencyOf,
    tally: &SpanTally,
    level: Level<'_>,
    agg: &Aggregate,
    span: &Span,
    v: &mut Verdict,
) -> usize {
    let of = t.latency_of.unwrap_or(default_of);
    let mut n = 0;
    for l in t.latency() {
        n += 1;
        push(v, latency_check(l, of, tally, level, agg, span));
    }
    if let Some(limit) = t.error_rate {
        n += 1;
        push(v, error_rate_check(limit.1, tally, level, span));
    }
    n
}

/// One latency threshold over `tally`'s transactions.
fn latency_check(
    l: LatencyLimit,
    of: LatencyOf,
    tally: &SpanTally,
    level: Level<'_>,
    agg: &Aggregate,
    span: &Span,
) -> Check {
    let LatencyLimit {
        name,
        q_percent,
        limit,
    } = l;
    let q = q_percent as u128;
    let i = agg
        .limit_index(limit)
        .expect("the aggregate counts every limit of the plan");
    let check_name = level.name(&super::latency_check_name(name));
    let all = tally.n;
    let unfinished = tally.unfinished;
    let (n, within, stats) = match of {
        LatencyOf::All => (all, tally.within_all[i], tally.all_stats()),
        LatencyOf::Ok => (tally.ok, tally.within_ok[i], tally.ok_stats()),
    };
    // The nearest rank of the q-quantile is ceil(q·n/100): the percentile
    // holds when that many are within, i.e. 100·within >= q·n.
    let held = n > 0 && 100 * within as u128 >= q * n as u128;
    // Successes only may leave out at most the percentile's own share of
    // the span's transactions as timeouts and cut-offs.
    let left_ok = of == LatencyOf::All || 100 * unfinished as u128 <= (100 - q) * all as u128;
    let value = stats.get(name).unwrap_or(0.0);
    let shown = value_text(value, limit, held);
    let share = share_text(within, n, None);
    let unfinished_words = if unfinished > 0 {
        format!("; {unfinished} of them timed out or were cut off (never within)",)
    } else {
        String::new()
    };
    let achieved = match of {
        _ if n == 0 => format!("no {} in the span", level.whose()),
        LatencyOf::All => format!(
            "{shown} ({share}% of {n} within {}{unfinished_words})",
            human_duration(limit)
        ),
        LatencyOf::Ok => format!(
            "{shown} ({share}% of {n} successes within {}; {} of {all} left out, {unfinished} of them timeouts or cut-offs)",
            human_duration(limit),
            all - n
        ),
    };
    let reason = if n == 0 {
        Some(format!(
            "{check_name}: no {} in {}, so it cannot be within {}",
            if of == LatencyOf::Ok {
                format!("successful {}", level.whose())
            } else {
                level.whose()
            },
            span.words(),
            human_duration(limit)
        ))
    } else if !held && of == LatencyOf::All && unfinished > 0 && value <= limit {
        // The percentile of the elapsed times is within, but timeouts and
        // cut-offs are never within: "151 ms exceeded 300 ms" would be
        // false, the shortfall is theirs.
        Some(format!(
            "{check_name} not within the {} threshold: {unfinished} of {n} transactions timed out or were cut off, never within whatever their elapsed time, so only {share}% took at most {} (the {name} of the elapsed times, a timeout counted at its timeout, is {shown})",
            human_duration(limit),
            human_duration(limit)
        ))
    } else if !held {
        Some(format!(
            "{check_name} {shown} exceeded the {} threshold (only {share}% of {n} {} took at most {}{unfinished_words})",
            human_duration(limit),
            if of == LatencyOf::Ok {
                "successful transactions"
            } else {
                "transactions"
            },
            human_duration(limit)
        ))
    } else if !left_ok {
        Some(format!(
            "{check_name}: {unfinished} of the span's {all} transactions ({}%) timed out or were cut off, more than the {}% a {name} over successes may leave out: they took at least their timeout and were never answered",
            share_text(unfinished, all, None),
            100 - q
        ))
    } else {
        None
    };
    let samples = match of {
        LatencyOf::All => format!(
            "{all} {} of {} (successes and failures, each at its elapsed time)",
            level.whose(),
            span.words()
        ),
        LatencyOf::Ok => format!(
            "{n} successful {} of {} ({} left out)",
            level.whose(),
            span.words(),
            all - n
        ),
    };
    Check {
        name: check_name,
        target: format!("<= {}", human_duration(limit)),
        achieved,
        pass: held && left_ok,
        reason,
        over: Some(span.over(samples, n)),
    }
}

/// The error rate over `tally`'s transactions, compared exactly:
/// failed·D <= P·n for a limit P/D as written.
fn error_rate_check(limit: Ratio, tally: &SpanTally, level: Level<'_>, span: &Span) -> Check {
    let (failed, n) = (tally.failed, tally.n);
    let ok = n > 0 && limit.admits(failed, n);
    let check_name = level.name(super::ERROR_RATE_CHECK);
    let rate = share_text(failed, n, Some(limit));
    let stale = if tally.stale > 0 {
        format!(
            "; {} of them on kept-alive connections the server had closed (pace's, not the target's)",
            tally.stale
        )
    } else {
        String::new()
    };
    let reason = (!ok).then(|| {
        if n == 0 {
            format!(
                "{check_name}: no {} in {}, so none can be judged",
                level.whose(),
                span.words()
            )
        } else {
            format!(
                "{check_name} {rate}% ({failed} of {n}{stale}) exceeded {}",
                limit.percent_text()
            )
        }
    });
    Check {
        name: check_name,
        target: format!("<= {}", limit.percent_text()),
        achieved: format!("{rate}% ({failed} of {n}{stale})"),
        pass: ok,
        reason,
        over: Some(span.over(format!("{n} {} of {}", level.whose(), span.words()), n)),
    }
}

/// A latency check's measured value: [`measured_time`] (3 significant
/// digits, as every table shows it), with more digits only where a failed
/// check's value would otherwise read at or below its limit (a limit
/// written with 4 digits, "35.44ms", and a p95 of 35.441 ms, "35.4 ms",
/// must not read "35.4 ms exceeded the 35.44 ms threshold").
fn value_text(value: f64, limit: f64, held: bool) -> String {
    let text = measured_time(value);
    if held || value <= limit {
        return text;
    }
    let (scale, unit) = if text.ends_with(" ms") {
        (1000.0, "ms")
    } else {
        (1.0, "s")
    };
    for digits in 3..=12 {
        let t = round_sig(value * scale, digits);
        if t.parse::<f64>().is_ok_and(|v| v > limit * scale) {
            return if digits == 3 {
                text
            } else {
                format!("{t} {unit}")
            };
        }
    }
    text
}

/// `part / whole` as a percentage for a row: 4 significant digits, more
/// where 4 would read as the limit it differs from (never "0.7%
/// exceeded 0.7%"), and never rounded to 100 or 0 when it is not.
/// The one rule for an error percentage: the verdict, report.html's
/// judged section and statistics table, and `pace history` all print
/// theirs with it, so the same rate reads the same everywhere.
pub fn share_text(part: u64, whole: u64, limit: Option<Ratio>) -> String {
    if whole == 0 {
        return "0".into();
    }
    if part == whole {
        return "100".into();
    }
    if part == 0 {
        return "0".into();
    }
    let v = part as f64 * 100.0 / whole as f64;
    let exact = Ratio::new(part as u128, whole as u128);
    for digits in 4..=12 {
        let text = round_sig(v, digits);
        let Ok(shown) = text.parse::<f64>() else {
            return text;
        };
        let reads_whole = shown >= 100.0 || shown <= 0.0;
        let reads_limit =
            limit.is_some_and(|l| Ratio::parse(&format!("{text}%")) == Some(l) && exact != l);
        if !reads_whole && !reads_limit {
            return text;
        }
    }
    round_sig(v, 12)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_latency_never_reads_at_or_below_its_limit() {
        // 3 significant digits as everywhere...
        assert_eq!(value_text(0.035_46, 0.035_45, false), "35.5 ms");
        assert_eq!(value_text(0.035_46, 0.1, true), "35.5 ms");
        // ...but "35.4 ms exceeded the 35.44 ms threshold" would be false.
        assert_eq!(value_text(0.035_441, 0.035_44, false), "35.441 ms");
        assert_eq!(value_text(1.2341, 1.234, false), "1.2341 s");
    }

    #[test]
    fn a_share_never_reads_as_what_it_is_not() {
        assert_eq!(share_text(7, 1000, Ratio::parse("0.7%")), "0.7");
        // 70001 of 10^7 is 0.70001 %: above a 0.7 % limit, and said so.
        assert_eq!(
            share_text(70_001, 10_000_000, Ratio::parse("0.7%")),
            "0.70001"
        );
        // 99 999 of 100 000 is not 100 %.
        assert_eq!(share_text(99_999, 100_000, None), "99.999");
        assert_eq!(share_text(1, 10_000_000, None), "0.00001");
        assert_eq!(share_text(258, 344, None), "75");
        assert_eq!(share_text(0, 5, None), "0");
        assert_eq!(share_text(5, 5, None), "100");
    }
}
