//! `pace capacity --html FILE`: a standalone page with the fitted USL's
//! table and the capacity graphs, in report.html's chrome (same style
//! sheet, header, footer; inline SVG, no script, no external resource).
//! [`capacity_section`] is the part another page can embed.

use super::charts::capacity::{CapacityData, Level, capacity_charts};
use crate::output::capacity::{CapacityReport, capacity_rows};
use maud::{DOCTYPE, Markup, PreEscaped, html};

pub use super::charts::capacity::Demands;

/// What the page shows beyond the report itself.
#[derive(Debug, Clone)]
pub struct CapacityPage<'a> {
    /// The fit and every number derived from it.
    pub report: &'a CapacityReport,
    /// Service demands, for the asymptotic bounds.
    pub demands: Option<Demands>,
    /// Think time Z (s), when known: the fit's R(N) is drawn with it.
    pub think_s: Option<f64>,
    /// How the X axis names its unit.
    pub x_unit: &'a str,
}

/// The Capacity section: the fit table, the warnings and both graphs.
pub fn capacity_section(p: &CapacityPage) -> anyhow::Result<Markup> {
    let rep = p.report;
    let levels: Vec<Level> = rep
        .measured
        .iter()
        .map(|m| Level {
            n: m.n,
            x: m.x,
            r: m.r,
        })
        .collect();
    let data = CapacityData {
        levels: &levels,
        fit: Some(&rep.fit),
        plateau: rep.plateau.as_ref(),
        plateau_leads: rep.chosen_plateau().is_some(),
        planned_x: rep.questions.target_x,
        planned_r: rep.questions.target_r,
        demands: p.demands,
        think_s: p.think_s,
        x_unit: p.x_unit,
    };
    let charts = capacity_charts(&data)?;
    let pct = crate::units::round_sig(rep.fit.level * 100.0, 3);
    let lead = match (rep.chosen_plateau().is_some(), rep.choice.systematic) {
        (true, _) => "a hard ceiling (the plateau model fits)",
        (false, false) => "the Universal Scalability Law fits",
        (false, true) => "the Universal Scalability Law, with systematic residuals",
    };
    let plateau_leads = rep.chosen_plateau().is_some();
    Ok(html! {
        section #capacity {
            h2 { "Capacity: " (lead) }
            p.note {
                "Two models fitted by least squares to " (rep.fit.levels) " measured levels"
                @if rep.fit.points > rep.fit.levels { " (" (rep.fit.points) " observations: every run at a repeated N is fitted)" }
                " from " (rep.source) ": "
                "the Universal Scalability Law X(N) = λN / (1 + σ(N−1) + κN(N−1)) (Gunther, Guerrilla Capacity Planning, 2007, eq. 4.31), "
                "and the plateau X(N) = min(N/(D+Z), 1/Dmax) of a hard ceiling (asymptotic bounds, Jain §33.6). "
                "The first row says which the data support and why (BIC, and a runs test on the residuals); X counts " (rep.unit.label) "."
            }
            div.scroll.wide { table.facts.capacity {
                thead { tr { th { "" } th { "value" } th { "how" } } }
                tbody {
                    @for [a, b, c] in capacity_rows(rep) {
                        tr { th scope="row" { (a) } td.num { (b) } td { (c) } }
                    }
                }
            } }
            @if !rep.warnings.is_empty() {
                ul.reasons { @for w in &rep.warnings { li { (w) } } }
            }
            h3 { "Graphs" }
            figure.graph {
                (PreEscaped(charts.throughput))
                figcaption {
                    @if plateau_leads {
                        "Measured throughput per load level (dots), the fitted plateau min(N/(D+Z), 1/Dmax) and its " (pct) " % confidence band "
                        "(delta method, Student's t on n − 2 degrees of freedom). Dashed: the asymptotic bound Xmax = 1/Dmax it found, and the USL's curve, not chosen"
                        @if p.demands.is_some() { ", the asymptotic bound of --demand" }
                        @if rep.questions.target_x.is_some() { " and the planned rate" }
                        "."
                        @if let Some(k) = charts.series.knee {
                            " The red line and cross mark the knee N* = (D+Z)/Dmax = " (crate::units::round_sig(k, 4)) "."
                        }
                    } @else {
                        "Measured throughput per load level (dots), the fitted curve and its " (pct) " % confidence band "
                        "(delta method: the parameters' covariance carried through the curve's gradient, with Student's t on n − 3 degrees of freedom). "
                        "Dashed: ideal linear scaling λN"
                        @if charts.series.amdahl.is_some() { ", the Amdahl ceiling λ/σ" }
                        @if p.demands.is_some() { ", the asymptotic bound min(N/(D+Z), 1/Dmax)" }
                        @if rep.questions.target_x.is_some() { " and the planned rate" }
                        "."
                        @if let Some((n, x)) = charts.series.peak {
                            " The red cross marks the peak in whole users, X(" (n) ") = " (crate::units::round_sig(x, 6)) ", the vertical line N* = √((1−σ)/κ)."
                        }
                    }
                    " ↑ names a line above the graph."
                }
            }
            figure.graph {
                (PreEscaped(charts.response))
                figcaption {
                    "Measured mean response time per level"
                    @if p.think_s.is_some() { ", and the leading model's R(N) = N/X(N) − Z (interactive response-time law; never below 0)" }
                    @if p.demands.is_some() { "; dashed, the bound max(D, N·Dmax − Z)" }
                    "."
                    @if p.think_s.is_none() { " Give --think (0 for none) to draw the fit's R(N)." }
                }
            }
        }
    })
}

/// The whole page.
pub fn capacity_html(p: &CapacityPage) -> anyhow::Result<String> {
    let section = capacity_section(p)?;
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            (super::head(&format!("Capacity: {}", p.report.source)))
            body {
                header {
                    h1 { "Capacity: " (p.report.source) }
                    nav { a href="#capacity" { "Fit and graphs" } }
                }
                main { (section) }
                footer #footer {
                    p { "pace " (env!("CARGO_PKG_VERSION")) " · pace capacity" }
                }
            }
        }
    };
    // As report.html: escaped text may still hold control characters.
    Ok(crate::export::xml_chars::clean(&page.into_string()).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::usl::fit;
    use crate::output::capacity::{Measured, Questions};

    #[test]
    fn the_page_holds_the_table_and_both_graphs() {
        let pts = [
            (1.0, 65.0),
            (18.0, 996.0),
            (36.0, 1652.0),
            (72.0, 1853.0),
            (108.0, 1829.0),
            (144.0, 1775.0),
            (216.0, 1702.0),
        ];
        let measured: Vec<Measured> = pts
            .iter()
            .map(|&(n, x)| Measured { n, x, r: None })
            .collect();
        let f = fit(&pts, 0.95).unwrap();
        let rep = CapacityReport::new("<spec>&".into(), measured, f, Questions::default());
        let html = capacity_html(&CapacityPage {
            report: &rep,
            demands: None,
            think_s: None,
            x_unit: "scripts per hour",
        })
        .unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("Capacity: &lt;spec&gt;&amp;"));
        let sigma = crate::units::round_sig(rep.fit.model.sigma, 6);
        assert!(
            html.contains(&format!("<td class=\"num\">{sigma}</td>")),
            "{sigma}"
        );
        assert_eq!(html.matches("<svg").count(), 2);
    }
}
