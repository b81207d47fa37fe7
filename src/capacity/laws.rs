//! Operational laws: identities that hold for any measured interval in
//! which arrivals equal completions (Denning & Buzen, "The Operational
//! Analysis of Queueing Network Models", ACM Computing Surveys 10(3), 1978;
//! Jain 1991 ch. 33; Lazowska et al., QSP 1984 ch. 3). They need no
//! distribution assumptions, which is why a run that breaks them was not in
//! steady state or mixed units.

use serde::Serialize;

/// Little's law N = X·R (Jain §33.2): mean number in the box from its
/// throughput (per second) and mean time in it (seconds).
pub fn little_n(throughput_per_s: f64, residence_s: f64) -> f64 {
    throughput_per_s * residence_s
}

/// Utilisation law U_k = X·D_k (Jain §33.1; QSP §3.2): the busy fraction of
/// a centre from the system throughput (per second) and the centre's
/// service demand (seconds). Above 1 means the demand cannot be right.
pub fn utilization(throughput_per_s: f64, demand_s: f64) -> f64 {
    throughput_per_s * demand_s
}

/// Why a demand could not be derived from a measurement.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LawError {
    #[error("utilisation {0} must be in [0, 1)")]
    Utilization(f64),
    #[error("throughput {0} must be finite and > 0 per second")]
    Throughput(f64),
}

/// Service-demand law D_k = U_k / X (QSP §3.2; Menascé et al., *Performance
/// by Design* ch. 3): a centre's demand in seconds from its measured
/// utilisation (a fraction) and the system throughput (per second).
///
/// # Errors
/// [`LawError`] when U is not in [0, 1) (a saturated centre tells nothing
/// about its demand) or X is not finite and > 0.
pub fn demand_from_utilization(utilization: f64, throughput_per_s: f64) -> Result<f64, LawError> {
    if !(0.0..1.0).contains(&utilization) {
        return Err(LawError::Utilization(utilization));
    }
    if !throughput_per_s.is_finite() || throughput_per_s <= 0.0 {
        return Err(LawError::Throughput(throughput_per_s));
    }
    Ok(utilization / throughput_per_s)
}

/// Forced-flow law X_k = V_k·X (Jain §33.3): a centre's throughput (per
/// second) from its visits per job and the system throughput (per second).
pub fn forced_flow(visits: f64, throughput_per_s: f64) -> f64 {
    visits * throughput_per_s
}

/// Interactive response-time law R = N/X − Z (Jain §33.4): the mean
/// response time in seconds of N users with think time Z (seconds) at
/// throughput X (per second).
pub fn interactive_response_s(users: f64, throughput_per_s: f64, think_s: f64) -> f64 {
    users / throughput_per_s - think_s
}

/// How a measured (N, X, R, Z) agrees with N = X·(R + Z).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Audit {
    /// The users the law predicts: X·(R + Z).
    pub predicted_users: f64,
    /// The users measured (or configured).
    pub users: f64,
    /// (predicted − N)/N: 0 when the law holds; a later verdict check flags
    /// |deviation| above its tolerance as "not steady state / unit mismatch".
    pub relative_deviation: f64,
}

/// Audits a run against the interactive response-time law (Jain §33.4):
/// users N, throughput X (per second), mean response R and think Z (seconds).
/// Returns `None` when N <= 0 or any input is not finite (nothing to audit).
///
/// Jain Example 35.5: X = 0.264, R = 6.694, Z = 4.68 gives 3.00 for N = 3.
pub fn audit_interactive(
    users: f64,
    throughput_per_s: f64,
    response_s: f64,
    think_s: f64,
) -> Option<Audit> {
    if !(users.is_finite()
        && throughput_per_s.is_finite()
        && response_s.is_finite()
        && think_s.is_finite())
        || users <= 0.0
    {
        return None;
    }
    let predicted = throughput_per_s * (response_s + think_s);
    Some(Audit {
        predicted_users: predicted,
        users,
        relative_deviation: (predicted - users) / users,
    })
}

/// How far a measured run may stray from an operational law before the
/// verdict warns "not steady state or units mixed": 10 % of the measured
/// side. The laws are identities over an interval in which arrivals equal
/// completions, so an honest run misses them only by what straddles the
/// interval's edges (see [`boundary_allowance`], added on top); a mixed
/// unit misses by a factor (60 for minutes and seconds, 1000 for ms), a
/// run still ramping or collapsing by the share of the window it spent so.
pub const LAW_TOLERANCE: f64 = 0.10;

/// How far utilisations measured outside pace may stray from X·D (20 %):
/// another tool samples them over its own interval (a CPU's one-minute
/// average is not pace's window), so they are rougher than pace's own
/// counts; a mixed unit is still a factor of 60 or 1000 away.
pub const UTILIZATION_TOLERANCE: f64 = 0.20;

/// The share of a law's measured side that the window's edges alone can
/// explain: each user (or worker) has at most one cycle of length
/// `cycle_s` (R + Z, seconds) cut by each edge of a `window_s`-second
/// window, and counting completions keeps or drops it whole, so the
/// count is off by less than one cycle per user: cycle_s / window_s.
/// Returns infinity for an empty window (nothing can be judged).
pub fn boundary_allowance(cycle_s: f64, window_s: f64) -> f64 {
    if window_s > 0.0 && cycle_s.is_finite() && cycle_s >= 0.0 {
        cycle_s / window_s
    } else {
        f64::INFINITY
    }
}

/// Audits Little's law L = λ·W (Jain §33.2) for an open system: mean
/// number in the box `in_system` (L), throughput `throughput_per_s` (λ,
/// per second) and mean time in the box `residence_s` (W, seconds). The
/// interactive law with no think time, so [`Audit::users`] is L.
pub fn audit_little(in_system: f64, throughput_per_s: f64, residence_s: f64) -> Option<Audit> {
    audit_interactive(in_system, throughput_per_s, residence_s, 0.0)
}

/// How a measured utilisation agrees with the utilisation law U = X·D.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UtilizationAudit {
    /// X·D, a fraction (1 = always busy).
    pub predicted: f64,
    /// The utilisation measured, a fraction.
    pub measured: f64,
    /// (predicted − measured)/measured.
    pub relative_deviation: f64,
}

/// Audits the utilisation law U_k = X·D_k (Jain §33.1; QSP §3.2): a
/// centre's measured busy fraction `utilization` against the system
/// throughput `throughput_per_s` (per second) times its service demand
/// `demand_s` (seconds per job). `None` when U <= 0 or an input is not
/// finite. PDQ closed1: X 0.3325/s × D 0.63 s = 20.95 %, its U.
pub fn audit_utilization(
    utilization: f64,
    throughput_per_s: f64,
    demand_s: f64,
) -> Option<UtilizationAudit> {
    if !(utilization.is_finite() && throughput_per_s.is_finite() && demand_s.is_finite())
        || utilization <= 0.0
    {
        return None;
    }
    let predicted = throughput_per_s * demand_s;
    Some(UtilizationAudit {
        predicted,
        measured: utilization,
        relative_deviation: (predicted - utilization) / utilization,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jain_example_35_5_little_check() {
        // Jain Example 35.5: 0.264·(6.694 + 4.68) = 3.00 users.
        let a = audit_interactive(3.0, 0.264, 6.694, 4.68).unwrap();
        assert!((a.predicted_users - 3.0).abs() < 0.005, "{a:?}");
        assert!(a.relative_deviation.abs() < 0.002);
    }

    #[test]
    fn pdq_closed1_obeys_the_response_time_law() {
        // PDQ closed1.out: N 100, Z 300, X 0.3325, R 0.7943 -> 100.0.
        let a = audit_interactive(100.0, 0.3325, 0.7943, 300.0).unwrap();
        assert!((a.predicted_users - 100.0).abs() < 0.05, "{a:?}");
        assert!((interactive_response_s(100.0, 0.3325, 300.0) - 0.7519).abs() < 1e-3);
    }

    #[test]
    fn demand_and_utilisation_round_trip() {
        // PDQ closed1: U = X·D = 0.3325·0.63 = 20.9445 %, published 20.9445 %.
        assert!((utilization(0.332_452, 0.63) - 0.209_445).abs() < 1e-5);
        let d = demand_from_utilization(0.209_445, 0.332_452).unwrap();
        assert!((d - 0.63).abs() < 1e-4);
        assert!(demand_from_utilization(1.0, 1.0).is_err());
        assert!(demand_from_utilization(-0.1, 1.0).is_err());
        assert!(demand_from_utilization(0.5, 0.0).is_err());
        assert_eq!(forced_flow(16.0, 0.1), 1.6);
        assert_eq!(little_n(2.0, 3.0), 6.0);
        assert!(audit_interactive(0.0, 1.0, 1.0, 1.0).is_none());
        assert!(audit_interactive(1.0, f64::NAN, 1.0, 1.0).is_none());
    }

    #[test]
    fn little_and_utilisation_audits_on_published_numbers() {
        // PDQ closed1: the one centre holds Q = X·R = 0.3325·0.7943 = 0.2641.
        let a = audit_little(0.2641, 0.3325, 0.7943).unwrap();
        assert!(a.relative_deviation.abs() < 1e-3, "{a:?}");
        // PDQ closed1: U = X·D = 0.3325·0.63 = 20.9445 % (published).
        let u = audit_utilization(0.209_445, 0.332_452, 0.63).unwrap();
        assert!(u.relative_deviation.abs() < 1e-5, "{u:?}");
        // The same demand written in ms (630) mixes units: off by 1000.
        let mixed = audit_utilization(0.209_445, 0.332_452, 630.0).unwrap();
        assert!((mixed.relative_deviation - 999.0).abs() < 0.01, "{mixed:?}");
        // Menascé et al. Example 3.9: at the bottleneck bound X = 1/0.142
        // = 7.04 tps the bottleneck (D 0.142 s) is 100 % busy and the
        // disk with D 0.092 s is 0.092/0.142 = 64.8 % busy.
        let x_max: f64 = 1.0 / 0.142;
        assert!((x_max - 7.04).abs() < 0.005);
        assert!((utilization(x_max, 0.142) - 1.0).abs() < 1e-12);
        assert!((utilization(x_max, 0.092) - 0.6479).abs() < 1e-4);
        assert!(audit_utilization(0.0, 1.0, 1.0).is_none());
        assert!(audit_utilization(0.5, f64::INFINITY, 1.0).is_none());
    }

    #[test]
    fn the_edges_allow_one_cycle_per_user() {
        // 500 ms cycles in a 7 s window: at most 1/14 = 7.1 % off.
        assert!((boundary_allowance(0.5, 7.0) - 0.5 / 7.0).abs() < 1e-12);
        assert_eq!(boundary_allowance(0.5, 0.0), f64::INFINITY);
        assert_eq!(boundary_allowance(f64::NAN, 7.0), f64::INFINITY);
    }
}
