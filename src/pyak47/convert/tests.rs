//! The converter against the manual's configs and the ways they go wrong.

use super::*;
use crate::plan::file::PacingMode;
use crate::pyak47::ini::parse;

const MINIMAL: &str = "[global]
run_time = 100
rampup = 100
results_ts_interval = 10

[user_group-1]
threads = 10
script = vu_script.py
";

const FULL: &str = "[global]
run_time = 300
rampup = 300
results_ts_interval = 30
progress_bar = on
console_logging = off
xml_report = off
results_database = sqlite:///my_project/results.db
post_run_script = python my_project/foo.py

[user_group-1]
threads = 30
script = vu_script1.py

[user_group-2]
threads = 30
script = vu_script2.py
";

fn conv(text: &str, opts: &Options) -> Result<Conversion, ConvertError> {
    convert(&parse(text).unwrap(), opts)
}

fn plan(c: &Conversion) -> PlanFile {
    PlanFile::parse(&c.text, "plan.toml").unwrap_or_else(|e| panic!("{e}\n{}", c.text))
}

fn config_err(text: &str) -> IniError {
    match conv(text, &Options::default()) {
        Err(ConvertError::Config(e)) => e,
        other => panic!("expected a config error, got {other:?}"),
    }
}

fn row<'a>(c: &'a Conversion, option: &str) -> &'a Row {
    c.rows
        .iter()
        .find(|r| r.option == option)
        .unwrap_or_else(|| panic!("no row {option}: {:#?}", c.rows))
}

#[test]
fn minimal_config_from_the_manual() {
    let c = conv(MINIMAL, &Options::default()).unwrap();
    let p = plan(&c);
    assert_eq!(p.run.duration.0, 100.0);
    // rampup = run_time: kept, as Pyak47 ran it (a back-to-back plan
    // has no throughput to judge after ramp-up).
    assert_eq!(p.run.ramp_up(), 100.0);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert!(row(&c, "[global] rampup").note.contains("as Pyak47"));
    assert_eq!(p.run.ts_interval.0, 10.0);
    assert_eq!(p.groups.len(), 1);
    let g = &p.groups[0];
    assert_eq!((g.name.as_str(), g.users), ("user_group-1", 10));
    assert_eq!(g.script.as_deref(), Some("test_scripts/vu_script.py"));
    assert_eq!(g.pacing.mode, PacingMode::None);
    assert_eq!(p.target.tps(), None);
    assert!(!p.run.xml_report);
    assert_eq!(p.run.results_database, None);
    assert_eq!(c.scripts.len(), 1);
    assert_eq!(
        (c.scripts[0].file.as_str(), c.scripts[0].line),
        ("vu_script.py", 8)
    );
}

#[test]
fn full_config_from_the_manual() {
    let c = conv(FULL, &Options::default()).unwrap();
    let p = plan(&c);
    assert_eq!(p.run.duration.0, 300.0);
    assert_eq!(p.run.ramp_up(), 300.0);
    assert_eq!(p.run.ts_interval.0, 30.0);
    assert!(!p.run.xml_report);
    assert_eq!(
        p.run.results_database.as_deref(),
        Some("sqlite:///my_project/results.db")
    );
    assert_eq!(p.run.post_run.as_deref(), Some("python my_project/foo.py"));
    let names: Vec<&str> = p.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["user_group-1", "user_group-2"]);
    assert_eq!(
        p.groups[1].script.as_deref(),
        Some("test_scripts/vu_script2.py")
    );
    assert!(
        p.groups
            .iter()
            .all(|g| g.users == 30 && g.pacing.mode == PacingMode::None)
    );
    assert_eq!(row(&c, "[global] progress_bar").key, "-");
    assert!(row(&c, "[global] progress_bar").note.contains("--quiet"));
    assert!(
        row(&c, "[global] console_logging")
            .note
            .contains("workers.log")
    );
    assert_eq!(row(&c, "[global] xml_report").key, "run.xml_report = false");
    assert_eq!(row(&c, "[global] run_time").key, "run.duration = \"5m\"");
    assert_eq!(row(&c, "[user_group-2] threads").key, "group.users = 30");
    // The rows follow the file.
    let first_group = c
        .rows
        .iter()
        .position(|r| r.option.starts_with("[user_group-1]"))
        .unwrap();
    let second_group = c
        .rows
        .iter()
        .position(|r| r.option.starts_with("[user_group-2]"))
        .unwrap();
    assert!(first_group < second_group);
}

#[test]
fn group_order_names_and_options_as_written() {
    let text = "[zeta]\nthreads = 2\nscript = z.py\n[global]\nRUN_TIME: 60\nRampUp = 0\nresults_ts_interval = 5\nxml_report = Yes\n[Alpha Team]\nThreads=1\nscript=sub/a.py\nfoo = bar\n";
    let c = conv(text, &Options::default()).unwrap();
    let p = plan(&c);
    let names: Vec<&str> = p.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["zeta", "Alpha Team"]);
    assert_eq!(p.groups[1].script.as_deref(), Some("test_scripts/sub/a.py"));
    assert!(p.run.xml_report);
    assert_eq!(p.run.ramp_up(), 0.0);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert!(row(&c, "[Alpha Team] foo").note.starts_with("ignored"));
}

#[test]
fn defaults_percent_and_none() {
    let text = "[DEFAULT]\nthreads = 3\nunused = 1\n[global]\nrun_time = 60\nrampup = 10\nresults_ts_interval = 5\nresults_database = None\npost_run_script = echo 100%% > %(run_time)s.txt\n[a]\nscript = a.py\n[b]\nthreads = 4\nscript = b.py\n";
    let c = conv(text, &Options::default()).unwrap();
    let p = plan(&c);
    assert_eq!(p.groups[0].users, 3);
    assert_eq!(p.groups[1].users, 4);
    assert_eq!(p.run.results_database, None);
    assert_eq!(p.run.post_run.as_deref(), Some("echo 100% > 60.txt"));
    assert_eq!(row(&c, "[DEFAULT] threads").key, "group.users = 3");
    assert!(row(&c, "[DEFAULT] unused").note.starts_with("ignored"));
    assert!(
        row(&c, "[global] results_database")
            .note
            .contains("not set")
    );
}

#[test]
fn tpm_splits_over_groups_in_proportion_to_users() {
    let text = "[global]\nrun_time = 600\nrampup = 60\nresults_ts_interval = 10\n[big]\nthreads = 30\nscript = a.py\n[small]\nthreads = 10\nscript = b.py\n";
    for n in [60.0, 240.0, 1200.0, 7.0] {
        let opts = Options {
            rate: Some(Rate {
                value: n,
                unit: RateUnit::Tpm,
            }),
            ..Options::default()
        };
        let c = conv(text, &opts).unwrap();
        let p = plan(&c);
        let want = 40.0 / (n / 60.0);
        for g in &p.groups {
            assert_eq!(g.pacing.mode, PacingMode::Fixed);
            let got = g.pacing.interval.unwrap().0;
            assert!((got - want).abs() <= 1e-12 * want, "{n}: {got} vs {want}");
        }
        assert_eq!(p.target.tpm, Some(n));
        assert_eq!(p.target.transactions_per_iteration, Some(1));
        assert!((p.planned_tps().unwrap() - n / 60.0).abs() < 1e-9);
        // 30 of 40 users make three quarters of the rate.
        let big = 30.0 / want * 60.0;
        assert!((big - 0.75 * n).abs() < 1e-9);
        assert!(
            row(&c, "[big] pacing").note.contains("75%"),
            "{:?}",
            row(&c, "[big] pacing")
        );
        assert!(row(&c, "[small] pacing").note.contains("25%"));
        assert!(p.band().is_some());
    }
}

#[test]
fn tps_and_tph_and_rt() {
    let text = "[global]\nrun_time = 600\nrampup = 60\nresults_ts_interval = 10\n[g]\nthreads = 10\nscript = a.py\n";
    let c = conv(
        text,
        &Options {
            rate: Some(Rate {
                value: 5.0,
                unit: RateUnit::Tps,
            }),
            rt: Some(0.5),
            ..Options::default()
        },
    )
    .unwrap();
    let p = plan(&c);
    assert_eq!(p.groups[0].pacing.interval.unwrap().0, 2.0);
    assert_eq!(p.target.response_time.unwrap().0, 0.5);
    let c = conv(
        text,
        &Options {
            rate: Some(Rate {
                value: 3600.0,
                unit: RateUnit::Tph,
            }),
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(plan(&c).groups[0].pacing.interval.unwrap().0, 10.0);
    // 10 users at 3 s per run() reach at most 200 TPM.
    let e = conv(
        text,
        &Options {
            rate: Some(Rate {
                value: 600.0,
                unit: RateUnit::Tpm,
            }),
            rt: Some(3.0),
            ..Options::default()
        },
    )
    .unwrap_err();
    match e {
        ConvertError::Rate(m) => {
            assert!(m.contains("--tpm 600"), "{m}");
            assert!(m.contains("at most 200 TPM"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn errors_name_line_and_option() {
    let e = config_err("[user_group-1]\nthreads = 1\nscript = a.py\n");
    assert_eq!((e.line, e.option.as_str()), (1, "[global]"), "{e:?}");
    let e = config_err("[Global]\nrun_time = 1\n");
    assert!(e.message.contains("case-sensitive"), "{e:?}");
    let e = config_err("[global]\nrampup = 1\nresults_ts_interval = 1\n[g]\nthreads=1\nscript=a\n");
    assert_eq!(
        (e.line, e.option.as_str()),
        (1, "[global] run_time"),
        "{e:?}"
    );
    let e = config_err(&MINIMAL.replace("run_time = 100", "run_time = soon"));
    assert_eq!(
        (e.line, e.option.as_str()),
        (2, "[global] run_time"),
        "{e:?}"
    );
    assert!(e.message.contains("not a number"), "{e:?}");
    let e = config_err(&MINIMAL.replace("results_ts_interval = 10", "results_ts_interval = 0"));
    assert_eq!(e.line, 4, "{e:?}");
    let e = config_err(&MINIMAL.replace("threads = 10", "threads = 0"));
    assert_eq!(
        (e.line, e.option.as_str()),
        (7, "[user_group-1] threads"),
        "{e:?}"
    );
    assert!(e.message.contains("at least 1"), "{e:?}");
    let e = config_err(&MINIMAL.replace("threads = 10", "threads = 2.5"));
    assert!(e.message.contains("whole number"), "{e:?}");
    let e = config_err(&MINIMAL.replace("script = vu_script.py\n", ""));
    assert_eq!(
        (e.line, e.option.as_str()),
        (6, "[user_group-1] script"),
        "{e:?}"
    );
    let e =
        config_err(&MINIMAL.replace("[user_group-1]\nthreads = 10\nscript = vu_script.py\n", ""));
    assert_eq!(e.option, "user groups", "{e:?}");
    let e = config_err(&MINIMAL.replace("[user_group-1]", "xml_report = maybe\n[user_group-1]"));
    assert!(e.message.contains("not a boolean"), "{e:?}");
    let e = config_err(&format!("{MINIMAL}[ Global ]\nprogress_bar = off\n"));
    assert_eq!(
        (e.line, e.option.as_str()),
        (9, "[ Global ] threads"),
        "{e:?}"
    );
    assert!(e.message.contains("exactly [global]"), "{e:?}");
    // With threads and script it is a user group, as in Pyak47, but said.
    let c = conv(
        &MINIMAL.replace("[user_group-1]", "[ global ]"),
        &Options::default(),
    )
    .unwrap();
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("[ global ] is a user group")),
        "{:?}",
        c.warnings
    );
}

#[test]
fn a_database_pace_cannot_use_is_a_warning() {
    let text = MINIMAL.replace(
        "[user_group-1]",
        "results_database = mysql://u:p@h/db\n\n[user_group-1]",
    );
    let c = conv(&text, &Options::default()).unwrap();
    assert!(
        c.warnings.iter().any(|w| w.contains("only SQLite")),
        "{:?}",
        c.warnings
    );
    assert_eq!(
        plan(&c).run.results_database.as_deref(),
        Some("mysql://u:p@h/db")
    );
}

#[test]
fn strings_are_escaped() {
    let text = MINIMAL.replace(
        "[user_group-1]",
        "post_run_script = echo \"done\" \\ ok\n  second line\n\n[we \"quote\"]",
    );
    let c = conv(&text, &Options::default()).unwrap();
    let p = plan(&c);
    assert_eq!(
        p.run.post_run.as_deref(),
        Some("echo \"done\" \\ ok\nsecond line")
    );
    assert_eq!(p.groups[0].name, "we \"quote\"");
}

/// Found by tests/fuzz (pyak47_config): values a plan refuses were
/// converted into a plan that did not load back ("error: internal"), and
/// threads near i64::MAX in three groups overflowed their sum.
#[test]
fn values_the_plan_refuses_name_the_config_option() {
    let cfg = |global: &str, threads: &str| {
        format!(
            "[global]\n{global}\n[user_group-1]\nthreads = {threads}\nscript = a.py\n\
             [user_group-2]\nthreads = {threads}\nscript = b.py\n[user_group-3]\nthreads = {threads}\nscript = c.py\n"
        )
    };
    let ok = "run_time = 60\nrampup = 0\nresults_ts_interval = 5";
    // More users than a plan's group may have (and no overflow summing them).
    let e = config_err(&cfg(ok, "9223372036854775807"));
    assert_eq!(
        (e.line, e.option.as_str()),
        (6, "[user_group-1] threads"),
        "{e:?}"
    );
    assert!(e.message.contains("at most 1000000"), "{e:?}");
    // A run longer than a plan's limit, on run_time's own line.
    let e = config_err(&cfg(
        "run_time = 1e15\nrampup = 0\nresults_ts_interval = 5",
        "2",
    ));
    assert_eq!(
        (e.line, e.option.as_str()),
        (2, "[global] run_time"),
        "{e:?}"
    );
    assert!(e.message.contains("too large"), "{e:?}");
    assert!(e.message.contains("run.duration"), "{e:?}");
    // Too many time-series intervals: results_ts_interval's line.
    let e = config_err(&cfg(
        "run_time = 65535\nrampup = 0\nresults_ts_interval = 1",
        "2",
    ));
    assert_eq!(
        (e.line, e.option.as_str()),
        (4, "[global] results_ts_interval"),
        "{e:?}"
    );
    // A blank section name is no group name.
    let e = config_err(&format!(
        "{}[ ]\nthreads = 1\nscript = s.py\n",
        cfg(ok, "1")
    ));
    assert_eq!((e.line, e.option.as_str()), (14, "[ ]"), "{e:?}");
    // A rate so low that the pacing interval is beyond a plan's limit (or
    // infinite): the rate's error, not an internal one.
    for tpm in [1e-9, 5e-324] {
        let opts = Options {
            rate: Some(Rate {
                value: tpm,
                unit: RateUnit::Tpm,
            }),
            ..Options::default()
        };
        match conv(&cfg(ok, "2"), &opts) {
            Err(ConvertError::Rate(m)) => assert!(m.contains("--tpm"), "{m}"),
            other => panic!("{tpm}: {other:?}"),
        }
    }
    // rampup >= run_time with a paced plan is shortened below run_time,
    // even where results_ts_interval is too small to subtract.
    let opts = Options {
        rate: Some(Rate {
            value: 60.0,
            unit: RateUnit::Tpm,
        }),
        ..Options::default()
    };
    let c = conv(
        &cfg(
            "run_time = 100\nrampup = 100\nresults_ts_interval = 1e-320",
            "1",
        ),
        &opts,
    );
    match c {
        Err(ConvertError::Config(e)) => {
            assert_eq!(e.option, "[global] results_ts_interval", "{e:?}")
        }
        other => panic!("{other:?}"),
    }
    let c = conv(
        &cfg(
            "run_time = 100\nrampup = 100\nresults_ts_interval = 100",
            "1",
        ),
        &opts,
    )
    .unwrap();
    assert_eq!(plan(&c).run.ramp_up(), 50.0);
}

/// Found by tests/fuzz: a value continued on the next line put a line
/// break in the error (and the warning), which must be one line.
#[test]
fn errors_and_warnings_with_continued_values_are_one_line() {
    let e = config_err(
        "[global]\nrun_time = 300\nrampup = 300\nresults_ts_interval =\n 0\n[g]\nthreads = 1\nscript = a.py\n",
    );
    assert_eq!(e.option, "[global] results_ts_interval", "{e:?}");
    assert!(!e.message.contains('\n'), "{e:?}");
    let c = conv(
        "[global]\nrun_time = 10\nrampup =\n 20\nresults_ts_interval = 1\n[g]\nthreads = 1\nscript = a.py\n",
        &Options::default(),
    )
    .unwrap();
    assert!(!c.warnings.is_empty());
    for w in &c.warnings {
        assert!(!w.contains('\n'), "{w}");
    }
}
