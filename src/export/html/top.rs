//! The whole run's tables: one statistics table (a row per timer, the
//! plan's thresholds shown, a value above one shaded) and the errors table
//! (deduplicated, with counts and first and last time).
//!
//! These are whole-run figures of successful samples: not what the verdict
//! judged (every transaction of the span, at the top of the page), so no
//! cell here carries the verdict's pass or fail; a value above a limit is
//! only pointed out.

use super::tables::rate;
use crate::results::Results;
use crate::results::aggregate::Stats;
use crate::results::error_table::{ERROR_ROWS, ErrorRow};
use crate::units::{human_duration, measured_ms, round_sig};
use crate::verdict::thresholds::share_text;
use crate::verdict::{LatencyThreshold, latency_thresholds};
use maud::{Markup, html};

/// One row of the statistics table.
pub struct StatRow<'a> {
    pub name: &'a str,
    /// The section it links to.
    pub id: &'a str,
    pub stats: &'a Stats,
    pub errors: u64,
    /// All Transactions: the total row.
    pub total: bool,
    pub custom: bool,
}

/// A column of times: its heading and the statistic it shows.
struct TimeColumn {
    name: &'static str,
    get: fn(&Stats) -> f64,
}

/// The time columns: avg, p50, p90, p95, p99, max, and p80 where the plan
/// sets a p80 threshold (so that every threshold has its column).
fn time_columns(limits: &[LatencyThreshold]) -> Vec<TimeColumn> {
    let mut cols = vec![
        TimeColumn {
            name: "avg",
            get: |s| s.avg,
        },
        TimeColumn {
            name: "p50",
            get: |s| s.p50,
        },
    ];
    if limits.iter().any(|l| l.name == "p80") {
        cols.push(TimeColumn {
            name: "p80",
            get: |s| s.p80,
        });
    }
    cols.extend([
        TimeColumn {
            name: "p90",
            get: |s| s.p90,
        },
        TimeColumn {
            name: "p95",
            get: |s| s.p95,
        },
        TimeColumn {
            name: "p99",
            get: |s| s.p99,
        },
        TimeColumn {
            name: "max",
            get: |s| s.max,
        },
    ]);
    cols
}

/// The class and hover text of a cell that has a threshold: `over` when
/// the value lies above the limit.
fn mark(above: bool, limit: &str) -> (String, String) {
    if above {
        (
            "over".into(),
            format!(
                "above the {limit} limit here (whole run, successful samples); the verdict judged the span's every transaction (What was judged)"
            ),
        )
    } else {
        (String::new(), String::new())
    }
}

/// The statistics table: a row per timer and All Transactions first.
pub fn statistics(r: &Results, rows: &[StatRow]) -> Markup {
    let s = &r.summary;
    let limits = latency_thresholds(&r.plan.acceptance);
    let error_limit = r.plan.acceptance.error_rate.map(|f| f.0);
    let error_ratio = r.plan.acceptance.error_rate.map(|f| f.1);
    let cols = time_columns(&limits);
    let seconds = if s.whole_run.seconds > 0.0 {
        s.whole_run.seconds
    } else {
        s.meta.run_time_s
    };
    let limit_of = |col: &str| limits.iter().find(|l| l.name == col);
    html! {
        section #statistics {
            h2 { "Statistics: the whole run" }
            div.scroll {
                table.statistics {
                    thead {
                        tr {
                            th { "timer" } th { "count" } th { "errors" } th { "error %" } th { "rate/s" }
                            @for c in &cols { th { (c.name) " (ms)" } }
                        }
                        @if !limits.is_empty() || error_limit.is_some() {
                            tr.limits {
                                th { "threshold" } th {} th {}
                                th { @if let Some(e) = error_limit { "≤ " (round_sig(e * 100.0, 4)) " %" } }
                                th {}
                                @for c in &cols {
                                    th { @if let Some(l) = limit_of(c.name) { "≤ " (human_duration(l.limit)) } }
                                }
                            }
                        }
                    }
                    tbody {
                        @for row in rows {
                            @let count = row.stats.count + row.errors;
                            @let err = if count > 0 { row.errors as f64 / count as f64 } else { 0.0 };
                            tr class=(if row.total { "total" } else { "" }) {
                                th scope="row" {
                                    a href=(format!("#{}", row.id)) { (row.name) }
                                    @if row.custom { " " span.note { "(custom timer)" } }
                                }
                                td { (count) }
                                td { (row.errors) }
                                @let (class, title) = match error_limit {
                                    Some(e) if !row.custom => mark(count > 0 && err > e, "error rate"),
                                    _ => (String::new(), String::new()),
                                };
                                td class=(class) title=(title) {
                                    @if count > 0 { (share_text(row.errors, count, error_ratio)) } @else { "-" }
                                }
                                td { (rate(count as f64 / seconds.max(1e-9))) }
                                @for c in &cols {
                                    @if row.stats.count == 0 {
                                        td.none { "-" }
                                    } @else {
                                        @let v = (c.get)(row.stats);
                                        @let (class, title) = match limit_of(c.name) {
                                            Some(l) if !row.custom => mark(v > l.limit, l.name),
                                            _ => (String::new(), String::new()),
                                        };
                                        td class=(class) title=(title) { (measured_ms(v)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p.note {
                "count: every sample, succeeded or failed; rate/s: that count per second over the run's schedule ("
                (human_duration(seconds)) "); times in milliseconds (3 significant digits, the histograms' precision), of successful samples only."
                @if !limits.is_empty() || error_limit.is_some() {
                    " A value above a limit of the plan is " span.over-key { "shaded" } ". These are the whole run's successful samples:"
                    " the verdict judged every transaction of the span, failures included ("
                    a href="#judged" { "What was judged" } ")."
                }
            }
        }
    }
}

/// The errors table: one row per timer × kind × status × message, the most
/// frequent first.
pub fn errors(rows: &[ErrorRow]) -> Markup {
    let mut rows: Vec<&ErrorRow> = rows.iter().collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.first_s.total_cmp(&b.first_s)));
    let t = |v: f64| format!("{v:.2}");
    html! {
        section #errors {
            h2 { "Errors" }
            @if rows.is_empty() {
                p.none { "No errors." }
            } @else {
                p.note {
                    "Every failed sample, one row per timer, kind, status and message, the most frequent first;"
                    " first and last are send times in seconds since the start."
                }
                div.scroll.tall {
                    table.errors {
                        thead { tr { th { "timer" } th { "kind" } th { "status" } th { "message" } th { "count" } th { "first (s)" } th { "last (s)" } } }
                        tbody {
                            @for e in &rows {
                                tr {
                                    td { (e.timer) }
                                    td { (e.kind) }
                                    td { @if e.status > 0 { (e.status) } @else { "-" } }
                                    td.message {
                                        @if e.other {
                                            em { "other messages (past the " (ERROR_ROWS) " distinct rows kept)" }
                                        } @else {
                                            code { (e.message) }
                                        }
                                    }
                                    td { (e.count) }
                                    td { (t(e.first_s)) }
                                    td { (t(e.last_s)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
