//! Turns a parsed config.cfg into a plan file (shared/spec/plan-format.md),
//! with a row per option saying what it became. Pure: text in, text out;
//! whether the scripts exist is the caller's business.

use super::ini::{Entry, Ini, IniError, Section, boolean};
use crate::plan::check::MAX_USERS;
use crate::plan::file::PlanFile;
use crate::units::{format_duration, human_duration, round_sig};
use std::collections::HashSet;
use std::fmt::Write;

pub use crate::plan::write::RateUnit;

/// A total rate for the whole plan, as given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub value: f64,
    pub unit: RateUnit,
}

impl Rate {
    pub fn per_second(&self) -> f64 {
        self.value / self.unit.seconds()
    }

    fn flag(&self) -> String {
        format!("--{} {}", self.unit.key(), round_sig(self.value, 12))
    }

    /// `v` per second, in this rate's unit.
    fn show(&self, per_second: f64) -> String {
        format!(
            "{} {}",
            round_sig(per_second * self.unit.seconds(), 6),
            self.unit.key().to_uppercase()
        )
    }
}

/// How to convert.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Fixed pacing on top of Pyak47's back-to-back runs, for this total rate.
    pub rate: Option<Rate>,
    /// The expected time of one `run()`, seconds: a rate the users cannot
    /// reach at it is refused.
    pub rt: Option<f64>,
    /// Where `rt` was measured (`pace import --from`), in words; `None`
    /// when it is the `--rt` guess.
    pub measured: Option<String>,
    /// The project's test_scripts/ folder as seen from the plan file's folder.
    pub scripts_dir: String,
    /// What made the plan, for its first comment (e.g. `pace import my_project`).
    pub command: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rate: None,
            rt: None,
            measured: None,
            scripts_dir: "test_scripts".into(),
            command: "pace import".into(),
        }
    }
}

/// One row of the table: a config option and what it became.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// `[section] option`, or a flag such as `--tpm`.
    pub option: String,
    pub value: String,
    /// The plan key and its value, or `-` when the option has no key.
    pub key: String,
    pub note: String,
}

/// A group's script, for the caller to look for.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptRef {
    pub section: String,
    /// The config's line of `script`.
    pub line: usize,
    /// As written in the config (relative to test_scripts/).
    pub file: String,
    /// The row of the table that shows it.
    pub row: usize,
}

/// A converted config.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    /// The plan file's text.
    pub text: String,
    pub rows: Vec<Row>,
    pub scripts: Vec<ScriptRef>,
    /// Things the user should know that are not errors.
    pub warnings: Vec<String>,
}

/// Why a config could not be converted.
#[derive(Debug, Clone, PartialEq)]
pub enum ConvertError {
    /// Something in the file, with its line and option.
    Config(IniError),
    /// The `--tpm` (etc.) the users cannot reach; no line applies.
    Rate(String),
    /// The plan we wrote does not load back: a bug.
    Internal(String),
}

impl From<IniError> for ConvertError {
    fn from(e: IniError) -> Self {
        ConvertError::Config(e)
    }
}

fn cfg_err(line: usize, option: impl Into<String>, message: impl Into<String>) -> ConvertError {
    ConvertError::Config(IniError {
        line,
        option: option.into(),
        message: message.into(),
    })
}

const GLOBAL_OPTIONS: [&str; 8] = [
    "run_time",
    "rampup",
    "results_ts_interval",
    "progress_bar",
    "console_logging",
    "xml_report",
    "results_database",
    "post_run_script",
];
const GROUP_OPTIONS: [&str; 2] = ["threads", "script"];

/// A TOML string literal, escaped.
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A value as one line, for a comment or a table cell.
fn one_line(s: &str) -> String {
    s.replace('\n', " ↵ ")
}

/// A number of seconds, as ConfigParser's getint would take it (decimals
/// are accepted too).
fn seconds(value: &str) -> Option<f64> {
    value.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

struct Global {
    duration: f64,
    ramp_up: f64,
    ts: f64,
    xml: Option<bool>,
    db: Option<String>,
    post_run: Option<String>,
    /// Where run_time, rampup and results_ts_interval were written (line,
    /// `[section] option`), for a value the plan refuses.
    at: [(usize, String); 3],
}

struct Group {
    name: String,
    users: u64,
    script: String,
    /// The section's header line, and where threads was written.
    line: usize,
    threads_at: (usize, String),
}

/// Converts a parsed config. Every section but `[global]` is a user group,
/// in file order, as Pyak47 read them.
pub fn convert(ini: &Ini, opts: &Options) -> Result<Conversion, ConvertError> {
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    let mut used_defaults: HashSet<String> = HashSet::new();
    let Some(global) = ini.section("global") else {
        let line = ini.sections.first().map(|s| s.line).unwrap_or(1);
        let hint = ini
            .sections
            .iter()
            .find(|s| s.name.trim().eq_ignore_ascii_case("global"))
            .map(|s| {
                format!(
                    " ([{}] is not it: section names are case-sensitive)",
                    s.name
                )
            })
            .unwrap_or_default();
        return Err(cfg_err(
            line,
            "[global]",
            format!(
                "missing: Pyak47's config needs a [global] section with run_time, rampup and results_ts_interval{hint}"
            ),
        ));
    };
    let paced = opts.rate.is_some();
    let g = read_global(
        ini,
        global,
        paced,
        &mut rows,
        &mut warnings,
        &mut used_defaults,
    )?;

    let mut groups = Vec::new();
    let mut scripts = Vec::new();
    for s in ini.sections.iter().filter(|s| s.name != "global") {
        let group = read_group(ini, s, opts, &mut rows, &mut scripts, &mut used_defaults)?;
        if s.name.trim().eq_ignore_ascii_case("global") {
            warnings.push(format!(
                "[{}] is a user group, as in Pyak47: only a section named exactly [global] holds the global options",
                s.name
            ));
        }
        groups.push(group);
    }
    if groups.is_empty() {
        return Err(cfg_err(
            global.line,
            "user groups",
            "none: add a section such as [user_group-1] with threads and script (every section but [global] is a user group)",
        ));
    }
    for e in &ini.defaults {
        if !used_defaults.contains(&e.name) {
            rows.push(Row {
                option: format!("[DEFAULT] {}", e.written),
                value: one_line(&e.raw),
                key: "-".into(),
                note: "ignored: no section uses it".into(),
            });
        }
    }

    let total_users: u64 = groups.iter().map(|g| g.users).sum();
    // Fixed pacing on top: every user of every group starts run() once per
    // `interval`, so the groups share the rate in proportion to users.
    let interval = match opts.rate {
        None => None,
        Some(rate) => {
            let interval = total_users as f64 / rate.per_second();
            if let Some(rt) = opts.rt
                && interval < rt
            {
                return Err(ConvertError::Rate(format!(
                    "{}: {total_users} users would each start run() every {}, but {} says one run() takes {}: at most {} is reachable with {total_users} users (add threads, or lower the rate)",
                    rate.flag(),
                    human_duration(interval),
                    if opts.measured.is_some() {
                        "the baseline (--from)"
                    } else {
                        "--rt"
                    },
                    human_duration(rt),
                    rate.show(total_users as f64 / rt)
                )));
            }
            rows.push(Row {
                option: format!("--{}", rate.unit.key()),
                value: round_sig(rate.value, 12),
                key: format!("target.{} = {}", rate.unit.key(), toml_float(rate.value)),
                note: format!(
                    "the whole plan: {total_users} users each start run() every {} (fixed pacing); transactions_per_iteration = 1",
                    human_duration(interval)
                ),
            });
            if let Some(rt) = opts.rt {
                let left = format!(
                    "{} of each interval is left between a run()'s end and the next start",
                    human_duration(interval - rt)
                );
                rows.push(Row {
                    option: if opts.measured.is_some() {
                        "--from".into()
                    } else {
                        "--rt".into()
                    },
                    value: human_duration(rt),
                    key: format!("target.response_time = {}", q(&format_duration(rt))),
                    note: match &opts.measured {
                        Some(m) => format!("{m}; {left}"),
                        None => left,
                    },
                });
            }
            for g in &groups {
                let share = rate.per_second() * g.users as f64 / total_users as f64;
                rows.push(Row {
                    option: format!("[{}] pacing", g.name),
                    value: String::new(),
                    key: format!(
                        "group.pacing mode = \"fixed\", interval = {}",
                        q(&format_duration(interval))
                    ),
                    note: format!(
                        "{} of {total_users} users: {} ({}%)",
                        g.users,
                        rate.show(share),
                        round_sig(100.0 * g.users as f64 / total_users as f64, 4)
                    ),
                });
            }
            Some(interval)
        }
    };
    if interval.is_none() {
        for g in &groups {
            rows.push(Row {
                option: format!("[{}] pacing", g.name),
                value: String::new(),
                key: "group.pacing.mode = \"none\"".into(),
                note: "back to back: run() again as soon as it returns, as Pyak47 (no throughput target)".into(),
            });
        }
    }

    let mut text = render(&g, &groups, interval, opts, None);
    // The plan we write must load back. A value the plan refuses (beyond
    // its limits) is the config's or the rate's, said where it was
    // written; anything else is a bug, said plainly.
    let plan = PlanFile::parse(&text, "the converted plan")
        .map_err(|e| refused(&e, &g, &groups, opts, interval, total_users))?;
    // A fixed pacing's count is exact only over whole intervals: where
    // the window is not, the tolerance written makes room for the phases'
    // chance too (the band pace plan writes: one band everywhere).
    if opts.rate.is_some()
        && let Some(t) = plan.written_tolerance()
        && t != plan.acceptance.tolerance
    {
        text = render(&g, &groups, interval, opts, Some(t));
        PlanFile::parse(&text, "the converted plan")
            .map_err(|e| refused(&e, &g, &groups, opts, interval, total_users))?;
    }
    Ok(Conversion {
        text,
        rows,
        scripts,
        warnings,
    })
}

/// A plan key the converted plan refuses, as an error about the config
/// option (or the rate flag) its value came from.
fn refused(
    e: &crate::plan::file::PlanFileError,
    g: &Global,
    groups: &[Group],
    opts: &Options,
    interval: Option<f64>,
    total_users: u64,
) -> ConvertError {
    let at = |(line, place): &(usize, String)| {
        cfg_err(
            *line,
            place.clone(),
            format!("{} (as the plan's {})", e.message, e.key),
        )
    };
    match e.key.as_str() {
        "run.duration" => return at(&g.at[0]),
        "run.ramp_up" => return at(&g.at[1]),
        "run.ts_interval" => return at(&g.at[2]),
        _ => {}
    }
    if let Some((i, rest)) = e
        .key
        .strip_prefix("group[")
        .and_then(|k| k.split_once("]."))
        .and_then(|(i, rest)| Some((i.parse::<usize>().ok()?, rest)))
        && let Some(grp) = groups.get(i)
    {
        if rest == "users" {
            return at(&grp.threads_at);
        }
        if rest == "name" {
            return at(&(grp.line, format!("[{}]", grp.name)));
        }
    }
    if let (Some(rate), Some(interval)) = (opts.rate, interval)
        && (e.key.starts_with("target.") || e.key.contains(".pacing."))
    {
        return ConvertError::Rate(format!(
            "{}: {total_users} users would each start run() every {}, which the plan refuses: {} (as the plan's {})",
            rate.flag(),
            human_duration(interval),
            e.message,
            e.key
        ));
    }
    ConvertError::Internal(format!("the converted plan does not load back: {e}"))
}

/// The row for an option: `[section] name` (or `[DEFAULT] name` where it
/// came from there).
/// A row for each option of `s` that is not one of `own`: another
/// section's (`other`, said with `misplaced`) or no Pyak47 option at all.
fn ignored(s: &Section, own: &[&str], other: &[&str], misplaced: &str, rows: &mut Vec<Row>) {
    for e in &s.entries {
        if own.contains(&e.name.as_str()) {
            continue;
        }
        let why = if other.contains(&e.name.as_str()) {
            misplaced
        } else {
            "not a Pyak47 option"
        };
        rows.push(Row {
            option: place(s, e, false),
            value: one_line(&e.raw),
            key: "-".into(),
            note: format!("ignored: {why}"),
        });
    }
}

fn place(section: &Section, e: &Entry, from_default: bool) -> String {
    if from_default {
        format!("[DEFAULT] {}", e.written)
    } else {
        format!("[{}] {}", section.name, e.written)
    }
}

fn read_global(
    ini: &Ini,
    s: &Section,
    paced: bool,
    rows: &mut Vec<Row>,
    warnings: &mut Vec<String>,
    used: &mut HashSet<String>,
) -> Result<Global, ConvertError> {
    let mut get = |name: &str| -> Result<Option<(String, Entry, bool)>, ConvertError> {
        let got = ini.get(s, name)?;
        if let Some((_, _, true)) = &got {
            used.insert(name.to_string());
        }
        Ok(got.map(|(v, e, d)| (v, e.clone(), d)))
    };
    let mut required = |name: &str, what: &str, min_exclusive: bool| {
        let Some((v, e, d)) = get(name)? else {
            return Err(cfg_err(
                s.line,
                format!("[global] {name}"),
                format!("missing: Pyak47 requires it ({what}, in seconds)"),
            ));
        };
        let n = seconds(&v).ok_or_else(|| {
            cfg_err(
                e.line,
                place(s, &e, d),
                format!("'{}' is not a number of seconds", one_line(&v)),
            )
        })?;
        if n < 0.0 || (min_exclusive && n == 0.0) {
            let bound = if min_exclusive {
                "greater than zero"
            } else {
                "zero or more"
            };
            return Err(cfg_err(
                e.line,
                place(s, &e, d),
                format!("must be {bound} (got {})", one_line(&v)),
            ));
        }
        Ok((n, v, e, d))
    };
    let (run_time, rt_v, rt_e, rt_d) = required("run_time", "the test's duration", true)?;
    let (rampup, ru_v, ru_e, ru_d) = required("rampup", "how long the users take to start", false)?;
    let (ts, ts_v, ts_e, ts_d) = required("results_ts_interval", "the time-series interval", true)?;

    let rt_shown = rt_v.clone();
    rows.push(Row {
        option: place(s, &rt_e, rt_d),
        value: rt_v,
        key: format!("run.duration = {}", q(&format_duration(run_time))),
        note: "no run() starts after it".into(),
    });
    // Pyak47 allowed rampup = run_time (its manual's own examples do it):
    // kept as it is for a back-to-back plan, which has no throughput to
    // judge. A paced plan (--tpm) is judged over the steady state after
    // ramp-up, so there ramp-up must end before the run does.
    let ramp_up = if rampup > run_time || (paced && rampup >= run_time) {
        // The last interval is the steady state, or the second half where
        // the interval is as long as the run (or too short to subtract).
        let r = if ts < run_time && run_time - ts < run_time {
            run_time - ts
        } else {
            run_time / 2.0
        };
        rows.push(Row {
            option: place(s, &ru_e, ru_d),
            value: ru_v.clone(),
            key: format!("run.ramp_up = {}", q(&format_duration(r))),
            note: format!(
                "shortened: pace judges the steady state after ramp-up, and rampup >= run_time leaves none; now the last {} are one",
                human_duration(run_time - r)
            ),
        });
        warnings.push(format!(
            "[global] rampup = {} is not shorter than run_time = {}: the plan ramps up over {} instead, leaving a {} steady state to judge",
            one_line(&ru_v),
            one_line(&rt_shown),
            human_duration(r),
            human_duration(run_time - r)
        ));
        r
    } else {
        rows.push(Row {
            option: place(s, &ru_e, ru_d),
            value: ru_v,
            key: format!("run.ramp_up = {}", q(&format_duration(rampup))),
            note: "user i of n (from 0) starts at i x rampup / n, as Pyak47".into(),
        });
        rampup
    };
    rows.push(Row {
        option: place(s, &ts_e, ts_d),
        value: ts_v,
        key: format!("run.ts_interval = {}", q(&format_duration(ts))),
        note: "time-series bucket of the reports".into(),
    });

    let mut flag = |name: &str| -> Result<Option<(bool, String, String)>, ConvertError> {
        let Some((v, e, d)) = get(name)? else {
            return Ok(None);
        };
        let b = boolean(&v).ok_or_else(|| {
            cfg_err(
                e.line,
                place(s, &e, d),
                format!(
                    "'{}' is not a boolean (on/off, true/false, yes/no, 1/0)",
                    one_line(&v)
                ),
            )
        })?;
        Ok(Some((b, v, place(s, &e, d))))
    };
    if let Some((_, v, option)) = flag("progress_bar")? {
        rows.push(Row {
            option,
            value: v,
            key: "-".into(),
            note: "pace shows progress on a terminal; --quiet silences it".into(),
        });
    }
    if let Some((_, v, option)) = flag("console_logging")? {
        rows.push(Row {
            option,
            value: v,
            key: "-".into(),
            note: "worker output is kept in workers.log in the results folder".into(),
        });
    }
    let xml = match flag("xml_report")? {
        Some((b, v, option)) => {
            rows.push(Row {
                option,
                value: v,
                key: format!("run.xml_report = {b}"),
                note: if b {
                    "also write JMeter's XML JTL (results.xml)".into()
                } else {
                    String::new()
                },
            });
            Some(b)
        }
        None => None,
    };
    // Pyak47 took the string None as "not set".
    let mut text_option =
        |name: &str, key: &str, note: &str| -> Result<Option<String>, ConvertError> {
            let Some((v, e, d)) = get(name)? else {
                return Ok(None);
            };
            let (k, n, out) = if v == "None" || v.trim().is_empty() {
                (
                    "-".to_string(),
                    "not set (as Pyak47 read None or an empty value)".to_string(),
                    None,
                )
            } else {
                (
                    format!("{key} = {}", q(&one_line(&v))),
                    note.to_string(),
                    Some(v.clone()),
                )
            };
            rows.push(Row {
                option: place(s, &e, d),
                value: one_line(&v),
                key: k,
                note: n,
            });
            Ok(out)
        };
    let db = text_option(
        "results_database",
        "run.results_database",
        "the same connection string",
    )?;
    let post_run = text_option(
        "post_run_script",
        "run.post_run",
        "run through sh -c after the reports, with $PACE_RESULTS_DIR",
    )?;
    if let Some(url) = &db
        && let Err(e) = crate::store::sqlite::db_path(url)
    {
        if let Some(r) = rows
            .iter_mut()
            .rev()
            .find(|r| r.key.starts_with("run.results_database"))
        {
            r.note = format!("the run will refuse it: {e}");
        }
        warnings.push(format!(
            "[global] results_database: the run will refuse it: {e}"
        ));
    }
    ignored(
        s,
        &GLOBAL_OPTIONS,
        &GROUP_OPTIONS,
        "a user group's option, here in [global]",
        rows,
    );
    Ok(Global {
        duration: run_time,
        ramp_up,
        ts,
        xml,
        db,
        post_run,
        at: [
            (rt_e.line, place(s, &rt_e, rt_d)),
            (ru_e.line, place(s, &ru_e, ru_d)),
            (ts_e.line, place(s, &ts_e, ts_d)),
        ],
    })
}

fn read_group(
    ini: &Ini,
    s: &Section,
    opts: &Options,
    rows: &mut Vec<Row>,
    scripts: &mut Vec<ScriptRef>,
    used: &mut HashSet<String>,
) -> Result<Group, ConvertError> {
    let hint = if s.name.trim().eq_ignore_ascii_case("global") {
        " (Pyak47 reads only a section named exactly [global] as the global one)"
    } else {
        " (every section but [global] is a user group)"
    };
    let Some((v, e, d)) = ini.get(s, "threads")? else {
        return Err(cfg_err(
            s.line,
            format!("[{}] threads", s.name),
            format!("missing: a user group needs threads, its number of virtual users{hint}"),
        ));
    };
    if d {
        used.insert("threads".into());
    }
    let threads_at = (e.line, place(s, e, d));
    let users: u64 = match v.trim().parse::<i64>() {
        // At most what a plan's group may have: the groups' sum is then
        // far from overflowing.
        Ok(n) if n >= 1 && n as u64 > MAX_USERS => {
            return Err(cfg_err(
                e.line,
                place(s, e, d),
                format!("must be at most {MAX_USERS} (got {n}): the users of one group"),
            ));
        }
        Ok(n) if n >= 1 => n as u64,
        Ok(n) => {
            return Err(cfg_err(
                e.line,
                place(s, e, d),
                format!("must be at least 1 (got {n})"),
            ));
        }
        Err(_) => {
            return Err(cfg_err(
                e.line,
                place(s, e, d),
                format!("'{}' is not a whole number of users", one_line(&v)),
            ));
        }
    };
    rows.push(Row {
        option: place(s, e, d),
        value: v.clone(),
        key: format!("group.users = {users}"),
        note: format!("[[group]] name = {}", q(&s.name)),
    });
    let Some((script, e, d)) = ini.get(s, "script")? else {
        return Err(cfg_err(
            s.line,
            format!("[{}] script", s.name),
            format!(
                "missing: a user group needs the script its users run (a file in test_scripts/){hint}"
            ),
        ));
    };
    if d {
        used.insert("script".into());
    }
    if script.trim().is_empty() || script.contains('\n') {
        return Err(cfg_err(
            e.line,
            place(s, e, d),
            "must name one script file in test_scripts/",
        ));
    }
    let file = script.trim().to_string();
    let path = if std::path::Path::new(&file).is_absolute() {
        file.clone()
    } else {
        format!("{}/{file}", opts.scripts_dir.trim_end_matches('/'))
    };
    scripts.push(ScriptRef {
        section: s.name.clone(),
        line: e.line,
        file: file.clone(),
        row: rows.len(),
    });
    rows.push(Row {
        option: place(s, e, d),
        value: file,
        key: format!("group.script = {}", q(&path)),
        note: "relative to the plan file's folder".into(),
    });
    ignored(
        s,
        &GROUP_OPTIONS,
        &GLOBAL_OPTIONS,
        "a [global] option, here in a user group",
        rows,
    );
    Ok(Group {
        name: s.name.clone(),
        users,
        script: path,
        line: s.line,
        threads_at,
    })
}

mod render;
use render::{render, toml_float};

#[cfg(test)]
mod tests;
