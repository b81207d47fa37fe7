//! docs/plan-format.md against the loader, so the page cannot drift: every
//! table's documented keys are exactly the keys the loader accepts (probed
//! with an unknown key, whose error lists the accepted ones), every table-
//! valued key has its own section, every full example plan passes
//! `pace run --check`, and every error quoted on the page is what pace says.

use assert_cmd::Command;
use pace::plan::file::PlanFile;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const DOC: &str = include_str!("../docs/plan-format.md");

/// One `### [path]` section of the page: its keys and their types.
struct Section {
    /// The table's key path without indices: "" for the top level,
    /// `group.step` for `[[group.step]]`.
    path: String,
    keys: BTreeMap<String, String>,
}

/// The text between `## start` and the next `## ` heading.
fn chapter(start: &str) -> &'static str {
    let head = format!("\n## {start}\n");
    let from = DOC
        .find(&head)
        .unwrap_or_else(|| panic!("docs/plan-format.md has no '## {start}'"))
        + head.len();
    let rest = &DOC[from..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

/// The cells of a markdown table row, trimmed.
fn cells(line: &str) -> Vec<&str> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(str::trim).collect()
}

/// The first backticked text of a cell.
fn ticked(cell: &str) -> Option<&str> {
    let a = cell.find('`')?;
    let b = cell[a + 1..].find('`')?;
    Some(&cell[a + 1..a + 1 + b])
}

fn sections() -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for line in chapter("The keys").lines() {
        if let Some(h) = line.strip_prefix("### ") {
            let path = if h == "The top level" {
                String::new()
            } else {
                assert!(
                    h.starts_with('['),
                    "a key section's heading is `### [table]`: {h}"
                );
                h.trim_matches(|c| c == '[' || c == ']').to_string()
            };
            out.push(Section {
                path,
                keys: BTreeMap::new(),
            });
        } else if line.starts_with("| `") {
            let c = cells(line);
            let key = ticked(c[0]).expect("a key in backticks").to_string();
            let s = out.last_mut().expect("a key table under a section");
            assert_eq!(
                c.len(),
                6,
                "| key | type | default | unit | modes | meaning |: {line}"
            );
            let dup = s.keys.insert(key.clone(), c[1].to_string());
            assert!(dup.is_none(), "[{}] documents `{key}` twice", s.path);
        }
    }
    out
}

/// A plan with every table the loader knows today; `#P:path` marks where
/// the probe key goes for that table, `#X:path` where a sub-table that the
/// plan does not have is added.
const BASE: &str = r#"#P:
[target]
tps = 2.0
response_time = "10ms"
#P:target

[target.embedded]
latency = "1ms"
#P:target.embedded

[run]
duration = "10s"
#P:run
#X:run

[[group]]
name = "g"
users = 2
#P:group

[group.pacing]
mode = "fixed"
interval = "1s"
#P:group.pacing
#X:group

[[group.step]]
name = "s"
url = "http://127.0.0.1:9/"
#P:group.step

[group.step.expect]
status = 200
#P:group.step.expect
#X:group.step

[acceptance]
#P:acceptance

[[resource]]
name = "r"
utilization = "10%"
demand = "1ms"
#P:resource
"#;

/// The tables the base plan lacks: where they go and their required keys.
fn added_table(path: &str) -> Option<(&'static str, &'static str)> {
    Some(match path {
        "run.stairs" => ("run", "[run.stairs]\nusers = [1, 2]\nhold = \"2s\""),
        "group.data" => ("group", "[group.data]\nfile = \"users.csv\""),
        "group.step.think" => (
            "group.step",
            "[group.step.think]\ndist = \"fixed\"\nvalue = \"1s\"",
        ),
        "group.step.extract" => (
            "group.step",
            "[[group.step.extract]]\nname = \"t\"\nheader = \"X-Token\"",
        ),
        "group.acceptance" => ("group", "[group.acceptance]\np95 = \"1s\""),
        "group.step.acceptance" => ("group.step", "[group.step.acceptance]\np95 = \"1s\""),
        _ => return None,
    })
}

const PROBE: &str = "zzz_probe = 1";

/// The base plan with the unknown key in the table at `path`.
fn probe_plan(path: &str) -> String {
    let (marker, extra) = match added_table(path) {
        Some((parent, table)) => (format!("#X:{parent}"), format!("{table}\n{PROBE}")),
        None => (format!("#P:{path}"), PROBE.to_string()),
    };
    assert!(
        BASE.lines().any(|l| l == marker),
        "the test has no probe for [{path}]: add it to BASE or added_table"
    );
    BASE.lines()
        .map(|l| if l == marker { extra.as_str() } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The keys an "unknown field" message lists: serde's "expected one of
/// `a`, `b`" or "expected `a`".
fn accepted_keys(message: &str) -> Option<BTreeSet<String>> {
    let rest = &message[message.find("expected")?..];
    Some(
        rest.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect(),
    )
}

/// Where the page and the loader disagree.
fn drift() -> Vec<String> {
    let mut problems = Vec::new();
    for s in sections() {
        let plan = probe_plan(&s.path);
        let message = match PlanFile::parse(&plan, "probe.toml") {
            Ok(_) => {
                problems.push(format!("[{}]: the loader accepted an unknown key", s.path));
                continue;
            }
            Err(e) => e.to_string(),
        };
        if !message.contains("unknown field `zzz_probe`") {
            problems.push(format!(
                "[{}]: the loader does not take this table as documented: {message}",
                s.path
            ));
            continue;
        }
        let accepted = accepted_keys(&message).expect("the message lists the keys");
        let documented: BTreeSet<String> = s.keys.keys().cloned().collect();
        let undocumented: Vec<_> = accepted.difference(&documented).collect();
        let refused: Vec<_> = documented.difference(&accepted).collect();
        if !undocumented.is_empty() || !refused.is_empty() {
            problems.push(format!(
                "[{}]: accepted but not documented: {undocumented:?}; documented but refused: {refused:?}",
                s.path
            ));
        }
    }
    problems
}

#[test]
fn every_table_documents_exactly_the_keys_the_loader_accepts() {
    let problems = drift();
    assert!(
        problems.is_empty(),
        "docs/plan-format.md drifted:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_table_key_has_its_section_and_every_section_its_key() {
    let secs = sections();
    let paths: BTreeSet<&str> = secs.iter().map(|s| s.path.as_str()).collect();
    let mut linked = BTreeSet::new();
    for s in &secs {
        for (key, ty) in &s.keys {
            if ty.contains("table") {
                let child = if s.path.is_empty() {
                    key.clone()
                } else {
                    format!("{}.{key}", s.path)
                };
                assert!(
                    paths.contains(child.as_str()),
                    "`{key}` of [{}] is a {ty} but has no `### [{child}]` section",
                    s.path
                );
                linked.insert(child);
            }
        }
    }
    for p in paths.iter().filter(|p| !p.is_empty()) {
        assert!(
            linked.contains(*p),
            "[{p}] is not a table-typed key of its parent"
        );
    }
    for required in [
        "run",
        "target.embedded",
        "group",
        "group.pacing",
        "group.step",
        "group.step.expect",
        "acceptance",
        "run.stairs",
        "resource",
        "group.data",
        "group.step.think",
        "group.step.extract",
    ] {
        assert!(paths.contains(required), "no section for [{required}]");
    }
}

/// Every fenced block with its info string, in page order.
fn blocks() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in DOC.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => open = Some((info.trim().to_string(), String::new())),
            (Some(_), Some(_)) => out.push(open.take().unwrap()),
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "an unclosed code block");
    out
}

fn plans() -> Vec<String> {
    blocks()
        .into_iter()
        .filter(|(info, _)| info == "toml")
        .map(|(_, body)| body)
        .collect()
}

/// A folder to check plans in, holding what the examples refer to.
fn workdir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let scripts = d.path().join("test_scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/pyak47-shop/test_scripts");
    for f in std::fs::read_dir(src).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, scripts.join(f.file_name().unwrap())).unwrap();
    }
    // The login example's test data, next to the plans as in examples/login/.
    std::fs::copy(example("users.csv"), d.path().join("users.csv")).unwrap();
    d
}

/// A file of examples/login/.
fn example(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/login")
        .join(name)
}

#[test]
fn the_login_example_is_the_shipped_plan_and_check_reads_its_data() {
    let shipped = std::fs::read_to_string(example("plan.toml")).unwrap();
    assert!(
        plans().contains(&shipped),
        "docs/plan-format.md's login example is not examples/login/plan.toml as it is"
    );
    let out = Command::cargo_bin("pace")
        .unwrap()
        .args(["run", example("plan.toml").to_str().unwrap(), "--check"])
        .env_remove("BASE_URL")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The line the page quotes (wrapped there), as pace prints it.
    let said = "group 'login' data: users.csv: 5 rows, columns user, password; per user, sequential, at end wrap";
    assert!(stdout.contains(said), "{stdout}");
    let page = DOC.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        page.contains(&format!("`{said}`")),
        "the page quotes: {said}"
    );
}

#[test]
fn every_example_is_a_plan_pace_accepts() {
    let all = blocks();
    for (info, body) in all.iter().filter(|(i, _)| i.starts_with("toml")) {
        match info.as_str() {
            "toml" => {
                if let Err(e) = PlanFile::parse(body, "example.toml") {
                    panic!("an example does not load: {e}\n{body}");
                }
            }
            "toml fragment" => {
                body.parse::<toml::Table>()
                    .unwrap_or_else(|e| panic!("a fragment is not TOML: {e}\n{body}"));
            }
            other => panic!("a code block marked `{other}`: use toml or toml fragment"),
        }
    }
    let dir = workdir();
    for (i, body) in plans().iter().enumerate() {
        let file = dir.path().join(format!("example-{i}.toml"));
        std::fs::write(&file, body).unwrap();
        let out = Command::cargo_bin("pace")
            .unwrap()
            .args(["run", file.to_str().unwrap(), "--check"])
            .current_dir(dir.path())
            .env_remove("BASE_URL")
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "`pace run --check` refuses example {i}: {}\n{body}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn every_mode_has_a_full_example() {
    let plans = plans();
    for mode in [
        "fixed",
        "uniform",
        "beta",
        "exponential",
        "after-end",
        "none",
        "arrival-rate",
    ] {
        let line = format!("mode = \"{mode}\"");
        assert!(
            plans
                .iter()
                .any(|p| p.lines().any(|l| l.trim_start().starts_with(&line))),
            "no complete example with {line}"
        );
    }
    for (what, needle) in [
        ("a script group", "\nscript = "),
        ("a stair", "[run.stairs]"),
    ] {
        assert!(
            plans.iter().any(|p| p.contains(needle)),
            "no complete example of {what}"
        );
    }
}

#[test]
fn the_quoted_errors_are_what_pace_says() {
    let base = plans()
        .into_iter()
        .find(|p| p.contains("mode = \"uniform\""))
        .expect("the uniform example");
    let dir = workdir();
    let mut rows = 0;
    for line in chapter("Errors").lines().filter(|l| l.starts_with("| `")) {
        let c = cells(line);
        // A message that holds backticks is quoted in double ones.
        let said = match c[1].strip_prefix("`` ") {
            Some(inner) => inner.strip_suffix(" ``").expect("`` closed"),
            None => ticked(c[1]).expect("the error in backticks"),
        };
        let change = c[0];
        let (from, to) = change.split_once('→').expect("`from` → `to`");
        let (from, to) = (ticked(from).unwrap(), ticked(to).unwrap());
        assert!(base.contains(from), "the uniform example has no `{from}`");
        let plan = base.replacen(from, to, 1);
        std::fs::write(dir.path().join("plan.toml"), plan).unwrap();
        let out = Command::cargo_bin("pace")
            .unwrap()
            .args(["run", "plan.toml", "--check"])
            .current_dir(dir.path())
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{change}: {stderr}");
        assert_eq!(stderr.trim_end(), said, "{change}");
        rows += 1;
    }
    assert!(rows >= 3, "the Errors section quotes {rows} errors");
}
