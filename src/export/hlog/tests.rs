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
            return Ok(());
        };
        let h = &timers[&name][slot];
        assert_eq!(i.duration_s, 1.0);
        assert_eq!(i.hist.len(), h.len(), "{name} slot {slot}");
        assert_eq!(buckets(&i.hist), buckets(h), "{name} slot {slot}");
        seen += 1;
        Ok(())
    })
    .unwrap();
    let nonempty: usize = timers
        .values()
        .map(|v| v.iter().filter(|h| !h.is_empty()).count())
        .sum();
    assert_eq!(seen, nonempty);
    assert_eq!(untagged, agg.all_transactions().count);
    let sums = sums(&buf, |_| Ok(())).unwrap();
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
    let e = sums(cut, |_| Ok(())).unwrap_err();
    // Two comments and StartTime come first; the histogram's line is cut.
    assert_eq!(e, "line 4: not an interval log line");
}

/// A log of one timer ("home", one sample of 100 ms) whose histogram line
/// (the last) has its base64 replaced by that of `raw`.
fn log_with(raw: &[u8]) -> (Vec<u8>, usize) {
    use base64::Engine as _;
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
    let text = String::from_utf8(buf).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (head, _) = lines.last().unwrap().rsplit_once(',').unwrap();
    let mut out = lines[..lines.len() - 1].join("\n");
    out.push_str(&format!(
        "\n{head},{}\n",
        base64::engine::general_purpose::STANDARD.encode(raw)
    ));
    (out.into_bytes(), lines.len())
}

fn v2_deflate(h: &Histogram<u64>) -> Vec<u8> {
    let mut raw = Vec::new();
    hdrhistogram::serialization::Serializer::serialize(
        &mut V2DeflateSerializer::new(),
        h,
        &mut raw,
    )
    .unwrap();
    raw
}

/// zlib of `v2` (HdrHistogram's V2-deflate: cookie, length, zlib).
fn deflate(v2: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(v2).unwrap();
    let z = z.finish().unwrap();
    let mut raw = 0x1c84_9314u32.to_be_bytes().to_vec();
    raw.extend((z.len() as u32).to_be_bytes());
    raw.extend(z);
    raw
}

#[test]
fn the_counts_of_pace_s_precision_are_bounded_whatever_the_highest_value() {
    for high in [2, 1 << 20, 1 << 40, u64::MAX / 2, u64::MAX] {
        let h = Histogram::<u64>::new_with_bounds(decode::LOWEST, high, decode::SIGFIG).unwrap();
        assert!(h.distinct_values() <= decode::MAX_COUNTS, "{high}");
    }
    let widest = Histogram::<u64>::new_with_bounds(1, u64::MAX, 2).unwrap();
    assert_eq!(widest.distinct_values(), decode::MAX_COUNTS);
    // What pace writes (Histogram::new(2), grown by a huge value) reads back.
    let mut h: Histogram<u64> = Histogram::new(2).unwrap();
    h.record(u64::MAX / 4).unwrap();
    h.record(100_000).unwrap();
    let (log, _) = log_with(&v2_deflate(&h));
    let s = sums(&log, |_| Ok(())).unwrap();
    assert_eq!(buckets(&s["home"]), buckets(&h));
}

#[test]
fn a_histogram_of_another_precision_is_refused_naming_its_line() {
    // The fuzz case (HlogHistogramAmplification): 5 significant digits over
    // 1..2^63 is a counts array of ~48 MiB for a line of ~100 bytes.
    for (low, high, sig) in [
        (1u64, u64::MAX / 2, 5u8),
        (1, 1 << 40, 3),
        (1, u64::MAX / 2, 1),
        (1000, 1 << 20, 2),
        (1, 2, 0),
    ] {
        let mut h = Histogram::<u64>::new_with_bounds(low, high, sig).unwrap();
        h.record(high).unwrap();
        let (log, n) = log_with(&v2_deflate(&h));
        let e = sums(&log, |_| Ok(())).unwrap_err();
        assert!(
            e.starts_with(&format!(
                "line {n}: its histogram has {sig} significant digits from {low} (up to "
            )),
            "{e}"
        );
        assert!(e.contains("pace writes 2 from 1"), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
}

#[test]
fn a_declared_payload_longer_than_the_histogram_or_a_bomb_is_refused() {
    let mut h: Histogram<u64> = Histogram::new(2).unwrap();
    h.record(100_000).unwrap();
    let mut v2 = Vec::new();
    hdrhistogram::serialization::Serializer::serialize(
        &mut hdrhistogram::serialization::V2Serializer::new(),
        &h,
        &mut v2,
    )
    .unwrap();
    // Plain V2 and V2-deflate read back.
    for raw in [v2.clone(), deflate(&v2)] {
        let (log, _) = log_with(&raw);
        assert_eq!(
            buckets(&sums(&log, |_| Ok(())).unwrap()["home"]),
            buckets(&h)
        );
    }
    // A payload of 2^32 - 1 bytes declared: the deserializer would
    // allocate 4 GiB before reading it.
    let mut long = v2.clone();
    long[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
    for raw in [long.clone(), deflate(&long)] {
        let (log, n) = log_with(&raw);
        let e = sums(&log, |_| Ok(())).unwrap_err();
        assert!(
            e.starts_with(&format!(
                "line {n}: its histogram declares a payload of 4294967295 bytes but holds "
            )),
            "{e}"
        );
    }
    // 1 MiB of zeros deflated (~1 KiB) after a valid header: refused once
    // it inflates past what a histogram of 2 significant digits holds.
    let mut bomb = v2[..40].to_vec();
    bomb.extend(std::iter::repeat_n(0u8, 1 << 20));
    let (log, n) = log_with(&deflate(&bomb));
    assert!(log.len() < 4096, "{}", log.len());
    let e = sums(&log, |_| Ok(())).unwrap_err();
    assert!(
        e.starts_with(&format!("line {n}: its histogram inflates to more than ")),
        "{e}"
    );
    // Cut short, another cookie, not zlib.
    for (raw, what) in [
        (&v2[..6], "cut short"),
        (&v2[..30], "cut short"),
        (&[0u8; 48][..], "not HdrHistogram's V2 encoding"),
        (
            &[0x1c, 0x84, 0x93, 0x14, 0, 0, 0, 4, 1, 2, 3, 4][..],
            "does not inflate",
        ),
    ] {
        let (log, n) = log_with(raw);
        let e = sums(&log, |_| Ok(())).unwrap_err();
        assert!(
            e.starts_with(&format!("line {n}: ")) && e.contains(what),
            "{e}"
        );
    }
}

#[test]
fn a_timer_the_caller_does_not_admit_is_refused_before_its_sum() {
    let mut h: Histogram<u64> = Histogram::new(2).unwrap();
    h.record(100_000).unwrap();
    let (log, n) = log_with(&v2_deflate(&h));
    let e = sums(&log, |t| {
        Err(format!("timer '{t}' is not one of the shard's"))
    })
    .unwrap_err();
    assert_eq!(
        e,
        format!("line {n}: timer 'home' is not one of the shard's")
    );
}
