//! The converted plan as commented TOML.

use super::*;

/// A `key = value` line with its comment aligned (as plan/write.rs writes).
fn kv(out: &mut String, key: &str, value: &str, comment: &str) {
    let line = format!("{key} = {value}");
    if comment.is_empty() {
        let _ = writeln!(out, "{line}");
    } else {
        let _ = writeln!(out, "{line:<34} # {}", one_line(comment));
    }
}

/// A TOML float that reads back exactly.
pub(super) fn toml_float(v: f64) -> String {
    let s = format!("{v}");
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// The plan file's text.
/// `tolerance` is the fixed tolerance a paced plan writes (1 % over a
/// window of whole intervals, more where the phases make the count vary:
/// `PlanFile::written_tolerance`); `None` writes 1 %, the first pass.
pub(super) fn render(
    g: &Global,
    groups: &[Group],
    interval: Option<f64>,
    opts: &Options,
    tolerance: Option<crate::plan::file::Tolerance>,
) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# pace plan, converted from Pyak47's config.cfg by: {}",
        one_line(&opts.command)
    );
    o.push_str("# Each [[group]] is one of its user groups; every call of a script's run() is one transaction.\n");
    match opts.rate {
        None => o.push_str(
            "# Pacing \"none\" runs run() back to back, as Pyak47 did; convert with a rate\n\
             # (`pace import PROJECT --tpm N`) for fixed pacing and a throughput band.\n",
        ),
        Some(r) => {
            let _ = writeln!(
                o,
                "# Fixed pacing on top of Pyak47's back-to-back runs, for {} in all.",
                r.flag()
            );
        }
    }
    if let Some(m) = &opts.measured {
        let _ = writeln!(o, "# Baseline B {}.", one_line(m));
    }
    o.push_str(
        "# Edit freely: `pace run --check` re-validates the numbers before any traffic.\n\n",
    );

    if let (Some(rate), Some(interval)) = (opts.rate, interval) {
        let users: u64 = groups.iter().map(|g| g.users).sum();
        o.push_str("[target]\n");
        kv(
            &mut o,
            rate.unit.key(),
            &toml_float(rate.value),
            &format!(
                "{}: {users} users / {} pacing, split over the groups in proportion to users",
                rate.flag(),
                human_duration(interval)
            ),
        );
        if let Some(rt) = opts.rt {
            kv(
                &mut o,
                "response_time",
                &q(&format_duration(rt)),
                if opts.measured.is_some() {
                    "--from: the measured time of one run() (the slowest group's B)"
                } else {
                    "--rt: the expected time of one run()"
                },
            );
        }
        kv(
            &mut o,
            "transactions_per_iteration",
            "1",
            "one run() call is one transaction",
        );
        o.push('\n');
    }

    o.push_str("[run]\n");
    kv(
        &mut o,
        "duration",
        &q(&format_duration(g.duration)),
        "Pyak47's run_time: no run() starts after it",
    );
    kv(
        &mut o,
        "ramp_up",
        &q(&format_duration(g.ramp_up)),
        "Pyak47's rampup: user i of n (from 0) starts at i x ramp_up / n",
    );
    kv(
        &mut o,
        "ts_interval",
        &q(&format_duration(g.ts)),
        "Pyak47's results_ts_interval: time-series bucket of the reports",
    );
    kv(
        &mut o,
        "results_dir",
        &q("results"),
        "a timestamped folder per run is made inside it",
    );
    match g.xml {
        Some(b) => kv(
            &mut o,
            "xml_report",
            &b.to_string(),
            "Pyak47's xml_report: JMeter's XML JTL (results.xml)",
        ),
        None => o.push_str(
            "# xml_report = true                # also write JMeter's XML JTL (results.xml)\n",
        ),
    }
    match &g.db {
        Some(db) => kv(&mut o, "results_database", &q(db), "Pyak47's results_database: every run is also stored there"),
        None => o.push_str("# results_database = \"sqlite:///results.db\"   # also store every run there (pace history)\n"),
    }
    match &g.post_run {
        Some(cmd) => kv(&mut o, "post_run", &q(cmd), "Pyak47's post_run_script: run after the reports, with $PACE_RESULTS_DIR"),
        None => o.push_str("# post_run = \"./notify.sh\"         # run after the reports, with $PACE_RESULTS_DIR\n"),
    }
    o.push_str("# seed = 42                        # makes every random draw reproducible\n\n");

    for grp in groups {
        o.push_str("[[group]]\n");
        kv(&mut o, "name", &q(&grp.name), "the config's section");
        kv(&mut o, "users", &grp.users.to_string(), "Pyak47's threads");
        kv(
            &mut o,
            "script",
            &q(&grp.script),
            "a Pyak47 Transaction script, relative to this file's folder",
        );
        o.push_str("# interpreter = \"python3\"          # what runs the script's worker\n");
        o.push_str("# script_timeout = \"60s\"           # a longer run() is killed and its worker restarted\n\n");
        o.push_str("[group.pacing]\n");
        match (opts.rate, interval) {
            (Some(rate), Some(interval)) => {
                let users: u64 = groups.iter().map(|g| g.users).sum();
                let share = rate.per_second() * grp.users as f64 / users as f64;
                kv(
                    &mut o,
                    "mode",
                    &q("fixed"),
                    "every user starts run() once per interval, however long it takes",
                );
                kv(
                    &mut o,
                    "interval",
                    &q(&format_duration(interval)),
                    &format!(
                        "start to start: {} users make {} of {}",
                        grp.users,
                        rate.show(share),
                        rate.show(rate.per_second())
                    ),
                );
                kv(
                    &mut o,
                    "late",
                    &q("drift"),
                    "an overrunning run() delays the next start; lost time is not recovered",
                );
                o.push_str(
                    "# mode = \"none\"                   # Pyak47's way: back to back, no pacing\n",
                );
            }
            _ => {
                kv(
                    &mut o,
                    "mode",
                    &q("none"),
                    "back to back: run() again as soon as it returns, as Pyak47",
                );
            }
        }
        o.push('\n');
    }

    o.push_str("[acceptance]\n");
    o.push_str("# p95 = \"1s\"                       # latency thresholds: any of p50 p80 p90 p95 p99 max\n");
    // A project run as it is (or imported without a rate) promises what
    // Pyak47 promised: nothing, so nothing is judged (NO CHECKS); with a
    // rate the plan makes a promise, and a healthy run must be able to keep it.
    if opts.rate.is_none() {
        o.push_str("# error_rate = \"1%\"\n");
    } else {
        kv(
            &mut o,
            "error_rate",
            &q("1%"),
            "FAIL above this share of failed run() calls; a stray one passes",
        );
    }
    if opts.rate.is_some() && interval.is_some() {
        let text = match tolerance {
            Some(crate::plan::file::Tolerance::Fixed(_, f)) => f.percent_text(),
            _ => "1%".to_string(),
        };
        if text == "1%" {
            o.push_str(
                "# A fixed pacing over whole intervals makes an exact count of run() calls, so\n",
            );
            o.push_str(
                "# the statistical band (tolerance = \"auto\") is half a call wide: one failed\n",
            );
            o.push_str(
                "# call would fail the throughput. 1% leaves room for the failures error_rate\n",
            );
            o.push_str("# allows, no more.\n");
        } else {
            o.push_str(
                "# The steady-state window is not a whole number of pacing intervals, so how\n",
            );
            o.push_str("# many run() calls fall in it varies with the users' random phases: the\n");
            let _ = writeln!(
                o,
                "# tolerance is 1% for the failures error_rate allows plus that chance ({text})."
            );
        }
        kv(
            &mut o,
            "tolerance",
            &q(&text),
            &format!("throughput band: target +-{text}"),
        );
    }
    o
}
