//! `pace new NAME`: a project in Pyak47's shape (pyak47-newproject), whose
//! mock script runs without any server.

use super::exit;
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The project folder to create (it must not exist, or be empty).
    name: PathBuf,
}

/// The new project's plan: 4 users paced at 1 s make 4 TPS for 30 s.
pub const PLAN: &str = r#"# pace plan, written by: pace new
# A Pyak47-shaped project: test_scripts/vu_script.py is the virtual user, and
# every call of its Transaction.run() is one transaction, timed as a whole and
# by its custom timers. Little's law: users = rate x pacing (4 = 4 TPS x 1 s).
# Edit freely: `pace run --check` re-validates the numbers before any traffic.

[target]
tps = 4.0                          # 4 users x 1 transaction / 1 s pacing
response_time = "150ms"            # the mock run() sleeps 50-250 ms
transactions_per_iteration = 1     # one run() call is one transaction

[run]
duration = "30s"                   # Pyak47's run_time: no run() starts after it
ramp_up = "4s"                     # Pyak47's rampup: user i of 4 (from 0) starts at i x 4 s / 4
ts_interval = "1s"                 # Pyak47's results_ts_interval: time-series bucket of the reports
grace = "30s"                      # in-flight run() calls may finish this long after `duration`
results_dir = "results"            # a timestamped folder per run is made inside it
# seed = 42                        # makes every random draw reproducible
# results_database = "sqlite:///results.db"   # Pyak47's results_database: also store every run there
# post_run = "./notify.sh"         # Pyak47's post_run_script: run after the reports, with $PACE_RESULTS_DIR
# post_run_timeout = "5m"          # a post_run still going after this is stopped
# xml_report = true                # Pyak47's xml_report: also write JMeter's XML JTL (results.xml)

[[group]]                          # Pyak47's [user_group-1]
name = "user_group-1"
users = 4                          # Pyak47's threads
script = "test_scripts/vu_script.py"   # Pyak47's script, relative to this file's folder
# interpreter = "python3"          # what runs the script's worker
# script_timeout = "60s"           # a longer run() is killed and its worker restarted

[group.pacing]
mode = "fixed"                     # every user starts run() once a second, however long it takes
interval = "1s"                    # start to start: 4 users / 1 s = 4 TPS
late = "drift"                     # an overrunning run() delays the next start; lost time is not recovered
# Pyak47's behaviour, run() back to back with no pacing: each user then
# starts again as soon as run() returns, so the rate follows the response
# time (4 users / 150 ms = 1600 TPM; set tpm = 1600.0 in [target] instead of
# tps, or pace judges the run against a rate it cannot make):
# mode = "none"

[acceptance]
p95 = "1s"                         # FAIL when the 95th percentile of run() is above 1 s
error_rate = "1%"                  # FAIL above this share of failed run() calls; a stray one passes
# A fixed pacing over whole intervals (the 26 s window after ramp-up holds
# 26 intervals of 1 s) makes an exact count of run() calls, so the
# statistical band (tolerance = "auto") is half a call wide: one failed call
# would fail the throughput. 1% leaves room for the failures error_rate
# allows, no more.
tolerance = "1%"
"#;

/// The mock virtual-user script, as pyak47-newproject made it, in Python 3.
pub const SCRIPT: &str = r#""""A Pyak47 virtual-user script, run by pace.

pace starts one worker process per virtual user; it makes one Transaction
and calls its run() once per iteration. run() is timed as a whole (the
'transaction' timer); anything it puts in self.custom_timers (seconds) is
reported as a timer of its own. An exception (or a failed assert) marks the
transaction as an error.

This mock needs no server: it sleeps a random 50-250 ms. Replace the body of
run() with real requests, e.g. with urllib.request or requests.
"""

import random
import time


class Transaction(object):
    def __init__(self):
        self.custom_timers = {}

    def run(self):
        start = time.time()
        time.sleep(random.uniform(0.05, 0.15))
        self.custom_timers["Example_Timer"] = time.time() - start

        start = time.time()
        time.sleep(random.uniform(0.0, 0.1))
        self.custom_timers["Example_Timer_2"] = time.time() - start


if __name__ == "__main__":
    trans = Transaction()
    trans.run()
    print(trans.custom_timers)
"#;

/// A folder that already holds something is not ours to fill.
fn occupied(path: &Path) -> Option<&'static str> {
    if !path.exists() {
        return None;
    }
    if !path.is_dir() {
        return Some("exists and is not a folder");
    }
    match std::fs::read_dir(path).map(|mut entries| entries.next().is_none()) {
        Ok(true) => None,
        Ok(false) => Some("exists and is not empty"),
        Err(_) => Some("exists and cannot be read"),
    }
}

pub fn run(a: NewArgs) -> i32 {
    let dir = &a.name;
    if let Some(why) = occupied(dir) {
        let hint = if dir.join(crate::pyak47::CONFIG_FILE).is_file() {
            format!(
                " (a Pyak47 project? `pace import {}` converts it)",
                dir.display()
            )
        } else {
            String::new()
        };
        errln!(
            "error: {}: {why}: pick a new project name{hint}",
            dir.display()
        );
        return exit::BAD_INPUT;
    }
    let plan = dir.join("plan.toml");
    let scripts = dir.join(crate::pyak47::SCRIPTS_DIR);
    let script = scripts.join("vu_script.py");
    let results = dir.join("results");
    let made = std::fs::create_dir_all(&scripts)
        .and_then(|_| std::fs::create_dir_all(&results))
        .and_then(|_| std::fs::write(&plan, PLAN))
        .and_then(|_| std::fs::write(&script, SCRIPT));
    if let Err(e) = made {
        errln!("error: {}: cannot create the project: {e}", dir.display());
        return exit::BAD_INPUT;
    }
    let rows = [
        (
            plan.display().to_string(),
            "the plan: 4 users, 4 TPS for 30 s, p95 under 1 s (was config.cfg)",
        ),
        (
            script.display().to_string(),
            "the virtual user: a Pyak47 Transaction with two custom timers",
        ),
        (
            format!("{}/", results.display()),
            "a timestamped folder per run",
        ),
    ];
    outln!("created {}/", dir.display());
    let width = rows.iter().map(|(p, _)| p.len()).max().unwrap_or(0);
    for (path, what) in rows {
        outln!("  {path:<width$}  {what}");
    }
    outln!("next: pace run {}", dir.display());
    exit::OK
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::file::{PacingMode, PlanFile};

    #[test]
    fn the_new_plan_loads_and_says_what_it_promises() {
        let p = PlanFile::parse(PLAN, "plan.toml").unwrap();
        assert_eq!(p.groups.len(), 1);
        let g = &p.groups[0];
        assert_eq!((g.name.as_str(), g.users), ("user_group-1", 4));
        assert_eq!(g.script.as_deref(), Some("test_scripts/vu_script.py"));
        assert_eq!(g.pacing.mode, PacingMode::Fixed);
        assert_eq!(g.pacing.interval.unwrap().0, 1.0);
        assert_eq!(p.run.ramp_up(), 4.0);
        assert_eq!(p.run.duration.0, 30.0);
        // The comment's reason holds for this plan: whole intervals, so
        // the tolerance it writes is the one pace plan would.
        assert_eq!(p.written_tolerance(), Some(p.acceptance.tolerance));
        assert_eq!(p.run.ts_interval.0, 1.0);
        assert_eq!(p.target.tps(), Some(4.0));
        assert_eq!(p.planned_tps(), Some(4.0));
        assert_eq!(p.acceptance.p95.unwrap().0, 1.0);
        assert!(p.band().is_some());
    }

    #[test]
    fn the_commented_pyak47_mode_loads_too() {
        let t = PLAN
            .replace("mode = \"fixed\"", "# fixed")
            .replace("# mode = \"none\"", "mode = \"none\"")
            .replace("\ninterval = \"1s\"", "\n# 1s");
        // Back to back, the rate follows the response time: 4 TPS is not
        // what 4 users make, and the plan says so.
        let e = PlanFile::parse(&t, "plan.toml").unwrap_err();
        assert_eq!(e.key, "target.tps", "{e}");
        assert!(e.message.contains("26.6667 TPS"), "{e}");
        // As the comment says: the rate they make, in TPM.
        let t = t.replace("tps = 4.0 ", "tpm = 1600.0");
        let p = PlanFile::parse(&t, "plan.toml").unwrap();
        assert_eq!(p.groups[0].pacing.mode, PacingMode::None);
        assert!((p.planned_tps().unwrap() * 60.0 - 1600.0).abs() < 1e-9);
    }
}
