//! Fuzz target `pyak47_config`: Pyak47 config.cfg files mutated option by
//! option (values, names, sections, `[DEFAULT]`, `%(name)s` references,
//! continuation lines, comments) from the manual's examples and the
//! project's configs, through the reader (`pyak47::ini::parse`), the
//! converter (`pyak47::convert::convert`, with and without a rate), the
//! file path `pace run PROJECT` takes (`plan_from_project`, `convert_file`
//! on raw bytes), and then everything the plan target checks on the plan
//! it wrote.
//!
//! The property: a config is converted or refused with a one-line error;
//! the converter never writes a plan that does not load back; nothing
//! panics, hangs or allocates without bound.

use crate::Known;
use crate::engine::{Finding, Outcome, Rng, Target};
use crate::mutate::{self, MAX_TEXT, NUMBERS, STRINGS};
use crate::plan::{collect, known_in_plan, one_line_error, plan_hazard, runnable};
use pace::plan::file::PlanFile;
use pace::pyak47::convert::{self, ConvertError, Options, Rate, RateUnit};
use pace::pyak47::ini;
use std::path::Path;

const GLOBAL_SECONDS: &[&str] = &["run_time", "rampup", "results_ts_interval"];
const GLOBAL_BOOLS: &[&str] = &["progress_bar", "console_logging", "xml_report"];
const GLOBAL_TEXT: &[&str] = &["results_database", "post_run_script"];
const GROUP_KEYS: &[&str] = &["threads", "script"];

const SECTION_NAMES: &[&str] = &[
    "global",
    "Global",
    " global",
    "GLOBAL",
    "DEFAULT",
    "default",
    "user_group-1",
    "user_group-2",
    "user_group-9",
    "",
    "]",
    "[x",
    "日本",
    "a b",
    "global]",
];

fn seconds(rng: &mut Rng) -> String {
    if rng.chance(1, 3) {
        return rng
            .pick(&[
                "100", "300", "0", "1e308", "1e-320", "5e-324", "1e-9", "0.000001", "-5", "nan",
                "inf", "300.5", "", "None", "1e15", "86400", "3600.0", "10 ; s", "1_0", "0x10",
                "٣", "2e9",
            ])
            .to_string();
    }
    rng.pick(NUMBERS).to_string()
}

fn threads(rng: &mut Rng) -> String {
    rng.pick(&[
        "1",
        "10",
        "30",
        "0",
        "-1",
        "1.5",
        "4294967295",
        "4294967296",
        "9223372036854775807",
        "9223372036854775806",
        "-9223372036854775808",
        "18446744073709551615",
        "100000000",
        "",
        " 7 ",
        "+3",
        "3e2",
        "nan",
    ])
    .to_string()
}

fn boolean(rng: &mut Rng) -> String {
    rng.pick(&[
        "on", "off", "yes", "no", "1", "0", "TRUE", "False", "maybe", "", "None", "oN",
    ])
    .to_string()
}

fn text_value(rng: &mut Rng) -> String {
    if rng.chance(1, 2) {
        return rng
            .pick(&[
                "sqlite:///results.db",
                "sqlite:///%(base)s/results.db",
                "sqlite://",
                "sqlite:////abs/path.db",
                "postgresql://user:secret@host/db",
                "None",
                "python my_project/foo.py",
                "echo 100%% done",
                "5% off",
                "%(missing)s",
                "%(",
                "%(run_time)s",
                "%%(x)s",
                "vu_script.py",
                "../../etc/passwd",
                "/abs/script.py",
                "a b.py",
                "x.py ; comment",
            ])
            .to_string();
    }
    rng.pick(STRINGS).replace('\n', " ")
}

/// A value for option `name`.
fn value_for(rng: &mut Rng, name: &str) -> String {
    let n = name.trim().to_lowercase();
    if rng.chance(1, 12) {
        return mutate::long(rng, '9');
    }
    if GLOBAL_SECONDS.contains(&n.as_str()) {
        seconds(rng)
    } else if GLOBAL_BOOLS.contains(&n.as_str()) {
        boolean(rng)
    } else if n == "threads" {
        threads(rng)
    } else {
        text_value(rng)
    }
}

/// The option names a line may carry.
fn any_option(rng: &mut Rng) -> String {
    let all: Vec<&str> = GLOBAL_SECONDS
        .iter()
        .chain(GLOBAL_BOOLS)
        .chain(GLOBAL_TEXT)
        .chain(GROUP_KEYS)
        .copied()
        .chain(["base", "note", "RUN_TIME", "Threads", "a", "b"])
        .collect();
    rng.pick(&all).to_string()
}

/// `(index, name)` of every option line.
fn options(lines: &[String]) -> Vec<(usize, String)> {
    lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let t = l.trim();
            if t.is_empty()
                || t.starts_with('[')
                || t.starts_with('#')
                || t.starts_with(';')
                || l.starts_with(char::is_whitespace)
            {
                return None;
            }
            let sep = t.find(['=', ':'])?;
            Some((i, t[..sep].trim().to_string()))
        })
        .collect()
}

fn sections(lines: &[String]) -> Vec<usize> {
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim().starts_with('['))
        .map(|(i, _)| i)
        .collect()
}

fn section_end(lines: &[String], h: usize) -> usize {
    (h + 1..lines.len())
        .find(|&j| lines[j].trim().starts_with('['))
        .unwrap_or(lines.len())
}

/// A `[DEFAULT]` whose options reference each other, `width` times per
/// level, `depth` levels deep: what `%(name)s` interpolation makes of it
/// grows as width^depth.
fn reference_chain(rng: &mut Rng) -> Vec<String> {
    let depth = rng.between(2, 10);
    let width = rng.between(2, 10);
    let mut out = vec!["[DEFAULT]".to_string(), "r0 = xxxxxxxxxx".to_string()];
    for d in 1..=depth {
        out.push(format!(
            "r{d} = {}",
            format!("%(r{})s", d - 1).repeat(width)
        ));
    }
    out.push(format!(
        "{} = %(r{depth})s",
        rng.pick(&["post_run_script", "results_database", "script", "note"])
    ));
    out
}

/// One structured edit of a config's text.
fn mutate_once(rng: &mut Rng, text: &str) -> String {
    let mut ls = mutate::lines(text);
    let opts = options(&ls);
    let heads = sections(&ls);
    match rng.below(15) {
        0..=3 if !opts.is_empty() => {
            let (i, name) = rng.pick(&opts).clone();
            let sep = if ls[i]
                .trim()
                .find(['=', ':'])
                .map(|p| ls[i].trim().as_bytes()[p])
                == Some(b':')
            {
                ":"
            } else {
                "="
            };
            ls[i] = format!("{name} {sep} {}", value_for(rng, &name));
        }
        4 if !opts.is_empty() => {
            let (i, _) = rng.pick(&opts).clone();
            ls[i] = mutate::perturb_digits(rng, &ls[i]);
        }
        5 | 6 => {
            let name = any_option(rng);
            let line = format!("{name} = {}", value_for(rng, &name));
            let at = if heads.is_empty() || rng.chance(1, 10) {
                rng.below(ls.len() + 1)
            } else {
                let h = rng.pick(&heads);
                rng.between(h + 1, section_end(&ls, h))
            };
            ls.insert(at, line);
        }
        7 if !opts.is_empty() => {
            let (i, name) = rng.pick(&opts).clone();
            match rng.below(5) {
                0 => {
                    ls.remove(i);
                }
                1 => {
                    let l = ls[i].clone();
                    ls.insert(i + 1, l);
                }
                2 => {
                    let renamed = if rng.chance(1, 2) {
                        name.to_uppercase()
                    } else {
                        any_option(rng)
                    };
                    ls[i] = ls[i].replacen(&name, &renamed, 1);
                }
                3 => {
                    // A reference to another option (or to itself).
                    let other = rng.pick(&opts).1.clone();
                    ls[i] = format!("{name} = %({other})s");
                }
                _ => {
                    ls[i] = format!(
                        "{} {}",
                        ls[i],
                        rng.pick(&["; comment", ";no space", "# hash", " ;", "\"\""])
                    )
                }
            }
        }
        8 if !heads.is_empty() => {
            let h = rng.pick(&heads);
            let end = section_end(&ls, h);
            match rng.below(3) {
                0 if text.len() < MAX_TEXT / 2 => {
                    let block: Vec<String> = ls[h..end].to_vec();
                    let at = rng.pick(&[end, ls.len()]);
                    for (j, l) in block.into_iter().enumerate() {
                        ls.insert(at + j, l);
                    }
                }
                1 => {
                    ls.drain(h..end);
                }
                _ => ls[h] = format!("[{}]", rng.pick(SECTION_NAMES)),
            }
        }
        9 => {
            // A [DEFAULT] with options every section inherits.
            let mut block = vec!["[DEFAULT]".to_string()];
            for _ in 0..rng.between(1, 3) {
                let name = any_option(rng);
                block.push(format!("{name} = {}", value_for(rng, &name)));
            }
            let at = rng.pick(&[0, ls.len()]);
            for (j, l) in block.into_iter().enumerate() {
                ls.insert(at + j, l);
            }
        }
        10 if text.len() < MAX_TEXT / 2 => {
            ls.extend(reference_chain(rng));
        }
        11 if !opts.is_empty() => {
            // A continuation line after an option.
            let (i, _) = rng.pick(&opts).clone();
            let cont = format!(
                "{}{}",
                rng.pick(&["  ", "\t", " "]),
                rng.pick(&["more", "", "[x]", "= 3", "%(base)s", "100"])
            );
            ls.insert(i + 1, cont);
        }
        12 => {
            // Another user group.
            let n = rng.between(1, 99);
            ls.push(format!("[user_group-{n}]"));
            ls.push(format!("threads = {}", threads(rng)));
            ls.push(format!("script = {}", text_value(rng)));
        }
        _ => return mutate::text_edit(rng, text),
    }
    mutate::join(&ls)
}

/// The configs the project holds, the manual's examples and the shared
/// cases' (copied into tests/fixtures/fuzz/configs), sorted.
fn seed_configs() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect(&root.join("tests/fixtures"), "cfg", &mut files);
    files.sort();
    let mut out: Vec<String> = files
        .into_iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    out.push(
        "[global]\nrun_time = 30\nrampup = 3\nresults_ts_interval = 5\n[user_group-1]\nthreads = 2\nscript = vu.py\n"
            .into(),
    );
    out
}

/// A generated config case.
#[derive(Debug, Clone)]
pub struct IniCase {
    pub text: String,
    pub rate: Option<(f64, u8)>,
    pub rt: Option<f64>,
    /// Read from a project folder as `pace run PROJECT` does, as bytes
    /// (with a stray Latin-1 byte where `latin1` is set).
    pub via_file: bool,
    pub latin1: bool,
}

pub struct IniTarget {
    seeds: Vec<String>,
    dir: tempfile::TempDir,
}

impl IniTarget {
    pub fn new() -> IniTarget {
        let seeds = seed_configs();
        assert!(seeds.len() >= 8, "the config seeds are missing");
        IniTarget {
            seeds,
            dir: crate::engine::scratch(),
        }
    }
}

fn options_of(c: &IniCase) -> Options {
    Options {
        rate: c.rate.map(|(value, u)| Rate {
            value,
            unit: match u {
                0 => RateUnit::Tps,
                1 => RateUnit::Tpm,
                _ => RateUnit::Tph,
            },
        }),
        rt: c.rt,
        ..Options::default()
    }
}

/// The plan the case converts to, if it does.
fn converted(c: &IniCase) -> Option<PlanFile> {
    let parsed = ini::parse(&c.text).ok()?;
    let conv = convert::convert(&parsed, &options_of(c)).ok()?;
    PlanFile::parse(&conv.text, "plan.toml").ok()
}

impl Target for IniTarget {
    type Input = IniCase;
    const NAME: &'static str = "pyak47_config";
    const CI_CASES: u64 = 6000;

    fn generate(&mut self, rng: &mut Rng) -> IniCase {
        let mut text = rng.pick(&self.seeds).clone();
        let n = rng.pick(&[0, 1, 1, 1, 2, 2, 3, 4]);
        for _ in 0..n {
            text = mutate_once(rng, &text);
            if text.len() > MAX_TEXT {
                text.truncate(text.floor_char_boundary(MAX_TEXT));
            }
        }
        let rate = rng.chance(1, 3).then(|| {
            let v: f64 = match rng.below(3) {
                0 => rng
                    .pick(&[1.0, 50.0, 600.0, 1e-9, 1e-300, 1e300, 5e-324, 1e15])
                    .to_owned(),
                _ => 1.0 + rng.unit() * 1000.0,
            };
            (v, rng.below(3) as u8)
        });
        let rt = (rate.is_some() && rng.chance(1, 2))
            .then(|| rng.pick(&[0.5, 1e-9, 1e300, 5e-324, 2.0, 1e9]));
        IniCase {
            text,
            rate,
            rt,
            via_file: rng.chance(1, 8),
            latin1: rng.chance(1, 4),
        }
    }

    fn render(&self, c: &IniCase) -> String {
        let mut flags = String::new();
        if let Some((v, u)) = c.rate {
            flags.push_str(&format!(
                " --{} {v:e}",
                ["tps", "tpm", "tph"][u.min(2) as usize]
            ));
        }
        if let Some(rt) = c.rt {
            flags.push_str(&format!(" --rt {rt:e}"));
        }
        format!(
            "# pace import{flags}{}\n{}",
            if c.via_file {
                " (read from a project folder)"
            } else {
                ""
            },
            c.text
        )
    }

    fn shrink(&self, c: &IniCase) -> Vec<IniCase> {
        let mut out: Vec<IniCase> = mutate::shrink_lines(&c.text)
            .into_iter()
            .map(|text| IniCase { text, ..c.clone() })
            .collect();
        if c.rt.is_some() {
            out.push(IniCase {
                rt: None,
                ..c.clone()
            });
        }
        if c.rate.is_some() {
            out.push(IniCase {
                rate: None,
                rt: None,
                ..c.clone()
            });
        }
        if c.via_file {
            out.push(IniCase {
                via_file: false,
                ..c.clone()
            });
        }
        out
    }

    fn known_open(&mut self, c: &IniCase) -> Option<Known> {
        known_in_plan(&converted(c)?)
    }

    fn hazard(&mut self, c: &IniCase) -> Option<String> {
        plan_hazard(&converted(c)?)
    }

    fn run(&mut self, c: &IniCase, rng: &mut Rng) -> Outcome {
        let opts = options_of(c);
        if c.via_file {
            let cfg = self.dir.path().join(pace::pyak47::CONFIG_FILE);
            let mut bytes = c.text.clone().into_bytes();
            if c.latin1 {
                let at = bytes.len() / 2;
                bytes.insert(at, 0xE9);
            }
            std::fs::write(&cfg, &bytes).expect("a temporary file");
            if let Err(e) = pace::pyak47::plan_from_project(self.dir.path()) {
                return one_line_error("plan_from_project", &e);
            }
            match pace::pyak47::convert_file(&cfg, &opts) {
                Err(e) => {
                    if e.starts_with("error: internal") {
                        return Err(internal(&e));
                    }
                    return one_line_error("convert_file", &e);
                }
                Ok(mut conv) => {
                    let _ = pace::pyak47::check_scripts(&mut conv, self.dir.path(), &cfg);
                }
            }
        }
        let parsed = match ini::parse(&c.text) {
            Ok(p) => p,
            Err(e) => return one_line_error("ini::parse", &e.to_string()),
        };
        let conv = match convert::convert(&parsed, &opts) {
            Ok(conv) => conv,
            Err(ConvertError::Config(e)) => return one_line_error("convert", &e.to_string()),
            Err(ConvertError::Rate(m)) => return one_line_error("convert (rate)", &m),
            Err(ConvertError::Internal(m)) => return Err(internal(&m)),
        };
        for r in &conv.rows {
            if r.option.contains('\n') || r.key.contains('\n') || r.note.contains('\n') {
                return Err(Finding::new(
                    "convert: a table row spans lines",
                    format!("{r:?}"),
                ));
            }
        }
        let plan = match PlanFile::parse(&conv.text, "plan.toml") {
            Ok(p) => p,
            Err(e) => {
                return Err(Finding::new(
                    "convert: Ok, but its plan does not load",
                    e.to_string(),
                ));
            }
        };
        runnable(&plan, rng)
    }
}

/// The converter wrote a plan that does not load back: a bug, keyed by the
/// plan key that was refused.
fn internal(m: &str) -> Finding {
    // "...does not load back: the converted plan:LINE: KEY: message"
    let key = m
        .rsplit_once("the converted plan:")
        .and_then(|(_, r)| r.split(": ").nth(1))
        .unwrap_or("?");
    Finding::new(
        format!("convert: the plan it writes does not load back ({key})"),
        m.to_string(),
    )
}
