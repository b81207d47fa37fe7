//! results.jtl from synthetic samples: the rows JMeter writes for a
//! Transaction Controller, custom timers as rows, the measured columns.

use super::JtlCsv;
use crate::export::Exporter;
use crate::plan::file::PlanFile;
use crate::results::Results;
use crate::results::aggregate::Aggregate;
use crate::results::sample::{ErrorKind, Kind, Sample, SampleWriter};
use crate::results::summary::{RunMeta, Summary};
use crate::verdict::{Ending, judge};

const PLAN: &str = r#"
[run]
duration = "10s"

[[group]]
name = "browse"
users = 1
pacing = { mode = "fixed", interval = "1s" }

[[group.step]]
name = "home"
url = "http://127.0.0.1:1/home"

[[group.step]]
name = "login"
url = "http://127.0.0.1:1/login"

[[group]]
name = "shop"
users = 1
script = "shop.py"
pacing = { mode = "fixed", interval = "1s" }
"#;

fn step(t: f64, it: u64, name: &str, latency: f64) -> Sample {
    let mut s = Sample::event(Kind::Step, t, "browse", 0);
    s.name = name.into();
    s.iteration = it;
    s.latency = latency;
    s.latency_sched = latency;
    s.status = 200;
    s.ttfb = latency / 2.0;
    s.bytes = 100;
    s.sent_bytes = 60;
    s
}

fn iteration(t: f64, group: &str, it: u64, latency: f64, ok: bool) -> Sample {
    let mut s = Sample::event(Kind::Iteration, t, group, 0);
    s.iteration = it;
    s.latency = latency;
    s.latency_sched = latency;
    s.ok = ok;
    s
}

/// Two iterations of `browse` (the first with a failing `login`, the
/// second with a connect), one `run()` of `shop` with a custom timer;
/// results.jtl's rows.
fn rows() -> Vec<csv::StringRecord> {
    let tmp = tempfile::tempdir().unwrap();
    let plan = PlanFile::parse(PLAN, "test.toml").unwrap();
    let mut samples = vec![
        Sample::event(Kind::UserStart, 0.0, "browse", 0),
        Sample::event(Kind::UserStart, 0.0, "shop", 0),
    ];
    let home = step(0.0, 0, "home", 0.1);
    let mut login = step(0.1, 0, "login", 0.2);
    login.ok = false;
    login.status = 500;
    login.error_kind = Some(ErrorKind::Status);
    login.error = "HTTP 500".into();
    samples.extend([home, login, iteration(0.0, "browse", 0, 0.5, false)]);
    let mut home = step(1.0, 1, "home", 0.1);
    home.connect = 0.012;
    let login = step(1.2, 1, "login", 0.2);
    samples.extend([home, login, iteration(1.0, "browse", 1, 0.45, true)]);
    let mut run = Sample::event(Kind::Step, 0.0, "shop", 0);
    run.latency = 0.3;
    run.latency_sched = 0.3;
    let mut timer = Sample::event(Kind::Timer, 0.0, "shop", 0);
    timer.name = "cart".into();
    timer.latency = 0.12;
    // A timer named like a transaction (the script's own).
    let mut clash = Sample::event(Kind::Timer, 0.0, "shop", 0);
    clash.name = "shop".into();
    clash.latency = 0.05;
    samples.extend([run, timer, clash, iteration(0.0, "shop", 0, 0.31, true)]);
    let mut agg = Aggregate::for_plan(&plan, (0.0, 10.0));
    {
        let f = std::fs::File::create(tmp.path().join("samples.csv")).unwrap();
        let mut w = SampleWriter::new(f);
        for s in &samples {
            w.write(s).unwrap();
            agg.add(s);
        }
        w.flush().unwrap();
    }
    let meta = RunMeta {
        plan_file: "test.toml".into(),
        seed: 1,
        started_at: "2026-01-01T00:00:00Z".into(),
        finished_at: "2026-01-01T00:00:10Z".into(),
        started_epoch_ms: 1_000_000,
        run_time_s: 10.0,
        duration_s: 10.0,
        ramp_up_s: 0.0,
        ts_interval_s: 1.0,
        late_policy: vec![],
        partial: false,
        partial_reason: None,
        vars: Default::default(),
        shard: None,
        window_s: None,
        ran_shards: None,
        overrides: None,
        targets: Vec::new(),
        generator: None,
    };
    let (exp, verdict) = judge(&plan, &agg, &Ending::default());
    let summary = Summary::build(meta, &agg, exp, verdict);
    let r = Results::new(tmp.path(), plan, summary, &agg);
    let mut out = Vec::new();
    JtlCsv.write(&r, &mut out).unwrap();
    let mut rdr = csv::Reader::from_reader(&out[..]);
    rdr.records().map(|r| r.unwrap()).collect()
}

fn col(name: &str) -> usize {
    super::HEADER.iter().position(|h| *h == name).unwrap()
}

fn labelled<'a>(rows: &'a [csv::StringRecord], label: &str) -> Vec<&'a csv::StringRecord> {
    rows.iter().filter(|r| &r[col("label")] == label).collect()
}

#[test]
fn a_transaction_with_a_failing_step_fails_with_jmeters_message() {
    let rows = rows();
    let tx = labelled(&rows, "browse");
    assert_eq!(tx.len(), 2, "one row per iteration");
    let failed = tx[0];
    assert_eq!(&failed[col("success")], "false");
    assert_eq!(
        &failed[col("elapsed")],
        "500",
        "the iteration's elapsed time"
    );
    assert_eq!(
        &failed[col("responseMessage")],
        "Number of samples in transaction : 2, number of failing samples : 1"
    );
    assert_eq!(
        &failed[col("responseCode")],
        "500",
        "the first failing step's"
    );
    assert_eq!(&failed[col("URL")], "null", "what marks a transaction row");
    assert_eq!(&failed[col("bytes")], "200");
    assert_eq!(&failed[col("sentBytes")], "120");
    assert_eq!(&failed[col("timeStamp")], "1000000");
    // After its steps, as JMeter writes it.
    let pos = |r: &csv::StringRecord| rows.iter().position(|x| x == r).unwrap();
    let login = labelled(&rows, "login")[0];
    assert!(pos(failed) > pos(login));
    let passed = tx[1];
    assert_eq!(&passed[col("success")], "true");
    assert_eq!(&passed[col("responseCode")], "200");
    assert_eq!(
        &passed[col("responseMessage")],
        "Number of samples in transaction : 2, number of failing samples : 0"
    );
}

#[test]
fn idle_time_is_the_iterations_time_outside_its_steps() {
    let rows = rows();
    let tx = labelled(&rows, "browse");
    // 500 ms - (100 + 200) ms, then 450 ms - 300 ms.
    assert_eq!(&tx[0][col("IdleTime")], "200");
    assert_eq!(&tx[1][col("IdleTime")], "150");
    // Latency and Connect sum the steps', as JMeter's controller does.
    assert_eq!(&tx[1][col("Latency")], "150");
    assert_eq!(&tx[1][col("Connect")], "12");
    for r in labelled(&rows, "home")
        .into_iter()
        .chain(labelled(&rows, "login"))
    {
        assert_eq!(&r[col("IdleTime")], "0", "a sample is never idle");
        assert_eq!(&r[col("sentBytes")], "60");
    }
    assert_eq!(&labelled(&rows, "home")[1][col("Connect")], "12");
    assert_eq!(&labelled(&rows, "home")[0][col("Connect")], "0");
}

#[test]
fn a_custom_timer_is_a_row_of_its_own() {
    let rows = rows();
    let timer = labelled(&rows, "cart");
    assert_eq!(timer.len(), 1);
    assert_eq!(&timer[0][col("elapsed")], "120");
    assert_eq!(&timer[0][col("success")], "true");
    assert_eq!(&timer[0][col("threadName")], "shop 2-1");
    assert_ne!(&timer[0][col("URL")], "null", "not a transaction");
    // The script's transaction keeps the group's name; its iteration's
    // row takes another, so no label mixes the two.
    assert_eq!(labelled(&rows, "shop").len(), 1);
    let it = labelled(&rows, "shop iteration");
    assert_eq!(it.len(), 1);
    assert_eq!(
        &it[0][col("responseMessage")],
        "Number of samples in transaction : 1, number of failing samples : 0",
        "a custom timer is not a sample of the transaction"
    );
    assert_eq!(&it[0][col("IdleTime")], "10");
    // One named like a transaction is told apart, as in summary.json.
    let clash = labelled(&rows, "shop (custom timer)");
    assert_eq!(clash.len(), 1);
    assert_eq!(&clash[0][col("elapsed")], "50");
    assert_eq!(rows.len(), 4 + 2 + 1 + 2 + 1);
}
