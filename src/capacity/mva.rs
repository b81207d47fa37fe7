//! Mean Value Analysis of a closed single-class network: exact (Reiser &
//! Lavenberg 1980; QSP ch. 6, Jain Box 34.1) and Schweitzer's approximation
//! (QSP §6.4.2; PDQ's `APPROX`) for populations where the exact recursion
//! over every n ≤ N is too long.
//!
//! Exact MVA, for n = 1..N, queueing centres k, delay centres j:
//!   R_k(n) = D_k·(1 + Q_k(n−1)),  R_j(n) = D_j,
//!   X(n) = n / (Z + Σ R(n)),       Q_k(n) = X(n)·R_k(n).
//! Schweitzer replaces Q_k(N−1) by Q_k(N)·(N−1)/N and iterates to a fixed point.

use super::network::{Kind, Network};
use serde::Serialize;

/// The largest population [`exact`] accepts: its work is O(N·K), and past
/// this the Schweitzer approximation is within a fraction of a per cent.
pub const MAX_EXACT_USERS: u64 = 1_000_000;

/// The model's answer at one population.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Solution {
    /// N, users.
    pub users: u64,
    /// X(N), jobs per second.
    pub throughput_per_s: f64,
    /// R(N) = Σ R_k(N), seconds (think time excluded).
    pub response_s: f64,
    /// Q_k(N), mean jobs at each centre, in the network's order.
    pub queue_lengths: Vec<f64>,
    /// R_k(N), seconds at each centre per job.
    pub residence_s: Vec<f64>,
    /// U_k = X·D_k (utilisation law); for a delay centre this is its mean
    /// number of busy servers.
    pub utilizations: Vec<f64>,
}

fn solution(net: &Network, users: u64, residence_s: Vec<f64>) -> Solution {
    let response_s: f64 = residence_s.iter().sum();
    let x = users as f64 / (net.think_s + response_s);
    Solution {
        users,
        throughput_per_s: x,
        response_s,
        queue_lengths: residence_s.iter().map(|r| x * r).collect(),
        utilizations: net.centres.iter().map(|c| x * c.demand_s).collect(),
        residence_s,
    }
}

/// Exact MVA for every population 1..=`max_users`, calling `each` with the
/// solution at each n (so a sweep costs one recursion, not one per row).
/// `max_users` above [`MAX_EXACT_USERS`] is clamped to it.
pub fn exact_each(net: &Network, max_users: u64, mut each: impl FnMut(&Solution)) {
    let k = net.centres.len();
    let mut q = vec![0.0; k];
    let mut r = vec![0.0; k];
    for n in 1..=max_users.min(MAX_EXACT_USERS) {
        for (i, c) in net.centres.iter().enumerate() {
            r[i] = match c.kind {
                Kind::Queueing => c.demand_s * (1.0 + q[i]),
                Kind::Delay => c.demand_s,
            };
        }
        let s = solution(net, n, r.clone());
        q.copy_from_slice(&s.queue_lengths);
        each(&s);
    }
}

/// Exact MVA at one population (1 ≤ `users` ≤ [`MAX_EXACT_USERS`], else `None`).
///
/// Jain Table 34.1 (D = 2, 3, 1 s; Z = 4 s): N = 2 → R 7.400 s, X 0.175/s;
/// N = 20 → R 56.016 s, X 0.333/s.
pub fn exact(net: &Network, users: u64) -> Option<Solution> {
    if users == 0 || users > MAX_EXACT_USERS {
        return None;
    }
    let mut last = None;
    exact_each(net, users, |s| {
        if s.users == users {
            last = Some(s.clone());
        }
    });
    last
}

/// Schweitzer's answer with how it got there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Approximate {
    pub solution: Solution,
    /// Fixed-point iterations used.
    pub iterations: u32,
    /// False when [`SCHWEITZER_MAX_ITERATIONS`] ran out first (the answer is
    /// then the last iterate; say so rather than hide it).
    pub converged: bool,
}

/// The iteration cap of [`schweitzer`]; it bounds the work per population.
pub const SCHWEITZER_MAX_ITERATIONS: u32 = 10_000;

/// Schweitzer's approximate MVA at `users` ≥ 1 (QSP §6.4.2; Bard-Schweitzer
/// in JMT's JMVA, `Solve(APPROX)` in PDQ): start with the users spread evenly
/// over the queueing centres, then iterate
/// R_k = D_k·(1 + Q_k·(N−1)/N), X = N/(Z + ΣR), Q_k = X·R_k
/// until no Q_k moves by more than 1e-12·N.
///
/// PDQ `Ch3_Closed.out` (N 3, Z 0.1 s, D 0.1 s): X 8.7857/s, R 0.2415 s.
pub fn schweitzer(net: &Network, users: u64) -> Approximate {
    let n = users.max(1) as f64;
    let k_q = net.queueing_count() as f64;
    let mut q: Vec<f64> = net
        .centres
        .iter()
        .map(|c| {
            if c.kind == Kind::Queueing {
                n / k_q
            } else {
                0.0
            }
        })
        .collect();
    let shrink = (n - 1.0) / n;
    let tol = 1e-12 * n;
    let mut r = vec![0.0; q.len()];
    for it in 1..=SCHWEITZER_MAX_ITERATIONS {
        for (i, c) in net.centres.iter().enumerate() {
            r[i] = match c.kind {
                Kind::Queueing => c.demand_s * (1.0 + q[i] * shrink),
                Kind::Delay => c.demand_s,
            };
        }
        let s = solution(net, users.max(1), r.clone());
        let moved = s
            .queue_lengths
            .iter()
            .zip(&q)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        q.copy_from_slice(&s.queue_lengths);
        if moved <= tol {
            return Approximate {
                solution: s,
                iterations: it,
                converged: true,
            };
        }
        if it == SCHWEITZER_MAX_ITERATIONS {
            return Approximate {
                solution: s,
                iterations: it,
                converged: false,
            };
        }
    }
    unreachable!("the loop returns at its last iteration")
}

#[cfg(test)]
mod tests {
    use super::super::bounds;
    use super::super::network::Centre;
    use super::*;
    use proptest::prelude::*;

    fn jain() -> Network {
        // Jain Example 34.2: CPU S 0.125 s × V 16, disk A 0.3 × 10, disk B 0.2 × 5; Z 4 s.
        Network::from_demands(&[0.125 * 16.0, 0.3 * 10.0, 0.2 * 5.0], 4.0).unwrap()
    }

    fn near(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn jain_table_34_1() {
        // Jain Table 34.1: published to three decimals.
        let net = jain();
        let cases = [
            (1, 6.000, 0.100),
            (2, 7.400, 0.175),
            (5, 13.256, 0.290),
            (20, 56.016, 0.333),
        ];
        for (n, r, x) in cases {
            let s = exact(&net, n).unwrap();
            assert!(near(s.response_s, r, 5e-4), "N={n}: R {}", s.response_s);
            assert!(
                near(s.throughput_per_s, x, 5e-4),
                "N={n}: X {}",
                s.throughput_per_s
            );
        }
        let s2 = exact(&net, 2).unwrap();
        for (q, want) in s2.queue_lengths.iter().zip([0.421, 0.684, 0.193]) {
            assert!(near(*q, want, 5e-4), "N=2 Q {q} vs {want}");
        }
        let s20 = exact(&net, 20).unwrap();
        for (q, want) in s20.queue_lengths.iter().zip([1.991, 16.177, 0.500]) {
            assert!(near(*q, want, 5e-4), "N=20 Q {q} vs {want}");
        }
    }

    #[test]
    fn pdq_closed1() {
        // PDQ closed1.out: N 100, Z 300 s, D 0.63 s -> X 0.3325, R 0.7943,
        // U 20.9445 %, Q 0.2641.
        let net = Network::from_demands(&[0.63], 300.0).unwrap();
        let s = exact(&net, 100).unwrap();
        assert!(near(s.throughput_per_s, 0.3325, 5e-5), "{s:?}");
        assert!(near(s.response_s, 0.7943, 5e-5));
        assert!(near(s.utilizations[0] * 100.0, 20.9445, 5e-4));
        assert!(near(s.queue_lengths[0], 0.2641, 5e-5));
    }

    #[test]
    fn pdq_ch3_closed_schweitzer() {
        // PDQ Ch3_Closed.out: APPROX X 8.7857, R 0.2415, U 87.857 %; exact X 9.375, R 0.220.
        let net = Network::from_demands(&[0.1], 0.1).unwrap();
        // PDQ stops its iteration at a loose tolerance, so it prints 8.7857;
        // the fixed point itself solves X·(0.4 − X/150) = 3 (Q = N − X·Z), i.e.
        // X = 75·(0.4 − √0.08) = 8.78680. Agree with PDQ to its last printed
        // digits' tolerance and with the closed form to 1e-9.
        let a = schweitzer(&net, 3);
        assert!(a.converged);
        let closed = 75.0 * (0.4 - 0.08f64.sqrt());
        assert!(near(a.solution.throughput_per_s, closed, 1e-9), "{a:?}");
        assert!(near(a.solution.throughput_per_s, 8.7857, 2e-3));
        assert!(near(a.solution.response_s, 0.2415, 2e-4));
        assert!(near(a.solution.utilizations[0] * 100.0, 87.857, 0.02));
        let e = exact(&net, 3).unwrap();
        assert!(near(e.throughput_per_s, 9.375, 5e-4));
        assert!(near(e.response_s, 0.220, 5e-4));
    }

    #[test]
    fn delay_centre_is_think_time() {
        // A delay centre of 2 s and Z 2 s give the throughput of Z 4 s.
        let mut with_delay = jain();
        with_delay.think_s = 2.0;
        with_delay.centres.push(Centre {
            name: "net".into(),
            demand_s: 2.0,
            kind: Kind::Delay,
        });
        let a = exact(&with_delay, 7).unwrap();
        let b = exact(&jain(), 7).unwrap();
        assert!(near(a.throughput_per_s, b.throughput_per_s, 1e-12));
        assert!(near(a.response_s, b.response_s + 2.0, 1e-12));
    }

    #[test]
    fn out_of_range_populations() {
        assert!(exact(&jain(), 0).is_none());
        assert!(exact(&jain(), MAX_EXACT_USERS + 1).is_none());
    }

    fn networks() -> impl Strategy<Value = Network> {
        (prop::collection::vec(0.001f64..10.0, 1..6), 0.0f64..50.0)
            .prop_map(|(d, z)| Network::from_demands(&d, z).unwrap())
    }

    proptest! {
        #[test]
        fn mva_respects_bounds_and_grows(net in networks(), n_max in 1u64..80) {
            let mut prev_x = 0.0;
            exact_each(&net, n_max, |s| {
                let n = s.users as f64;
                let a = bounds::asymptotic(&net, n);
                let b = bounds::balanced(&net, n);
                let x = s.throughput_per_s;
                let eps = 1e-9 * x.max(1.0);
                assert!(x <= a.throughput_upper_per_s + eps, "X {x} > asymptotic {a:?}");
                assert!(s.response_s >= a.response_lower_s - 1e-9 * s.response_s.max(1.0));
                assert!(b.throughput_lower_per_s - eps <= x && x <= b.throughput_upper_per_s + eps,
                    "N {n}: X {x} outside BJB {b:?}");
                let re = 1e-9 * s.response_s.max(1.0);
                assert!(b.response_lower_s - re <= s.response_s && s.response_s <= b.response_upper_s + re,
                    "N {n}: R {} outside BJB {b:?}", s.response_s);
                assert!(x >= prev_x - eps, "X fell from {prev_x} to {x} at N {n}");
                prev_x = x;
            });
        }

        #[test]
        fn schweitzer_is_close_to_exact(net in networks(), n in 1u64..200) {
            // The tolerance is chosen here, not published: Schweitzer's error
            // is largest near N* and small at both ends; 10 % on throughput
            // catches a broken iteration without being a claim about the method.
            let e = exact(&net, n).unwrap();
            let a = schweitzer(&net, n);
            prop_assert!(a.converged);
            let rel = (a.solution.throughput_per_s - e.throughput_per_s).abs() / e.throughput_per_s;
            prop_assert!(rel < 0.10, "N {}: exact {} vs approx {}", n, e.throughput_per_s, a.solution.throughput_per_s);
            let ab = bounds::asymptotic(&net, n as f64);
            prop_assert!(a.solution.throughput_per_s <= ab.throughput_upper_per_s * (1.0 + 1e-9));
        }
    }
}
