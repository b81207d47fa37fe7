//! Parsing and printing of the quantities people type: durations, rates,
//! percentages and ramp-up specifications.
//!
//! Every parser returns a short message that callers prefix with the flag or
//! plan key it came from, so an error always names where the bad value was.

/// Parses a duration: plain seconds (`0.5`, `90`) or numbers with units
/// (`500ms`, `1.5s`, `2m`, `1h`, `1h30m`, `250us`). Must be finite and >= 0.
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(v) = s.parse::<f64>() {
        return check_finite_non_negative(v, text);
    }
    if s.starts_with('-') {
        return Err(format!("{} must not be negative", quoted(text)));
    }
    let mut total = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(format!(
                "{} is not a duration (use e.g. 500ms, 1.5s, 2m, 1h)",
                quoted(text)
            ));
        }
        let digits = &rest[..num_len];
        // Checked as a number first (one point, some digit), then scaled
        // exactly below.
        let number: f64 = digits.parse().map_err(|_| {
            format!(
                "{} is not a duration (use e.g. 500ms, 1.5s, 2m, 1h)",
                quoted(text)
            )
        })?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = rest[..unit_len].trim();
        rest = rest[unit_len..].trim_start();
        // The decimal written, scaled by the unit exactly and rounded once
        // to the nearest double: "481.793012ms" is the double nearest
        // 0.481793012 s, as that latency reads in samples.csv, so a
        // threshold equal to a recorded value holds (`number / 1e3` was
        // one float division off). A duration printed by
        // `format_duration` parses back bit-exactly.
        let exact = |mult: u32, pow10: i32| scaled_decimal(digits, mult, pow10).unwrap_or(number);
        let value = match unit {
            "us" | "µs" => exact(1, -6),
            "ms" => exact(1, -3),
            "s" | "sec" | "secs" => number,
            "m" | "min" | "mins" => exact(60, 0),
            "h" | "hr" | "hrs" => exact(3600, 0),
            "" => {
                return Err(format!(
                    "{} mixes a unit-less number with units (use e.g. 1m30s)",
                    quoted(text)
                ));
            }
            other => {
                return Err(format!(
                    "unknown unit '{other}' in {} (use us, ms, s, m or h)",
                    quoted(text)
                ));
            }
        };
        total += value;
    }
    check_finite_non_negative(total, text)
}

/// `digits` (a decimal such as `481.793012`) times `mult · 10^pow10`,
/// computed in integers and rounded once to the nearest double; `None`
/// when it does not fit 38 digits (the caller then uses the float).
fn scaled_decimal(digits: &str, mult: u32, pow10: i32) -> Option<f64> {
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all = format!("{int}{frac}");
    let all = all.trim_start_matches('0');
    let m: u128 = if all.is_empty() { 0 } else { all.parse().ok()? };
    let m = m.checked_mul(mult as u128)?;
    // value = m · 10^(pow10 − frac.len())
    let exp = pow10 - frac.len() as i32;
    format!("{m}e{exp}").parse().ok()
}

/// Like [`parse_duration`] but zero is refused.
pub fn parse_positive_duration(text: &str) -> Result<f64, String> {
    let v = parse_duration(text)?;
    if v <= 0.0 {
        return Err(format!("{} must be greater than zero", quoted(text)));
    }
    Ok(v)
}

/// A strictly positive, finite number (`NaN`, `inf`, `0` and negatives refused).
pub fn parse_positive(text: &str) -> Result<f64, String> {
    let v: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{} is not a number", quoted(text)))?;
    if !v.is_finite() {
        return Err(format!("{} must be a finite number", quoted(text)));
    }
    if v <= 0.0 {
        return Err(format!("{} must be greater than zero", quoted(text)));
    }
    Ok(v)
}

/// A whole number >= 1.
pub fn parse_count(text: &str) -> Result<u64, String> {
    let t = text.trim();
    match t.parse::<u64>() {
        Ok(0) => Err(format!("{} must be at least 1", quoted(text))),
        Ok(v) => Ok(v),
        Err(_) => Err(format!("{} is not a whole number >= 1", quoted(text))),
    }
}

/// A probability strictly between 0 and 1 (e.g. a confidence level).
pub fn parse_probability(text: &str) -> Result<f64, String> {
    let v = parse_fraction(text)?;
    if v <= 0.0 || v >= 1.0 {
        return Err(format!(
            "{} must be between 0 and 1 (exclusive)",
            quoted(text)
        ));
    }
    Ok(v)
}

/// A share of a whole (`"5%"` or `0.05`), returned as a fraction from 0 to
/// 1: an error rate or a tolerance above 100 % could never be breached.
pub fn parse_percentage(text: &str) -> Result<f64, String> {
    let v = parse_fraction(text)?;
    if v > 1.0 {
        return Err(format!("{} must be at most 100%", quoted(text)));
    }
    Ok(v)
}

/// A percentage (`"5%"`) or a fraction (`0.05`), returned as a fraction >= 0.
pub fn parse_fraction(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (num, scale) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), 0.01),
        None => (t, 1.0),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("{} is not a percentage (use e.g. 5% or 0.05)", quoted(text)))?;
    let v = v * scale;
    if !v.is_finite() || v < 0.0 {
        return Err(format!(
            "{} must be a finite, non-negative percentage",
            quoted(text)
        ));
    }
    Ok(v)
}

/// A rate such as `50/s`, `600/m`, `720/h`, or a plain number per second.
/// Returns events per second.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (num, per) = match t.split_once('/') {
        Some((n, unit)) => {
            let per = match unit.trim() {
                "s" | "sec" => 1.0,
                "m" | "min" => 60.0,
                "h" | "hr" => 3600.0,
                other => parse_positive_duration(other).map_err(|_| {
                    format!(
                        "unknown rate unit '/{other}' in {} (use /s, /m or /h)",
                        quoted(text)
                    )
                })?,
            };
            (n.trim(), per)
        }
        None => (t, 1.0),
    };
    let n = parse_positive(num).map_err(|e| format!("rate {e}"))?;
    Ok(n / per)
}

/// The longest duration pace accepts anywhere (a run, a timeout, a think
/// time, an interval): 30 days, in seconds. Longer is a typing slip, and
/// beyond ~5.8e11 years a duration no longer fits the clock's types.
pub const MAX_DURATION_S: f64 = 30.0 * 86_400.0;

fn check_finite_non_negative(v: f64, text: &str) -> Result<f64, String> {
    if !v.is_finite() {
        return Err(format!("{} must be a finite duration", quoted(text)));
    }
    if v < 0.0 {
        return Err(format!("{} must not be negative", quoted(text)));
    }
    if v > MAX_DURATION_S {
        return Err(format!(
            "{} is too large: at most 30 days ({MAX_DURATION_S} s)",
            quoted(text)
        ));
    }
    Ok(v)
}

/// A value in an error: trimmed, quoted and cut to a readable length (a
/// number such as 1e308 prints with 309 digits; a 20 MB cell would be the
/// whole line): [`crate::visible::quoted`].
fn quoted(text: &str) -> String {
    crate::visible::quoted(text.trim())
}

/// How users are brought in: a total time over which they start evenly, or a
/// rate of "one user every N seconds" (`1/5s`, LoadRunner's "1 VU/5sec").
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RampUp {
    Total(f64),
    /// `users` users every `every` seconds.
    Rate {
        users: f64,
        every: f64,
    },
}

impl RampUp {
    pub fn parse(text: &str) -> Result<RampUp, String> {
        let t = text.trim();
        if let Some((n, every)) = t.split_once('/') {
            let users = parse_positive(n).map_err(|e| format!("ramp-up users {e}"))?;
            let every = parse_positive_duration(every)?;
            return Ok(RampUp::Rate { users, every });
        }
        Ok(RampUp::Total(parse_duration(t)?))
    }

    /// The total ramp-up for `n` users, with user i (from 0) starting at
    /// `i * total / n`: a rate of one user every 5 s for 24 users is 120 s.
    pub fn total_for(&self, n: u64) -> f64 {
        match *self {
            RampUp::Total(t) => t,
            RampUp::Rate { users, every } => n as f64 / users * every,
        }
    }
}

/// A duration printed for people and for plan files: the shortest exact
/// decimal in the largest unit that keeps it readable. The text parses back
/// to the same `f64` (round trip) because it is Rust's shortest repr.
pub fn format_duration(secs: f64) -> String {
    if secs == 0.0 {
        return "0s".into();
    }
    if secs.abs() < 1.0 {
        let ms = secs * 1000.0;
        // Only use ms when it parses back exactly.
        if (ms / 1000.0) == secs {
            return format!("{ms}ms");
        }
    }
    // Whole hours and minutes read better in a plan file ("1h", "5m").
    if secs >= 3600.0 && secs % 3600.0 == 0.0 {
        return format!("{}h", secs / 3600.0);
    }
    if secs >= 60.0 && secs % 60.0 == 0.0 {
        return format!("{}m", secs / 60.0);
    }
    format!("{secs}s")
}

/// Seconds rounded to whole microseconds (at least one), chosen among the
/// nearest doubles so that [`format_duration`] writes it short
/// (`"154.133ms"`, not `"154.13299999999998ms"`): a measured time put in a
/// plan file.
pub fn round_to_micros(secs: f64) -> f64 {
    let ms = (secs * 1e6).round().max(1.0) / 1000.0;
    let x = ms / 1000.0;
    [x, x.next_up(), x.next_down()]
        .into_iter()
        .find(|c| c * 1000.0 == ms && (ms / 1000.0) == *c)
        .unwrap_or(x)
}

/// A duration for tables: rounded to a sensible number of digits.
pub fn human_duration(secs: f64) -> String {
    if !secs.is_finite() {
        return "unbounded".into();
    }
    let a = secs.abs();
    if a == 0.0 {
        "0 s".into()
    } else if a < 1.0 {
        format!("{} ms", round_sig(secs * 1000.0, 4))
    } else if a < 120.0 {
        format!("{} s", round_sig(secs, 5))
    } else if a < 7200.0 {
        format!(
            "{} s ({} min)",
            round_sig(secs, 6),
            round_sig(secs / 60.0, 4)
        )
    } else {
        format!(
            "{} s ({} h)",
            round_sig(secs, 7),
            round_sig(secs / 3600.0, 4)
        )
    }
}

/// A number rounded to `sig` significant digits, printed without trailing zeros.
pub fn round_sig(v: f64, sig: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let mag = v.abs().log10().floor() as i32;
    let decimals = (sig - 1 - mag).max(0) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

/// "1 transaction", "37 transactions", "12.5 transactions".
pub fn count(n: f64, noun: &str) -> String {
    let shown = if (n - n.round()).abs() < 1e-9 {
        format!("{}", n.round())
    } else {
        round_sig(n, 3)
    };
    if shown == "1" {
        format!("1 {noun}")
    } else {
        format!("{shown} {noun}s")
    }
}

/// `v` rounded to 3 significant digits, as a decimal without trailing
/// zeros and without an exponent ("35.5", "0.0123", "12300"); "-" for a
/// value that is not finite. The one rounding of [`measured_time`] and
/// [`measured_ms`].
fn sig3(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    // `{:.2e}` rounds the exact binary value to 3 digits once; the
    // shortest decimal of the result is what those 3 digits say.
    let rounded: f64 = format!("{v:.2e}").parse().unwrap_or(v);
    let s = format!("{rounded}");
    if s == "-0" { "0".into() } else { s }
}

/// A measured time (a response time, an iteration time, a percentile, a
/// maximum, a scheduler lag, a stair's R), given in seconds, as people
/// read it wherever pace shows one: milliseconds below 1 s, seconds from
/// 1 s, the unit written ("35.5 ms", "1.24 s"), to 3 significant digits.
///
/// Three significant digits because that is all pace measures: the
/// latency histograms keep 3 significant figures (`HdrHistogram::new(3)`,
/// src/results/aggregate.rs), so a 4th digit would be the histogram's
/// bucket, not the run. The console, report.html, `pace history` and the
/// stair tables all print a measured time through this function or
/// [`measured_ms`], so the same p95 reads the same everywhere. A value
/// that rounds to 1000 ms reads "1 s". Planned times (thresholds,
/// pacing, think times, durations) are shown as written instead
/// ([`human_duration`]).
pub fn measured_time(secs: f64) -> String {
    let ms = sig3(secs * 1000.0);
    match ms.parse::<f64>() {
        Ok(v) if v.abs() < 1000.0 => format!("{ms} ms"),
        Ok(_) => format!("{} s", sig3(secs)),
        Err(_) => ms,
    }
}

/// A measured time, given in seconds, in milliseconds for a column whose
/// header says "(ms)": the same 3 significant digits as
/// [`measured_time`] ("35.5", "1240", "0.0123"), "-" when not finite.
pub fn measured_ms(secs: f64) -> String {
    sig3(secs * 1000.0)
}

/// A duration in seconds as "250 ms" or "1.5 s": [`measured_time`], the
/// name the verdict's causes use for the times in their sentences.
pub fn secs(v: f64) -> String {
    measured_time(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_are_written_short() {
        assert_eq!(
            format_duration(round_to_micros(0.154_132_999_7)),
            "154.133ms"
        );
        assert_eq!(format_duration(round_to_micros(0.105_683_489)), "105.683ms");
        assert_eq!(round_to_micros(0.0), 1e-6);
    }

    #[test]
    fn durations_in_every_form() {
        assert_eq!(parse_duration("0.5").unwrap(), 0.5);
        assert_eq!(parse_duration("500ms").unwrap(), 0.5);
        assert_eq!(parse_duration("2s").unwrap(), 2.0);
        assert_eq!(parse_duration("1.5s").unwrap(), 1.5);
        assert_eq!(parse_duration("2m").unwrap(), 120.0);
        assert_eq!(parse_duration("1h").unwrap(), 3600.0);
        assert_eq!(parse_duration("1h30m").unwrap(), 5400.0);
        assert_eq!(parse_duration("250us").unwrap(), 0.00025);
        assert_eq!(parse_duration("0s").unwrap(), 0.0);
    }

    #[test]
    fn bad_durations_are_refused() {
        for bad in [
            "",
            "abc",
            "5x",
            "-1",
            "NaN",
            "inf",
            "1.2.3s",
            "s",
            "5 parsecs",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad} accepted");
        }
        assert!(parse_positive_duration("0").is_err());
    }

    #[test]
    fn numbers_and_fractions() {
        assert_eq!(parse_positive("50").unwrap(), 50.0);
        for bad in ["0", "-3", "NaN", "inf", "-inf", "x"] {
            assert!(parse_positive(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(parse_fraction("5%").unwrap(), 0.05);
        assert_eq!(parse_fraction("0.05").unwrap(), 0.05);
        assert!(parse_probability("1").is_err());
        assert!(parse_probability("0.99").is_ok());
        assert_eq!(parse_count("24").unwrap(), 24);
        assert!(parse_count("0").is_err());
        assert!(parse_count("2.5").is_err());
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("50/s").unwrap(), 50.0);
        assert_eq!(parse_rate("600/m").unwrap(), 10.0);
        assert_eq!(parse_rate("720/h").unwrap(), 0.2);
        assert_eq!(parse_rate("3").unwrap(), 3.0);
        assert_eq!(parse_rate("1/5s").unwrap(), 0.2);
        assert!(parse_rate("0/s").is_err());
        assert!(parse_rate("5/fortnight").is_err());
    }

    #[test]
    fn ramp_up_total_and_rate() {
        assert_eq!(RampUp::parse("5m").unwrap(), RampUp::Total(300.0));
        let r = RampUp::parse("1/5s").unwrap();
        // The seed's 24 users at 1 VU every 5 s: user 23 starts at 115 s.
        assert_eq!(r.total_for(24), 120.0);
        assert!(RampUp::parse("0/5s").is_err());
    }

    #[test]
    fn formatted_durations_parse_back_exactly() {
        for v in [
            0.0,
            0.5,
            2.0,
            120.0,
            2.0408163265306123,
            0.0123,
            1e-7,
            3600.0,
        ] {
            let s = format_duration(v);
            assert_eq!(parse_duration(&s).unwrap(), v, "{s}");
        }
        assert_eq!(format_duration(0.5), "500ms");
        assert_eq!(format_duration(120.0), "2m");
        assert_eq!(format_duration(3600.0), "1h");
        assert_eq!(format_duration(90.0), "90s");
    }

    /// A threshold written in ms or µs is the double nearest the decimal
    /// written, the same number a latency of that many seconds reads as in
    /// samples.csv (found by the adversarial study: "481.793012ms" read as
    /// 481.793012 / 1e3, one float division off, failed a recorded
    /// 0.481793012 s).
    #[test]
    fn sub_second_units_are_the_decimal_written() {
        for (text, secs) in [
            ("481.793012ms", "0.481793012"),
            ("481793.012us", "0.481793012"),
            ("0.1ms", "0.0001"),
            ("100ms", "0.1"),
            ("33.3ms", "0.0333"),
            ("1.1m", "66"),
            ("0.7h", "2520"),
            ("999999.999999us", "0.999999999999"),
        ] {
            let want: f64 = secs.parse().unwrap();
            assert_eq!(parse_duration(text).unwrap(), want, "{text}");
        }
        assert!(
            std::hint::black_box(481.793012_f64) / 1e3 != 0.481793012,
            "the trap is real"
        );
    }

    /// One rounding for every measured time: 3 significant digits (the
    /// histograms' precision), ms below 1 s and s from 1 s.
    #[test]
    fn measured_times_have_three_significant_digits() {
        assert_eq!(measured_time(0.035_45), "35.5 ms");
        assert_eq!(measured_ms(0.035_45), "35.5");
        assert_eq!(measured_time(0.035_449), "35.4 ms");
        assert_eq!(measured_time(0.000_012_34), "0.0123 ms");
        assert_eq!(measured_time(0.25), "250 ms");
        assert_eq!(measured_time(1.2345), "1.23 s");
        assert_eq!(measured_ms(1.2345), "1230");
        assert_eq!(measured_ms(12.345), "12300");
        assert_eq!(measured_time(12.345), "12.3 s");
        assert_eq!(measured_time(150.0), "150 s");
        // Rounded up to a whole second, it reads in seconds.
        assert_eq!(measured_time(0.9996), "1 s");
        assert_eq!(measured_ms(0.9996), "1000");
        assert_eq!(measured_time(0.0), "0 ms");
        assert_eq!(measured_ms(f64::NAN), "-");
        assert_eq!(measured_time(f64::INFINITY), "-");
        assert_eq!(secs(0.035_45), measured_time(0.035_45));
    }

    #[test]
    fn human_numbers() {
        assert_eq!(round_sig(8.571428, 3), "8.57");
        assert_eq!(round_sig(120.0, 4), "120");
        assert_eq!(human_duration(2.0), "2 s");
        assert_eq!(human_duration(0.5), "500 ms");
        assert_eq!(human_duration(120.0), "120 s (2 min)");
    }
}
