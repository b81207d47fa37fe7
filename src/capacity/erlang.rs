//! M/M/c queues (Erlang C) and pool sizing: how many servers (threads,
//! connections, replicas) keep the wait under a target at a given arrival
//! rate. Formulas: Kleinrock, *Queueing Systems* vol. 1 (1975) §3.5; Jain
//! 1991 §31.3; Gunther's PDQ (`CreateMultiNode`, README "Bank Model").
//!
//! With offered load a = λ·S (erlangs) and c servers:
//!   C(c, a) = [aᶜ/c! · c/(c−a)] / [Σ_{k<c} aᵏ/k! + aᶜ/c! · c/(c−a)],
//!   Wq = C·S/(c−a), R = Wq + S, P(Wq > t) = C·e^{−(c/S − λ)·t}.
//! C is computed from the Erlang B recurrence B(0) = 1,
//! B(k) = a·B(k−1)/(k + a·B(k−1)), and C = c·B/(c − a·(1 − B)): no
//! factorials or powers, so it stays finite and accurate for thousands of
//! servers where aᶜ/c! overflows.

use serde::Serialize;

/// The most servers [`size`] will try: bounds the work (O(c) per answer).
pub const MAX_SERVERS: u64 = 10_000_000;

/// Why a queue could not be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ErlangError {
    #[error("the arrival rate ({0}) must be finite and > 0 per second")]
    Rate(f64),
    #[error("the service time ({0}) must be finite and > 0 seconds")]
    Service(f64),
    #[error(
        "{servers} server(s) at offered load {load:.6} erlangs are overloaded (utilisation ≥ 1): the queue grows without bound"
    )]
    Unstable { servers: u64, load: f64 },
    #[error("the target {0} can never be met")]
    Target(String),
    #[error("more than {MAX_SERVERS} servers would be needed")]
    TooMany,
}

/// An M/M/c queue's steady state. Times in seconds, rates per second.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Mmc {
    pub servers: u64,
    /// λ, arrivals per second.
    pub rate_per_s: f64,
    /// S, mean service time, seconds.
    pub service_s: f64,
    /// a = λ·S, erlangs.
    pub offered_load: f64,
    /// ρ = a/c, the mean busy fraction of a server.
    pub utilization: f64,
    /// C(c, a): probability that an arrival waits.
    pub wait_probability: f64,
    /// Wq = C·S/(c − a), seconds.
    pub mean_wait_s: f64,
    /// R = Wq + S, seconds.
    pub mean_response_s: f64,
    /// Lq = λ·Wq (Little), jobs waiting.
    pub mean_queue: f64,
    /// L = λ·R (Little), jobs in the system.
    pub mean_in_system: f64,
    /// c/S: the rate at which the pool saturates, per second.
    pub max_throughput_per_s: f64,
}

impl Mmc {
    /// The q-quantile (0 < q < 1) of the wait in queue, seconds:
    /// 0 when C ≤ 1 − q, else ln(C/(1−q)) / (c/S − λ), from
    /// P(Wq > t) = C·e^{−(c/S − λ)t} (`poolsim-core` `queue_wait_percentile_ms`;
    /// Perl `Math::Telephony::ErlangC`).
    pub fn wait_quantile_s(&self, q: f64) -> f64 {
        let tail = 1.0 - q;
        if self.wait_probability <= tail {
            return 0.0;
        }
        (self.wait_probability / tail).ln()
            / (self.servers as f64 / self.service_s - self.rate_per_s)
    }

    /// P(Wq > t) = C·e^{−(c/S − λ)t} for t ≥ 0 seconds.
    pub fn wait_exceeds(&self, t_s: f64) -> f64 {
        self.wait_probability
            * (-(self.servers as f64 / self.service_s - self.rate_per_s) * t_s).exp()
    }
}

fn check(rate_per_s: f64, service_s: f64) -> Result<f64, ErlangError> {
    if !rate_per_s.is_finite() || rate_per_s <= 0.0 {
        return Err(ErlangError::Rate(rate_per_s));
    }
    if !service_s.is_finite() || service_s <= 0.0 {
        return Err(ErlangError::Service(service_s));
    }
    let a = rate_per_s * service_s;
    if !a.is_finite() {
        return Err(ErlangError::Rate(rate_per_s));
    }
    Ok(a)
}

/// Erlang B, B(c, a), by the recurrence (stable for any c).
pub fn erlang_b(servers: u64, offered_load: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=servers {
        b = offered_load * b / (k as f64 + offered_load * b);
    }
    b
}

fn from_b(servers: u64, rate_per_s: f64, service_s: f64, a: f64, b: f64) -> Mmc {
    let c = servers as f64;
    let p = (c * b / (c - a * (1.0 - b))).clamp(0.0, 1.0);
    let wq = p * service_s / (c - a);
    Mmc {
        servers,
        rate_per_s,
        service_s,
        offered_load: a,
        utilization: a / c,
        wait_probability: p,
        mean_wait_s: wq,
        mean_response_s: wq + service_s,
        mean_queue: rate_per_s * wq,
        mean_in_system: rate_per_s * (wq + service_s),
        max_throughput_per_s: c / service_s,
    }
}

/// The M/M/c queue with `servers` servers, arrivals at `rate_per_s` per
/// second and mean service `service_s` seconds.
///
/// PDQ bank model (c = 4, λ = 0.35/min, S = 10 min): ρ 0.875, C 0.7379,
/// Wq 14.7572 min, R 24.7572 min, L 8.6650, Lq 5.1650.
///
/// # Errors
/// [`ErlangError`] for a rate or service time not finite and > 0, or
/// a = λS ≥ c (no steady state).
pub fn mmc(servers: u64, rate_per_s: f64, service_s: f64) -> Result<Mmc, ErlangError> {
    let a = check(rate_per_s, service_s)?;
    if servers == 0 || a >= servers as f64 || servers > MAX_SERVERS {
        return Err(if servers > MAX_SERVERS {
            ErlangError::TooMany
        } else {
            ErlangError::Unstable { servers, load: a }
        });
    }
    Ok(from_b(
        servers,
        rate_per_s,
        service_s,
        a,
        erlang_b(servers, a),
    ))
}

/// What the pool must achieve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// P(wait) ≤ this probability (0 < p < 1).
    WaitProbability { max: f64 },
    /// Mean wait in queue Wq ≤ this many seconds (> 0).
    MeanWait { max_s: f64 },
    /// The `quantile` (0 < q < 1) of the wait in queue ≤ `max_s` seconds (≥ 0).
    WaitQuantile { quantile: f64, max_s: f64 },
}

impl Target {
    fn met(&self, m: &Mmc) -> bool {
        match *self {
            Target::WaitProbability { max } => m.wait_probability <= max,
            Target::MeanWait { max_s } => m.mean_wait_s <= max_s,
            Target::WaitQuantile { quantile, max_s } => m.wait_quantile_s(quantile) <= max_s,
        }
    }

    fn valid(&self) -> bool {
        match *self {
            Target::WaitProbability { max } => max > 0.0 && max < 1.0,
            Target::MeanWait { max_s } => max_s.is_finite() && max_s > 0.0,
            Target::WaitQuantile { quantile, max_s } => {
                quantile > 0.0 && quantile < 1.0 && max_s.is_finite() && max_s >= 0.0
            }
        }
    }
}

/// The answer of [`size`]: the smallest pool meeting the target and the
/// one just below it (`None` when one server fewer is overloaded or zero).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sizing {
    pub target: Target,
    pub chosen: Mmc,
    pub one_fewer: Option<Mmc>,
}

/// The smallest c ≥ 1 with a < c whose M/M/c queue meets `target`. Scans c
/// upward from ⌊a⌋ + 1, updating Erlang B one step per c, so the work is
/// O(c) in all. Every target is met for large enough c (C → 0 as c grows;
/// Kleinrock §3.5), so the scan stops, at the latest at [`MAX_SERVERS`].
///
/// # Errors
/// [`ErlangError`] for bad rate/service, a target outside its range, or no
/// pool up to [`MAX_SERVERS`].
pub fn size(rate_per_s: f64, service_s: f64, target: Target) -> Result<Sizing, ErlangError> {
    let a = check(rate_per_s, service_s)?;
    if !target.valid() {
        return Err(ErlangError::Target(format!("{target:?}")));
    }
    if a >= MAX_SERVERS as f64 {
        return Err(ErlangError::TooMany);
    }
    let first = a.floor() as u64 + 1;
    let mut b = erlang_b(first - 1, a);
    let mut prev: Option<Mmc> = None;
    for c in first..=MAX_SERVERS {
        b = a * b / (c as f64 + a * b);
        let m = from_b(c, rate_per_s, service_s, a, b);
        if target.met(&m) {
            return Ok(Sizing {
                target,
                chosen: m,
                one_fewer: prev,
            });
        }
        prev = Some(m);
    }
    Err(ErlangError::TooMany)
}

/// The q-quantile (0 < q < 1) of an M/M/1 response time, seconds: R is
/// exponential with mean E[R], so it is E[R]·ln(1/(1−q)) — Jain Box 31.1's
/// "90-percentile = 2.3·E[R]".
pub fn mm1_response_quantile_s(mean_response_s: f64, q: f64) -> f64 {
    mean_response_s * (1.0 / (1.0 - q)).ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MIN: f64 = 60.0;

    #[test]
    fn pdq_bank_model() {
        // PDQ README "Bank Model": c 4, λ 0.35/min, S 10 min.
        let m = mmc(4, 0.35 / MIN, 10.0 * MIN).unwrap();
        assert!((m.utilization - 0.875).abs() < 1e-12);
        assert!((m.wait_probability - 0.73786).abs() < 5e-6, "{m:?}");
        assert!((m.mean_wait_s / MIN - 14.7572).abs() < 5e-5);
        assert!((m.mean_response_s / MIN - 24.7572).abs() < 5e-5);
        assert!((m.mean_in_system - 8.6650).abs() < 5e-5);
        assert!((m.mean_queue - 5.1650).abs() < 5e-5);
        assert!((m.max_throughput_per_s * MIN - 0.4).abs() < 1e-12);
    }

    #[test]
    fn bank_sizing() {
        // The bank at 4 tellers waits with probability 0.7379 (PDQ); a 0.8
        // target is met by 4, and 3 tellers (a = 3.5) are overloaded.
        let s = size(0.35 / MIN, 10.0 * MIN, Target::WaitProbability { max: 0.8 }).unwrap();
        assert_eq!(s.chosen.servers, 4);
        assert!(s.one_fewer.is_none());
        // Mean wait ≤ 14.7572 min is met exactly at 4 (PDQ's Wq), not by a tighter one.
        let s = size(
            0.35 / MIN,
            10.0 * MIN,
            Target::MeanWait {
                max_s: 14.7573 * MIN,
            },
        )
        .unwrap();
        assert_eq!(s.chosen.servers, 4);
        let s = size(
            0.35 / MIN,
            10.0 * MIN,
            Target::MeanWait {
                max_s: 14.7571 * MIN,
            },
        )
        .unwrap();
        assert_eq!(s.chosen.servers, 5);
        assert!((s.one_fewer.unwrap().mean_wait_s / MIN - 14.7572).abs() < 5e-5);
    }

    #[test]
    fn single_server_reduces_to_mm1() {
        // M/M/1: C = ρ and R = S/(1−ρ) (Jain §31.2); p90 = 2.3·E[R] (Jain Box 31.1).
        let m = mmc(1, 0.5, 1.0).unwrap();
        assert!((m.wait_probability - 0.5).abs() < 1e-12);
        assert!((m.mean_response_s - 2.0).abs() < 1e-12);
        assert!((mm1_response_quantile_s(1.0, 0.9) - 2.3).abs() < 0.003);
        // Wait tail P(Wq > t) = ρ·e^{−(μ−λ)t} (blackboxsoc mm1-percentile).
        assert!((m.wait_exceeds(2.0) - 0.5 * (-1.0f64).exp()).abs() < 1e-12);
        let t = m.wait_quantile_s(0.9);
        assert!((m.wait_exceeds(t) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn large_pools_stay_finite() {
        // aᶜ/c! would overflow at c ≈ 170; the recurrence does not.
        let m = mmc(5000, 4900.0, 1.0).unwrap();
        assert!(m.wait_probability.is_finite() && (0.0..=1.0).contains(&m.wait_probability));
        let s = size(4900.0, 1.0, Target::WaitProbability { max: 0.01 }).unwrap();
        assert!(s.chosen.servers > 4900 && s.chosen.wait_probability <= 0.01);
    }

    #[test]
    fn refusals() {
        assert!(matches!(
            mmc(3, 0.35 / MIN, 10.0 * MIN),
            Err(ErlangError::Unstable { .. })
        ));
        assert!(mmc(4, -1.0, 1.0).is_err());
        assert!(mmc(4, 1.0, f64::NAN).is_err());
        assert!(size(1.0, 1.0, Target::WaitProbability { max: 1.0 }).is_err());
        assert!(size(1e300, 1e300, Target::MeanWait { max_s: 1.0 }).is_err());
    }

    proptest! {
        #[test]
        fn wait_probability_is_a_probability_and_falls_with_c(a in 0.01f64..200.0, extra in 1u64..50) {
            let c0 = a.floor() as u64 + 1;
            let mut prev = 1.0 + 1e-12;
            for c in c0..c0 + extra {
                let m = mmc(c, a, 1.0).unwrap();
                prop_assert!((0.0..=1.0).contains(&m.wait_probability));
                prop_assert!(m.wait_probability <= prev, "C rose at c {}", c);
                prev = m.wait_probability;
            }
        }

        #[test]
        fn sizing_is_minimal(a in 0.01f64..300.0, p in 0.001f64..0.99) {
            let s = size(a, 1.0, Target::WaitProbability { max: p }).unwrap();
            prop_assert!(s.chosen.wait_probability <= p);
            if let Some(f) = s.one_fewer {
                prop_assert!(f.wait_probability > p);
            }
        }
    }
}
