//! The tables of a timer section (Pyak47's columns) and the number formats
//! they share.

use crate::results::aggregate::Stats;
use crate::results::summary::IntervalRow;
use crate::units::measured_ms;
use maud::{Markup, html};

/// The Response Time Summary columns, in order.
pub const SUMMARY_COLUMNS: [&str; 8] = [
    "count", "min", "avg", "80pct", "90pct", "95pct", "max", "stdev",
];

/// The Interval Details columns, in order.
pub const INTERVAL_COLUMNS: [&str; 10] = [
    "interval", "count", "rate", "min", "avg", "80pct", "90pct", "95pct", "max", "stdev",
];

/// The values of a Stats row, in the order of the tables' time columns
/// (min, avg, 80pct, 90pct, 95pct, max, stdev), as measured times in
/// milliseconds: [`measured_ms`].
fn times_ms(s: &Stats) -> [String; 7] {
    [s.min, s.avg, s.p80, s.p90, s.p95, s.max, s.stdev].map(measured_ms)
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
    html! {
        h3 { "Response Time Summary (ms)" }
        div.scroll { table.response-time-summary {
            thead { tr { @for c in SUMMARY_COLUMNS { th { (c) } } } }
            tbody {
                tr {
                    td { (s.count) }
                    @if s.count > 0 {
                        @for v in times_ms(s) { td { (v) } }
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
    html! {
        h3 { "Interval Details (" (interval_name(ts)) " intervals)" }
        p.note {
            "Times in milliseconds (3 significant digits); rate is successful transactions per second over the interval's real length"
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
                                    @for v in times_ms(s) { td { (v) } }
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
    fn times_are_milliseconds_to_three_significant_digits() {
        let s = Stats {
            count: 3,
            min: 0.000_25,
            avg: 0.035_45,
            p80: 0.5,
            p90: 0.9996,
            p95: 3.0,
            max: 12.345,
            stdev: 0.001_234_5,
            ..Default::default()
        };
        assert_eq!(
            times_ms(&s),
            ["0.25", "35.5", "500", "1000", "3000", "12300", "1.23"].map(String::from)
        );
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
