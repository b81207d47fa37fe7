//! The capacity graphs: measured throughput X against concurrency N with
//! the fitted Universal Scalability Law, its confidence band, the bounds
//! that cap it and the planned rate; and response time R against N.
//!
//! Pure: a plain [`CapacityData`] in, SVG strings and the numbers drawn
//! out ([`CapacitySeries`]), so a test checks the numbers, not pixels.

use super::{
    AVG, Area, BAND, Chart, FAILED, FONT, HEIGHT, Legend, MAX, OK, P90, P99, Swatch, TARGET, TEXT,
    TITLE, USERS, WIDTH, builder, draw_legend, line, tint,
};
use crate::capacity::findings;
use crate::capacity::plateau::PlateauFit;
use crate::capacity::usl::Fit;
use crate::units::round_sig;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

/// Asymptotic bounds of a closed system (QSP ch. 5; Jain §33.6): X(N) ≤
/// min(N/(D+Z), 1/D_max), R(N) ≥ max(D, N·D_max − Z). Seconds; they
/// apply when X is per second.
pub use crate::capacity::bounds::Demands;

/// One measured load level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    /// Concurrency N.
    pub n: f64,
    /// Throughput X, in [`CapacityData::x_unit`].
    pub x: f64,
    /// Mean response time R (s), when measured.
    pub r: Option<f64>,
}

/// What the two graphs draw.
#[derive(Debug, Clone)]
pub struct CapacityData<'a> {
    /// The measured levels.
    pub levels: &'a [Level],
    /// The USL fitted to them, with its covariance for the band.
    pub fit: Option<&'a Fit>,
    /// The plateau model fitted to them, when it describes them.
    pub plateau: Option<&'a PlateauFit>,
    /// The plateau is the model the data support: it is drawn as the fit
    /// with its band, knee and bound; the USL only for comparison.
    pub plateau_leads: bool,
    /// Throughput X the system must carry (a horizontal line).
    pub planned_x: Option<f64>,
    /// Response time (s) not to exceed (a horizontal line on R vs N).
    pub planned_r: Option<f64>,
    /// The asymptotic bounds, when service demands are known.
    pub demands: Option<Demands>,
    /// Think time Z (s): with it the fit implies R(N) = N/X(N) − Z.
    pub think_s: Option<f64>,
    /// How X's axis names its unit: "per second", "scripts per hour".
    pub x_unit: &'a str,
}

/// The numbers the graphs draw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CapacitySeries {
    /// The fitted X(N) at every N drawn: every whole N and fractions
    /// between while the axis ends at or below 600 users, whole steps
    /// beyond.
    pub curve: Vec<(f64, f64)>,
    /// The leading model's confidence band at the same N: (N, low,
    /// high), before clipping to the graph.
    pub band: Vec<(f64, f64, f64)>,
    /// The peak marked in whole users: (⌊N*⌋, X(⌊N*⌋)), as `codahale/usl`
    /// reports max concurrency and throughput; only when the USL leads
    /// and κ's interval excludes 0 (a peak the data support).
    pub peak: Option<(f64, f64)>,
    /// N* = √((1−σ)/κ) itself, unrounded, on the same condition.
    pub peak_exact: Option<f64>,
    /// λ/σ, the Amdahl ceiling drawn (X's unit), when the USL leads and
    /// σ's interval excludes 0.
    pub amdahl: Option<f64>,
    /// The plateau model's X(N) = min(aN, b) at the same N, when fitted.
    pub plateau: Vec<(f64, f64)>,
    /// The plateau's knee N* = b/a and bound X_max = b, when it leads.
    pub knee: Option<f64>,
    pub x_max: Option<f64>,
    /// min(N/(D+Z), 1/D_max) at the same N, per second.
    pub bound_x: Vec<(f64, f64)>,
    /// R(N) = N/X(N) − Z implied by the leading model at the same N (s);
    /// a negative R (an impossible one) is left out.
    pub response: Vec<(f64, f64)>,
    /// max(D, N·D_max − Z) at the same N (s).
    pub bound_r: Vec<(f64, f64)>,
}

/// Both graphs as SVG, and what they draw.
#[derive(Debug, Clone)]
pub struct CapacityCharts {
    /// X vs N.
    pub throughput: String,
    /// R vs N.
    pub response: String,
    /// The numbers behind them.
    pub series: CapacitySeries,
}

/// At most this many N along a curve: a smooth line, a small file.
const MAX_STEPS: f64 = 600.0;

/// The N axis ends past the data, so the reader sees where the curve
/// heads: at 1.5 × the largest measured N, or 1.25 × N* when the peak
/// lies beyond that (but never past 3 × the data: an extrapolation that
/// far is not worth drawing).
fn n_end(levels: &[Level], peak: Option<f64>) -> f64 {
    let n_max = levels.iter().map(|l| l.n).fold(1.0, f64::max);
    let mut end = 1.5 * n_max;
    if let Some(p) = peak {
        end = end.max((1.25 * p).min(3.0 * n_max));
    }
    end.max(2.0)
}

/// N values along the axis: the smallest N (1, or a measured N below it),
/// then every multiple of a step up to `end`. Up to MAX_STEPS users the
/// step is a whole fraction 1/k of a user, each N computed as i/k (not
/// summed), so every whole N is on the grid exactly; beyond, a whole
/// number of users.
fn grid(start: f64, end: f64) -> Vec<f64> {
    let mut out = vec![start];
    if end <= MAX_STEPS {
        let k = (MAX_STEPS / end).floor().max(1.0);
        let mut i = (start * k).floor() + 1.0;
        while i / k <= end + 1e-9 {
            out.push(i / k);
            i += 1.0;
        }
    } else {
        let step = (end / MAX_STEPS).ceil();
        let mut i = (start / step).floor() + 1.0;
        while i * step <= end + 1e-9 {
            out.push(i * step);
            i += 1.0;
        }
    }
    out
}

/// The series of `d`, in N order.
pub fn series(d: &CapacityData) -> CapacitySeries {
    let model = d.fit.map(|f| f.model);
    let usl_leads = !(d.plateau_leads && d.plateau.is_some());
    let peak_exact = d
        .fit
        .filter(|_| usl_leads)
        .and_then(|f| findings::peak(f).value());
    let knee = d.plateau.filter(|_| !usl_leads).map(|p| p.model.knee());
    let end = n_end(d.levels, peak_exact.or(knee));
    let start = d.levels.iter().map(|l| l.n).fold(1.0, f64::min);
    let ns = grid(start, end);
    let mut s = CapacitySeries {
        peak_exact,
        knee,
        x_max: d.plateau.filter(|_| !usl_leads).map(|p| p.model.ceiling),
        ..Default::default()
    };
    if let Some(p) = d.plateau {
        s.plateau = ns.iter().map(|&n| (n, p.model.throughput(n))).collect();
        if !usl_leads {
            s.band = ns
                .iter()
                .filter_map(|&n| p.throughput_interval(n).map(|(lo, hi)| (n, lo, hi)))
                .collect();
            if let Some(z) = d.think_s {
                s.response = ns
                    .iter()
                    .map(|&n| (n, p.model.response_time(n, z)))
                    .filter(|r| r.1 >= 0.0)
                    .collect();
            }
        }
    }
    if let (Some(m), Some(f)) = (model, d.fit) {
        s.curve = ns.iter().map(|&n| (n, m.throughput(n))).collect();
        if usl_leads {
            s.band = ns
                .iter()
                .filter_map(|&n| f.throughput_interval(n).map(|(lo, hi)| (n, lo, hi)))
                .collect();
            // ⌊N*⌋ as the published answers and the Go and R tools mark it.
            s.peak = peak_exact.map(|p| {
                let whole = p.floor().max(1.0);
                (whole, m.throughput(whole))
            });
            s.amdahl = findings::amdahl_ceiling(f).value();
            if let Some(z) = d.think_s {
                s.response = ns
                    .iter()
                    .map(|&n| (n, m.response_time(n, z)))
                    .filter(|r| r.1 >= 0.0)
                    .collect();
            }
        }
    }
    if let Some(dm) = d.demands {
        s.bound_x = ns.iter().map(|&n| (n, dm.throughput_upper(n))).collect();
        s.bound_r = ns.iter().map(|&n| (n, dm.response_lower(n))).collect();
    }
    s
}

/// A line drawn only where it is on the graph: a bound far above the data
/// would flatten it.
fn within(v: f64, top: f64) -> bool {
    v.is_finite() && v > 0.0 && v <= top
}

/// Axes, grid and titles of an N graph.
fn mesh(
    chart: &mut Chart<'_, '_>,
    x: &Range<f64>,
    y: &Range<f64>,
    y_desc: &str,
) -> anyhow::Result<()> {
    super::axes(chart, x.end - x.start, y, "concurrency N (users)", y_desc)
}

/// A dashed line through `pts`, cut where it leaves the graph's top.
fn dashed(
    chart: &mut Chart<'_, '_>,
    pts: impl Iterator<Item = (f64, f64)>,
    top: f64,
    c: RGBColor,
) -> anyhow::Result<()> {
    let pts: Vec<(f64, f64)> = pts.filter(|p| p.1 <= top).collect();
    if pts.len() > 1 {
        chart.draw_series(DashedLineSeries::new(pts, 8, 5, c.stroke_width(2)))?;
    }
    Ok(())
}

/// A titled N graph; `draw` adds the series and returns the legend.
fn n_chart(
    title: &str,
    x: Range<f64>,
    y: Range<f64>,
    y_desc: &str,
    draw: impl FnOnce(&mut Chart<'_, '_>) -> anyhow::Result<Legend>,
) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let root: Area = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = builder(&root, title).build_cartesian_2d(x.clone(), y.clone())?;
        mesh(&mut chart, &x, &y, y_desc)?;
        let legend = draw(&mut chart)?;
        draw_legend(&root, &legend)?;
        root.present()?;
    }
    Ok(svg)
}

/// The top of a y axis: a little above `max`, never empty.
fn top_of(max: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        max * 1.08
    } else {
        1.0
    }
}

/// Both graphs of `d`.
pub fn capacity_charts(d: &CapacityData) -> anyhow::Result<CapacityCharts> {
    let s = series(d);
    let end = s
        .curve
        .last()
        .map_or_else(|| n_end(d.levels, None), |p| p.0);
    let x_range = 0.0..end;
    let throughput = throughput_chart(d, &s, x_range.clone())?;
    let response = response_chart(d, &s, x_range)?;
    Ok(CapacityCharts {
        throughput,
        response,
        series: s,
    })
}

fn throughput_chart(d: &CapacityData, s: &CapacitySeries, x: Range<f64>) -> anyhow::Result<String> {
    let data_max = d
        .levels
        .iter()
        .map(|l| l.x)
        .chain(s.curve.iter().map(|p| p.1))
        .fold(0.0, f64::max);
    // Lines that cap the data are drawn when they lie within twice its
    // top; beyond that they are named in the legend with ↑.
    let reach = 2.0 * data_max;
    let x_max = s.bound_x.last().map(|p| p.1);
    let mut max = data_max;
    for v in [d.planned_x, s.amdahl, x_max, s.x_max]
        .into_iter()
        .flatten()
    {
        if within(v, reach) {
            max = max.max(v);
        }
    }
    // The band may widen far from the data; it is cut at the axis, which
    // it does not size beyond half again the data's top.
    let band_top = s.band.iter().map(|b| b.2).fold(0.0, f64::max);
    max = max.max(band_top.min(1.5 * data_max));
    let top = top_of(max);
    let title = "Throughput X against concurrency N";
    let y_desc = format!("X ({})", d.x_unit);
    n_chart(title, x.clone(), 0.0..top, &y_desc, |chart| {
        let mut legend = Legend::new();
        if let Some(f) = d.fit
            && !s.band.is_empty()
        {
            let mut poly: Vec<(f64, f64)> = s.band.iter().map(|b| (b.0, b.2.min(top))).collect();
            poly.extend(s.band.iter().rev().map(|b| (b.0, b.1.min(top))));
            chart.draw_series(std::iter::once(Polygon::new(
                poly,
                tint(BAND, 0.25).filled(),
            )))?;
            legend.push((
                format!("{} % band of the fit", round_sig(f.level * 100.0, 3)),
                Swatch::Fill(BAND),
            ));
        }
        if let Some(f) = d.fit
            && s.knee.is_none()
        {
            let m = f.model;
            // Ideal scaling λN, the line every USL curve starts along.
            dashed(
                chart,
                s.curve.iter().map(|p| (p.0, m.lambda * p.0)),
                top,
                MAX,
            )?;
            legend.push(("linear λN".into(), Swatch::Dashed(MAX)));
        }
        if let (Some(k), Some(xm)) = (s.knee, s.x_max) {
            // The asymptotic bound the plateau found, and its knee.
            dashed(chart, [(x.start, xm), (x.end, xm)].into_iter(), top, USERS)?;
            legend.push((
                format!("bound X_max {}", round_sig(xm, 4)),
                Swatch::Dashed(USERS),
            ));
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(k, 0.0), (k, top)],
                tint(FAILED, 0.6).stroke_width(1),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("knee N* {}", round_sig(k, 4)),
                (k, top),
                (FONT, TEXT)
                    .into_font()
                    .color(&FAILED)
                    .pos(Pos::new(HPos::Left, VPos::Top)),
            )))?;
            chart.draw_series(std::iter::once(Cross::new(
                (k, xm),
                6,
                FAILED.stroke_width(2),
            )))?;
            legend.push((
                format!("knee N* {}", round_sig(k, 4)),
                Swatch::Cross(FAILED),
            ));
        }
        if let Some(a) = s.amdahl {
            if within(a, top) {
                dashed(chart, [(x.start, a), (x.end, a)].into_iter(), top, P90)?;
                legend.push((format!("λ/σ {}", round_sig(a, 4)), Swatch::Dashed(P90)));
            } else {
                legend.push((format!("λ/σ {} ↑", round_sig(a, 4)), Swatch::Dashed(P90)));
            }
        }
        if !s.bound_x.is_empty() {
            dashed(chart, s.bound_x.iter().copied(), top, USERS)?;
            let xm = x_max.unwrap_or(0.0);
            let arrow = if within(xm, top) { "" } else { " ↑" };
            legend.push((
                format!("bound 1/Dmax {}{arrow}", round_sig(xm, 4)),
                Swatch::Dashed(USERS),
            ));
        }
        if let Some(p) = d.planned_x {
            if within(p, top) {
                dashed(chart, [(x.start, p), (x.end, p)].into_iter(), top, TARGET)?;
                legend.push((
                    format!("planned {}", round_sig(p, 4)),
                    Swatch::Dashed(TARGET),
                ));
            } else {
                legend.push((
                    format!("planned {} ↑", round_sig(p, 4)),
                    Swatch::Dashed(TARGET),
                ));
            }
        }
        if s.knee.is_some() {
            // The plateau leads: its line is the fit, the USL a comparison.
            line(chart, std::slice::from_ref(&s.plateau), AVG, 2, false)?;
            legend.push(("plateau fit".into(), Swatch::Line(AVG)));
            if !s.curve.is_empty() {
                dashed(chart, s.curve.iter().copied(), top, P99)?;
                legend.push(("USL (not chosen)".into(), Swatch::Dashed(P99)));
            }
        } else if !s.curve.is_empty() {
            line(chart, std::slice::from_ref(&s.curve), AVG, 2, false)?;
            legend.push(("USL fit".into(), Swatch::Line(AVG)));
        }
        if let (Some(p), Some((pn, px))) = (s.peak_exact, s.peak)
            && p <= x.end
        {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(p, 0.0), (p, top)],
                tint(FAILED, 0.6).stroke_width(1),
            )))?;
            chart.draw_series(std::iter::once(Cross::new(
                (pn, px),
                6,
                FAILED.stroke_width(2),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("N* {}", round_sig(p, 4)),
                (p, top),
                (FONT, TEXT)
                    .into_font()
                    .color(&FAILED)
                    .pos(Pos::new(HPos::Left, VPos::Top)),
            )))?;
            legend.push((
                format!("peak X({pn}) {}", round_sig(px, 6)),
                Swatch::Cross(FAILED),
            ));
        }
        chart.draw_series(
            d.levels
                .iter()
                .map(|l| Circle::new((l.n, l.x), 4, OK.filled())),
        )?;
        legend.push((format!("measured ({})", d.levels.len()), Swatch::Dot(OK)));
        Ok(legend)
    })
}

fn response_chart(d: &CapacityData, s: &CapacitySeries, x: Range<f64>) -> anyhow::Result<String> {
    let measured: Vec<(f64, f64)> = d
        .levels
        .iter()
        .filter_map(|l| l.r.map(|r| (l.n, r)))
        .collect();
    let data_max = measured.iter().map(|p| p.1).fold(0.0, f64::max);
    // The fitted R(N) grows without bound (quadratically with κ); the
    // axis follows it to twice the measured top, or all of it with no
    // measured R.
    let curve_max = s.response.iter().map(|p| p.1).fold(0.0, f64::max);
    let mut max = if data_max > 0.0 {
        data_max.max(curve_max.min(2.0 * data_max))
    } else {
        curve_max
    };
    if let Some(p) = d.planned_r
        && (max == 0.0 || p <= 2.0 * max)
    {
        max = max.max(p);
    }
    let top = top_of(max);
    let empty = measured.is_empty() && s.response.is_empty();
    n_chart(
        "Response time R against concurrency N",
        x.clone(),
        0.0..top,
        "R (s)",
        |chart| {
            let mut legend = Legend::new();
            if empty {
                chart.draw_series(std::iter::once(Text::new(
                    "no measured R, and no think time Z for the fit's R(N)",
                    ((x.start + x.end) / 2.0, top / 2.0),
                    (FONT, TITLE)
                        .into_font()
                        .color(&tint(BLACK, 0.5))
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )))?;
                return Ok(legend);
            }
            if !s.bound_r.is_empty() {
                dashed(chart, s.bound_r.iter().copied(), top, USERS)?;
                legend.push(("asymptotic bound".into(), Swatch::Dashed(USERS)));
            }
            if let Some(p) = d.planned_r {
                if p <= top {
                    dashed(chart, [(x.start, p), (x.end, p)].into_iter(), top, TARGET)?;
                    legend.push((
                        format!("target {}", crate::units::human_duration(p)),
                        Swatch::Dashed(TARGET),
                    ));
                } else {
                    legend.push((
                        format!("target {} ↑", crate::units::human_duration(p)),
                        Swatch::Dashed(TARGET),
                    ));
                }
            }
            if !s.response.is_empty() {
                let pts: Vec<(f64, f64)> = s
                    .response
                    .iter()
                    .copied()
                    .filter(|p| p.1 <= top && p.1 >= 0.0)
                    .collect();
                line(chart, &[pts], AVG, 2, false)?;
                let z = d.think_s.unwrap_or(0.0);
                let who = if s.knee.is_some() { "plateau" } else { "USL" };
                legend.push((
                    if z > 0.0 {
                        format!("{who}: N/X − {}", crate::units::human_duration(z))
                    } else {
                        format!("{who}: N/X(N)")
                    },
                    Swatch::Line(AVG),
                ));
            }
            if !measured.is_empty() {
                chart.draw_series(measured.iter().map(|&p| Circle::new(p, 4, P99.filled())))?;
                legend.push((format!("measured ({})", measured.len()), Swatch::Dot(P99)));
            }
            Ok(legend)
        },
    )
}

#[cfg(test)]
mod tests;
