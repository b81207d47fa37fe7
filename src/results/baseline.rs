//! What `pace baseline` measured: per group, the iteration time B of one
//! user running back to back and each step's response time, each with a
//! Student t interval ([`crate::capacity::interval`]). Written as
//! `baseline.json` beside each group's samples, and read back by
//! `pace plan --from` and `pace import --from`.

use super::sample::{Kind, Sample};
use crate::capacity::interval::MeanInterval;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The file a baseline folder is recognised by.
pub const BASELINE_FILE: &str = "baseline.json";

/// Marks the file's layout; a reader refuses any other.
pub const FORMAT: &str = "pace-baseline-1";

/// A whole baseline: every group of the plan, measured one after the other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub format: String,
    /// The plan that was measured.
    pub plan_file: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    /// Two-sided confidence of every interval.
    pub confidence: f64,
    /// Iterations of each group run before the measured ones and left out
    /// (the first opens the connection).
    pub warmup: u64,
    pub groups: Vec<GroupBaseline>,
}

/// One group, run by one user with no pacing wait.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupBaseline {
    pub name: String,
    /// Its raw rows, relative to the baseline folder.
    pub samples_file: String,
    /// Measured iterations (after the warm-up), failed ones included.
    pub iterations: u64,
    /// Iterations with a failed transaction (left out of B).
    pub failed_iterations: u64,
    /// B, seconds: the iteration time of the successful measured iterations
    /// (step think times included). `None` below two of them.
    pub iteration_time: Option<MeanInterval>,
    /// Steps seen per measured iteration, on average.
    pub transactions_per_iteration: f64,
    /// Failed transactions among the measured iterations.
    pub errors: u64,
    /// Up to three distinct error messages, as recorded.
    pub error_examples: Vec<String>,
    /// Each step's response time (successful ones), in first-seen order.
    pub steps: Vec<StepBaseline>,
}

/// One step (transaction name) of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepBaseline {
    pub name: String,
    pub count: u64,
    pub errors: u64,
    /// Seconds; `None` below two successful samples.
    pub response_time: Option<MeanInterval>,
}

impl GroupBaseline {
    /// Summarises one group's rows: iterations numbered below `warmup` are
    /// left out (each user numbers its iterations from 0), as is anything
    /// cut off by the end of the run.
    pub fn from_samples<I: IntoIterator<Item = Sample>>(
        name: &str,
        samples_file: &str,
        rows: I,
        warmup: u64,
        confidence: f64,
    ) -> GroupBaseline {
        let mut b_ok = Vec::new();
        let (mut iterations, mut failed, mut errors, mut steps_seen) = (0u64, 0u64, 0u64, 0u64);
        let mut examples: Vec<String> = Vec::new();
        let mut steps: Vec<(String, Vec<f64>, u64, u64)> = Vec::new();
        for s in rows {
            if s.iteration < warmup {
                continue;
            }
            match s.kind {
                Kind::Iteration => {
                    iterations += 1;
                    if s.ok {
                        b_ok.push(s.latency);
                    } else {
                        failed += 1;
                        if !s.error.is_empty() && examples.len() < 3 && !examples.contains(&s.error)
                        {
                            examples.push(s.error.clone());
                        }
                    }
                }
                Kind::Step => {
                    steps_seen += 1;
                    let i = match steps.iter().position(|(n, ..)| **n == *s.name) {
                        Some(i) => i,
                        None => {
                            steps.push((s.name.to_string(), Vec::new(), 0, 0));
                            steps.len() - 1
                        }
                    };
                    let st = &mut steps[i];
                    st.2 += 1;
                    if s.ok {
                        st.1.push(s.latency);
                    } else {
                        st.3 += 1;
                        errors += 1;
                        let msg = if s.error.is_empty() {
                            format!("{}: status {}", s.name, s.status)
                        } else {
                            format!("{}: {}", s.name, s.error)
                        };
                        if examples.len() < 3 && !examples.contains(&msg) {
                            examples.push(msg);
                        }
                    }
                }
                _ => {}
            }
        }
        GroupBaseline {
            name: name.to_string(),
            samples_file: samples_file.to_string(),
            iterations,
            failed_iterations: failed,
            iteration_time: MeanInterval::of(&b_ok, confidence),
            transactions_per_iteration: if iterations > 0 {
                steps_seen as f64 / iterations as f64
            } else {
                0.0
            },
            errors,
            error_examples: examples,
            steps: steps
                .into_iter()
                .map(|(name, xs, count, errors)| StepBaseline {
                    name,
                    count,
                    errors,
                    response_time: MeanInterval::of(&xs, confidence),
                })
                .collect(),
        }
    }

    /// Whether anything failed: such a baseline measured errors, not B.
    pub fn has_errors(&self) -> bool {
        self.errors > 0 || self.failed_iterations > 0
    }
}

impl Baseline {
    /// Reads `DIR/baseline.json`. Errors are one line naming the folder
    /// and what is wrong with it.
    pub fn load(dir: &Path) -> Result<Baseline, String> {
        if !dir.exists() {
            return Err(format!("{}: no such folder", dir.display()));
        }
        if !dir.is_dir() {
            return Err(format!(
                "{}: not a folder (give the folder `pace baseline` wrote)",
                dir.display()
            ));
        }
        let file = dir.join(BASELINE_FILE);
        if !file.exists() {
            return Err(format!(
                "{}: not a baseline folder: no {BASELINE_FILE} (`pace baseline PLAN` writes one)",
                dir.display()
            ));
        }
        let text = crate::input::read_text(&file)
            .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
        let b: Baseline = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}: not a baseline pace can read: {}",
                file.display(),
                e.to_string()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        })?;
        if b.format != FORMAT {
            return Err(format!(
                "{}: format '{}', this pace reads '{FORMAT}'",
                file.display(),
                b.format
            ));
        }
        Ok(b)
    }

    /// The group named `name`.
    pub fn group(&self, name: &str) -> Option<&GroupBaseline> {
        self.groups.iter().find(|g| g.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: Kind, name: &str, iteration: u64, latency: f64, ok: bool) -> Sample {
        let mut s = Sample::event(kind, 0.0, "g", 0);
        s.name = name.into();
        s.iteration = iteration;
        s.latency = latency;
        s.ok = ok;
        if !ok {
            s.error = "boom".into();
        }
        s
    }

    #[test]
    fn summarises_after_the_warmup() {
        let mut rows = Vec::new();
        // Iteration 0 is the warm-up: slow, and left out.
        for (i, (a, b)) in [(1.0, 1.0), (0.1, 0.2), (0.12, 0.18), (0.11, 0.19)]
            .into_iter()
            .enumerate()
        {
            rows.push(row(Kind::Step, "a", i as u64, a, true));
            rows.push(row(Kind::Step, "b", i as u64, b, true));
            rows.push(row(Kind::Iteration, "g", i as u64, a + b, true));
        }
        rows.push(row(Kind::Step, "a", 4, 0.1, false));
        rows.push(row(Kind::Iteration, "g", 4, 0.1, false));
        let g = GroupBaseline::from_samples("g", "s.csv", rows, 1, 0.95);
        assert_eq!((g.iterations, g.failed_iterations, g.errors), (4, 1, 1));
        assert!(g.has_errors());
        let b = g.iteration_time.unwrap();
        assert_eq!(b.n, 3);
        assert!((b.mean - 0.3).abs() < 1e-12, "{}", b.mean);
        // 7 steps over 4 measured iterations.
        assert!((g.transactions_per_iteration - 1.75).abs() < 1e-12);
        assert_eq!(g.steps.len(), 2);
        assert_eq!(
            (
                g.steps[0].name.as_str(),
                g.steps[0].count,
                g.steps[0].errors
            ),
            ("a", 4, 1)
        );
        assert!((g.steps[0].response_time.unwrap().mean - 0.11).abs() < 1e-12);
        assert_eq!(
            g.error_examples,
            vec!["a: boom".to_string(), "boom".to_string()]
        );
    }

    #[test]
    fn load_names_what_is_wrong() {
        let d = tempfile::tempdir().unwrap();
        let missing = d.path().join("nope");
        assert!(
            Baseline::load(&missing)
                .unwrap_err()
                .ends_with("no such folder")
        );
        assert!(
            Baseline::load(d.path())
                .unwrap_err()
                .contains("not a baseline folder")
        );
        std::fs::write(d.path().join(BASELINE_FILE), "{}").unwrap();
        let e = Baseline::load(d.path()).unwrap_err();
        assert!(
            e.contains("not a baseline pace can read") && !e.contains('\n'),
            "{e}"
        );
    }
}
