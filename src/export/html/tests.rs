//! report.html from synthetic samples: escaping, the real interval in the
//! headings, honest scatter captions, the sections in order.

use super::{HtmlReport, PERCENTILE_DEFINITION};
use crate::export::Exporter;
use crate::plan::file::PlanFile;
use crate::results::Results;
use crate::results::aggregate::Aggregate;
use crate::results::sample::{ErrorKind, Kind, Sample};
use crate::results::summary::{RunMeta, Summary};
use crate::verdict::{Ending, judge};

const EVIL: &str = "<script>&\"";

fn plan_text(ts: &str) -> String {
    format!(
        r#"
[target]
tps = 8.0

[run]
duration = "20s"
ramp_up = "2s"
ts_interval = "{ts}"

[[group]]
name = "browse"
users = 2

[group.pacing]
mode = "fixed"
interval = "500ms"

[[group.step]]
name = '{EVIL}'
url = "http://127.0.0.1:1/a"

[[group.step]]
name = "home"
url = "http://127.0.0.1:1/b"

[acceptance]
p95 = "1s"
"#
    )
}

/// A run of `n` iterations of both steps spread over 20 s, every 7th
/// `home` failing, with `partial` set as asked.
fn results(ts: f64, n: usize, partial: bool) -> Results {
    let plan = PlanFile::parse(&plan_text(&format!("{ts}s")), "test.toml").unwrap();
    let window = (2.0, 20.0);
    let mut agg = Aggregate::for_plan(&plan, window);
    agg.add(&Sample::event(Kind::UserStart, 0.0, "browse", 0));
    agg.add(&Sample::event(Kind::UserStart, 0.25, "browse", 1));
    for i in 0..n {
        let t = 20.0 * i as f64 / n as f64;
        let mut it = Sample::event(Kind::Iteration, t, "browse", (i % 2) as u32);
        it.latency = 0.03;
        it.late = 0.0002 * (i % 5) as f64;
        it.overrun = i % 50 == 0;
        agg.add(&it);
        for (k, name) in [EVIL, "home"].into_iter().enumerate() {
            let mut s = Sample::event(Kind::Step, t + k as f64 * 0.01, "browse", (i % 2) as u32);
            s.name = name.into();
            s.iteration = i as u64;
            s.latency = 0.010 + 0.001 * (i % 13) as f64;
            s.latency_sched = s.latency;
            if name == "home" && i % 7 == 3 {
                s.ok = false;
                s.error_kind = Some(ErrorKind::Status);
                s.error = format!("status 500 {EVIL}");
            }
            agg.add(&s);
        }
    }
    let meta = RunMeta {
        plan_file: "plans/test.toml".into(),
        seed: 42,
        started_at: "2026-01-01T00:00:00Z".into(),
        finished_at: "2026-01-01T00:00:20Z".into(),
        started_epoch_ms: 0,
        run_time_s: 20.0,
        duration_s: 20.0,
        ramp_up_s: 2.0,
        ts_interval_s: ts,
        late_policy: vec!["browse: Drift".into()],
        partial,
        partial_reason: partial.then(|| "interrupted by Ctrl-C".to_string()),
        vars: Default::default(),
        shard: None,
        window_s: None,
        ran_shards: None,
        overrides: None,
        targets: Vec::new(),
        generator: None,
    };
    let ending = Ending {
        incomplete: meta.partial_reason.clone(),
        generator: None,
    };
    let (exp, verdict) = judge(&plan, &agg, &ending);
    let summary = Summary::build(meta, &agg, exp, verdict);
    Results::new(std::path::Path::new("/nonexistent"), plan, summary, &agg)
}

fn render(r: &Results) -> String {
    let mut out = Vec::new();
    HtmlReport.write(r, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn a_step_name_with_markup_is_escaped_everywhere() {
    let html = render(&results(10.0, 80, false));
    assert!(!html.contains(EVIL), "the raw name leaked into the page");
    assert!(
        !html.to_lowercase().contains("<script"),
        "a script element in the page"
    );
    assert!(
        html.contains("&lt;script&gt;&amp;&quot;"),
        "the escaped name is missing"
    );
    // The SVG captions carry the name too, escaped by plotters.
    assert!(html.contains("raw data: Timer: &lt;script&gt;&amp;&quot;"));
}

#[test]
fn interval_headings_state_the_real_interval() {
    let html = render(&results(10.0, 80, false));
    // All Transactions and both timers.
    assert_eq!(html.matches("Interval Details (10 s intervals)").count(), 3);
    let html = render(&results(2.5, 80, false));
    assert_eq!(
        html.matches("Interval Details (2.5 s intervals)").count(),
        3
    );
    assert!(!html.contains("10 s intervals"));
    // 20 s at 2.5 s: 8 rows per table.
    assert_eq!(html.matches("<tr title=").count(), 3 * 8);
}

#[test]
fn a_sampled_scatter_says_so_and_a_complete_one_says_all() {
    let html = render(&results(10.0, 80, false));
    assert!(html.contains("All 80 points."));
    assert!(html.contains("All 160 points."));
    assert!(!html.contains("uniform random sample"));
    let html = render(&results(10.0, 6000, false));
    // Each timer keeps 5000 of its 6000; all transactions are resampled
    // to at most 5000 of the 12000.
    assert_eq!(
        html.matches("A uniform random sample of 5000 of 6000 points.")
            .count(),
        2
    );
    assert!(html.contains("A uniform random sample of 5000 of 12000 points."));
}

#[test]
fn every_section_is_present_in_order() {
    let html = render(&results(10.0, 80, false));
    let ids = [
        "id=\"verdict\"",
        "id=\"judged\"",
        "id=\"checks\"",
        "id=\"over-time\"",
        "id=\"statistics\"",
        "id=\"errors\"",
        "id=\"summary\"",
        "id=\"plan-vs-achieved\"",
        "id=\"all-transactions\"",
        "id=\"timer-script\"",
        "id=\"timer-home\"",
        "id=\"footer\"",
    ];
    let pos: Vec<usize> = ids
        .iter()
        .map(|id| html.find(id).unwrap_or_else(|| panic!("{id} missing")))
        .collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "out of order: {pos:?}");
    // Throughput and response time over time, 4 more for All
    // Transactions, 4 per timer.
    assert_eq!(html.matches("<svg").count(), 2 + 4 + 4 + 4);
    assert!(html.contains(PERCENTILE_DEFINITION));
    assert!(html.contains("seed 42"));
}

#[test]
fn failed_samples_are_counted_apart_and_the_verdict_shows() {
    let r = results(10.0, 80, false);
    let failed = r.summary.timer_errors["home"];
    assert!(failed > 0);
    let html = render(&r);
    assert!(html.contains(&format!(
        "<strong>{failed} failed samples are</strong> NOT in these statistics"
    )));
    // Every 7th home fails: more than the plan allows.
    assert!(!r.summary.verdict.pass);
    assert!(html.contains("<span class=\"verdict-word\">FAIL</span>"));
    assert!(!html.contains("PARTIAL"));
    // An interrupted run is INCOMPLETE, whatever its checks say.
    let html = render(&results(10.0, 80, true));
    assert!(html.contains("<span class=\"verdict-word\">INCOMPLETE</span>"));
    assert!(html.contains("PARTIAL run: </strong>interrupted by Ctrl-C"));
}

#[test]
fn the_page_needs_nothing_from_outside() {
    let html = render(&results(10.0, 80, false));
    for attr in [
        "src=",
        "href=\"http",
        "href='http",
        "url(",
        "@import",
        "<script",
        "<link",
    ] {
        assert!(!html.contains(attr), "found {attr}");
    }
}

#[test]
fn a_run_with_no_samples_still_renders_every_section() {
    let r = results(10.0, 0, true);
    assert!(r.summary.timers.is_empty());
    let html = render(&r);
    for id in [
        "verdict",
        "judged",
        "checks",
        "over-time",
        "summary",
        "plan-vs-achieved",
        "all-transactions",
        "footer",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    assert!(html.contains("All 0 points."));
    assert_eq!(html.matches("<svg").count(), 6);
    assert!(html.contains("No errors."));
}

#[test]
fn the_statistics_table_shows_each_threshold_and_judges_nothing() {
    let r = results(10.0, 80, false);
    let html = render(&r);
    let doc = scraper::Html::parse_document(&html);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let table = doc
        .select(&sel("#statistics table.statistics"))
        .next()
        .unwrap();
    let heads: Vec<String> = table
        .select(&sel("thead tr:first-child th"))
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(
        heads,
        [
            "timer", "count", "errors", "error %", "rate/s", "avg (ms)", "p50 (ms)", "p90 (ms)",
            "p95 (ms)", "p99 (ms)", "max (ms)"
        ]
    );
    let limits: Vec<String> = table
        .select(&sel("thead tr.limits th"))
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(
        limits[8], "≤ 1 s",
        "the p95 threshold under p95: {limits:?}"
    );
    // All Transactions first, then each timer.
    let rows: Vec<String> = table
        .select(&sel("tbody th"))
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect();
    assert_eq!(rows, ["All Transactions", EVIL, "home"]);
    // Whole-run successes: the verdict's result is never on them, even
    // when it failed the check.
    let mut r = r;
    for c in &mut r.summary.verdict.checks {
        if c.name == "p95 response time" {
            c.pass = false;
        }
    }
    let html = render(&r);
    let doc = scraper::Html::parse_document(&html);
    let table = doc
        .select(&sel("#statistics table.statistics"))
        .next()
        .unwrap();
    assert_eq!(table.select(&sel("td.breach, td.held")).count(), 0);
    // The judged row of the span's response times carries it.
    let judged = doc
        .select(&sel("#judged table.judged-latency tr.judged td.breach"))
        .count();
    assert_eq!(judged, 1, "the judged p95 marked as breached");
}

/// The first screen: the verdict, then the judged span's figures with the
/// span named, the checks with what each counted, then the graphs over
/// time with the span marked.
#[test]
fn the_page_opens_with_the_verdict_and_the_judged_span() {
    let r = results(10.0, 80, false);
    let html = render(&r);
    let doc = scraper::Html::parse_document(&html);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let text = |css: &str| -> String {
        doc.select(&sel(css))
            .next()
            .unwrap_or_else(|| panic!("{css} missing"))
            .text()
            .collect()
    };
    let first = doc.select(&sel("main > section")).next().unwrap();
    assert_eq!(first.value().id(), Some("verdict"));
    assert_eq!(text("#verdict .verdict-word"), "FAIL");
    let span = text("#judged tr.span td");
    assert!(
        span.starts_with("window 2-20 s (18 s): after the 2 s ramp-up"),
        "{span}"
    );
    // The checks table: each row's samples and span.
    let over: Vec<String> = doc
        .select(&sel("#checks table.checks tbody td.over-samples"))
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(over.len(), r.summary.verdict.checks.len());
    for (o, c) in over.iter().zip(&r.summary.verdict.checks) {
        assert_eq!(o, &c.over.as_ref().unwrap().samples);
        assert!(o.contains("the window 2-20 s"), "{o}");
    }
    // The graphs over time name what lies outside the span.
    let over_time = text("#over-time");
    assert!(
        over_time.contains("Shaded: outside the judged span 2-20 s (ramp-up)"),
        "{over_time}"
    );
}

/// A summary.json written before pace kept the span, its latency, the
/// groups or each check's `over` (old folders are re-rendered) still
/// renders, saying what is missing rather than showing zeros.
#[test]
fn an_older_summary_without_the_new_fields_still_renders() {
    let mut r = results(10.0, 80, false);
    let a = &mut r.summary.achieved;
    a.span_s = [0.0, 0.0];
    a.latency = Default::default();
    a.latency_ok = Default::default();
    a.groups.clear();
    for c in &mut r.summary.verdict.checks {
        c.over = None;
    }
    let html = render(&r);
    let doc = scraper::Html::parse_document(&html);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let text: String = doc.select(&sel("#judged")).next().unwrap().text().collect();
    // The window from ramp-up and window_s.
    assert!(text.contains("window 2-20 s (18 s)"), "{text}");
    assert!(text.contains("not in this summary.json"), "{text}");
    assert_eq!(
        doc.select(&sel("#checks td.none")).count(),
        r.summary.verdict.checks.len(),
        "each row's missing span said"
    );
}

/// pace's CPU (`meta.generator`, filled by the runner): in the judged
/// block with its busiest interval, warned above its limit, and a line on
/// the throughput graph.
#[test]
fn the_generators_cpu_is_shown_and_warned_above_its_limit() {
    let mut r = results(10.0, 80, false);
    r.summary.meta.generator = Some(crate::results::summary::Generator {
        cores: 2.0,
        cpu_span: 0.34,
        cpu_max: 0.61,
        intervals: vec![0.2, 0.61],
        limit: 0.8,
    });
    let html = render(&r);
    let doc = scraper::Html::parse_document(&html);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let cpu: String = doc
        .select(&sel("#judged tr.cpu td"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert_eq!(cpu, "34 % of 2 cores over the span (busiest interval 61 %)");
    assert_eq!(doc.select(&sel("#judged .cpu.warn")).count(), 0);
    let graph: String = doc
        .select(&sel("#over-time figure"))
        .next()
        .unwrap()
        .inner_html();
    assert!(graph.contains("pace CPU (right)") && graph.contains("CPU limit 80 %"));
    r.summary.meta.generator.as_mut().unwrap().cpu_span = 0.85;
    r.summary.meta.generator.as_mut().unwrap().cpu_max = 0.97;
    let html = render(&r);
    let doc = scraper::Html::parse_document(&html);
    assert_eq!(doc.select(&sel("#judged .cpu.warn")).count(), 2);
    let cpu: String = doc
        .select(&sel("#judged tr.cpu td"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(
        cpu.contains("the generator may have been the bottleneck"),
        "{cpu}"
    );
    // Without a measurement: said, never a 0 %.
    r.summary.meta.generator = None;
    let html = render(&r);
    assert!(html.contains("not measured"));
    assert!(!html.contains("pace CPU"));
}

#[test]
fn the_errors_table_shows_each_error_once_with_its_count() {
    let r = results(10.0, 80, false);
    let html = render(&r);
    let failed = r.summary.timer_errors["home"];
    let doc = scraper::Html::parse_document(&html);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let rows: Vec<Vec<String>> = doc
        .select(&sel("#errors table.errors tbody tr"))
        .map(|tr| tr.select(&sel("td")).map(|e| e.text().collect()).collect())
        .collect();
    assert_eq!(rows.len(), 1, "one message, one row: {rows:?}");
    assert_eq!(rows[0][0], "home");
    assert_eq!(rows[0][1], "status");
    assert_eq!(rows[0][3], format!("status 500 {EVIL}"));
    assert_eq!(rows[0][4], failed.to_string());
    assert_eq!(r.summary.error_rows.len(), 1);
}

#[test]
fn a_p80_threshold_gets_its_column_and_no_threshold_no_limit_row() {
    let mut r = results(10.0, 80, false);
    r.plan.acceptance.p80 = Some(crate::plan::file::Secs(0.005));
    let html = render(&r);
    let table = &html[html.find("<table class=\"statistics\"").unwrap()..];
    let head = &table[..table.find("</thead>").unwrap()];
    assert!(head.contains("<th>p80 (ms)</th>"), "{head}");
    assert!(head.contains("≤ 5 ms"), "{head}");
    // Every row's p80 is above 5 ms: shaded (All Transactions too: the
    // verdict judges the span, at the top), and the judged table's p80
    // cells beside the verdict's result.
    let stats = &html[html.find("<table class=\"statistics\"").unwrap()..];
    let stats = &stats[..stats.find("</table>").unwrap()];
    assert_eq!(stats.matches("class=\"over\"").count(), 3);
    r.plan.acceptance = Default::default();
    let html = render(&r);
    assert!(!html.contains("tr class=\"limits\""));
    assert!(!html.contains("<th>p80 (ms)</th>"));
}
