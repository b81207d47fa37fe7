//! The first screen: the verdict and its reasons, then what was judged
//! (the span, the achieved count against the plan and its band, each
//! group's, the judged percentiles beside the successes', the iteration
//! time, the span's errors, the generator's late starts and CPU, the hosts
//! the run hit), then the checks, each with the samples and the span it
//! judged.
//!
//! Every figure here is the verdict's own (summary.json's `achieved`,
//! `expected`, `verdict`): the page never judges again. A field that an
//! older summary.json lacks (`span_s`, `latency`, `over`, `groups`) is
//! said to be missing, never shown as a zero.

use crate::plan::thresholds::{LatencyOf, Scope};
use crate::results::Results;
use crate::results::aggregate::Stats;
use crate::results::judgement::{Check, State};
use crate::results::summary::Summary;
use crate::units::{human_duration, measured_time, round_sig};
use crate::verdict::thresholds::share_text;
use crate::verdict::{ERROR_RATE_CHECK, latency_check_name, latency_thresholds};
use maud::{Markup, html};

fn num(v: f64) -> String {
    round_sig(v, 4)
}

/// A planned time or a span's length, as written: [`human_duration`].
fn dur(v: f64) -> String {
    human_duration(v)
}

/// A measured time: [`measured_time`], as on the console and in `pace history`.
fn measured(v: f64) -> String {
    measured_time(v)
}

/// Seconds since the start, as a span's edge: "4", "14.25".
fn edge(v: f64) -> String {
    round_sig(v, 6)
}

/// The judged span `[from, to)`, seconds since t0: summary.json's
/// `achieved.span_s`; for a summary written before pace kept it, the
/// window it records (a merged run's `meta.window_s`, else ramp-up to
/// ramp-up + `window_s`), or the whole run when it had no window.
pub fn span_of(s: &Summary) -> (f64, f64) {
    let a = &s.achieved;
    if a.span_s != [0.0, 0.0] {
        return (a.span_s[0], a.span_s[1]);
    }
    if let Some(w) = s.meta.window_s {
        return (w[0], w[1]);
    }
    if a.scope == "whole_run" || a.window_s <= 0.0 {
        let end = if s.whole_run.seconds > 0.0 {
            s.whole_run.seconds
        } else {
            s.meta.run_time_s
        };
        return (0.0, end);
    }
    (s.meta.ramp_up_s, s.meta.ramp_up_s + a.window_s)
}

/// The span in words: "window 4-14 s (10 s): after the 4 s ramp-up".
pub fn span_words(r: &Results) -> String {
    let s = &r.summary;
    let m = &s.meta;
    let (from, to) = span_of(s);
    let range = format!(
        "{}-{} s ({})",
        edge(from),
        edge(to),
        dur((to - from).max(0.0))
    );
    let ended = if to + 1e-6 < m.duration_s {
        ", until the run stopped"
    } else {
        ""
    };
    if s.achieved.scope == "whole_run" {
        return format!(
            "whole run {range}: there is no steady-state window (the ramp-up lasts the run){ended}"
        );
    }
    if s.achieved.scope == "run" || from < m.ramp_up_s {
        return if r.plan.acceptance.scope == Scope::Run {
            format!(
                "whole run {range}: [acceptance] scope = \"run\" judges from the first start, the ramp-up included{ended}"
            )
        } else {
            format!(
                "whole run {range}: the steady-state window is empty (the ramp-up lasts the run), so no band applies{ended}"
            )
        };
    }
    let after = if m.window_s.is_some() && (from - m.ramp_up_s).abs() > 1e-6 {
        "the part of the run every shard covered".to_string()
    } else if m.ramp_up_s > 0.0 {
        format!("after the {} ramp-up", dur(m.ramp_up_s))
    } else {
        "from the first start (no ramp-up)".to_string()
    };
    format!("window {range}: {after}{ended}")
}

fn check<'a>(s: &'a Summary, name: &str) -> Option<&'a Check> {
    s.verdict.checks.iter().find(|c| c.name == name)
}

/// "pass" or "FAIL" for a check, as a small tag; nothing without one.
fn result_tag(c: Option<&Check>) -> Markup {
    html! {
        @match c {
            Some(c) if c.pass => { " " span.tag.pass { "pass" } }
            Some(_) => { " " span.tag.fail { "FAIL" } }
            None => {}
        }
    }
}

/// Section 1: the verdict, its reasons, a shortfall's causes, notes.
pub fn verdict(r: &Results) -> Markup {
    let s = &r.summary;
    let m = &s.meta;
    let v = &s.verdict;
    let class = match v.state {
        State::Pass => "verdict pass",
        State::Fail => "verdict fail",
        State::NoChecks => "verdict nochecks",
        State::Incomplete => "verdict incomplete",
    };
    html! {
        section #verdict {
            h2 { "Verdict" }
            div class=(class) {
                span.verdict-word { (v.state.word()) }
                @if s.partial && v.state != State::Incomplete { span.partial-tag { "PARTIAL" } }
            }
            @if v.state == State::NoChecks {
                p.nochecks {
                    "The plan sets no target rate and no threshold, so nothing was judged beyond the run doing real work ("
                    (s.whole_run.transactions) " transactions succeeded, " (s.whole_run.errors) " failed)."
                }
            }
            @if !v.reasons.is_empty() {
                ul.reasons { @for reason in &v.reasons { li { (reason) } } }
            }
            @if !v.causes.is_empty() {
                div.scroll { table.causes {
                    thead { tr { th { "cause of the shortfall" } th { "transactions" } th { "share" } } }
                    tbody {
                        @for c in &v.causes {
                            tr {
                                td { (c.detail) }
                                td.num { (num(c.transactions)) }
                                td.num { (num(c.share * 100.0)) " %" }
                            }
                        }
                    }
                } }
            }
            @for n in &v.notes { p.note { "Note: " (n) } }
            @for u in &v.unjudged { p.note { "Not judged: " (u) } }
            @if s.partial {
                p.partial {
                    strong { "PARTIAL run: " }
                    (m.partial_reason.as_deref().unwrap_or("the run did not finish"))
                    ". Everything below covers only what was recorded before it stopped."
                }
            }
        }
    }
}

/// A percentile column of the judged latency table.
struct Col {
    name: &'static str,
    get: fn(&Stats) -> f64,
}

/// p50, p95, p99 and max, with p80 and p90 where the plan sets them.
fn latency_columns(r: &Results) -> Vec<Col> {
    let limits = latency_thresholds(&r.plan.acceptance);
    let set = |n: &str| limits.iter().any(|l| l.name == n);
    let mut cols = vec![Col {
        name: "p50",
        get: |s| s.p50,
    }];
    if set("p80") {
        cols.push(Col {
            name: "p80",
            get: |s| s.p80,
        });
    }
    if set("p90") {
        cols.push(Col {
            name: "p90",
            get: |s| s.p90,
        });
    }
    cols.extend([
        Col {
            name: "p95",
            get: |s| s.p95,
        },
        Col {
            name: "p99",
            get: |s| s.p99,
        },
        Col {
            name: "max",
            get: |s| s.max,
        },
    ]);
    cols
}

/// The judged percentiles: every transaction of the span (each at its
/// elapsed time) and its successes, side by side, the plan's limits above
/// them and the verdict's result on the row it judged.
fn latency_table(r: &Results) -> Markup {
    let s = &r.summary;
    let a = &s.achieved;
    let limits = latency_thresholds(&r.plan.acceptance);
    let cols = latency_columns(r);
    let judged_ok = r.plan.acceptance.latency_of == LatencyOf::Ok;
    // A summary.json from before pace kept the span's latency has neither.
    let missing = a.latency.count == 0 && a.latency_ok.count == 0 && a.started > 0;
    let limit_of = |n: &str| limits.iter().find(|l| l.name == n);
    let rows: [(&str, &Stats, bool); 2] = [
        ("every transaction", &a.latency, !judged_ok),
        ("successes only", &a.latency_ok, judged_ok),
    ];
    let failed = a.latency.count.saturating_sub(a.latency_ok.count);
    html! {
        @if missing {
            p.none {
                "The span's response times are not in this summary.json (written before pace kept them): "
                code { "pace report" } " on the folder rebuilds them from samples.csv."
            }
        } @else {
            div.scroll { table.judged-latency {
                thead {
                    tr {
                        th { "response time" } th { "count" }
                        @for c in &cols { th { (c.name) } }
                    }
                    @if !limits.is_empty() {
                        tr.limits {
                            th { "threshold" } th {}
                            @for c in &cols {
                                th { @if let Some(l) = limit_of(c.name) { "≤ " (dur(l.limit)) } }
                            }
                        }
                    }
                }
                tbody {
                    @for (name, st, judged) in rows {
                        tr class=(if judged { "judged" } else { "" }) {
                            th scope="row" {
                                (name)
                                @if judged && !limits.is_empty() { " " span.note { "(judged)" } }
                            }
                            td.num { (st.count) }
                            @for c in &cols {
                                @if st.count == 0 {
                                    td.none { "-" }
                                } @else {
                                    @let v = (c.get)(st);
                                    @let verdict = judged.then(|| limit_of(c.name).and_then(|l| check(s, &latency_check_name(l.name)))).flatten();
                                    @let class = match verdict {
                                        Some(ch) if !ch.pass => "num breach",
                                        Some(_) => "num held",
                                        None => match limit_of(c.name) {
                                            Some(l) if v > l.limit => "num over",
                                            _ => "num",
                                        },
                                    };
                                    @let title = verdict.map(|ch| format!("{}: {} (limit {})", ch.name, ch.achieved, ch.target)).unwrap_or_default();
                                    td class=(class) title=(title) { (measured(v)) }
                                }
                            }
                        }
                    }
                }
            } }
            p.note {
                "Every transaction of the span counts, successes and failures, each at its elapsed time (a timeout at its timeout);"
                " a timeout or a cut-off is never within a limit. " (failed) " of the " (a.latency.count)
                " transactions failed and are not among the successes."
                @if judged_ok {
                    " The plan judges the successes only (latency_of = \"ok\"): each latency row says how many it leaves out."
                }
            }
        }
    }
}

/// Each group's achieved count against its plan, for a plan of several
/// groups.
fn groups_table(r: &Results) -> Markup {
    let s = &r.summary;
    let a = &s.achieved;
    let (from, to) = span_of(s);
    let t = (to - from).max(0.0);
    let tpm = |n: f64| if t > 0.0 { n * 60.0 / t } else { 0.0 };
    let planned = |g: &str| {
        s.expected
            .as_ref()
            .and_then(|e| e.groups.iter().find(|x| x.name == g))
    };
    html! {
        @if a.groups.len() > 1 {
            div.scroll { table.judged-groups {
                thead { tr {
                    th { "group" } th { "achieved" } th { "planned" } th { "errors" } th { "iterations" } th { "late starts (generator)" } th { "result" }
                } }
                tbody {
                    @for g in &a.groups {
                        tr {
                            th scope="row" { (g.name) }
                            td.num {
                                (g.transactions) " (" (num(tpm(g.transactions as f64))) " TPM)"
                                @if g.counted == "completed" { " " span.note { "completed in the span: a queue grew" } }
                            }
                            td.num {
                                @match planned(&g.name) {
                                    Some(p) => { (num(p.transactions)) " (" (num(p.tpm)) " TPM)" }
                                    None => { "-" }
                                }
                            }
                            td.num { (g.errors) }
                            td.num { (g.iterations) }
                            td.num { (g.generator_late) }
                            td {
                                @match check(s, &format!("throughput, group '{}'", g.name)) {
                                    Some(c) if c.pass => { span.tag.pass { "pass" } }
                                    Some(c) => { span.tag.fail { "FAIL" } " " (c.achieved) }
                                    None => { span.none { "not judged alone" } }
                                }
                            }
                        }
                    }
                }
            } }
        }
    }
}

/// pace's CPU over the span, against its limit.
fn generator_cpu(s: &Summary) -> Markup {
    let pct = |v: f64| format!("{} %", round_sig(v * 100.0, 3));
    html! {
        @match &s.meta.generator {
            Some(g) => {
                @let warn = g.cpu_span > g.limit;
                span class=(if warn { "cpu warn" } else { "cpu" }) {
                    (pct(g.cpu_span)) " of " (num(g.cores)) " " (if g.cores == 1.0 { "core" } else { "cores" }) " over the span"
                }
                " "
                span class=(if g.cpu_max > g.limit { "cpu warn" } else { "cpu" }) {
                    "(busiest interval " (pct(g.cpu_max)) ")"
                }
                @if warn {
                    " " span.note { "above " (pct(g.limit)) ": the generator may have been the bottleneck, not the target" }
                } @else if g.cpu_max > g.limit {
                    " " span.note { "one interval above " (pct(g.limit)) }
                }
            }
            None => { span.none { "not measured" } }
        }
    }
}

/// The hosts the run's requests went to; pace's embedded target named.
fn hosts(s: &Summary) -> Markup {
    let embedded = s
        .meta
        .vars
        .get("PACE_TARGET")
        .map(|u| u.trim_end_matches('/'));
    html! {
        @if s.meta.targets.is_empty() {
            span.none { "not recorded (script groups make their own requests; summaries before pace kept them)" }
        } @else {
            ul.hosts {
                @for t in &s.meta.targets {
                    li {
                        code { (t) }
                        @if embedded == Some(t.as_str()) { " " span.note { "pace's embedded target" } }
                        @if t.contains("${") { " " span.note { "per iteration: its variables vary" } }
                    }
                }
            }
        }
    }
}

/// Section 2: what was judged, the figures the verdict read.
pub fn judged(r: &Results) -> Markup {
    let s = &r.summary;
    let a = &s.achieved;
    let (from, to) = span_of(s);
    let t = (to - from).max(0.0);
    let it = &s.iteration;
    let generator_late: u64 = a.groups.iter().map(|g| g.generator_late).sum();
    let tau = a.groups.iter().map(|g| g.tau_s).fold(0.0, f64::max);
    let grace = s.meta.run_time_s - to;
    html! {
        section #judged {
            h2 { "What was judged" }
            div.scroll.wide { table.facts.judged {
                tbody {
                    tr.span {
                        th { "span" }
                        td {
                            (span_words(r))
                            @if grace > 1e-3 && t > 0.0 {
                                " " span.note { "(the " (dur(grace)) " after it, in-flight work finishing, is not judged)" }
                            }
                        }
                    }
                    tr.throughput {
                        th { "achieved" }
                        td {
                            strong { (num(a.tpm)) " TPM" }
                            " (" (a.transactions) " transactions in " (dur(t)) ")"
                            (result_tag(check(s, "throughput")))
                            @if !a.groups.is_empty() && a.groups.iter().any(|g| g.counted == "completed") {
                                " " span.note { "counted as completed in the span where a queue grew over it" }
                            }
                        }
                    }
                    tr.planned {
                        th { "planned" }
                        td {
                            @match &s.expected {
                                Some(e) => {
                                    (num(e.tpm)) " TPM (" (num(e.transactions)) " transactions); band "
                                    strong { (num(e.tpm_low)) "-" (num(e.tpm_high)) " TPM" }
                                    " (" (num(e.transactions_low)) "-" (num(e.transactions_high)) " transactions, "
                                    (num(e.confidence * 100.0)) " % confidence, tolerance " (e.tolerance) ")"
                                    @if let Some(d) = e.drawn {
                                        " " span.note { "the run's own schedule drew " (num(d)) }
                                    }
                                    @if e.approximate { " " span.note { "approximate: a closed-loop group's rate comes from its response time" } }
                                }
                                None => { span.none { "no rate: the plan does not set every group's rate" } }
                            }
                        }
                    }
                    tr.errors {
                        th { "errors" }
                        td {
                            (a.errors) " of " (a.started) " transactions of the span"
                            @if a.started > 0 {
                                " (" (share_text(a.errors, a.started, r.plan.acceptance.error_rate.map(|f| f.1))) " %)"
                            }
                            (result_tag(check(s, ERROR_RATE_CHECK)))
                        }
                    }
                    tr.iteration {
                        th { "iteration (whole flow)" }
                        td {
                            @if a.iteration.count > 0 {
                                "avg " (measured(a.iteration.avg)) ", p50 " (measured(a.iteration.p50)) ", p95 " (measured(a.iteration.p95)) ", max " (measured(a.iteration.max))
                                " " span.note { "of the span's " (a.iteration.count) " iterations, start to end (steps and think times)" }
                            } @else if it.count > 0 {
                                "avg " (measured(it.avg)) ", p50 " (measured(it.p50)) ", p95 " (measured(it.p95)) ", max " (measured(it.max))
                                " " span.note { "of the run's " (it.count) " successful iterations (think times included; this summary.json predates the span's figure)" }
                            } @else {
                                span.none { "no iteration" }
                            }
                        }
                    }
                    tr.late {
                        th { "late starts (generator)" }
                        td {
                            @if a.groups.is_empty() {
                                span.none { "not in this summary.json" }
                            } @else {
                                (generator_late)
                                " " span.note { "starts of the span pace itself made more than " (dur(tau)) " late (not after an overrun)" }
                            }
                        }
                    }
                    tr.cpu { th { "pace's CPU" } td { (generator_cpu(s)) } }
                    tr.hosts { th { "hosts hit" } td { (hosts(s)) } }
                }
            } }
            (groups_table(r))
            h3 { "Response time of the span" }
            (latency_table(r))
        }
    }
}

/// Section 3: every check, planned and achieved, over which samples and
/// which span it judged; then the operational-law audit of the span.
pub fn checks(r: &Results) -> Markup {
    let s = &r.summary;
    html! {
        section #checks {
            h2 { "Checks" }
            @if s.verdict.checks.is_empty() {
                p.none { "The plan sets no acceptance threshold." }
            } @else {
                div.scroll.wide { table.checks {
                    thead { tr { th { "check" } th { "planned" } th { "achieved" } th { "over" } th { "result" } } }
                    tbody {
                        @for c in &s.verdict.checks {
                            tr {
                                td { (c.name) }
                                td { (c.target) }
                                td { (c.achieved) }
                                @match &c.over {
                                    Some(o) => {
                                        td.over-samples title=(format!("{} {}-{} s, {} counted", o.span, edge(o.from_s), edge(o.to_s), o.count)) { (o.samples) }
                                    }
                                    None => { td.none { "not recorded" } }
                                }
                                @if c.pass { td.pass { "pass" } } @else { td.fail { "FAIL" } }
                            }
                        }
                    }
                } }
            }
            @if !s.verdict.laws.is_empty() {
                h3 { "Operational laws" }
                (super::overview::laws(&s.verdict))
            }
        }
    }
}
