//! The stair test's own `report.html`: the per-level table, where and why
//! the stair stopped, the knee, and a link to each level's report. Same
//! chrome and CSS as a run's report; one self-contained file, every text
//! escaped by maud.

use crate::results::stairs::{LevelLoad, StairSummary};
use crate::units::{measured_ms, round_sig};
use maud::{DOCTYPE, Markup, html};

fn none(why: &str) -> Markup {
    html! { section #capacity { h2 { "Capacity" } p { "No scalability curve: " (why) } } }
}

/// The Capacity section for the stair's levels: the USL fitted to the
/// measured X(N) with its graphs (the same section `pace capacity --html`
/// writes), or why there is none. Levels without throughput or N are left
/// out, as `pace capacity` leaves them out.
fn capacity(s: &StairSummary) -> Markup {
    use crate::output::capacity::{CapacityReport, Measured, Questions};
    let measured: Vec<Measured> = s
        .stairs
        .levels
        .iter()
        // A partial level is left out, as pace capacity leaves it out.
        .filter(|l| !l.partial && l.n > 0.0 && l.x_per_s > 0.0)
        .map(|l| Measured {
            n: l.n,
            x: l.x_per_s,
            r: (l.r_avg_s > 0.0).then_some(l.r_avg_s),
        })
        .collect();
    let points: Vec<(f64, f64)> = measured.iter().map(|m| (m.n, m.x)).collect();
    let fit = match crate::capacity::usl::fit(&points, 0.95) {
        Ok(f) => f,
        Err(e) => return none(&e.to_string()),
    };
    let questions = Questions {
        at: Vec::new(),
        target_x: None,
        target_r: None,
        think: 0.0,
        demands: None,
    };
    let report = CapacityReport::new("this stair".into(), measured, fit, questions);
    let page = super::capacity_page::CapacityPage {
        report: &report,
        demands: None,
        think_s: None,
        x_unit: "per second",
    };
    match super::capacity_page::capacity_section(&page) {
        Ok(m) => m,
        Err(e) => none(&e.to_string()),
    }
}

fn num(v: f64) -> String {
    round_sig(v, 4).to_string()
}

/// The page for `s`; `name` is the plan's name.
pub fn page(s: &StairSummary, name: &str) -> String {
    let t = &s.stairs;
    let word = s.verdict.state.word();
    let tag = format!("verdict-tag {}", word.to_lowercase().replace(' ', ""));
    let open = t.model == "open";
    let markup: Markup = html! {
        (DOCTYPE)
        html lang="en" {
            (super::head(&format!("Stair test: {name} ({word})")))
            body {
                header {
                    h1 { "Stair test: " (name) " " span class=(tag) { (word) } }
                    nav {
                        a href="#levels" { "Levels" }
                        a href="#verdict" { "Verdict" }
                        a href="#capacity" { "Capacity" }
                    }
                }
                main {
                    section id="levels" {
                        h2 { "Levels" }
                        p {
                            (if open { "Open model: arrival rate per level" } else { "Closed model: users per level" })
                            "; each level ramps up for " (num(t.ramp_s)) " s, then is measured over its hold of " (num(t.hold_s))
                            " s. N is the users (closed) or the mean transactions in flight X·R (open, Little's law); X is the transactions per second completed without error during the hold; R is the hold's response time in milliseconds (3 significant digits, the histograms' precision)."
                        }
                        div class="scroll wide" {
                            table {
                                thead { tr {
                                    th { "Level" } th { (if open { "Rate /s" } else { "Users" }) } th { "N" } th { "X /s" } th { "Expected /s" }
                                    th { "R avg (ms)" } th { "R p50 (ms)" } th { "R p95 (ms)" } th { "R p99 (ms)" } th { "Transactions" } th { "Errors" } th { "Error %" }
                                    th { "Late starts" } th { "Result" }
                                } }
                                tbody {
                                    @for l in &t.levels {
                                        tr {
                                            td { a href=(format!("{}/report.html", l.dir)) { (l.level) } }
                                            td { (l.users.map(|u| u.to_string()).or(l.rate_per_s.map(num)).unwrap_or_default()) }
                                            td { (num(l.n)) }
                                            td { (num(l.x_per_s)) }
                                            td { (l.expected_per_s.map(num).unwrap_or_else(|| "-".into())) }
                                            td { (measured_ms(l.r_avg_s)) } td { (measured_ms(l.r_p50_s)) } td { (measured_ms(l.r_p95_s)) } td { (measured_ms(l.r_p99_s)) }
                                            td { (l.transactions) } td { (l.errors) } td { (num(l.error_rate * 100.0)) }
                                            td { (l.late_starts) }
                                            // The reasons are listed under Verdict: a long one
                                            // here would make the row taller than the box.
                                            td { (if l.pass { "pass" } else if l.partial { "interrupted" } else { "FAIL" }) }
                                        }
                                    }
                                    @for n in &t.not_run {
                                        tr {
                                            td { "-" }
                                            td { (match n { LevelLoad::Users(u) => u.to_string(), LevelLoad::Rate(r) => num(*r) }) }
                                            td colspan="12" { "not run" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    section id="verdict" {
                        h2 { "Verdict" }
                        p {
                            strong { "Stopped: " }
                            @match &t.stopped {
                                Some(st) => { "at level " (st.level) " by rule " code { (st.rule) } ": " (st.why) }
                                None if t.levels.iter().any(|l| l.partial) => { "interrupted; the partial level is left out of the knee and the fit" }
                                None => { "no: every level ran" }
                            }
                        }
                        p {
                            strong { "Knee: " }
                            @match t.knee {
                                Some(k) => { "N " (num(k.n)) ", X " (num(k.x_per_s)) "/s. " }
                                None => {}
                            }
                            (t.knee_note)
                        }
                        p { "The Capacity section below fits the completed levels (as "
                            code { "pace capacity" } " on this folder does): the Universal Scalability Law, or the plateau of a hard ceiling where that fits better; an interrupted level is left out." }
                        @if !s.verdict.reasons.is_empty() {
                            ul { @for r in &s.verdict.reasons { li { (r) } } }
                        }
                    }
                    (capacity(s))
                }
                footer {
                    p { "pace " (s.pace_version) ", plan " (s.plan_file) ", started " (s.started_at) ", finished " (s.finished_at) "." }
                }
            }
        }
    };
    let text = markup.into_string();
    super::super::xml_chars::clean(&text).into_owned()
}
