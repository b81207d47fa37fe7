//! The tables of a timer section (Pyak47's columns) and the number formats
//! they share.

use crate::results::aggregate::Stats;
use crate::results::summary::IntervalRow;
use maud::{Markup, html};

/// The Response Time Summary columns, in order.
pub const SUMMARY_COLUMNS: [&str; 8] = [
    "count", "min", "avg", "80pct", "90pct", "95pct", "max", "stdev",
];

/// The Interval Details columns, in order.
pub const INTERVAL_COLUMNS: [&str; 10] = [
    "interval", "count", "rate", "min", "avg", "80pct", "90pct", "95pct", "max", "stdev",
];

/// Decimals for a table of seconds: 3 (milliseconds) as in Pyak47's
/// reports, more when a value is below 1 ms so that it does not print as
/// 0.000 (2 significant digits of the smallest, at most 6: microseconds,
/// the histograms' unit).
pub fn decimals(values: impl IntoIterator<Item = f64>) -> usize {
    let min = values
        .into_iter()
        .filter(|v| *v > 0.0 && v.is_finite())
        .fold(f64::INFINITY, f64::min);
    if !min.is_finite() || min >= 0.001 {
        3
    } else {
        ((-min.log10()).floor() as usize + 2).clamp(3, 6)
    }
}

/// The values that decide a table's decimals (not stdev: a tight spread
/// says nothing about how small the times are).
fn times(s: &Stats) -> [f64; 6] {
    [s.min, s.avg, s.p80, s.p90, s.p95, s.max]
}

pub fn secs(v: f64, decimals: usize) -> String {
    format!("{v:.decimals$}")
}

/// A rate per second: 2 decimals as in Pyak47's reports, 3 significant
/// digits below 0.1/s.
pub fn rate(v: f64) -> String {
    if v > 0.0 && v < 0.1 {
        crate::units::round_sig(v, 3)
    } else {
        format!("{v:.2}")
    }
}

/// A whole-run Response Time Summary, and what is not in it.
pub fn response_time_summary(s: &Stats, failed: u64) -> Markup {
    let d = decimals(times(s));
    html! {
        h3 { "Response Time Summary (secs)" }
        div.scroll { table.response-time-summary {
            thead { tr { @for c in SUMMARY_COLUMNS { th { (c) } } } }
            tbody {
                tr {
                    td { (s.count) }
                    @if s.count > 0 {
                        @for v in [s.min, s.avg, s.p80, s.p90, s.p95, s.max, s.stdev] {
                            td { (secs(v, d)) }
                        }
                    } @else {
                        @for _ in 0..7 { td.none { "-" } }
                    }
                }
            }
        } }
        p.failed-note {
            @if failed == 0 {
                "No failed samples: every sample is in these statistics."
            } @else {
                strong { (failed) " failed " (if failed == 1 { "sample is" } else { "samples are" }) }
                " NOT in these statistics (count, times and percentiles are of successful samples only)."
            }
        }
    }
}

/// "10 s", "500 ms", "2 min": the real interval for headings.
pub fn interval_name(ts: f64) -> String {
    use crate::units::round_sig;
    if ts < 1.0 {
        format!("{} ms", round_sig(ts * 1000.0, 4))
    } else if ts >= 120.0 && ts % 60.0 == 0.0 {
        format!("{} min", round_sig(ts / 60.0, 4))
    } else {
        format!("{} s", round_sig(ts, 4))
    }
}

/// The Interval Details table, one row per time-series interval.
pub fn interval_details(rows: &[IntervalRow], ts: f64) -> Markup {
    let d = decimals(rows.iter().flat_map(|r| times(&r.stats)));
    html! {
        h3 { "Interval Details (" (interval_name(ts)) " intervals)" }
        p.note {
            "Times in seconds; rate is successful transactions per second over the interval's real length"
            " (a shorter last interval is divided by its own length)."
        }
        @if rows.is_empty() {
            p.none { "No intervals: nothing was recorded." }
        } @else {
            div.scroll {
                table.interval-details {
                    thead { tr { @for c in INTERVAL_COLUMNS { th { (c) } } } }
                    tbody {
                        @for r in rows {
                            @let s = &r.stats;
                            tr title=(format!("{} s to {} s", crate::units::round_sig(r.start_s, 6), crate::units::round_sig(r.end_s, 6))) {
                                td { (r.interval) }
                                td { (s.count) }
                                td { (rate(r.rate)) }
                                @if s.count > 0 {
                                    @for v in [s.min, s.avg, s.p80, s.p90, s.p95, s.max, s.stdev] {
                                        td { (secs(v, d)) }
                                    }
                                } @else {
                                    @for _ in 0..7 { td.none { "-" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_get_three_decimals_and_smaller_times_more() {
        assert_eq!(decimals([0.02, 0.5, 3.0]), 3);
        assert_eq!(decimals([0.0, 0.001]), 3);
        assert_eq!(decimals([0.00025, 0.002]), 5);
        assert_eq!(secs(0.00025, decimals([0.00025])), "0.00025");
        assert_eq!(decimals([0.000001]), 6);
        assert_eq!(decimals(std::iter::empty()), 3);
    }

    #[test]
    fn interval_names_are_the_real_interval() {
        assert_eq!(interval_name(10.0), "10 s");
        assert_eq!(interval_name(1.0), "1 s");
        assert_eq!(interval_name(0.5), "500 ms");
        assert_eq!(interval_name(300.0), "5 min");
        assert_eq!(interval_name(90.0), "90 s");
    }

    #[test]
    fn rates_are_not_floored() {
        assert_eq!(rate(169.96), "169.96");
        assert_eq!(rate(0.05), "0.05");
        assert_eq!(rate(0.0333333), "0.0333");
        assert_eq!(rate(0.0), "0.00");
    }
}
