//! What `pace run`, `pace verify` and `pace report` print at the end: the
//! checks, the response times measured and from the schedule side by side,
//! and the verdict's word with its reasons.

use crate::plan::file::{PacingMode, PlanFile};
use crate::results::error_table::{ERROR_ROWS, ErrorRow};
use crate::results::judgement::State;
use crate::results::summary::Summary;
use crate::units::{measured_ms, measured_time, round_sig};
use crate::visible;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

/// A measured time in a column headed "(ms)": [`measured_ms`].
fn ms(v: f64) -> String {
    measured_ms(v)
}

/// Prints the verdict of `s` to stdout: its checks, then its word last.
/// `paced`: see [`print_checks`].
pub fn print_verdict(s: &Summary, paced: bool) {
    print_checks(s, paced);
    outln!("{}", verdict_line(s));
}

/// The lines that end a run on the console, after its checks: where its
/// results folder and report are (a path a terminal can open), then the
/// verdict's word, last. `report` is false when report.html could not be
/// written.
pub fn print_end(s: &Summary, dir: &std::path::Path, report: bool) {
    print_folder(dir, report);
    outln!("{}", verdict_line(s));
}

/// `results: DIR/` and `report:  /abs/DIR/report.html`.
pub fn print_folder(dir: &std::path::Path, report: bool) {
    outln!(
        "results: {}/",
        dir.display().to_string().trim_end_matches('/')
    );
    let html = dir.join("report.html");
    if report && html.is_file() {
        let abs = std::path::absolute(&html).unwrap_or(html);
        outln!("report:  {}", abs.display());
    }
}

/// Whether some of `plan`'s starts wait for a deadline (every pacing but
/// `none`): then how late they woke is worth a line.
pub fn paced(plan: &PlanFile) -> bool {
    plan.groups
        .iter()
        .any(|g| g.pacing.mode != PacingMode::None)
}

/// Prints everything of the verdict of `s` but its last line. `paced`
/// (see [`paced`]) adds the scheduler lag of the starts.
pub fn print_checks(s: &Summary, paced: bool) {
    let v = &s.verdict;
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_header(vec!["check", "planned", "achieved", "over", "result"]);
    for c in &v.checks {
        let over = c.over.as_ref().map(over_cell).unwrap_or_default();
        t.add_row(visible::row([
            c.name.as_str(),
            &c.target,
            &c.achieved,
            &over,
            if c.pass { "pass" } else { "FAIL" },
        ]));
    }
    let a = &s.achieved;
    t.add_row(vec![
        "transactions in window".to_string(),
        s.expected
            .as_ref()
            .map(|e| {
                format!(
                    "{}-{}",
                    e.transactions_low.ceil(),
                    e.transactions_high.floor()
                )
            })
            .unwrap_or_default(),
        format!("{} ok + {} failed", a.transactions, a.errors),
        String::new(),
        String::new(),
    ]);
    let generator_late: u64 = a.groups.iter().map(|g| g.generator_late).sum();
    t.add_row(vec![
        "late starts / dropped / missed".to_string(),
        "0".into(),
        format!(
            "{} + {} by the generator / {} / {}",
            s.late_starts,
            generator_late,
            s.dropped + s.skipped,
            s.missed
        ),
        String::new(),
        String::new(),
    ]);
    // Back-to-back starts wait for nothing: their lag says nothing of the
    // timer, so it is shown only for paced ones.
    if paced && s.scheduler_lag.count > 0 {
        let l = &s.scheduler_lag;
        t.add_row(vec![
            "scheduler lag p50 / p99 / p99.9".to_string(),
            String::new(),
            format!(
                "{} / {} / {}",
                measured_time(l.p50),
                measured_time(l.p99),
                measured_time(l.p999)
            ),
            String::new(),
            String::new(),
        ]);
    }
    if let Some(g) = &s.meta.generator {
        t.add_row(vec![
            format!(
                "pace's CPU ({} cores{})",
                round_sig(g.cores, 3),
                if s.meta.vars.contains_key("PACE_TARGET") {
                    ", with its embedded target"
                } else {
                    ""
                }
            ),
            format!("<= {}%", round_sig(g.limit * 100.0, 3)),
            format!(
                "{}% over the span (busiest interval {}%)",
                round_sig(g.cpu_span * 100.0, 3),
                round_sig(g.cpu_max * 100.0, 3)
            ),
            format!(
                "{} {}-{} s",
                if a.scope == "window" { "window" } else { "run" },
                round_sig(a.span_s[0], 4),
                round_sig(a.span_s[1], 4)
            ),
            if g.cpu_span > g.limit {
                "WARNING".to_string()
            } else {
                String::new()
            },
        ]);
    }
    t.add_row(vec![
        "errors (whole run)".to_string(),
        String::new(),
        format!(
            "{} of {}",
            s.whole_run.errors,
            s.whole_run.transactions + s.whole_run.errors
        ),
        String::new(),
        String::new(),
    ]);
    // Requests a kept-alive connection was closed under, sent again:
    // not errors, but pace's doing, so never unseen.
    if s.reconnects > 0 {
        t.add_row(vec![
            "reconnects (kept-alive closed)".to_string(),
            String::new(),
            s.reconnects.to_string(),
            String::new(),
        ]);
    }
    outln!("{t}");
    print_views(s);
    for l in &v.laws {
        // A broken law is already a note; the others say they held or
        // why they were not checked, so no audit passes unseen.
        if l.ok != Some(false) {
            let line = format!("law {}, {}: {}", l.formula(), l.subject, l.detail);
            outln!("{}", visible::one_line(&line));
        }
    }
    for n in &v.notes {
        outln!("note: {}", visible::one_line(n));
    }
    for u in &v.unjudged {
        outln!("not judged: {}", visible::one_line(u));
    }
}

/// A check's span in a table cell: "window 4-14 s: 160".
fn over_cell(o: &crate::results::judgement::Over) -> String {
    let span = match o.span.as_str() {
        "run" => "run",
        "whole_run" => "whole run",
        _ => "window",
    };
    format!(
        "{span} {}-{} s: {}",
        round_sig(o.from_s, 4),
        round_sig(o.to_s, 4),
        o.count
    )
}

/// The verdict's word and its reasons, one line (names in the reasons
/// escaped as [`visible::one_line`] does).
pub fn verdict_line(s: &Summary) -> String {
    let v = &s.verdict;
    let line = match v.state {
        State::Pass => "PASS".into(),
        State::Fail => format!("FAIL: {}", v.reasons.join("; ")),
        State::NoChecks => format!(
            "NO CHECKS: the plan sets no target rate and no threshold, so nothing was judged ({} transactions succeeded, {} failed); add [target] or [acceptance] to judge a run",
            s.whole_run.transactions, s.whole_run.errors
        ),
        State::Incomplete => format!("INCOMPLETE: {}", v.reasons.join("; ")),
    };
    visible::one_line(&line).into_owned()
}

/// Each transaction timer's response time as measured from the send, and
/// from the iteration's start on the plan's absolute schedule (what a user
/// arriving on schedule would have waited: the coordinated-omission
/// corrected view). They differ only when starts were late. Every step is
/// listed: one with no successful sample shows `-` and says why, so a step
/// that always failed is not hidden. Then the errors, if any.
fn print_views(s: &Summary) {
    let timers: Vec<&String> = s
        .timers
        .keys()
        .filter(|k| !s.custom_timers.contains(k))
        .collect();
    if !timers.is_empty() {
        let mut t = Table::new();
        t.load_style(UTF8_FULL_CONDENSED).set_header(vec![
            "response time (ms), successes of the whole run",
            "p50",
            "p95",
            "p99",
            "max",
            "from schedule p50",
            "p95",
            "p99",
            "max",
        ]);
        for k in timers {
            let m = &s.timers[k];
            if m.count == 0 {
                let failed = s.timer_errors.get(k).copied().unwrap_or(0);
                let why = if failed > 0 {
                    format!("{k} (all {failed} failed)")
                } else {
                    format!("{k} (none made)")
                };
                let mut row = vec![visible::one_line(&why).into_owned()];
                row.extend(std::iter::repeat_n("-".to_string(), 8));
                t.add_row(row);
                continue;
            }
            let mut row = vec![
                visible::one_line(k).into_owned(),
                ms(m.p50),
                ms(m.p95),
                ms(m.p99),
                ms(m.max),
            ];
            match s.timers_scheduled.get(k) {
                Some(c) => row.extend([ms(c.p50), ms(c.p95), ms(c.p99), ms(c.max)]),
                None => row.extend(std::iter::repeat_n(String::new(), 4)),
            }
            t.add_row(row);
        }
        // The judged view beside it: every transaction of the span, each
        // at its elapsed time (what the latency checks read).
        let a = &s.achieved.latency;
        if a.count > 0 && a.count != s.achieved.latency_ok.count {
            let mut row = vec![
                format!("every transaction of the span ({} judged)", a.count),
                ms(a.p50),
                ms(a.p95),
                ms(a.p99),
                ms(a.max),
            ];
            row.extend(std::iter::repeat_n(String::new(), 4));
            t.add_row(row);
        }
        outln!("{t}");
    }
    print_errors(s);
}

/// The most errors rows shown on the console; report.html has them all.
const CONSOLE_ERROR_ROWS: usize = 10;

/// The longest message shown on the console, in characters.
const CONSOLE_MESSAGE_MAX: usize = 100;

/// The run's errors, deduplicated (one row per step, kind, status and
/// message), the most frequent first, at most [`CONSOLE_ERROR_ROWS`] rows.
fn print_errors(s: &Summary) {
    if s.error_rows.is_empty() {
        return;
    }
    let mut rows: Vec<&ErrorRow> = s.error_rows.iter().collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.first_s.total_cmp(&b.first_s)));
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED).set_header(vec![
        "errors: step",
        "kind",
        "status",
        "count",
        "first message",
    ]);
    for e in rows.iter().take(CONSOLE_ERROR_ROWS) {
        let message = if e.other {
            format!("other messages (past the {ERROR_ROWS} distinct rows kept)")
        } else {
            short(&e.message)
        };
        t.add_row(visible::row([
            e.timer.clone(),
            e.kind.clone(),
            if e.status > 0 {
                e.status.to_string()
            } else {
                "-".into()
            },
            e.count.to_string(),
            message,
        ]));
    }
    outln!("{t}");
    if rows.len() > CONSOLE_ERROR_ROWS {
        let rest = &rows[CONSOLE_ERROR_ROWS..];
        outln!(
            "errors: {} more rows ({} errors) in report.html and summary.json",
            rest.len(),
            rest.iter().map(|e| e.count).sum::<u64>()
        );
    }
}

/// `m` on one line, cut to [`CONSOLE_MESSAGE_MAX`] characters ("…" where
/// it was cut).
fn short(m: &str) -> String {
    let one: String = m.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() <= CONSOLE_MESSAGE_MAX {
        return one;
    }
    let mut cut: String = one.chars().take(CONSOLE_MESSAGE_MAX).collect();
    cut.push('…');
    cut
}
