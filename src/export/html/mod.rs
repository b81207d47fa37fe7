//! `report.html`: the human report of a run. What is read first is what
//! was judged: the verdict and its reasons, the judged span's figures
//! (achieved against the plan and its band, the judged percentiles beside
//! the successes', the iteration time, the span's errors, the generator's
//! late starts and CPU, the hosts the run hit), the checks with the
//! samples and span each judged, then throughput and response time over
//! time with the span marked. Then the whole run: one statistics table (a
//! row per timer, the plan's thresholds shown), the deduplicated errors,
//! and the sections of Pyak47's results.html (the run's facts, All
//! Transactions, one section per timer, each with its Response Time
//! Summary, Interval Details and graphs, now with a latency distribution).
//!
//! It reads at 400 px wide (every table scrolls in its own box) and prints
//! small (headings kept with their tables, scatter graphs thinned):
//! `tests/report_browser.rs` checks both in a real browser.
//!
//! One self-contained file: inline CSS, inline SVG graphs, no script, no
//! external resource, so it opens offline and can be mailed. Every text
//! from the plan or the run is escaped (maud for the HTML, plotters for the
//! SVG text). It reads only [`Results`].

pub mod capacity_page;
mod charts;
mod judged;
mod overview;
mod shards;
pub mod stairs;
mod tables;
/// Every page's `<head>`: UTF-8, the phone viewport, `title` (escaped) and
/// the one style sheet, inline so the file stands alone.
fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) }
            style { (PreEscaped(STYLE)) }
        }
    }
}

#[cfg(test)]
mod tests;
mod top;

use super::Exporter;
use crate::results::aggregate::{Point, SCATTER_POINTS, Stats};
use crate::results::distribution::Curves;
use crate::results::summary::IntervalRow;
use crate::results::{Results, Scatter};
use crate::verdict::latency_thresholds;
use charts::{Target, Timeline};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use std::collections::HashSet;
use std::io::Write;

const STYLE: &str = include_str!("style.css");

/// The footer's definition of the numbers in the tables.
pub const PERCENTILE_DEFINITION: &str = "Percentiles are HDR histogram values at quantile (nearest rank: the smallest recorded value at or above which p % of the samples lie), kept to 3 significant digits for whole-run tables and 2 significant digits (within 1 %) for interval rows; rates are per second over each interval's real length; failed samples are counted apart from the response-time statistics.";

pub struct HtmlReport;

impl Exporter for HtmlReport {
    fn file_name(&self) -> &'static str {
        "report.html"
    }

    fn write(&self, r: &Results, out: &mut dyn Write) -> anyhow::Result<()> {
        // Escaped HTML may still hold control characters (from a name or an
        // error text), which HTML and XML parsers reject, and bidirectional
        // overrides, which reorder the text around them as it is shown.
        let page = page(r)?.into_string();
        let page = super::xml_chars::clean(&page);
        out.write_all(crate::visible::no_hidden_layout(&page).as_bytes())?;
        Ok(())
    }
}

/// An HTML id for a timer: lower-case letters, digits and dashes, unique
/// among `used`.
fn slug(name: &str, used: &mut HashSet<String>) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    let base = match s.trim_matches('-') {
        "" => "timer".to_string(),
        t => t.to_string(),
    };
    let mut id = format!("timer-{base}");
    let mut n = 1;
    while !used.insert(id.clone()) {
        n += 1;
        id = format!("timer-{base}-{n}");
    }
    id
}

/// The points a scatter graph draws and how many samples they stand for.
struct Drawn {
    points: Vec<Point>,
    seen: u64,
}

impl Drawn {
    fn of(s: &Scatter) -> Drawn {
        Drawn {
            points: s.points.clone(),
            seen: s.seen,
        }
    }

    /// Every timer's points together. Each timer's reservoir is a uniform
    /// sample of its own samples, kept at its own rate; the union is made
    /// uniform by keeping every timer at the lowest of those rates (and at
    /// most SCATTER_POINTS in all), chosen at random with a fixed seed.
    fn merged(all: &[&Scatter]) -> Drawn {
        let seen: u64 = all.iter().map(|s| s.seen).sum();
        let kept: usize = all.iter().map(|s| s.points.len()).sum();
        if all.iter().all(|s| s.complete()) && kept <= SCATTER_POINTS {
            let points = all.iter().flat_map(|s| s.points.iter().copied()).collect();
            return Drawn { points, seen };
        }
        let rate = all
            .iter()
            .filter(|s| s.seen > 0)
            .map(|s| s.points.len() as f64 / s.seen as f64)
            .fold(SCATTER_POINTS as f64 / seen.max(1) as f64, f64::min);
        let mut rng: rand::rngs::Xoshiro256PlusPlus = rand::SeedableRng::seed_from_u64(0x5ca7_7e13);
        let mut points = Vec::new();
        for s in all {
            let m = ((s.seen as f64 * rate).round() as usize).min(s.points.len());
            let idx = rand::seq::index::sample(&mut rng, s.points.len(), m);
            points.extend(idx.into_iter().map(|i| s.points[i]));
        }
        Drawn { points, seen }
    }

    fn complete(&self) -> bool {
        self.points.len() as u64 == self.seen
    }

    fn description(&self) -> String {
        if self.complete() {
            format!("All {} points.", self.seen)
        } else {
            format!(
                "A uniform random sample of {} of {} points.",
                self.points.len(),
                self.seen
            )
        }
    }
}

/// The planned rate and, for each full interval of the steady state inside
/// the judged span, the band of its count (as a rate over the interval's
/// real length).
fn target(r: &Results) -> Option<Target> {
    let plan = &r.plan;
    let m = &r.summary.meta;
    let tps = plan.planned_tps().or(plan.target.tps())?;
    let (from, to) = judged::span_of(&r.summary);
    let (from, to) = (from.max(m.ramp_up_s), to.min(m.duration_s));
    let mut band = Vec::new();
    for row in &r.summary.all_intervals {
        let len = row.end_s - row.start_s;
        if row.start_s + 1e-9 < from || row.end_s > to + 1e-9 || len <= 0.0 {
            continue;
        }
        if let Some(b) = plan.band_for_window(len) {
            band.push((
                row.start_s,
                row.end_s,
                b.count_low / len,
                b.count_high / len,
            ));
        }
    }
    Some(Target {
        tps,
        band,
        confidence: plan.acceptance.confidence,
    })
}

/// The time axis of a run's graphs, to `end` seconds, with its judged span.
fn timeline(r: &Results, end: f64) -> Timeline {
    let m = &r.summary.meta;
    Timeline {
        end,
        ramp_up: m.ramp_up_s,
        span: judged::span_of(&r.summary),
        duration: m.duration_s,
    }
}

/// The end of a time axis over `rows`: the run's end, or a later row's.
fn axis_end(r: &Results, rows: &[IntervalRow]) -> f64 {
    let m = &r.summary.meta;
    rows.iter()
        .map(|x| x.end_s)
        .fold(m.run_time_s, f64::max)
        .max(m.ts_interval_s)
}

/// True when the last of `rows` is shorter than the others (the run ended
/// inside it).
fn short_last(rows: &[IntervalRow], ts: f64) -> bool {
    rows.len() > 1
        && rows
            .last()
            .is_some_and(|x| x.end_s - x.start_s < ts * 0.999)
}

/// What the shading of every time graph means, for its caption.
fn shading_note(tl: &Timeline) -> Option<String> {
    let parts: Vec<&str> = tl.outside_names();
    (!parts.is_empty()).then(|| {
        format!(
            " Shaded: outside the judged span {}-{} s ({}).",
            crate::units::round_sig(tl.span.0, 6),
            crate::units::round_sig(tl.span.1, 6),
            parts.join(", ")
        )
    })
}

/// The response time graph of `rows` (successful samples per interval).
fn response_time_figure(
    r: &Results,
    title: &str,
    rows: &[IntervalRow],
    judged_row: bool,
) -> anyhow::Result<Markup> {
    let ts = r.summary.meta.ts_interval_s;
    let tl = timeline(r, axis_end(r, rows));
    let limits = latency_thresholds(&r.plan.acceptance);
    let every = tables::interval_name(ts);
    figure(
        charts::response_time(
            &format!("Response time per {every} interval: {title}"),
            rows,
            tl,
            ts,
            &limits,
        ),
        html! {
            "Successful samples; each point is one interval, drawn at its middle. Empty intervals are gaps."
            @if judged_row {
                " The verdict's percentiles are over every transaction of the span, failures included (What was judged, above); failures are in the raw data graph (red crosses)."
            }
            @if short_last(rows, ts) {
                " The last interval is shorter (the run ended inside it): its few samples are lone open circles, not joined to the lines."
            }
            @if !limits.is_empty() {
                " Dashed: the plan's thresholds; ↑ marks one above the graph."
            }
            @if let Some(n) = shading_note(&tl) { (n) }
        },
    )
}

/// The throughput graph of `rows`; for All Transactions, against the
/// plan's rate and band, with pace's own CPU where it was measured.
fn throughput_figure(
    r: &Results,
    title: &str,
    rows: &[IntervalRow],
    all: bool,
) -> anyhow::Result<Markup> {
    let m = &r.summary.meta;
    let ts = m.ts_interval_s;
    let tl = timeline(r, axis_end(r, rows));
    let every = tables::interval_name(ts);
    let target = if all { target(r) } else { None };
    let cpu = m.generator.as_ref().filter(|_| all).map(|g| charts::Cpu {
        intervals: &g.intervals,
        limit: g.limit,
    });
    figure(
        charts::throughput(
            &format!("Throughput per {every} interval: {title}"),
            rows,
            target.as_ref(),
            tl,
            ts,
            cpu,
        ),
        html! {
            "Transactions per second over each interval's real length, succeeded and failed stacked."
            @if short_last(rows, ts) {
                " The last interval is shorter (the run ended inside it): its rate is over its own length, drawn faded (and named in the legend)."
            }
            @if let Some(tg) = &target {
                @if !tg.band.is_empty() {
                    " The band is the range an honest run's interval count falls in at the plan's confidence"
                    " (full steady-state intervals of the judged span only)."
                }
            }
            @if let Some(g) = cpu {
                " The line on the right axis is pace's own CPU per interval, as a share of the cores it may use; above "
                (crate::units::round_sig(g.limit * 100.0, 3)) " % the generator, not the target, may be what held the load back."
            }
            @if let Some(n) = shading_note(&tl) { (n) }
        },
    )
}

fn figure(svg: anyhow::Result<String>, caption: Markup) -> anyhow::Result<Markup> {
    figure_of("graph", svg, caption)
}

/// A figure with its own class (`graph scatter`: printing thins its points).
fn figure_of(class: &str, svg: anyhow::Result<String>, caption: Markup) -> anyhow::Result<Markup> {
    Ok(html! {
        figure class=(class) {
            (PreEscaped(svg?))
            figcaption { (caption) }
        }
    })
}

/// One timer section (or All Transactions): the two tables and the graphs.
struct TimerSection<'a> {
    id: String,
    title: String,
    stats: &'a Stats,
    failed: u64,
    rows: &'a [IntervalRow],
    drawn: Drawn,
    curves: Option<&'a Curves>,
}

/// One timer section, or All Transactions (`all`), whose response time
/// and throughput graphs are at the top of the page (Over time).
fn timer_section(r: &Results, t: TimerSection, all: bool) -> anyhow::Result<Markup> {
    let m = &r.summary.meta;
    let ts = m.ts_interval_s;
    let tl = timeline(r, axis_end(r, t.rows));
    let limits = latency_thresholds(&r.plan.acceptance);
    let mut graphs = Vec::new();
    if !all {
        graphs.push(response_time_figure(r, &t.title, t.rows, false)?);
    }
    graphs.push(figure_of(
        "graph scatter",
        charts::scatter(
            &format!("Response time, raw data: {}", t.title),
            &t.drawn.points,
            tl,
        ),
        html! { (t.drawn.description()) " Failed samples are red crosses, at the time they were sent. A printed copy shows one point in five." },
    )?);
    if let Some(c) = t.curves {
        graphs.push(figure(
            charts::distribution(&format!("Latency distribution: {}", t.title), c, &limits),
            html! {
                "The percentile curve of the successful samples, measured from the send and from the schedule "
                "(coordinated omission corrected: from the start each iteration had on the plan's absolute schedule). "
                "The x axis spaces percentiles as 1/(1-q), so 90 %, 99 %, 99.9 % and 99.99 % lie equally apart; "
                "the curve stops where the samples run out."
            },
        )?);
    }
    if !all {
        graphs.push(throughput_figure(r, &t.title, t.rows, false)?);
    }
    if all {
        let series = &r.summary.series;
        graphs.push(figure(
            charts::active_users(&r.summary.active_user_steps, series, ts, tl),
            html! { "Users active, stepping at each start and stop." },
        )?);
        graphs.push(figure(
            charts::lateness(series, ts, tl),
            html! {
                "How late iterations started against their schedule (p99 and max per interval, ms); "
                "bars count the starts that were late after an overrun, and those dropped or skipped."
            },
        )?);
    }
    Ok(html! {
        section.timer id=(t.id) {
            h2 { (t.title) }
            (tables::response_time_summary(t.stats, t.failed))
            (tables::interval_details(t.rows, ts))
            h3 { "Graphs" }
            @if all {
                p.note { "Throughput and response time per interval are at the top, in " a href="#over-time" { "Over time" } "." }
            }
            @for g in graphs { (g) }
        }
    })
}

/// Throughput and response time of every transaction over time, the
/// judged span marked: what the reader sees right after the checks.
fn over_time(r: &Results) -> anyhow::Result<Markup> {
    let rows = &r.summary.all_intervals;
    Ok(html! {
        section #over-time {
            h2 { "Over time" }
            (throughput_figure(r, "All Transactions", rows, true)?)
            (response_time_figure(r, "All Transactions", rows, true)?)
        }
    })
}

fn footer(r: &Results) -> Markup {
    html! {
        footer #footer {
            p { "pace " (r.summary.pace_version) " · seed " (r.summary.meta.seed) }
            p.definition { (PERCENTILE_DEFINITION) }
        }
    }
}

/// The whole page.
fn page(r: &Results) -> anyhow::Result<Markup> {
    let s = &r.summary;
    let name = s.meta.plan_name();
    let word = s.verdict.state.word();
    let mut used = HashSet::new();
    let nav: Vec<(String, String)> = s
        .timers
        .keys()
        .map(|timer| (slug(timer, &mut used), timer.clone()))
        .collect();
    let mut sections = vec![timer_section(
        r,
        TimerSection {
            id: "all-transactions".into(),
            title: "All Transactions".into(),
            stats: &s.all_transactions,
            failed: s.whole_run.errors,
            rows: &s.all_intervals,
            // Transactions only: a script's custom timers are not.
            drawn: Drawn::merged(
                &r.scatter
                    .iter()
                    .filter(|(k, _)| !s.custom_timers.contains(k))
                    .map(|(_, v)| v)
                    .collect::<Vec<_>>(),
            ),
            curves: Some(&s.latency_curves_all),
        },
        true,
    )?];
    let mut stat_rows = vec![top::StatRow {
        name: "All Transactions",
        id: "all-transactions",
        stats: &s.all_transactions,
        errors: s.whole_run.errors,
        total: true,
        custom: false,
    }];
    for ((timer, stats), (id, _)) in s.timers.iter().zip(&nav) {
        let custom = s.custom_timers.contains(timer);
        let failed = s.timer_errors.get(timer).copied().unwrap_or(0);
        stat_rows.push(top::StatRow {
            name: timer,
            id,
            stats,
            errors: failed,
            total: false,
            custom,
        });
        sections.push(timer_section(
            r,
            TimerSection {
                id: id.clone(),
                title: if custom {
                    format!("Custom Timer: {timer}")
                } else {
                    format!("Timer: {timer}")
                },
                stats,
                failed,
                rows: s.intervals.get(timer).map(Vec::as_slice).unwrap_or(&[]),
                drawn: r.scatter.get(timer).map(Drawn::of).unwrap_or(Drawn {
                    points: Vec::new(),
                    seen: 0,
                }),
                curves: s.latency_curves.get(timer),
            },
            false,
        )?);
    }
    let tag = format!("verdict-tag {}", word.to_lowercase().replace(' ', ""));
    Ok(html! {
        (DOCTYPE)
        html lang="en" {
            (head(&format!("Performance Results Report: {name} ({word})")))
            body {
                header {
                    h1 { "Performance Results Report: " (name) " " span class=(tag) { (word) } }
                    nav {
                        a href="#verdict" { "Verdict" }
                        a href="#judged" { "What was judged" }
                        a href="#checks" { "Checks" }
                        a href="#over-time" { "Over time" }
                        a href="#statistics" { "Statistics" }
                        a href="#errors" { "Errors" }
                        a href="#summary" { "Run" }
                        a href="#plan-vs-achieved" { "Plan vs achieved" }
                        @if !s.shards.is_empty() { a href="#shards" { "Shards" } }
                        a href="#all-transactions" { "All Transactions" }
                        @for (id, timer) in &nav { a href=(format!("#{id}")) { (timer) } }
                    }
                }
                main {
                    (judged::verdict(r))
                    (judged::judged(r))
                    (judged::checks(r))
                    (over_time(r)?)
                    (top::statistics(r, &stat_rows))
                    (top::errors(&s.error_rows))
                    (overview::summary(r))
                    (overview::plan_vs_achieved(r))
                    (shards::section(s))
                    @for sec in sections { (sec) }
                }
                (footer(r))
            }
        }
    })
}
