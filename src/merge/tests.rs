use super::*;
use crate::export::hlog;
use crate::results::aggregate::{Aggregate, IntervalHist};
use crate::results::sample::{Kind, Sample};
use hdrhistogram::Histogram;
use rand::RngExt;
use std::collections::BTreeMap;
use std::path::Path;

/// Steps of `users` users over 60 s, log-normal-ish latencies over four
/// decades, a few failed.
fn samples(users: u32, seed: u64) -> Vec<Sample> {
    let mut rng: rand::rngs::Xoshiro256PlusPlus = rand::SeedableRng::seed_from_u64(seed);
    let mut v = Vec::new();
    for i in 0..20_000u64 {
        let user = rng.random_range(0..users);
        let t = rng.random_range(0.0..60.0);
        let mut s = Sample::event(Kind::Step, t, "g", user);
        s.name = ["home", "search", "cart page"][(i % 3) as usize].into();
        s.latency = 10f64.powf(rng.random_range(-4.0..0.5));
        s.latency_sched = s.latency;
        s.ok = i % 23 != 0;
        v.push(s);
    }
    v
}

fn interval_hists(agg: &Aggregate) -> BTreeMap<String, Vec<IntervalHist>> {
    agg.timers
        .iter()
        .map(|(k, t)| {
            (
                k.clone(),
                t.slots.iter().map(|s| s.latency.clone()).collect(),
            )
        })
        .collect()
}

#[test]
fn n_shards_histograms_add_up_to_the_histogram_of_all_samples_bucket_for_bucket() {
    let all = samples(24, 11);
    let mut whole = Aggregate::new(5.0, (0.0, 60.0), &["g"], &[]);
    for s in &all {
        whole.add(s);
    }
    for n in 1..=8u32 {
        let mut total: BTreeMap<String, Histogram<u64>> = BTreeMap::new();
        for k in 0..n {
            let mut shard = Aggregate::new(5.0, (0.0, 60.0), &["g"], &[]);
            for s in all.iter().filter(|s| s.user % n == k) {
                shard.add(s);
            }
            let mut log = Vec::new();
            hlog::write_log(
                &mut log,
                1_000_000 * k as u64,
                5.0,
                &[],
                &interval_hists(&shard),
            )
            .unwrap();
            for (name, h) in hlog::sums(&log, |_| Ok(())).unwrap() {
                match total.get_mut(&name) {
                    Some(t) => t.add(&h).unwrap(),
                    None => {
                        total.insert(name, h);
                    }
                }
            }
        }
        assert_eq!(total.len(), whole.timers.len());
        for (name, t) in &whole.timers {
            let mut expect: IntervalHist = Histogram::new(2).unwrap();
            for slot in &t.slots {
                expect.add(&slot.latency).unwrap();
            }
            let got = &total[name];
            assert_eq!(got.len(), expect.len(), "{n} shards, {name}");
            // Every recorded value's count, bucket for bucket.
            assert_eq!(
                hlog::buckets(got),
                hlog::buckets(&expect),
                "{n} shards, {name}"
            );
            for s in all.iter().filter(|s| *s.name == **name && s.ok) {
                let v = (s.latency * 1e6).round() as u64;
                assert_eq!(got.count_at(v), u64::from(expect.count_at(v)));
            }
        }
    }
}

fn shard(index: u32, count: u32, t0: u64, first_start: u64, status: &str) -> Shard {
    let meta: RunMeta = serde_json::from_value(serde_json::json!({
        "plan_file": "plan.toml", "seed": 7, "started_at": "", "finished_at": "",
        "started_epoch_ms": t0 / 1000, "run_time_s": 60.0, "duration_s": 60.0,
        "ramp_up_s": 10.0, "ts_interval_s": 5.0, "late_policy": [], "partial": false,
        "partial_reason": null,
    }))
    .unwrap();
    Shard {
        dir: PathBuf::from(format!("shard-{index}")),
        meta,
        info: ShardMeta {
            index,
            count,
            plan_hash: plan_hash("plan"),
            start_at: None,
            t0_epoch_us: t0,
            ready_epoch_us: t0.saturating_sub(2_000_000),
            first_start_epoch_us: first_start,
            status: status.into(),
            host: format!("host{index}"),
        },
        plan_text: "plan".into(),
        has_samples: true,
    }
}

#[test]
fn the_plan_hash_is_sha256_hex() {
    assert_eq!(
        plan_hash("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn a_duplicate_index_another_count_or_seed_is_refused_naming_the_folders() {
    let e = check(vec![shard(0, 2, 1, 1, "ok"), shard(0, 2, 1, 1, "ok")]).unwrap_err();
    assert!(e.contains("both shard 0") && e.contains("twice"), "{e}");
    let e = check(vec![shard(0, 2, 1, 1, "ok"), shard(1, 3, 1, 1, "ok")]).unwrap_err();
    assert!(e.contains("shard-1") && e.contains("of 3"), "{e}");
    let mut other = shard(1, 2, 1, 1, "ok");
    other.meta.seed = 8;
    let e = check(vec![shard(0, 2, 1, 1, "ok"), other]).unwrap_err();
    assert!(e.contains("seed 8"), "{e}");
    let mut other = shard(1, 2, 1, 1, "ok");
    other.info.plan_hash = plan_hash("another plan");
    let e = check(vec![shard(0, 2, 1, 1, "ok"), other]).unwrap_err();
    assert!(e.contains("another plan"), "{e}");
}

#[test]
fn missing_late_and_skewed_shards_are_reasons_for_incomplete() {
    let s0 = 1_000_000_000_000u64;
    let set = check(vec![
        shard(2, 4, s0 + 300_000, s0 + 2_500_000, "ok"),
        shard(0, 4, s0, s0 + 10_000, "ok"),
        shard(3, 4, s0, s0, "late"),
    ])
    .unwrap();
    assert_eq!(set.missing, vec![1]);
    assert_eq!(
        set.shards.iter().map(|s| s.info.index).collect::<Vec<_>>(),
        vec![0, 2, 3]
    );
    let c = clock(&set.shards);
    assert_eq!(c.t0_us, s0);
    assert_eq!(c.shifts, vec![0.0, 0.3, 0.0]);
    // The late shard never started: its start is not in the skew.
    assert!((c.skew_s - 2.49).abs() < 1e-9, "{}", c.skew_s);
    let why = incomplete_reasons(&set, &c, 1.0);
    assert_eq!(why.len(), 3, "{why:?}");
    assert!(why[0].contains("shard 1 of 4 missing"), "{why:?}");
    assert!(why[1].contains("shard 3 (host3) was late"), "{why:?}");
    assert!(why[2].contains("2.49 s apart"), "{why:?}");
    assert_eq!(incomplete_reasons(&set, &c, 3.0).len(), 2);
}

#[test]
fn the_window_is_the_one_every_shard_covered() {
    let s0 = 1_000_000_000_000u64;
    let mut late_end = shard(1, 3, s0 + 500_000, s0 + 500_000, "interrupted");
    late_end.meta.partial = true;
    late_end.meta.run_time_s = 40.0;
    let shards = vec![
        shard(0, 3, s0, s0, "ok"),
        late_end,
        shard(2, 3, s0 + 200_000, s0 + 200_000, "ok"),
    ];
    let c = clock(&shards);
    assert_eq!(window(10.0, 60.0, &shards, &c.shifts), (10.5, 40.5));
    // Whole shards: ramp-up's end on the latest to the earliest end.
    let whole = vec![shards[0].clone(), shards[2].clone()];
    let c = clock(&whole);
    assert_eq!(window(10.0, 60.0, &whole, &c.shifts), (10.2, 60.0));
}

#[test]
fn a_common_start_at_is_the_merged_origin() {
    let s0 = 1_764_547_200_000_000u64; // 2025-12-01T00:00:00Z
    let mut a = shard(0, 2, s0, s0 + 1000, "ok");
    let mut b = shard(1, 2, s0, s0 + 3000, "ok");
    a.info.start_at = Some("2025-12-01T00:00:00Z".into());
    b.info.start_at = Some("2025-12-01T00:00:00Z".into());
    let c = clock(&[a, b]);
    assert_eq!(c.t0_us, s0);
    assert_eq!(c.shifts, vec![0.0, 0.0]);
    assert!((c.skew_s - 0.002).abs() < 1e-12);
}

const PLAN: &str = r#"
[run]
duration = "10s"
ramp_up = "2s"
ts_interval = "1s"
grace = "2s"

[[group]]
name = "g"
users = 4

[group.pacing]
mode = "fixed"
interval = "1s"

[[group.step]]
name = "home"
url = "http://127.0.0.1:9/"
"#;

/// Shard `k` of 2 in `dir`: its users' rows of `all`, its histograms.hlog
/// written from them, its clock origin `t0` µs.
fn shard_dir(dir: &Path, k: u32, all: &[Sample], t0: u64) -> Shard {
    use crate::results::sample::SampleWriter;
    std::fs::create_dir_all(dir).unwrap();
    let mut w = SampleWriter::new(std::fs::File::create(dir.join("samples.csv")).unwrap());
    let mut agg = Aggregate::new(1.0, (2.0, 10.0), &["g"], &[]);
    for s in all.iter().filter(|s| s.user % 2 == k) {
        w.write(s).unwrap();
        agg.add(s);
    }
    w.flush().unwrap();
    let mut log = std::fs::File::create(dir.join(hlog::FILE)).unwrap();
    hlog::write_log(&mut log, t0, 1.0, &[], &interval_hists(&agg)).unwrap();
    let mut s = shard(k, 2, t0, t0, "ok");
    s.dir = dir.to_path_buf();
    s
}

#[test]
fn folding_moves_each_shard_onto_the_merged_clock_and_checks_its_histograms() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = crate::plan::file::PlanFile::parse(PLAN, "plan.toml").unwrap();
    let mut all = Vec::new();
    for user in 0..4u32 {
        all.push(Sample::event(Kind::UserStart, 0.1 * user as f64, "g", user));
        for i in 0..9u64 {
            let mut s = Sample::event(Kind::Step, 0.1 * user as f64 + i as f64, "g", user);
            s.name = "home".into();
            s.latency = 0.001 * (1 + i + user as u64) as f64;
            s.latency_sched = s.latency;
            all.push(s);
        }
    }
    // In time order, as a run writes them.
    all.sort_by(|a, b| a.t.total_cmp(&b.t));
    let s0 = 1_000_000_000_000u64;
    let shards = vec![
        shard_dir(&tmp.path().join("a"), 0, &all, s0),
        shard_dir(&tmp.path().join("b"), 1, &all, s0 + 500_000),
    ];
    let c = clock(&shards);
    assert_eq!(c.shifts, vec![0.0, 0.5]);
    let w = window(2.0, 10.0, &shards, &c.shifts);
    assert_eq!(w, (2.5, 10.0));
    let out = tmp.path().join("merged.csv");
    let f = fold::fold(&plan, &shards, &c.shifts, w, &out).unwrap();
    assert_eq!(f.tallies[0].transactions, 18);
    assert_eq!(f.tallies[1].users, 2);
    assert_eq!(f.agg.transactions, 36);
    // Shard 1's rows moved by 0.5 s, in send-time order with shard 0's.
    let rows: Vec<Sample> = crate::results::sample::open_samples(&out)
        .unwrap()
        .rows
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(rows.len(), all.len());
    assert!(rows.windows(2).all(|p| p[0].t <= p[1].t));
    let moved = rows
        .iter()
        .find(|r| r.user == 1 && r.kind == Kind::UserStart)
        .unwrap();
    assert!((moved.t - 0.6).abs() < 1e-12, "{}", moved.t);
    // Shard 0's histograms.hlog in shard 1's folder: refused, naming it.
    std::fs::copy(
        tmp.path().join("a").join(hlog::FILE),
        tmp.path().join("b").join(hlog::FILE),
    )
    .unwrap();
    let e = fold::fold(&plan, &shards, &c.shifts, w, &out)
        .err()
        .unwrap();
    assert!(e.contains("/b") && e.contains("edited or torn"), "{e}");
}
