//! Fuzz targets `capacity_input` and `stair_folders`: what `pace capacity`
//! reads (CSVs of N,X[,R] from any tool, run folders, stair folders) and
//! the stair folders a stair run writes, mutated structurally: cells at
//! their edges, rows repeated and torn, columns and delimiters changed,
//! summary.json leaves of another type or out of range, levels repeated
//! or removed, level folders' plans and summaries edited or gone.
//!
//! Each case runs `capacity_input::read_inputs` in-process under
//! `catch_unwind` and the memory bound (4x the input + 8 MiB, measured);
//! every Nth case also runs `pace capacity` (and for a stair folder
//! `pace report` on a level) in a 256 MiB address space. The property: a
//! fit or a one-line refusal (exit 2); no panic, no abort, nothing past
//! the memory bound.

use crate::Known;
use crate::engine::{self, BIN_ADDRESS_SPACE, Outcome, Rng, Target};
use crate::folders::{self, Files};
use crate::mutate::{self, MAX_TEXT, NUMBERS, STRINGS};
use crate::plan::one_line_error;
use std::path::{Path, PathBuf};

/// One input of `pace capacity`.
#[derive(Debug, Clone)]
pub enum Input {
    Csv(String),
    Folder(Files),
}

#[derive(Debug, Clone)]
pub struct CapCase {
    pub inputs: Vec<Input>,
    /// `--transactions-per-iteration`.
    pub per_iteration: Option<String>,
    /// Extra flags for the binary (`--at`, `--target-x`, ...).
    pub flags: Vec<String>,
    pub binary: bool,
}

fn csv_seeds() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/capacity");
    let mut v: Vec<String> = ["cisco.csv", "specsdm91.csv", "worker-pool.csv"]
        .iter()
        .map(|f| std::fs::read_to_string(root.join(f)).expect("a capacity fixture"))
        .collect();
    v.push("N,X,R\n1,64.9,0.01\n18,995.9,0.018\n36,1652.4,0.021\n72,1853.2,0.038\n".into());
    v.push("users;tps\n1;10\n2;19,5\n4;37\n8;60\n".into());
    v.push("1\t10\n2\t20\n4\t38\n".into());
    v
}

/// A cell value of a capacity CSV.
fn cell(rng: &mut Rng, near: Option<f64>) -> String {
    match rng.below(8) {
        0 => rng.pick(STRINGS).to_string(),
        1 => rng.pick(NUMBERS).to_string(),
        _ => mutate::number(rng, near),
    }
}

/// One structured edit of a capacity CSV.
fn mutate_csv(rng: &mut Rng, text: &str) -> String {
    let mut ls = mutate::lines(text);
    let rows: Vec<usize> = (0..ls.len()).filter(|&i| !ls[i].is_empty()).collect();
    match rng.below(9) {
        0..=2 if !rows.is_empty() => {
            let i = rng.pick(&rows);
            let mut f: Vec<String> = ls[i].split(',').map(str::to_string).collect();
            let c = rng.below(f.len());
            let near = f[c].trim().parse::<f64>().ok();
            f[c] = cell(rng, near);
            ls[i] = f.join(",");
        }
        3 if !rows.is_empty() => {
            // A column added or dropped in one row or every row.
            let all = rng.chance(1, 2);
            let one = rng.pick(&rows);
            let add = rng.chance(1, 2);
            for i in rows.iter().copied().filter(|&i| all || i == one) {
                if add {
                    ls[i].push_str(&format!(",{}", cell(rng, None)));
                } else if let Some(p) = ls[i].rfind(',') {
                    ls[i].truncate(p);
                }
            }
        }
        4 if !rows.is_empty() && text.len() < MAX_TEXT / 2 => {
            // Rows repeated: a repeated N, and volume.
            let i = rng.pick(&rows);
            let l = ls[i].clone();
            for _ in 0..rng.between(1, 200) {
                ls.insert(i, l.clone());
            }
        }
        5 if text.len() < MAX_TEXT / 2 => {
            // Many distinct levels (up to the case size).
            let n = rng.between(10, 400);
            for k in 1..=n {
                ls.push(format!("{k},{},{}", k as f64 * 9.5, 0.01 + k as f64 * 1e-4));
            }
        }
        6 => {
            let d = rng.pick(&[";", "\t", " ", "|", ",,", "\"", ""]);
            return text.replace(',', d);
        }
        7 => {
            let h = rng.pick(&[
                "N,X,R",
                "n,x",
                "N,X,R,extra",
                "\"N\",\"X\"",
                "N",
                "",
                "1,2,3",
            ]);
            ls.insert(0, h.to_string());
        }
        _ => return mutate::text_edit(rng, text),
    }
    mutate::join(&ls)
}

/// The stair folder, one of its levels, or a shard (an ordinary run).
fn folder_seeds() -> Vec<Files> {
    let f = folders::get();
    let mut v = vec![f.stair.clone()];
    v.extend(f.shards.iter().cloned());
    // Each level folder is a run folder of its own.
    let mut levels: std::collections::BTreeMap<String, Files> = Default::default();
    for (name, bytes) in &f.stair {
        if let Some((dir, file)) = name.split_once('/') {
            levels
                .entry(dir.to_string())
                .or_default()
                .insert(file.to_string(), bytes.clone());
        }
    }
    v.extend(levels.into_values());
    v
}

pub struct CapacityTarget {
    csvs: Vec<String>,
    folders: Vec<Files>,
    stairs_only: bool,
    tmp: tempfile::TempDir,
    bin_every: u64,
}

impl CapacityTarget {
    /// `pace capacity`'s inputs: CSVs, run and stair folders, mixed.
    pub fn new() -> CapacityTarget {
        CapacityTarget {
            csvs: csv_seeds(),
            folders: folder_seeds(),
            stairs_only: false,
            tmp: engine::scratch(),
            bin_every: folders::every("PACE_FUZZ_BIN_EVERY", 10),
        }
    }

    /// Stair folders only, with more edits each.
    pub fn stairs() -> CapacityTarget {
        CapacityTarget {
            stairs_only: true,
            ..CapacityTarget::new()
        }
    }

    fn write(&self, c: &CapCase) -> Vec<PathBuf> {
        let root = self.tmp.path().join("in");
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("a scratch folder");
        c.inputs
            .iter()
            .enumerate()
            .map(|(i, inp)| match inp {
                Input::Csv(t) => {
                    let p = root.join(format!("in{i}.csv"));
                    std::fs::write(&p, t).expect("write a CSV");
                    p
                }
                Input::Folder(f) => {
                    let p = root.join(format!("run{i}"));
                    folders::write_files(&p, f);
                    p
                }
            })
            .collect()
    }
}

fn size(c: &CapCase) -> usize {
    c.inputs
        .iter()
        .map(|i| match i {
            Input::Csv(t) => t.len(),
            Input::Folder(f) => folders::size(f),
        })
        .sum()
}

/// Runs one generic binary case and checks how it ended.
pub fn run_binary(args: Vec<String>, cwd: &Path) -> Outcome {
    crate::samples::check_binary_in(&args, cwd, BIN_ADDRESS_SPACE)
}

impl Target for CapacityTarget {
    type Input = CapCase;
    const NAME: &'static str = "capacity_input";
    const CI_CASES: u64 = 400;

    fn generate(&mut self, rng: &mut Rng) -> CapCase {
        let mut inputs = Vec::new();
        let n = if self.stairs_only {
            1 + usize::from(rng.chance(1, 8))
        } else {
            rng.pick(&[1, 1, 1, 2, 2, 3])
        };
        for _ in 0..n {
            if self.stairs_only || rng.chance(1, 2) {
                let mut f = if self.stairs_only {
                    self.folders[0].clone()
                } else {
                    rng.pick(&self.folders)
                };
                let edits = rng.pick(&[0, 1, 1, 2, 3, 5]) + usize::from(self.stairs_only);
                for _ in 0..edits {
                    folders::mutate_folder(rng, &mut f);
                }
                inputs.push(Input::Folder(f));
            } else {
                let mut t = rng.pick(&self.csvs);
                for _ in 0..rng.pick(&[0, 1, 1, 2, 3]) {
                    t = mutate_csv(rng, &t);
                    if t.len() > MAX_TEXT {
                        t.truncate(t.floor_char_boundary(MAX_TEXT));
                    }
                }
                inputs.push(Input::Csv(t));
            }
        }
        let per_iteration = rng.chance(1, 8).then(|| {
            rng.pick(&["1", "3", "0.5", "1e-300", "1e308", "0", "nan"])
                .to_string()
        });
        let mut flags = Vec::new();
        for _ in 0..rng.pick(&[0, 0, 1, 2]) {
            let f = rng.pick(&[
                "--at",
                "--target-x",
                "--target-r",
                "--think",
                "--demand",
                "--confidence",
            ]);
            let v = match f {
                "--demand" => rng
                    .pick(&["5ms,20ms", "0s", "1e308s", "5ms,,1s"])
                    .to_string(),
                "--target-r" | "--think" => {
                    rng.pick(&["50ms", "1s", "0s", "1e300s", "1us"]).to_string()
                }
                "--confidence" => rng.pick(&["0.95", "0.5", "1", "0", "0.999999"]).to_string(),
                _ => mutate::number(rng, Some(100.0)),
            };
            flags.push(format!("{f}={v}"));
        }
        if rng.chance(1, 3) {
            flags.push("--json".into());
        }
        CapCase {
            inputs,
            per_iteration,
            flags,
            binary: rng.chance(1, self.bin_every),
        }
    }

    fn render(&self, c: &CapCase) -> String {
        let mut s = String::from("# pace capacity");
        for (i, inp) in c.inputs.iter().enumerate() {
            match inp {
                Input::Csv(_) => s.push_str(&format!(" in{i}.csv")),
                Input::Folder(_) => s.push_str(&format!(" run{i}")),
            }
        }
        if let Some(k) = &c.per_iteration {
            s.push_str(&format!(" --transactions-per-iteration={k}"));
        }
        for f in &c.flags {
            s.push(' ');
            s.push_str(f);
        }
        s.push('\n');
        for (i, inp) in c.inputs.iter().enumerate() {
            match inp {
                Input::Csv(t) => s.push_str(&format!("## in{i}.csv\n{t}\n")),
                Input::Folder(f) => s.push_str(&folders::render_files(&format!("run{i}"), f)),
            }
        }
        s
    }

    fn shrink(&self, c: &CapCase) -> Vec<CapCase> {
        let mut out = Vec::new();
        if c.binary || !c.flags.is_empty() {
            out.push(CapCase {
                binary: false,
                flags: Vec::new(),
                ..c.clone()
            });
        }
        for i in 0..c.inputs.len() {
            if c.inputs.len() > 1 {
                let mut d = c.clone();
                d.inputs.remove(i);
                out.push(d);
            }
            match &c.inputs[i] {
                Input::Csv(t) => {
                    for cand in mutate::shrink_lines(t) {
                        let mut d = c.clone();
                        d.inputs[i] = Input::Csv(cand);
                        out.push(d);
                    }
                }
                Input::Folder(f) => {
                    for cand in folders::shrink_files(f) {
                        let mut d = c.clone();
                        d.inputs[i] = Input::Folder(cand);
                        out.push(d);
                    }
                }
            }
        }
        out
    }

    fn known_open(&mut self, _c: &CapCase) -> Option<Known> {
        None
    }

    fn hazard(&mut self, _c: &CapCase) -> Option<String> {
        None
    }

    fn run(&mut self, c: &CapCase, _rng: &mut Rng) -> Outcome {
        let paths = self.write(c);
        let k = c
            .per_iteration
            .as_deref()
            .and_then(|k| pace::units::parse_positive(k).ok());
        let r = engine::within_memory("capacity inputs (read_inputs)", size(c), || {
            pace::cli::capacity_input::read_inputs(&paths, k)
        })?;
        if let Err(e) = r {
            one_line_error("capacity inputs (read_inputs)", &e)?;
        }
        if c.binary {
            let mut args = vec!["capacity".to_string()];
            args.extend(paths.iter().map(|p| p.display().to_string()));
            if let Some(k) = &c.per_iteration {
                args.push(format!("--transactions-per-iteration={k}"));
            }
            args.extend(c.flags.iter().cloned());
            args.push(format!(
                "--html={}",
                self.tmp.path().join("c.html").display()
            ));
            run_binary(args, self.tmp.path())?;
            if self.stairs_only {
                // A level folder of the stair, as `pace report` reads it.
                if let Some(level) = std::fs::read_dir(&paths[0])
                    .ok()
                    .and_then(|d| d.flatten().map(|e| e.path()).find(|p| p.is_dir()))
                {
                    run_binary(
                        vec!["verify".into(), level.display().to_string()],
                        self.tmp.path(),
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// The two capacity targets differ only in their name and generator.
pub struct StairTarget(pub CapacityTarget);

impl Target for StairTarget {
    type Input = CapCase;
    const NAME: &'static str = "stair_folders";
    const CI_CASES: u64 = 250;

    fn generate(&mut self, rng: &mut Rng) -> CapCase {
        self.0.generate(rng)
    }
    fn render(&self, c: &CapCase) -> String {
        self.0.render(c)
    }
    fn shrink(&self, c: &CapCase) -> Vec<CapCase> {
        self.0.shrink(c)
    }
    fn known_open(&mut self, c: &CapCase) -> Option<Known> {
        self.0.known_open(c)
    }
    fn hazard(&mut self, c: &CapCase) -> Option<String> {
        self.0.hazard(c)
    }
    fn run(&mut self, c: &CapCase, rng: &mut Rng) -> Outcome {
        self.0.run(c, rng)
    }
}
