//! What the load generator did, for All Transactions: the active users
//! and how late iterations started against their schedule.

use super::{
    Area, DROPPED, FONT, HEIGHT, LATE, LEGEND_W, Legend, LineSpec, MAX, P95, Swatch, TEXT,
    Timeline, USERS, WIDTH, builder, draw_legend, line, mesh, runs, shade_outside, time_chart,
    tint, y_range,
};
use crate::results::summary::SeriesRow;
use plotters::prelude::*;

/// Active users over time, stepping at each start and stop (`steps`, as
/// `summary.json`'s `active_user_steps`); from the per-interval maxima of
/// `series` for an older summary without them.
pub fn active_users(
    steps: &[(f64, i64)],
    series: &[SeriesRow],
    ts: f64,
    tl: Timeline,
) -> anyhow::Result<String> {
    let mut pts: Vec<(f64, f64)> = Vec::new();
    if steps.is_empty() {
        for r in series {
            let v = r.active_users as f64;
            pts.extend([(r.t_s, v), ((r.t_s + ts).min(tl.end), v)]);
        }
    } else {
        let mut sorted = steps.to_vec();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut prev = 0.0;
        pts.push((0.0, 0.0));
        for (t, n) in sorted {
            let t = t.clamp(0.0, tl.end);
            pts.push((t, prev));
            prev = n as f64;
            pts.push((t, prev));
        }
        pts.push((tl.end, prev));
    }
    let max = pts.iter().map(|p| p.1).fold(0.0, f64::max);
    let top = (max * 1.08).ceil().max(1.0);
    let msg = (max == 0.0).then_some("no user started");
    time_chart("Active users", tl, 0.0..top, "active users", msg, |chart| {
        if !pts.is_empty() {
            line(chart, &[pts], USERS, 2, false)?;
        }
        Ok(Legend::new())
    })
}

/// How late iterations started against their schedule, per interval
/// (p99 and max, ms), with the late starts (overruns) and dropped or
/// skipped starts as bars on a count axis.
pub fn lateness(series: &[SeriesRow], ts: f64, tl: Timeline) -> anyhow::Result<String> {
    let ms = |v: f64| v * 1000.0;
    let max = series
        .iter()
        .map(|r| ms(r.lateness_max))
        .fold(0.0, f64::max);
    let counts = series
        .iter()
        .map(|r| r.late_starts.max(r.dropped))
        .max()
        .unwrap_or(0);
    let count_top = ((counts as f64 * 1.08).ceil() as u64).max(5);
    let mut svg = String::new();
    {
        let root: Area = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let y = y_range(max);
        let mut chart = builder(&root, "Start lateness per interval")
            .right_y_label_area_size(64)
            .build_cartesian_2d(0.0..tl.end, y.clone())?
            .set_secondary_coord(0.0..tl.end, 0u64..count_top);
        shade_outside(&mut chart, tl, &y)?;
        mesh(&mut chart, tl, &y, "lateness (ms)")?;
        chart
            .configure_secondary_axes()
            .y_labels(6)
            .label_style((FONT, TEXT))
            .axis_desc_style((FONT, TEXT))
            .y_desc("starts per interval")
            .draw()?;
        // Two bars side by side in each interval, at least 2 px wide.
        let w = (0.35 * ts).max(2.0 * tl.end / f64::from(WIDTH - LEGEND_W - 130));
        let bar = |t: f64, side: f64, n: u64, c: RGBColor| {
            let x0 = t + 0.5 * ts + (side - 1.0) * w;
            Rectangle::new(
                [(x0, 0u64), ((x0 + w).min(tl.end), n)],
                tint(c, 0.6).filled(),
            )
        };
        chart.draw_secondary_series(
            series
                .iter()
                .filter(|r| r.late_starts > 0)
                .map(|r| bar(r.t_s, 0.0, r.late_starts, LATE)),
        )?;
        chart.draw_secondary_series(
            series
                .iter()
                .filter(|r| r.dropped > 0)
                .map(|r| bar(r.t_s, 1.0, r.dropped, DROPPED)),
        )?;
        let lines: [LineSpec<SeriesRow>; 2] = [
            ("max (ms)", MAX, 1, |r| r.lateness_max),
            ("p99 (ms)", P95, 2, |r| r.lateness_p99),
        ];
        let mut legend = Legend::new();
        for (label, color, width, get) in lines {
            let pts = runs(
                series
                    .iter()
                    .map(|r| (r.iterations > 0).then(|| (r.t_s + ts / 2.0, ms(get(r))))),
            );
            line(&mut chart, &pts, color, width, true)?;
            legend.push((label.into(), Swatch::Line(color)));
        }
        legend.push(("late starts".into(), Swatch::Fill(LATE)));
        legend.push(("dropped, skipped".into(), Swatch::Fill(DROPPED)));
        draw_legend(&root, &legend)?;
        root.present()?;
    }
    Ok(svg)
}
