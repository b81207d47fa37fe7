//! Exact shares: a percentage or fraction kept as the decimal its user
//! wrote (`"0.7%"` is 7/1000, not the binary float 0.006999...), so that a
//! count is compared with it in integers. "7 of 1000 exceeded 0.7 %" was a
//! float's rounding (docs/verdict.md, "Percentages are exact").

use serde::{Deserialize, Serialize};

/// A non-negative rational `num / den`, in lowest terms, with `den` at
/// most 10^18 (so `count · den` of any u64 count fits a u128).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ratio {
    pub num: u128,
    pub den: u128,
}

/// The most digits after the decimal point a written share may carry
/// (after a `%` shifts it by two): 10^18 bounds the denominator.
const MAX_SCALE: u32 = 18;

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Ratio {
    /// `num / den` in lowest terms; `den` must not be 0.
    pub fn new(num: u128, den: u128) -> Ratio {
        debug_assert!(den != 0);
        let g = gcd(num, den).max(1);
        Ratio {
            num: num / g,
            den: den / g,
        }
    }

    pub const ZERO: Ratio = Ratio { num: 0, den: 1 };

    /// Reads a share as written: `"5%"`, `"0.7 %"`, `"0.05"`, `"1e-3"`,
    /// `"7.5e-1%"`. `None` for anything that is not a non-negative decimal
    /// with at most 18 digits after the point (once `%` is applied) and a
    /// value of at most 10^18: the caller then says what is wrong.
    pub fn parse(text: &str) -> Option<Ratio> {
        let t = text.trim();
        let (t, pct) = match t.strip_suffix('%') {
            Some(n) => (n.trim(), 2u32),
            None => (t, 0),
        };
        let (mantissa, exp) = match t.find(['e', 'E']) {
            Some(i) => (&t[..i], t[i + 1..].parse::<i32>().ok()?),
            None => (t, 0),
        };
        let mantissa = mantissa.strip_prefix('+').unwrap_or(mantissa);
        let (int, frac) = match mantissa.split_once('.') {
            Some((i, f)) => (i, f),
            None => (mantissa, ""),
        };
        if int.is_empty() && frac.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        // Trailing zeros after the point say nothing.
        let frac = frac.trim_end_matches('0');
        let digits: String = format!("{int}{frac}");
        let digits = digits.trim_start_matches('0');
        // value = digits · 10^(exp − len(frac) − pct)
        let scale = frac.len() as i64 + pct as i64 - exp as i64;
        if digits.is_empty() {
            return Some(Ratio::ZERO);
        }
        if digits.len() > 38 {
            return None;
        }
        let mut num: u128 = digits.parse().ok()?;
        let mut den: u128 = 1;
        if scale >= 0 {
            if scale > MAX_SCALE as i64 {
                // Strip zeros the scale can lose (e.g. 100e-20) first.
                let mut s = scale;
                while s > MAX_SCALE as i64 && num.is_multiple_of(10) {
                    num /= 10;
                    s -= 1;
                }
                if s > MAX_SCALE as i64 {
                    return None;
                }
                den = 10u128.pow(s as u32);
            } else {
                den = 10u128.pow(scale as u32);
            }
        } else {
            for _ in 0..(-scale) {
                num = num.checked_mul(10)?;
            }
        }
        if num / den > 1_000_000_000_000_000_000 {
            return None;
        }
        Some(Ratio::new(num, den))
    }

    /// The share as a float, for arithmetic that is not a comparison.
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Whether `part / whole <= self`, exactly: `part · den <= num ·
    /// whole`. A `whole` of 0 holds only a `part` of 0.
    pub fn admits(self, part: u64, whole: u64) -> bool {
        (part as u128) * self.den <= self.num.saturating_mul(whole as u128)
    }

    /// `1 − self` for a share of at most 1 (`None` above 1).
    pub fn complement(self) -> Option<Ratio> {
        (self.num <= self.den).then(|| Ratio::new(self.den - self.num, self.den))
    }

    /// The share as a percentage, exactly as a decimal: `"0.7%"`,
    /// `"12.5%"`, `"0.0001%"` (a share read from a decimal always has a
    /// finite expansion; another stops after 20 decimals). It parses back
    /// to the same ratio, so a plan written by pace keeps its thresholds.
    pub fn percent_text(self) -> String {
        let num = self.num.saturating_mul(100);
        let mut out = (num / self.den).to_string();
        let mut rem = num % self.den;
        if rem != 0 {
            out.push('.');
            for _ in 0..20 {
                rem *= 10;
                out.push(char::from(b'0' + (rem / self.den) as u8));
                rem %= self.den;
                if rem == 0 {
                    break;
                }
            }
        }
        out + "%"
    }
}

/// The relative error of an expected count held as a float: it comes
/// from decimals (users × window / interval), which a double carries
/// to about 1e-16, and through a few operations. A count within this
/// (relative) of a band's edge is on the edge: 5 users × 5 s / 150 ms is
/// 500/3, held as 166.66666666666669, and 129 = 500/3 × 0.774 exactly
/// must be inside a 22.6 % band, where the float product reads
/// 129.00000000000003.
pub const EDGE_EPSILON: f64 = 1e-12;

/// `x >= limit`, a limit computed in floats from exact decimals: exact
/// but for [`EDGE_EPSILON`] (relative) at the edge.
pub fn at_least(x: f64, limit: f64) -> bool {
    x >= limit - EDGE_EPSILON * limit.abs().max(1.0)
}

/// `x <= limit`, as [`at_least`].
pub fn at_most(x: f64, limit: f64) -> bool {
    x <= limit + EDGE_EPSILON * limit.abs().max(1.0)
}

/// Whether `count >= expected · (1 − f)` and `count <= expected · (1 + f)`
/// for a fixed tolerance `f`, compared as `count · den` against
/// `expected · (den ∓ num)`: the share exactly as written, and the
/// expected count (a float from decimals) to [`EDGE_EPSILON`].
pub fn within_tolerance(count: f64, expected: f64, f: Ratio) -> bool {
    let (num, den) = (f.num as f64, f.den as f64);
    at_least(count * den, expected * (den - num)) && at_most(count * den, expected * (den + num))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shares_are_read_as_written() {
        assert_eq!(Ratio::parse("0.7%"), Some(Ratio::new(7, 1000)));
        assert_eq!(Ratio::parse("0.007"), Some(Ratio::new(7, 1000)));
        assert_eq!(Ratio::parse("0.35%"), Some(Ratio::new(35, 10_000)));
        assert_eq!(Ratio::parse("5%"), Some(Ratio::new(1, 20)));
        assert_eq!(Ratio::parse(" 1 % "), Some(Ratio::new(1, 100)));
        assert_eq!(Ratio::parse("100%"), Some(Ratio::new(1, 1)));
        assert_eq!(Ratio::parse("0"), Some(Ratio::ZERO));
        assert_eq!(Ratio::parse("0.000%"), Some(Ratio::ZERO));
        assert_eq!(Ratio::parse("1e-3"), Some(Ratio::new(1, 1000)));
        assert_eq!(Ratio::parse("7.5e-1%"), Some(Ratio::new(3, 400)));
        assert_eq!(Ratio::parse(".5"), Some(Ratio::new(1, 2)));
        assert_eq!(Ratio::parse("2."), Some(Ratio::new(2, 1)));
        for bad in ["", "%", "-1%", "abc", "1.2.3", "1e", "NaN", "inf", "0x10"] {
            assert_eq!(Ratio::parse(bad), None, "{bad}");
        }
        // More digits than a u64 count can be compared with.
        assert_eq!(Ratio::parse("0.0000000000000000001"), None);
        assert_eq!(Ratio::parse("1e-30"), None);
    }

    #[test]
    fn a_share_prints_as_the_decimal_it_is() {
        for (text, shown) in [
            ("0.7%", "0.7%"),
            ("0.007", "0.7%"),
            ("5%", "5%"),
            ("0.0001%", "0.0001%"),
            ("12.345678901%", "12.345678901%"),
            ("1", "100%"),
            ("0", "0%"),
        ] {
            let r = Ratio::parse(text).unwrap();
            assert_eq!(r.percent_text(), shown);
            assert_eq!(Ratio::parse(&r.percent_text()), Some(r));
        }
    }

    /// The case error-rate-float-edge: 0.7 % read as 0.7 / 100 is
    /// 0.006999999999999999 in binary, just below 7/1000.
    #[test]
    fn a_count_exactly_at_its_share_is_within_it() {
        let r = Ratio::parse("0.7%").unwrap();
        assert!(
            std::hint::black_box(0.7_f64) / 100.0 < 7.0 / 1000.0,
            "the float trap is real"
        );
        assert!(r.admits(7, 1000));
        assert!(!r.admits(8, 1000));
        assert!(!r.admits(71, 10_000) && r.admits(70, 10_000));
        let r = Ratio::parse("0.35%").unwrap();
        assert!(r.admits(7, 2000) && !r.admits(8, 2000));
        let r = Ratio::parse("1%").unwrap();
        assert!(r.admits(5, 500) && !r.admits(6, 500));
        // Nothing made: only nothing failed fits.
        assert!(r.admits(0, 0) && !r.admits(1, 0));
        assert!(Ratio::ZERO.admits(0, 10) && !Ratio::ZERO.admits(1, 10));
    }

    #[test]
    fn a_fixed_tolerance_is_exact_at_its_edges() {
        let f = Ratio::parse("5%").unwrap();
        // 600 × 0.95 = 570 and 600 × 1.05 = 630 exactly.
        assert!(within_tolerance(570.0, 600.0, f) && within_tolerance(630.0, 600.0, f));
        assert!(!within_tolerance(569.0, 600.0, f) && !within_tolerance(631.0, 600.0, f));
        let f = Ratio::parse("5.9%").unwrap();
        // 1000 × (1 − 0.059) = 941.0000000000001 in floats: 941 must be
        // inside, as 1000 × 0.941 = 941 exactly.
        assert!(
            1000.0 * (1.0 - std::hint::black_box(0.059_f64)) > 941.0,
            "the trap is real"
        );
        assert!(within_tolerance(941.0, 1000.0, f));
        assert!(!within_tolerance(940.0, 1000.0, f));
        // The adversarial study's 1-0089: E = 5 users × 5 s / 150 ms =
        // 500/3, held as 166.66666666666669; at 22.6 % the lower edge is
        // 500/3 × 0.774 = 129 exactly, and 129 is inside.
        let e = std::hint::black_box(5.0) * 5.0 / 0.15;
        assert!(e * 774.0 > 129_000.0, "the float reads above the edge");
        let f = Ratio::parse("0.226").unwrap();
        assert!(within_tolerance(129.0, e, f));
        assert!(!within_tolerance(128.0, e, f));
        // 2-0036: E = 200/3, 1 %: 66 is the lower edge.
        let e = std::hint::black_box(80.0) / 3.0 + 40.0;
        let f = Ratio::parse("1%").unwrap();
        assert!(within_tolerance(66.0, e, f));
        assert!(!within_tolerance(65.0, e, f));
    }

    proptest! {
        /// For any count and any percentage with up to 3 decimals, the
        /// comparison is the one integers give: failed · 100 · 10^3 <=
        /// thousandths · total.
        #[test]
        fn admits_is_integer_arithmetic(
            total in 0u64..5_000_000,
            failed_frac in 0.0f64..=1.0,
            thousandths in 0u64..=100_000,
        ) {
            let failed = ((total as f64) * failed_frac) as u64;
            let text = format!("{}.{:03}%", thousandths / 1000, thousandths % 1000);
            let r = Ratio::parse(&text).unwrap();
            let exact = (failed as u128) * 100_000 <= (thousandths as u128) * (total as u128);
            prop_assert_eq!(r.admits(failed, total), exact, "{} of {} vs {}", failed, total, text);
        }

        /// The boundary itself: k · total / den failures of a share k/den
        /// are always within it, and one more never is.
        #[test]
        fn the_boundary_count_passes_and_one_more_fails(
            k in 1u64..1000, scale in 1u32..6, mult in 1u64..10_000,
        ) {
            let den = 10u64.pow(scale) * 100;
            prop_assume!(k <= den);
            let text = format!("{}%", k as f64 / 10f64.powi(scale as i32));
            let r = Ratio::parse(&text).unwrap();
            let total = den / gcd(k as u128, den as u128) as u64 * mult;
            let at = total / den * k + (total % den) * k / den;
            prop_assume!((at as u128) * (den as u128) == (k as u128) * (total as u128));
            prop_assert!(r.admits(at, total), "{} of {} vs {}", at, total, text);
            prop_assert!(!r.admits(at + 1, total), "{} of {} vs {}", at + 1, total, text);
        }
    }
}
