use super::*;
use crate::results::aggregate::Aggregate;
use crate::results::sample::{Kind, Sample};

fn step(t: f64, name: &str, latency: f64, ok: bool) -> Sample {
    let mut s = Sample::event(Kind::Step, t, "g", 0);
    s.name = name.into();
    s.latency = latency;
    s.latency_sched = latency;
    s.ok = ok;
    s
}

#[test]
fn tags_keep_every_name_and_hold_no_forbidden_character() {
    for name in [
        "home",
        "home page",
        "a,b=c",
        "50%",
        "tab\there",
        "line\nbreak",
        "été ü",
    ] {
        let tag = tag_of(name);
        assert!(Tag::new(&tag).is_some(), "{tag:?}");
        assert!(!tag.contains('='), "{tag:?}");
        assert_eq!(name_of_tag(&tag), name);
    }
    assert_eq!(tag_of("home page"), "home%20page");
    // A tag another tool wrote with a stray '%' reads as it is.
    assert_eq!(name_of_tag("100%"), "100%");
}

#[test]
fn the_log_reads_back_to_the_same_counts_per_timer_and_interval() {
    let mut agg = Aggregate::new(1.0, (0.0, 10.0), &["g"], &[]);
    let mut rng: rand::rngs::Xoshiro256PlusPlus = rand::SeedableRng::seed_from_u64(3);
    use rand::RngExt;
    for i in 0..3000 {
        let t = rng.random_range(0.0..5.5);
        let name = ["home", "search page", "a,b=c"][i % 3];
        let latency = rng.random_range(0.0001..2.0);
        agg.add(&step(t, name, latency, i % 17 != 0));
    }
    let timers: BTreeMap<String, Vec<IntervalHist>> = agg
        .timers
        .iter()
        .map(|(k, t)| {
            (
                k.clone(),
                t.slots.iter().map(|s| s.latency.clone()).collect(),
            )
        })
        .collect();
    let origin_us = 1_700_000_000_123_000;
    let mut buf = Vec::new();
    let all: Vec<IntervalHist> = agg.series.iter().map(|b| b.latency.clone()).collect();
    write_log(&mut buf, origin_us, 1.0, &all, &timers).unwrap();
    let text = String::from_utf8(buf.clone()).unwrap();
    assert!(text.contains("#[StartTime: 1700000000.123"), "{text}");
    let mut seen = 0;
    let mut untagged = 0;
    read_log(&buf, |i| {
        let slot = ((i.start_s - origin_us as f64 / 1e6) / 1.0).round() as usize;
        let Some(name) = i.timer.clone() else {
            // All transactions together.
            assert_eq!(buckets(&i.hist), buckets(&all[slot]), "slot {slot}");
            untagged += i.hist.len();
            return;
        };
        let h = &timers[&name][slot];
        assert_eq!(i.duration_s, 1.0);
        assert_eq!(i.hist.len(), h.len(), "{name} slot {slot}");
        assert_eq!(buckets(&i.hist), buckets(h), "{name} slot {slot}");
        seen += 1;
    })
    .unwrap();
    let nonempty: usize = timers
        .values()
        .map(|v| v.iter().filter(|h| !h.is_empty()).count())
        .sum();
    assert_eq!(seen, nonempty);
    assert_eq!(untagged, agg.all_transactions().count);
    let sums = sums(&buf).unwrap();
    for (name, t) in &agg.timers {
        assert_eq!(sums[name].len(), t.latency.len(), "{name}");
    }
}

#[test]
fn a_torn_log_is_an_error_naming_where() {
    let mut agg = Aggregate::new(1.0, (0.0, 10.0), &["g"], &[]);
    agg.add(&step(0.5, "home", 0.1, true));
    let timers: BTreeMap<String, Vec<IntervalHist>> = agg
        .timers
        .iter()
        .map(|(k, t)| {
            (
                k.clone(),
                t.slots.iter().map(|s| s.latency.clone()).collect(),
            )
        })
        .collect();
    let mut buf = Vec::new();
    write_log(&mut buf, 0, 1.0, &[], &timers).unwrap();
    let cut = &buf[..buf.len() - 10];
    assert!(sums(cut).is_err());
}
