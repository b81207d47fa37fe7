//! The report's graphs, drawn as inline SVG by plotters' SVG backend.
//!
//! No font is loaded: plotters writes `<text>` elements (escaped) and leaves
//! the glyphs to the browser; it estimates text widths for layout only. Every
//! graph is WIDTH x HEIGHT with the legend in a right-hand margin, so it
//! never covers the data. A time axis always starts at the run's start and
//! shades what lies outside the judged span (the ramp-up before it, the
//! grace after it), so the span the verdict judged stands out.

pub mod capacity;
mod distribution;
mod load;

pub use distribution::distribution;
pub use load::{active_users, lateness};

use crate::results::aggregate::Point;
use crate::results::summary::IntervalRow;
use crate::verdict::LatencyThreshold;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

pub const WIDTH: u32 = 900;
pub const HEIGHT: u32 = 300;
/// The right-hand margin that holds the legend: room for ~20 characters.
const LEGEND_W: u32 = 190;
const FONT: &str = "sans-serif";
/// plotters' SVG backend writes `font-size` as size / 1.24: ~13 px and ~15 px.
const TEXT: f64 = 16.0;
const TITLE: f64 = 19.0;

const AVG: RGBColor = RGBColor(31, 119, 180);
const P80: RGBColor = RGBColor(44, 160, 44);
const P90: RGBColor = RGBColor(255, 127, 14);
const P95: RGBColor = RGBColor(214, 39, 40);
const P99: RGBColor = RGBColor(148, 52, 110);
const MAX: RGBColor = RGBColor(127, 127, 127);
const OK: RGBColor = RGBColor(31, 119, 180);
const FAILED: RGBColor = RGBColor(214, 39, 40);
const BAND: RGBColor = RGBColor(44, 160, 44);
const TARGET: RGBColor = RGBColor(20, 20, 20);
const USERS: RGBColor = RGBColor(148, 103, 189);
const LATE: RGBColor = RGBColor(255, 127, 14);
const DROPPED: RGBColor = RGBColor(140, 86, 75);
const CPU: RGBColor = RGBColor(188, 128, 0);

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
type Area<'b> = DrawingArea<SVGBackend<'b>, Shift>;

/// What every time graph shares.
#[derive(Debug, Clone, Copy)]
pub struct Timeline {
    /// The end of the x axis, seconds since the start.
    pub end: f64,
    pub ramp_up: f64,
    /// The judged span `[from, to)`, seconds since the start: what lies
    /// outside it is shaded and named.
    pub span: (f64, f64),
    /// The end of the schedule (`run.duration`): after it, the grace.
    pub duration: f64,
}

impl Timeline {
    /// The shaded parts, each with its name: before the span (the ramp-up
    /// when the span starts at its end) and after it (the grace when the
    /// span ends with the schedule).
    fn outside(&self) -> Vec<(f64, f64, &'static str)> {
        let (from, to) = (
            self.span.0.clamp(0.0, self.end),
            self.span.1.clamp(0.0, self.end),
        );
        let mut out = Vec::new();
        if from > 0.0 {
            let near = (from - self.ramp_up).abs() < 1e-6;
            out.push((0.0, from, if near { "ramp-up" } else { "not judged" }));
        }
        if to > from && to < self.end {
            let grace = to + 1e-6 >= self.duration;
            out.push((to, self.end, if grace { "grace" } else { "not judged" }));
        }
        out
    }

    /// The names of the shaded parts, in order ("ramp-up", "grace").
    pub fn outside_names(&self) -> Vec<&'static str> {
        self.outside().into_iter().map(|o| o.2).collect()
    }
}

/// The planned rate and its per-interval band, for the throughput graph.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// Planned transactions per second (applies after ramp-up).
    pub tps: f64,
    /// Per interval: start, end, lowest and highest rate of the band.
    pub band: Vec<(f64, f64, f64, f64)>,
    /// The band's confidence, e.g. 0.99.
    pub confidence: f64,
}

/// `c` blended with white: what `c` at opacity `a` looks like on the
/// white background, as a solid colour. Solid, not translucent: a printed
/// translucent element costs the PDF a graphics state of its own.
fn tint(c: RGBColor, a: f64) -> RGBColor {
    let m = |v: u8| (f64::from(v) * a + 255.0 * (1.0 - a)).round() as u8;
    RGBColor(m(c.0), m(c.1), m(c.2))
}

/// A tick label: the value rounded to the tick step's precision, with no
/// trailing zeros ("0", "0.5", "12.5").
fn tick(v: f64, span: f64) -> String {
    let step = (span / 20.0).max(f64::MIN_POSITIVE);
    let decimals = (-step.log10().floor()).clamp(0.0, 9.0) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// 0 to a little above `max`, never an empty range.
fn y_range(max: f64) -> Range<f64> {
    let m = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    0.0..m * 1.08
}

/// Runs of consecutive present values: an empty interval is a gap in the
/// line, never a zero.
fn runs(points: impl Iterator<Item = Option<(f64, f64)>>) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for p in points {
        match p {
            Some(p) => out.last_mut().expect("never empty").push(p),
            None if out.last().is_some_and(|r| !r.is_empty()) => out.push(Vec::new()),
            None => {}
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

/// A legend entry's sample of the series.
#[derive(Debug, Clone, Copy)]
enum Swatch {
    Line(RGBColor),
    Dashed(RGBColor),
    Fill(RGBColor),
    /// A fill drawn faded (a short last interval).
    Faded(RGBColor),
    Dot(RGBColor),
    Cross(RGBColor),
}

type Legend = Vec<(String, Swatch)>;

/// A line of a graph: its label, colour, width and value per row.
type LineSpec<R> = (&'static str, RGBColor, u32, fn(&R) -> f64);

/// The legend, drawn on the whole picture in the right-hand margin (a
/// chart's own legend is clipped to its plotting area).
fn draw_legend(root: &Area<'_>, items: &Legend) -> anyhow::Result<()> {
    let x = (WIDTH - LEGEND_W + 14) as i32;
    let mut y = 48;
    // Rows closer together when there are many, so the last stays inside.
    let step = (22).min((HEIGHT as i32 - 60) / (items.len() as i32).max(1));
    for (label, swatch) in items {
        match *swatch {
            Swatch::Line(c) => root.draw(&PathElement::new(
                vec![(x, y), (x + 20, y)],
                c.stroke_width(2),
            ))?,
            Swatch::Dashed(c) => {
                for dx in [0, 8, 16] {
                    root.draw(&PathElement::new(
                        vec![(x + dx, y), (x + dx + 5, y)],
                        c.stroke_width(2),
                    ))?;
                }
            }
            Swatch::Fill(c) => root.draw(&Rectangle::new(
                [(x, y - 6), (x + 20, y + 6)],
                tint(c, 0.5).filled(),
            ))?,
            Swatch::Faded(c) => root.draw(&Rectangle::new(
                [(x, y - 6), (x + 20, y + 6)],
                tint(c, 0.2).filled(),
            ))?,
            // A square, not a circle: printing hides most of a scatter's
            // circles (style.css), and never the legend's.
            Swatch::Dot(c) => root.draw(&Rectangle::new(
                [(x + 7, y - 3), (x + 13, y + 3)],
                c.filled(),
            ))?,
            Swatch::Cross(c) => root.draw(&Cross::new((x + 10, y), 4, c.stroke_width(2)))?,
        }
        root.draw(&Text::new(
            label.clone(),
            (x + 28, y),
            TextStyle::from((FONT, TEXT).into_font()).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        y += step;
    }
    Ok(())
}

/// Draws `runs` as one line (markers when the points are few enough to
/// tell apart, and always on a lone point).
fn line(
    chart: &mut Chart<'_, '_>,
    runs: &[Vec<(f64, f64)>],
    color: RGBColor,
    width: u32,
    markers: bool,
) -> anyhow::Result<()> {
    let total: usize = runs.iter().map(Vec::len).sum();
    for r in runs {
        let marker = if (markers && total <= 60) || r.len() == 1 {
            2
        } else {
            0
        };
        chart.draw_series(
            LineSeries::new(r.iter().copied(), color.stroke_width(width)).point_size(marker),
        )?;
    }
    Ok(())
}

/// Axes, grid, tick labels and axis titles of a time graph.
fn mesh(
    chart: &mut Chart<'_, '_>,
    tl: Timeline,
    y: &Range<f64>,
    y_desc: &str,
) -> anyhow::Result<()> {
    axes(chart, tl.end, y, "time since start (s)", y_desc)
}

/// The y axis title of the response-time graphs. Their series stay in
/// seconds (the samples' unit); the axis reads in milliseconds, the unit
/// every table of measured times uses (`units::measured_ms`).
const RESPONSE_TIME_MS: &str = "response time (ms)";

/// The factor from a graph's values to its y tick labels: 1000 on a
/// response-time axis ([`RESPONSE_TIME_MS`]), else 1.
fn y_scale(y_desc: &str) -> f64 {
    if y_desc == RESPONSE_TIME_MS {
        1000.0
    } else {
        1.0
    }
}

/// Axes, grid, tick labels and axis titles: the one style of every graph;
/// `x_span` sizes the x ticks' precision.
fn axes(
    chart: &mut Chart<'_, '_>,
    x_span: f64,
    y: &Range<f64>,
    x_desc: &str,
    y_desc: &str,
) -> anyhow::Result<()> {
    let k = y_scale(y_desc);
    let ys = (y.end - y.start) * k;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(tint(BLACK, 0.12))
        .x_labels(12)
        .y_labels(6)
        .x_label_formatter(&|v| tick(*v, x_span))
        .y_label_formatter(&|v| tick(*v * k, ys))
        .label_style((FONT, TEXT))
        .axis_desc_style((FONT, TEXT))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()?;
    Ok(())
}

fn builder<'a, 'b>(root: &'a Area<'b>, title: &str) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut b = ChartBuilder::on(root);
    b.caption(title, (FONT, TITLE))
        .margin(8)
        .margin_right(LEGEND_W)
        .x_label_area_size(44)
        .y_label_area_size(70);
    b
}

/// A titled, labelled time graph; `draw` adds the series and returns the
/// legend (none for a single series).
fn time_chart(
    title: &str,
    tl: Timeline,
    y: Range<f64>,
    y_desc: &str,
    empty: Option<&str>,
    draw: impl FnOnce(&mut Chart<'_, '_>) -> anyhow::Result<Legend>,
) -> anyhow::Result<String> {
    time_chart_right(title, tl, y, y_desc, empty, None, draw)
}

/// A time graph with two y axes.
type Dual<'a, 'b> = plotters::chart::DualCoordChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<RangedCoordf64, RangedCoordf64>,
    Cartesian2d<RangedCoordf64, RangedCoordf64>,
>;

/// What a [`Right`] axis draws on its own coordinates; returns its legend.
type RightDraw<'f> = Box<dyn FnOnce(&mut Dual<'_, '_>) -> anyhow::Result<Legend> + 'f>;

/// A second y axis, on the right of a time graph: its range, its title,
/// and what is drawn against it.
struct Right<'f> {
    range: Range<f64>,
    desc: &'f str,
    draw: RightDraw<'f>,
}

/// [`time_chart`], with a second y axis on the right when `right` is set.
fn time_chart_right(
    title: &str,
    tl: Timeline,
    y: Range<f64>,
    y_desc: &str,
    empty: Option<&str>,
    right: Option<Right<'_>>,
    draw: impl FnOnce(&mut Chart<'_, '_>) -> anyhow::Result<Legend>,
) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let root: Area = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut b = builder(&root, title);
        if right.is_some() {
            b.right_y_label_area_size(64);
        }
        let chart = b.build_cartesian_2d(0.0..tl.end, y.clone())?;
        // The shading first: solid, it would hide the grid drawn before it.
        let primary = |chart: &mut Chart<'_, '_>| -> anyhow::Result<Legend> {
            shade_outside(chart, tl, &y)?;
            mesh(chart, tl, &y, y_desc)?;
            let legend = draw(chart)?;
            if let Some(msg) = empty {
                chart.draw_series(std::iter::once(Text::new(
                    msg.to_string(),
                    (tl.end / 2.0, (y.start + y.end) / 2.0),
                    (FONT, TITLE)
                        .into_font()
                        .color(&tint(BLACK, 0.5))
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )))?;
            }
            Ok(legend)
        };
        let legend = match right {
            None => primary(&mut { chart })?,
            Some(r) => {
                let mut chart = chart.set_secondary_coord(0.0..tl.end, r.range.clone());
                let mut legend = primary(&mut chart)?;
                let rs = r.range.end - r.range.start;
                chart
                    .configure_secondary_axes()
                    .y_labels(6)
                    .y_label_formatter(&|v| tick(*v, rs))
                    .label_style((FONT, TEXT))
                    .axis_desc_style((FONT, TEXT))
                    .y_desc(r.desc)
                    .draw()?;
                legend.extend((r.draw)(&mut chart)?);
                legend
            }
        };
        draw_legend(&root, &legend)?;
        root.present()?;
    }
    Ok(svg)
}

/// Shades what lies outside the judged span, each part named at its top
/// (centred in a wide part; in a narrow one, beside it on the span's
/// side, so the name never runs over the axis; a sliver unnamed).
fn shade_outside(chart: &mut Chart<'_, '_>, tl: Timeline, y: &Range<f64>) -> anyhow::Result<()> {
    for (from, to, name) in tl.outside() {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(from, y.start), (to, y.end)],
            tint(BLACK, 0.06).filled(),
        )))?;
        let share = (to - from) / tl.end;
        // A sliver (the few ms a run ends after its schedule) is shaded
        // but not named: its name would stand for nothing to be seen.
        if share < 0.02 {
            continue;
        }
        let wide = share >= 0.1;
        let (x, h) = match (wide, from == 0.0) {
            (true, _) => ((from + to) / 2.0, HPos::Center),
            (false, true) => (to, HPos::Left),
            (false, false) => (from, HPos::Right),
        };
        chart.draw_series(std::iter::once(Text::new(
            name,
            (x, y.end),
            (FONT, TEXT)
                .into_font()
                .color(&tint(BLACK, 0.55))
                .pos(Pos::new(h, VPos::Top)),
        )))?;
    }
    Ok(())
}

fn mid(r: &IntervalRow) -> f64 {
    (r.start_s + r.end_s) / 2.0
}

/// The colour of a threshold's line: its percentile's where one is drawn.
fn limit_color(name: &str) -> RGBColor {
    match name {
        "p80" => P80,
        "p90" => P90,
        "p95" => P95,
        "p99" => P99,
        "max" => MAX,
        _ => TARGET,
    }
}

/// A threshold far above the data would flatten it: it is drawn when it
/// lies within twice the data's top, and otherwise only named in the
/// legend as above the graph.
fn limit_drawn(limit: f64, data_max: f64) -> bool {
    data_max > 0.0 && limit <= 2.0 * data_max
}

fn limit_label(l: &LatencyThreshold, drawn: bool) -> String {
    let v = crate::units::human_duration(l.limit);
    if drawn {
        format!("{} limit {v}", l.name)
    } else {
        format!("{} limit {v} ↑", l.name)
    }
}

/// Response time per interval: avg, p80/p90/p95/p99 and max (thinner), at
/// each interval's middle, against the plan's latency thresholds (dashed);
/// empty intervals are gaps.
pub fn response_time(
    title: &str,
    rows: &[IntervalRow],
    tl: Timeline,
    ts: f64,
    limits: &[LatencyThreshold],
) -> anyhow::Result<String> {
    // A short last interval holds few samples: lone open circles, not a
    // line's last bend that reads as a sudden dip or spike.
    let short = short_last(rows, ts).filter(|r| r.stats.count > 0);
    let max = rows.iter().map(|r| r.stats.max).fold(0.0, f64::max);
    let top = limits
        .iter()
        .filter(|l| limit_drawn(l.limit, max))
        .map(|l| l.limit)
        .fold(max, f64::max);
    let series: [LineSpec<IntervalRow>; 6] = [
        ("max", MAX, 1, |r| r.stats.max),
        ("99th pct", P99, 2, |r| r.stats.p99),
        ("95th pct", P95, 2, |r| r.stats.p95),
        ("90th pct", P90, 2, |r| r.stats.p90),
        ("80th pct", P80, 2, |r| r.stats.p80),
        ("avg", AVG, 2, |r| r.stats.avg),
    ];
    let empty = rows.iter().all(|r| r.stats.count == 0);
    let msg = empty.then_some("no successful samples");
    time_chart(title, tl, y_range(top), RESPONSE_TIME_MS, msg, |chart| {
        let mut legend = Legend::new();
        if empty {
            return Ok(legend);
        }
        for (label, color, width, get) in series {
            let pts = runs(rows.iter().map(|r| {
                (r.stats.count > 0 && Some(r.interval) != short.map(|s| s.interval))
                    .then(|| (mid(r), get(r)))
            }));
            line(chart, &pts, color, width, true)?;
            if let Some(r) = short {
                chart.draw_series(std::iter::once(Circle::new(
                    (mid(r), get(r)),
                    3,
                    color.stroke_width(1),
                )))?;
            }
            legend.push((label.into(), Swatch::Line(color)));
        }
        for l in limits {
            let drawn = limit_drawn(l.limit, max);
            let c = limit_color(l.name);
            if drawn {
                chart.draw_series(DashedLineSeries::new(
                    [(0.0, l.limit), (tl.end, l.limit)],
                    8,
                    5,
                    c.stroke_width(2),
                ))?;
            }
            legend.push((limit_label(l, drawn), Swatch::Dashed(c)));
        }
        Ok(legend)
    })
}

/// Every raw point (or the sample given), successes as dots and failures
/// as red crosses.
pub fn scatter(title: &str, points: &[Point], tl: Timeline) -> anyhow::Result<String> {
    let max = points.iter().map(|p| p.latency as f64).fold(0.0, f64::max);
    let ok = points.iter().filter(|p| p.ok).count();
    let failed = points.len() - ok;
    let msg = points.is_empty().then_some("no samples");
    time_chart(title, tl, y_range(max), RESPONSE_TIME_MS, msg, |chart| {
        let xy = |p: &Point| (p.t as f64, p.latency as f64);
        chart.draw_series(
            points
                .iter()
                .filter(|p| p.ok)
                .map(|p| Circle::new(xy(p), 2, OK.mix(0.5).filled())),
        )?;
        chart.draw_series(
            points
                .iter()
                .filter(|p| !p.ok)
                .map(|p| Cross::new(xy(p), 4, FAILED.stroke_width(2))),
        )?;
        let mut legend = Legend::new();
        if ok > 0 {
            legend.push((format!("ok ({ok})"), Swatch::Dot(OK)));
        }
        if failed > 0 {
            legend.push((format!("failed ({failed})"), Swatch::Cross(FAILED)));
        }
        Ok(legend)
    })
}

/// The last interval when it is shorter than the others (the run ended
/// inside it): its rate is over its own length, an estimate from little
/// time, so it is drawn faded and named rather than read as a spike or dip.
fn short_last(rows: &[IntervalRow], ts: f64) -> Option<&IntervalRow> {
    rows.last()
        .filter(|r| rows.len() > 1 && r.end_s - r.start_s < ts * 0.999)
}

/// pace's own CPU per time-series interval, for the throughput graph
/// (summary.json's `meta.generator`).
#[derive(Debug, Clone, Copy)]
pub struct Cpu<'a> {
    /// Per interval from the start, a fraction of the cores pace may use.
    pub intervals: &'a [f64],
    /// The fraction above which the generator was the bottleneck.
    pub limit: f64,
}

/// Transactions per second per interval, succeeded and failed stacked,
/// against the planned rate and the band an honest run's interval falls in
/// (drawn over the judged span); with `cpu`, pace's own CPU per interval as
/// a line on a percentage axis on the right, and its limit dashed.
pub fn throughput(
    title: &str,
    rows: &[IntervalRow],
    target: Option<&Target>,
    tl: Timeline,
    ts: f64,
    cpu: Option<Cpu<'_>>,
) -> anyhow::Result<String> {
    let len = |r: &IntervalRow| (r.end_s - r.start_s).max(1e-9);
    let err_rate = |r: &IntervalRow| r.errors as f64 / len(r);
    let short = short_last(rows, ts).map(|r| r.interval);
    // A last interval shorter than half the others does not size the axis:
    // a few samples over a fraction of a second make a rate that would
    // squash every full interval; the legend gives its rate instead.
    let sizes_axis = |r: &&IntervalRow| Some(r.interval) != short || len(r) >= ts / 2.0;
    let mut max = rows
        .iter()
        .filter(sizes_axis)
        .map(|r| r.rate + err_rate(r))
        .fold(0.0, f64::max);
    if let Some(t) = target {
        max = t.band.iter().map(|b| b.3).fold(max.max(t.tps), f64::max);
    }
    let any_errors = rows.iter().any(|r| r.errors > 0);
    let msg = rows.is_empty().then_some("no samples");
    let right = cpu.map(|c| {
        let top = c
            .intervals
            .iter()
            .copied()
            .chain([c.limit, 1.0])
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max)
            * 100.0;
        Right {
            range: 0.0..top * 1.08,
            desc: "pace CPU (%)",
            draw: Box::new(move |chart: &mut Dual<'_, '_>| {
                let pts = runs(c.intervals.iter().enumerate().map(|(i, v)| {
                    let mid = ((i as f64 + 0.5) * ts).min(tl.end);
                    v.is_finite().then_some((mid, v * 100.0))
                }));
                for r in &pts {
                    let marker = if r.len() == 1 { 2 } else { 0 };
                    chart.draw_secondary_series(
                        LineSeries::new(r.iter().copied(), CPU.stroke_width(2)).point_size(marker),
                    )?;
                }
                chart.draw_secondary_series(DashedLineSeries::new(
                    [(0.0, c.limit * 100.0), (tl.end, c.limit * 100.0)],
                    4,
                    4,
                    CPU.stroke_width(1),
                ))?;
                let pct = crate::units::round_sig(c.limit * 100.0, 3);
                Ok(vec![
                    ("pace CPU (right)".into(), Swatch::Line(CPU)),
                    (format!("CPU limit {pct} %"), Swatch::Dashed(CPU)),
                ])
            }),
        }
    });
    time_chart_right(
        title,
        tl,
        y_range(max),
        "transactions / s",
        msg,
        right,
        |chart| {
            let mut legend = Legend::new();
            if let Some(t) = target {
                chart.draw_series(t.band.iter().map(|&(s, e, lo, hi)| {
                    Rectangle::new([(s, lo), (e, hi)], tint(BAND, 0.18).filled())
                }))?;
            }
            let alpha = |r: &IntervalRow| if Some(r.interval) == short { 0.2 } else { 0.6 };
            chart.draw_series(rows.iter().filter(|r| r.rate > 0.0).map(|r| {
                Rectangle::new(
                    [(r.start_s, 0.0), (r.end_s, r.rate)],
                    tint(OK, alpha(r)).filled(),
                )
            }))?;
            chart.draw_series(rows.iter().filter(|r| r.errors > 0).map(|r| {
                Rectangle::new(
                    [(r.start_s, r.rate), (r.end_s, r.rate + err_rate(r))],
                    tint(FAILED, alpha(r)).filled(),
                )
            }))?;
            legend.push(("succeeded / s".into(), Swatch::Fill(OK)));
            if any_errors {
                legend.push(("failed / s".into(), Swatch::Fill(FAILED)));
            }
            if let Some(t) = target {
                // The band's edges over the bars, so a bar inside it shows.
                for &(s, e, lo, hi) in &t.band {
                    for y in [lo, hi] {
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![(s, y), (e, y)],
                            BAND.stroke_width(1),
                        )))?;
                    }
                }
                if !t.band.is_empty() {
                    let pct = crate::units::round_sig(t.confidence * 100.0, 3);
                    legend.push((format!("{pct} % band"), Swatch::Fill(BAND)));
                }
                // The plan's rate holds from the end of ramp-up to the end of
                // the schedule, never in the grace.
                let from = tl.ramp_up.min(tl.end);
                let to = tl.duration.clamp(from, tl.end);
                chart.draw_series(DashedLineSeries::new(
                    [(from, t.tps), (to, t.tps)],
                    8,
                    5,
                    TARGET.stroke_width(2),
                ))?;
                legend.push((
                    format!("target {}/s", crate::units::round_sig(t.tps, 4)),
                    Swatch::Dashed(TARGET),
                ));
            }
            if let Some(r) = short_last(rows, ts) {
                legend.push((
                    format!(
                        "last {}: {}/s",
                        crate::units::human_duration(
                            crate::units::round_sig(len(r), 2).parse().unwrap_or(len(r))
                        ),
                        crate::units::round_sig(r.rate + err_rate(r), 3)
                    ),
                    Swatch::Faded(OK),
                ));
            }
            Ok(legend)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_drop_trailing_zeros_and_keep_the_step_precision() {
        assert_eq!(tick(0.0, 0.05), "0");
        assert_eq!(tick(0.005, 0.05), "0.005");
        assert_eq!(tick(0.30000000000000004, 1.0), "0.3");
        assert_eq!(tick(20.0, 120.0), "20");
    }

    #[test]
    fn empty_intervals_are_gaps() {
        let r = runs(
            [
                Some((1.0, 1.0)),
                None,
                None,
                Some((3.0, 2.0)),
                Some((4.0, 2.0)),
            ]
            .into_iter(),
        );
        assert_eq!(r, vec![vec![(1.0, 1.0)], vec![(3.0, 2.0), (4.0, 2.0)]]);
    }
}
