//! Invariants of the planner for every distribution, and the plan file's
//! round trip, over generated inputs.

use pace::plan::file::PlanFile;
use pace::plan::write::{RateUnit, render};
use pace::plan::{DistKind, PlanInput, solve};
use pace::units::{RampUp, format_duration, parse_duration};
use proptest::prelude::*;

fn dist() -> impl Strategy<Value = DistKind> {
    prop_oneof![
        Just(DistKind::Fixed),
        Just(DistKind::Uniform),
        Just(DistKind::Beta),
        Just(DistKind::Exponential),
    ]
}

/// A feasible plan: enough users for the mean and for a peak `peak` times
/// the target, and a slowest rate `slow` times the target.
fn input() -> impl Strategy<Value = PlanInput> {
    (
        0.01f64..500.0, // target TPS
        0.001f64..5.0,  // rt
        1u32..5,        // tx per iteration
        1.0f64..4.0,    // users headroom factor over the minimum
        1.05f64..3.0,   // peak / target
        0.1f64..0.95,   // slowest / target
        dist(),
        0u32..3, // ramp-up as a fraction of the duration, in thirds
    )
        .prop_map(|(tps, rt, tpi, head, peak, slow, dist, ramp)| {
            let b = tpi as f64 * rt;
            // Users that reach the peak with room to spare.
            let users = ((tps * peak * b / tpi as f64) * head).ceil().max(1.0) as u64;
            PlanInput {
                rate: Some((tps, "--tps")),
                rt,
                users: Some(users),
                tx_per_iter: tpi,
                tpm_max: Some(tps * peak * 60.0),
                tpm_min: Some(tps * slow * 60.0),
                dist: Some(dist),
                duration: 3600.0,
                ramp_up: RampUp::Total(ramp as f64 * 1000.0),
                ..Default::default()
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn mean_pacing_gives_the_target_rate(inp in input()) {
        let s = solve(&inp).unwrap();
        let target_tpm = inp.rate.unwrap().0 * 60.0;
        let tpm = s.users as f64 * inp.tx_per_iter as f64 * 60.0 / s.pacing.mean();
        prop_assert!((tpm - target_tpm).abs() <= 1e-9 * target_tpm, "{tpm} vs {target_tpm}");
        prop_assert!((s.tpm() - target_tpm).abs() <= 1e-9 * target_tpm);
    }

    #[test]
    fn bounds_hold(inp in input()) {
        let s = solve(&inp).unwrap();
        let p = s.pacing;
        prop_assert!(p.min() <= p.mean() * (1.0 + 1e-12) && p.mean() <= p.max() * (1.0 + 1e-12), "{p:?}");
        prop_assert!(s.rt_headroom * inp.tx_per_iter as f64 >= s.baseline * (1.0 - 1e-9));
        prop_assert!(s.rt_headroom >= inp.rt * (1.0 - 1e-9));
        prop_assert!(s.think >= -1e-9 * s.pacing.mean());
        prop_assert!(s.tpm_instant_min <= s.tpm() * (1.0 + 1e-9));
        prop_assert!(s.tpm_instant_max >= s.tpm() * (1.0 - 1e-9));
        prop_assert!(s.whole_tps <= s.tps * (1.0 + 1e-9));
        prop_assert!(s.min_users <= s.users);
        let b = s.band;
        prop_assert!(b.count_low <= b.expected && b.expected <= b.count_high);
        prop_assert!(b.tpm_low <= s.tpm() * (1.0 + 1e-9) && s.tpm() <= b.tpm_high * (1.0 + 1e-9));
    }

    #[test]
    fn written_plans_load_back_with_the_same_numbers(inp in input()) {
        let s = solve(&inp).unwrap();
        let text = render(&s, RateUnit::Tpm, "pace plan (proptest)");
        let plan = PlanFile::parse(&text, "plan.toml").map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(plan.groups[0].users, s.users);
        let back = plan.groups[0].pacing.distribution().unwrap();
        prop_assert_eq!(back.kind(), s.pacing.kind());
        prop_assert!((back.mean() - s.pacing.mean()).abs() <= 1e-9 * s.pacing.mean());
        prop_assert!((plan.planned_tps().unwrap() - s.tps).abs() <= 1e-6 * s.tps);
        let band = plan.band().unwrap();
        prop_assert!((band.expected - s.band.expected).abs() <= 1e-6 * s.band.expected.max(1.0));
        prop_assert!((band.sd - s.band.sd).abs() <= 1e-6 * s.band.sd.max(1.0));
    }

    #[test]
    fn durations_round_trip(secs in 0.0f64..=pace::units::MAX_DURATION_S) {
        prop_assert_eq!(parse_duration(&format_duration(secs)).unwrap(), secs);
    }

    /// Beyond the 30-day limit every duration is refused, never a value
    /// that would overflow a clock.
    #[test]
    fn durations_beyond_the_limit_are_refused(
        secs in pace::units::MAX_DURATION_S * (1.0 + 1e-9)..1e300
    ) {
        let e = parse_duration(&format_duration(secs)).unwrap_err();
        prop_assert!(e.contains("too large: at most 30 days"), "{}", e);
    }
}
