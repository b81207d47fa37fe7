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
}
