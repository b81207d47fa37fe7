//! The latency distribution graph: HdrHistogram's percentile plot. The x
//! axis is the percentile spaced as 1/(1-q) on a log scale (50 %, 90 %,
//! 99 %, 99.9 %, 99.99 % equally apart), so the tail where a run's users
//! suffer gets as much room as the median.

use super::{
    Area, FONT, HEIGHT, LATE, Legend, OK, RESPONSE_TIME_MS, Swatch, TEXT, WIDTH, builder,
    draw_legend, limit_color, limit_drawn, limit_label, tick, tint, y_range,
};
use crate::results::distribution::{CurvePoint, Curves, DEEPEST};
use crate::verdict::LatencyThreshold;
use plotters::coord::combinators::{BindKeyPoints, IntoLogRange};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Where quantile `q` goes on the x axis.
fn x(q: f64) -> f64 {
    1.0 / (1.0 - q.min(DEEPEST))
}

/// "99.9%" for an x position.
fn percentile_label(v: f64) -> String {
    let q = 1.0 - 1.0 / v;
    format!("{}%", crate::units::round_sig(q * 100.0, 6))
}

/// Measured and from-the-schedule percentile curves of one timer (or of all
/// transactions), with the plan's percentile thresholds as crosses where
/// they apply.
pub fn distribution(
    title: &str,
    c: &Curves,
    limits: &[LatencyThreshold],
) -> anyhow::Result<String> {
    let all = || c.measured.iter().chain(&c.scheduled);
    let max = all().map(|p| p.s).fold(0.0, f64::max);
    let limits: Vec<&LatencyThreshold> = limits.iter().filter(|l| l.quantile < 1.0).collect();
    let top = limits
        .iter()
        .filter(|l| limit_drawn(l.limit, max))
        .map(|l| l.limit)
        .fold(max, f64::max);
    let y = y_range(top);
    let x_end = x(DEEPEST);
    let mut svg = String::new();
    {
        let root: Area = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let keys = vec![1.0, 2.0, 4.0, 10.0, 100.0, 1000.0, x_end];
        let mut chart = builder(&root, title)
            .build_cartesian_2d((1.0..x_end).log_scale().with_key_points(keys), y.clone())?;
        // Seconds in the series, milliseconds on the axis (RESPONSE_TIME_MS).
        let ys = (y.end - y.start) * 1000.0;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(tint(BLACK, 0.12))
            .y_labels(6)
            .x_label_formatter(&|v| percentile_label(*v))
            .y_label_formatter(&|v| tick(*v * 1000.0, ys))
            .label_style((FONT, TEXT))
            .axis_desc_style((FONT, TEXT))
            .x_desc("percentile (log scale of 1/(1-q))")
            .y_desc(RESPONSE_TIME_MS)
            .draw()?;
        let mut legend = Legend::new();
        let pts = |v: &[CurvePoint]| v.iter().map(|p| (x(p.q), p.s)).collect::<Vec<_>>();
        for (label, color, curve) in [
            ("measured", OK, &c.measured),
            ("from schedule", LATE, &c.scheduled),
        ] {
            if curve.is_empty() {
                continue;
            }
            chart.draw_series(LineSeries::new(pts(curve), color.stroke_width(2)).point_size(2))?;
            legend.push((label.into(), Swatch::Line(color)));
        }
        if c.measured.is_empty() && c.scheduled.is_empty() {
            chart.draw_series(std::iter::once(Text::new(
                "no successful samples",
                ((x_end).sqrt(), (y.start + y.end) / 2.0),
                (FONT, super::TITLE)
                    .into_font()
                    .color(&tint(BLACK, 0.5))
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            )))?;
        } else {
            for l in limits {
                let drawn = limit_drawn(l.limit, max);
                let color = limit_color(l.name);
                if drawn {
                    chart.draw_series(std::iter::once(Cross::new(
                        (x(l.quantile), l.limit),
                        6,
                        color.stroke_width(2),
                    )))?;
                }
                legend.push((limit_label(l, drawn), Swatch::Cross(color)));
            }
        }
        draw_legend(&root, &legend)?;
        root.present()?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_is_labelled_in_percentiles() {
        assert_eq!(percentile_label(x(0.0)), "0%");
        assert_eq!(percentile_label(x(0.5)), "50%");
        assert_eq!(percentile_label(x(0.99)), "99%");
        assert_eq!(percentile_label(x(0.9999)), "99.99%");
    }
}
