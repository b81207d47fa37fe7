use super::*;
use proptest::prelude::*;

fn owned(seq: &SegmentSequence, seg: usize, upto: u64) -> Vec<u64> {
    (0..upto).filter(|&k| seq.owner(k) == seg).collect()
}

#[test]
fn k6_striping_of_0_half_three_quarters_1() {
    // Reference C1, from k6's own example.
    let seq = SegmentSequence::parse("0,1/2,3/4,1").unwrap();
    assert_eq!(seq.period(), 4);
    assert_eq!(owned(&seq, 0, 12), vec![0, 2, 4, 6, 8, 10]);
    assert_eq!(owned(&seq, 1, 12), vec![1, 5, 9]);
    assert_eq!(owned(&seq, 2, 12), vec![3, 7, 11]);
}

#[test]
fn k6_scale_int64_table() {
    let seq = SegmentSequence::parse("0,1/2,3/4,1").unwrap();
    let table = [
        (1, 0, 0),
        (1, 1, 0),
        (2, 1, 0),
        (2, 1, 1),
        (3, 1, 1),
        (3, 2, 1),
        (4, 2, 1),
        (4, 2, 2),
        (5, 2, 2),
        (5, 3, 2),
        (6, 3, 2),
        (6, 3, 3),
    ];
    for (v, want) in (1..=12).zip(table) {
        let got = (seq.count(0, v), seq.count(1, v), seq.count(2, v));
        assert_eq!(got, want, "v = {v}");
    }
}

#[test]
fn decimal_and_percent_forms_are_the_same_sequence() {
    let a = SegmentSequence::parse("0,1/2,3/4,1").unwrap();
    assert_eq!(SegmentSequence::parse("0, 0.5, 0.75, 1").unwrap(), a);
    assert_eq!(SegmentSequence::parse("0%,50%,75%,100%").unwrap(), a);
}

#[test]
fn bad_sequences_are_one_line_errors() {
    for bad in [
        "",
        "0,1/2",
        "1/2,1",
        "0,3/4,1/2,1",
        "0,x,1",
        "0,1/0,1",
        "0,1/2,1/2,1",
    ] {
        let e = SegmentSequence::parse(bad).unwrap_err();
        assert!(!e.contains('\n'), "{bad}: {e}");
    }
}

#[test]
fn shard_parse_and_errors() {
    assert_eq!(Shard::parse("1/4").unwrap(), Shard { index: 1, count: 4 });
    assert_eq!(Shard::parse("0/1").unwrap(), Shard::WHOLE);
    let e = Shard::parse("4/4").unwrap_err();
    assert!(e.contains("0-based: 0..3"), "{e}");
    assert!(Shard::parse("0/0").unwrap_err().contains("at least 1"));
    assert!(Shard::parse("1").unwrap_err().contains("I/N"));
    assert!(Shard::parse("-1/4").is_err());
    assert!(Shard::parse("a/4").unwrap_err().contains("0-based"));
    // A count no one runs (a hand-edited summary.json's) is refused, so a
    // merge never lists billions of missing shards.
    assert!(Shard::parse("0/100000").is_ok());
    assert!(
        Shard::parse("0/4000000000")
            .unwrap_err()
            .contains("at most 100000")
    );
}

#[test]
fn awkward_counts_split_to_the_total() {
    let parts: Vec<u64> = (0..3).map(|i| Shard::new(i, 3).unwrap().part(7)).collect();
    assert_eq!(parts, vec![3, 2, 2]);
    for n in 1..=8u32 {
        for v in 0..100u64 {
            let sum: u64 = (0..n).map(|i| Shard::new(i, n).unwrap().part(v)).sum();
            assert_eq!(sum, v, "{v} over {n}");
        }
    }
}

proptest! {
    #[test]
    fn counts_sum_to_v_and_never_decrease(
        cuts in proptest::collection::btree_set(1u64..24, 0..6),
        v in 0u64..500,
    ) {
        let bounds = std::iter::once("0".to_string())
            .chain(cuts.iter().map(|c| format!("{c}/24")))
            .chain(std::iter::once("1".to_string()))
            .collect::<Vec<_>>()
            .join(",");
        let seq = SegmentSequence::parse(&bounds).unwrap();
        let sum: u64 = (0..seq.len()).map(|s| seq.count(s, v)).sum();
        prop_assert_eq!(sum, v);
        for s in 0..seq.len() {
            prop_assert!(seq.count(s, v) <= seq.count(s, v + 1));
            // The owner function and the count agree.
            prop_assert_eq!(seq.count(s, v), owned(&seq, s, v).len() as u64);
        }
    }

    #[test]
    fn equal_segments_are_k_mod_n(n in 1u32..=8, k in 0u64..10_000) {
        let seq = SegmentSequence::equal(n);
        let shard = Shard::new(seq.owner(k) as u32, n).unwrap();
        prop_assert_eq!(seq.owner(k) as u64, k % n as u64);
        prop_assert!(shard.owns(k));
        for i in 0..n {
            prop_assert_eq!(Shard::new(i, n).unwrap().part(k), seq.count(i as usize, k));
        }
    }
}

/// The reference's case (F, band additivity): 24 users, uniform pacing
/// 72-168 s (mean 120 s, variance 768 s²), a 1 h window, 99 %.
const UNIFORM_24: &str = r#"
[run]
duration = "1h"
ramp_up = "0s"

[[group]]
name = "g"
users = 24

[group.pacing]
mode = "uniform"
min = "72s"
max = "168s"

[[group.step]]
name = "home"
url = "http://127.0.0.1:1/"

[acceptance]
confidence = 0.99
"#;

fn expected_of(plan: &PlanFile) -> crate::results::judgement::Expected {
    let agg = crate::results::aggregate::Aggregate::for_plan(
        plan,
        (plan.run.ramp_up(), plan.run.duration.0),
    );
    crate::verdict::expect::expected(plan, &agg).unwrap()
}

#[test]
fn four_parts_of_the_24_user_band_add_up() {
    let plan = PlanFile::parse(UNIFORM_24, "t.toml").unwrap();
    let whole = expected_of(&plan);
    assert!((whole.transactions - 720.0).abs() < 1e-9);
    let mut var_sum = 0.0;
    for i in 0..4 {
        let part = part_plan(&plan, Shard::new(i, 4).unwrap());
        assert_eq!(part.groups[0].users, 6);
        let e = expected_of(&part);
        assert!((e.transactions - 180.0).abs() < 1e-9);
        let sd = e.groups[0].sd;
        var_sum += sd * sd;
    }
    let whole_sd = whole.groups[0].sd;
    // Independent users: the parts' variances sum to the whole's.
    assert!((var_sum - whole_sd * whole_sd).abs() < 1e-9, "{var_sum}");
    // The renewal term W sigma^2 / mu^3 of the reference: 1.6 per user,
    // 9.6 per part, 38.4 in all; the band's z sd is 7.98 and 15.96.
    let renewal = 3600.0 * 768.0 / 120f64.powi(3);
    assert!((renewal * 6.0 - 9.6).abs() < 1e-9);
    let z = crate::plan::band::z_two_sided(0.99);
    assert!(((z * (renewal * 24.0).sqrt() * 100.0).round() - 1596.0).abs() < 0.5);
    assert!(((z * (renewal * 6.0).sqrt() * 100.0).round() - 798.0).abs() < 0.5);
    // The project's band adds the renewal constant (1/6 + sigma^4 / 2 mu^4
    // - k3 / 3 mu^3, k3 = 0 for a uniform pacing) to each user's variance.
    let constant = 1.0 / 6.0 + 768.0f64.powi(2) / (2.0 * 120f64.powi(4));
    assert!((whole_sd * whole_sd - 24.0 * (renewal + constant)).abs() < 1e-9);
}

#[test]
fn an_arrival_rate_part_has_a_share_of_the_rate() {
    let text = r#"
[run]
duration = "1m"

[[group]]
name = "open"
users = 7

[group.pacing]
mode = "arrival-rate"
rate = "9/s"

[[group.step]]
name = "home"
url = "http://127.0.0.1:1/"
"#;
    let plan = PlanFile::parse(text, "t.toml").unwrap();
    let parts: Vec<PlanFile> = (0..3)
        .map(|i| part_plan(&plan, Shard::new(i, 3).unwrap()))
        .collect();
    assert_eq!(
        parts.iter().map(|p| p.groups[0].users).collect::<Vec<_>>(),
        vec![3, 2, 2]
    );
    for p in &parts {
        assert_eq!(p.groups[0].pacing.rate.unwrap().0, 3.0);
    }
}
