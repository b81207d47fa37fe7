//! The whole run's sections: the run's facts and the workload the plan
//! configured, and Plan vs achieved (the whole run's rate, what held the
//! schedule back, each timer measured and from the schedule); and the
//! operational-law table the verdict's section shows.

use crate::plan::file::{PacingMode, PacingSection, PlanFile};
use crate::plan::pacing::Pacing;
use crate::results::Results;
use crate::results::aggregate::Stats;
use crate::units::{human_duration, measured_ms, measured_time, round_sig};
use maud::{Markup, html};

fn num(v: f64) -> String {
    round_sig(v, 4)
}

fn dur(v: f64) -> String {
    human_duration(v)
}

/// "fixed 500 ms", "uniform 300 ms to 700 ms (mean 500 ms)", ...
pub fn pacing(p: &PacingSection) -> String {
    let d = |s: Option<crate::plan::file::Secs>| s.map(|s| dur(s.0)).unwrap_or_else(|| "?".into());
    let mean = p
        .distribution()
        .map(|x| format!(" (mean {})", dur(x.mean())))
        .unwrap_or_default();
    match p.mode {
        PacingMode::Fixed => format!("fixed, every {}", d(p.interval)),
        PacingMode::Uniform => format!("uniform, {} to {}{mean}", d(p.min), d(p.max)),
        PacingMode::Beta => match p.distribution() {
            Some(Pacing::Beta { alpha, beta, .. }) => format!(
                "beta({}, {}), {} to {}{mean}",
                num(alpha),
                num(beta),
                d(p.min),
                d(p.max)
            ),
            _ => format!("beta, {} to {}", d(p.min), d(p.max)),
        },
        PacingMode::Exponential => format!(
            "exponential, mean {}, at least {}",
            d(p.interval),
            p.min.map(|s| dur(s.0)).unwrap_or_else(|| "0 s".into())
        ),
        PacingMode::AfterEnd => format!("{} after each iteration ends", d(p.delay)),
        PacingMode::None => "none (back to back)".into(),
        PacingMode::ArrivalRate => format!(
            "arrival rate {}/s (open model)",
            p.rate.map(|r| num(r.0)).unwrap_or_else(|| "?".into())
        ),
    }
}

/// pace's own target, as the plan configured it.
fn embedded(e: &crate::target::EmbeddedTarget) -> String {
    use crate::target::TextOrNumber;
    let t = |v: &Option<TextOrNumber>| match v {
        Some(TextOrNumber::Text(s)) => Some(s.clone()),
        Some(TextOrNumber::Number(n)) => Some(n.to_string()),
        None => None,
    };
    let mut parts = vec!["pace's embedded target".to_string()];
    if let Some(l) = t(&e.latency) {
        parts.push(format!("latency {l}"));
    }
    if let Some(r) = t(&e.error_rate) {
        parts.push(format!("error rate {r}"));
    }
    if let Some(b) = e.size {
        parts.push(format!("{b}-byte responses"));
    }
    parts.join(", ")
}

fn workload(plan: &PlanFile) -> Markup {
    html! {
        h3 { "Workload configuration" }
        div.scroll { table.workload {
            thead { tr { th { "group" } th { "users" } th { "pacing" } th { "late policy" } th { "steps or script" } } }
            tbody {
                @for g in &plan.groups {
                    tr {
                        td { (g.name) }
                        td.num { (g.users) }
                        td { (pacing(&g.pacing)) }
                        td { (g.pacing.late.name()) }
                        td {
                            @if let Some(script) = &g.script {
                                "script " code { (script) }
                                @if let Some(w) = &g.worker {
                                    " " span.url { "worker: " (w) }
                                }
                            } @else {
                                ol.steps {
                                    @for s in &g.steps {
                                        li { (s.name) " " span.url { (s.method) " " (s.url) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        } }
    }
}

/// The run's facts and the workload the plan configured.
pub fn summary(r: &Results) -> Markup {
    let s = &r.summary;
    let m = &s.meta;
    html! {
        section #summary {
            h2 { "Run" }
            div.scroll { table.facts {
                tbody {
                    tr { th { "plan" } td { (m.plan_name()) " " span.url { "(" (m.plan_file) ")" } } }
                    tr { th { "transactions (whole run)" } td { (s.whole_run.transactions + s.whole_run.errors) } }
                    tr { th { "errors (whole run)" } td { (s.whole_run.errors) } }
                    tr { th { "reconnects" } td { (reconnects(s)) } }
                    tr { th { "run time" } td { (dur(m.run_time_s)) " (planned " (dur(m.duration_s)) ")" } }
                    tr { th { "ramp-up" } td { (dur(m.ramp_up_s)) } }
                    tr { th { "test start" } td { (m.started_at) } }
                    tr { th { "test finish" } td { (m.finished_at) } }
                    tr { th { "time-series interval" } td { (dur(m.ts_interval_s)) } }
                    @if let Some(e) = &r.plan.target.embedded {
                        tr { th { "target" } td { (embedded(e)) } }
                    }
                }
            } }
            (workload(&r.plan))
        }
    }
}

/// The requests a kept-alive connection closed under (docs/running.md,
/// "What is measured"): those sent again, not errors, and those not sent
/// again (not idempotent), errors of kind `stale`.
fn reconnects(s: &crate::results::summary::Summary) -> String {
    let stale = s.errors.get("stale").map_or(0, |e| e.count);
    let mut line = if s.reconnects == 0 {
        "none: no kept-alive connection was closed under a request".to_string()
    } else {
        format!(
            "{} requests sent again on a new connection: the target closed the kept-alive connection they went on before any answer (not errors)",
            s.reconnects
        )
    };
    if stale > 0 {
        line.push_str(&format!(
            "; {stale} requests lost that way were not sent again (their method is not idempotent): errors of kind stale"
        ));
    }
    line
}

/// The operational-law audit of the span, for the verdict's section.
pub fn laws(v: &crate::results::judgement::Verdict) -> Markup {
    html! {
        @if !v.laws.is_empty() {
            div.scroll { table.laws {
                thead { tr { th { "operational law" } th { "applied to" } th { "ratio" } th { "result" } th { "measured" } } }
                tbody {
                    @for l in &v.laws {
                        tr {
                            td { (l.law) " (" (l.formula()) ")" }
                            td { (l.subject) }
                            td.num { @if let Some(x) = l.ratio { (num(x)) } }
                            td { (match l.ok { Some(true) => "holds", Some(false) => "BROKEN: not steady state or units mixed", None => "not checked" }) }
                            td { (l.detail) }
                        }
                    }
                }
            } }
        }
    }
}

fn latency_line(what: &str, st: &Stats) -> String {
    if st.count == 0 {
        return String::new();
    }
    format!(
        " ({what}p95 {}, p99 {}, max {})",
        measured_time(st.p95),
        measured_time(st.p99),
        measured_time(st.max)
    )
}

/// What the plan asked for and what the whole run did, ramp-up and grace
/// included (the judged span's figures are at the top, What was judged),
/// and what held the schedule back.
pub fn plan_vs_achieved(r: &Results) -> Markup {
    let s = &r.summary;
    let w = &s.whole_run;
    let plan = &r.plan;
    html! {
        section #plan-vs-achieved {
            h2 { "Plan vs achieved: the whole run" }
            p.note {
                "Whole-run figures, the ramp-up and the grace included: not what the verdict judged (the span's figures are in "
                a href="#judged" { "What was judged" } ")."
            }
            div.scroll { table.facts {
                tbody {
                    tr {
                        th { "target rate" }
                        td {
                            @match plan.target.tps() {
                                Some(tps) => { (num(tps * 60.0)) " TPM (" (num(tps)) " transactions/s)" }
                                None => { "none set" }
                            }
                            @if let Some(p) = plan.planned_tps() {
                                " " span.note { "the groups' pacing produces " (num(p * 60.0)) " TPM" }
                            }
                        }
                    }
                    tr {
                        th { "whole run" }
                        td {
                            (num(w.tpm)) " TPM"
                            span.note {
                                " " (w.transactions) " successful + " (w.errors) " failed transactions from the first start to "
                                (dur(w.seconds)) ", from " (w.iterations) " iterations"
                            }
                        }
                    }
                    tr {
                        th { "late starts" }
                        td { (s.late_starts) " iterations started late because the previous one overran" (latency_line("lateness ", &s.lateness)) }
                    }
                    tr { th { "missed starts" } td { (s.missed) " planned starts never made: users were still behind their schedule when the run ended" } }
                    tr { th { "dropped starts" } td { (s.dropped) " (no free user in the pool)" } }
                    tr { th { "skipped starts" } td { (s.skipped) " (late = \"skip\")" } }
                    tr {
                        th { "scheduler lag" }
                        td {
                            @if s.scheduler_lag.count > 0 {
                                "how late the generator itself started " (s.scheduler_lag.count)
                                " on-time iterations: p50 " (measured_time(s.scheduler_lag.p50))
                                ", p99 " (measured_time(s.scheduler_lag.p99))
                                ", p99.9 " (measured_time(s.scheduler_lag.p999))
                                ", max " (measured_time(s.scheduler_lag.max))
                            } @else { "no on-time starts measured" }
                        }
                    }
                }
            } }
            (co_views(s))
        }
    }
}

/// Each transaction timer's response time as measured from the send, beside
/// the same transactions measured from their iteration's start on the
/// plan's absolute schedule (wrk2's coordinated-omission correction): the
/// wait a user arriving on schedule would have had. They differ only where
/// starts were late.
fn co_views(s: &crate::results::summary::Summary) -> Markup {
    let timers: Vec<(&String, &Stats)> = s
        .timers
        .iter()
        .filter(|(k, st)| !s.custom_timers.contains(k) && st.count > 0)
        .collect();
    let ms = measured_ms;
    html! {
        @if !timers.is_empty() {
            h3 { "Response time: measured and from the schedule" }
            p.note {
                "Measured: from the send of each request. From the schedule: from the start its iteration had on the plan's absolute schedule, so time lost to late starts counts (coordinated omission corrected)."
            }
            div.scroll {
                table.co-views {
                    thead {
                        tr { th rowspan="2" { "timer" } th colspan="4" { "measured (ms)" } th colspan="4" { "from the schedule (ms)" } }
                        tr { @for _ in 0..2 { th { "p50" } th { "p95" } th { "p99" } th { "max" } } }
                    }
                    tbody {
                        @for (name, m) in &timers {
                            tr {
                                td { (name) }
                                @for v in [m.p50, m.p95, m.p99, m.max] { td.num { (ms(v)) } }
                                @match s.timers_scheduled.get(*name) {
                                    Some(c) => { @for v in [c.p50, c.p95, c.p99, c.max] { td.num { (ms(v)) } } }
                                    None => { @for _ in 0..4 { td.none { "-" } } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
