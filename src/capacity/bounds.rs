//! Bounds on a closed network's throughput and response time that need no
//! solution of the model: the asymptotic bounds (QSP ch. 5; Jain §33.6) and
//! Zahorjan et al.'s balanced job bounds (CACM 25(2), 1982, as coded in the
//! Octave `queueing` toolbox's `qnclosedbsb.m`).
//!
//! Delay centres are folded into the think time: Z' = Z + Σ D_delay. They
//! lengthen every cycle but never saturate, which is exactly what Z does.

use super::network::Network;
use serde::Serialize;

/// The asymptotic bounds of a closed system from its total demand, its
/// bottleneck's demand and the think time, without the centres (what
/// `pace capacity --demand` draws).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Demands {
    /// D, the total service demand of one job over the queueing centres (s).
    pub total_s: f64,
    /// D_max, the bottleneck's service demand (s).
    pub max_s: f64,
    /// Z, the think time (s).
    pub think_s: f64,
}

impl Demands {
    /// X(N) ≤ min(N/(D+Z), 1/D_max), per second (QSP §5.2, Jain §33.6).
    pub fn throughput_upper(&self, n: f64) -> f64 {
        (n / (self.total_s + self.think_s)).min(1.0 / self.max_s)
    }

    /// R(N) ≥ max(D, N·D_max − Z), seconds.
    pub fn response_lower(&self, n: f64) -> f64 {
        self.total_s.max(n * self.max_s - self.think_s)
    }
}

/// Asymptotic bounds at N users.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Asymptotic {
    /// X(N) ≤ min(N/(D + Z), 1/D_max), per second.
    pub throughput_upper_per_s: f64,
    /// R(N) ≥ max(D, N·D_max − Z), seconds.
    pub response_lower_s: f64,
}

/// Asymptotic bounds (QSP §5.2, Jain §33.6) for `users` ≥ 1:
/// X ≤ min(N/(D+Z), 1/D_max), R ≥ max(D, N·D_max − Z).
pub fn asymptotic(net: &Network, users: f64) -> Asymptotic {
    let d = net.queueing_demand_s();
    let z = net.think_s + net.delay_demand_s();
    let dmax = net.max_demand_s();
    Asymptotic {
        throughput_upper_per_s: (users / (d + z)).min(1.0 / dmax),
        // The delay demand is part of every response, so it adds to D here.
        response_lower_s: (d + net.delay_demand_s()).max(users * dmax - net.think_s),
    }
}

/// The knee N* = (D + Z)/D_max (QSP §5.2; PDQ's "Optimal clients"): below
/// it the users mostly think, above it the bottleneck is saturated.
pub fn n_star(net: &Network) -> f64 {
    (net.queueing_demand_s() + net.think_s + net.delay_demand_s()) / net.max_demand_s()
}

/// X_max = 1/D_max per second: no load gets more from the bottleneck
/// (utilisation law with U = 1; Menascé et al. Example 3.9: D_max = 0.142 s
/// gives 7.04 per second).
pub fn max_throughput_per_s(net: &Network) -> f64 {
    1.0 / net.max_demand_s()
}

/// Balanced job bounds at N users.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Balanced {
    pub throughput_lower_per_s: f64,
    pub throughput_upper_per_s: f64,
    pub response_lower_s: f64,
    pub response_upper_s: f64,
}

/// Balanced job bounds (Zahorjan, Sevcik, Eager, Galler 1982; formulas as in
/// Octave `queueing` `qnclosedbsb.m`), with D_avg = D/K over the K queueing
/// centres, for `users` ≥ 1:
///
/// X_low = N/(D+Z+(N−1)·D_max/(1+Z/(N·D))),
/// X_up  = min(1/D_max, N/(D+Z+(N−1)·D_avg/(1+Z/D))),
/// R_low = max(N·D_max−Z, D+(N−1)·D_avg/(1+Z/D)),
/// R_up  = D+(N−1)·D_max/(1+Z/(N·D)).
///
/// The response bounds are the throughput bounds read through R = N/X − Z,
/// so both pairs always agree with each other.
pub fn balanced(net: &Network, users: f64) -> Balanced {
    let d = net.queueing_demand_s();
    let delay = net.delay_demand_s();
    let z = net.think_s + delay;
    let dmax = net.max_demand_s();
    let davg = d / net.queueing_count() as f64;
    let n = users;
    let r_up = d + (n - 1.0) * dmax / (1.0 + z / (n * d));
    let r_low = (n * dmax - z).max(d + (n - 1.0) * davg / (1.0 + z / d));
    Balanced {
        throughput_lower_per_s: n / (r_up + z),
        throughput_upper_per_s: (n / (r_low + z)).min(1.0 / dmax),
        // Responses as seen by the user include the delay centres.
        response_lower_s: r_low + delay,
        response_upper_s: r_up + delay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdq_closed1_n_star_and_x_max() {
        // PDQ closed1.out: N* 477.1905, X_max 1.5873 for Z 300, D 0.63.
        let net = Network::from_demands(&[0.63], 300.0).unwrap();
        assert!((n_star(&net) - 477.1905).abs() < 1e-4);
        assert!((max_throughput_per_s(&net) - 1.5873).abs() < 1e-4);
    }

    #[test]
    fn menasce_example_3_9_bottleneck() {
        // Menascé et al. Example 3.9: 1/0.142 = 7.04 per second.
        let net = Network::from_demands(&[0.092, 0.079, 0.108, 0.142], 0.0).unwrap();
        assert_eq!(net.bottleneck(), 3);
        assert!((max_throughput_per_s(&net) - 7.04).abs() < 0.005);
    }

    #[test]
    fn jain_34_bounds_bracket_the_table() {
        // Jain Table 34.1 (D = 2, 3, 1; Z = 4): X(2) = 0.175, X(20) = 0.333.
        let net = Network::from_demands(&[2.0, 3.0, 1.0], 4.0).unwrap();
        assert!((n_star(&net) - 10.0 / 3.0).abs() < 1e-12);
        let a = asymptotic(&net, 2.0);
        assert!(a.throughput_upper_per_s >= 0.175 && a.response_lower_s <= 7.4);
        let b = balanced(&net, 2.0);
        assert!(b.throughput_lower_per_s <= 0.175 && 0.175 <= b.throughput_upper_per_s);
        assert!(b.response_lower_s <= 7.4 && 7.4 <= b.response_upper_s);
        let b = balanced(&net, 20.0);
        assert!(b.throughput_lower_per_s <= 0.333 && 0.333 <= b.throughput_upper_per_s);
        assert!(b.response_lower_s <= 56.016 && 56.016 <= b.response_upper_s);
    }
}
