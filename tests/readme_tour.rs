//! README.md's "A short tour" runs as written: its ```sh blocks (all but
//! those after `<!-- tour: skip -->`, and none under "Beyond the tour") are
//! joined into one script and run with `sh -eu` in a copy of the
//! repository's plans/ and examples/, with the built `pace` first on the
//! PATH. Everything it starts listens on 127.0.0.1 only.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const README: &str = include_str!("../README.md");

/// The longest the whole tour may take (it needs well under a minute and
/// a half on 2 cores).
const LIMIT: Duration = Duration::from_secs(240);

/// The tour's shell blocks, in order.
fn tour_blocks() -> Vec<String> {
    let head = "\n## A short tour\n";
    let from = README.find(head).expect("README.md has '## A short tour'");
    let rest = &README[from + head.len()..];
    let end = rest
        .find("\n### Beyond the tour")
        .into_iter()
        .chain(rest.find("\n## "))
        .min()
        .unwrap_or(rest.len());
    let text = &rest[..end];
    let mut blocks = Vec::new();
    let mut skip_next = false;
    let mut open: Option<(bool, String)> = None;
    for line in text.lines() {
        match &mut open {
            None if line.trim() == "<!-- tour: skip -->" => skip_next = true,
            None if line.starts_with("```sh") => {
                open = Some((skip_next, String::new()));
                skip_next = false;
            }
            None => {}
            Some(_) if line.starts_with("```") => {
                let (skip, body) = open.take().unwrap();
                if !skip {
                    blocks.push(body);
                }
            }
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    blocks
}

/// Copies a folder, leaving out what runs write into it (a plan.toml next
/// to a config.cfg is a converted project's leftover; examples/login's is
/// the example itself).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    let project = from.join("config.cfg").exists();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if name == "results" || (project && name == "plan.toml") || name == "__pycache__" {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        if e.file_type().unwrap().is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

fn pace_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_pace"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[test]
fn the_tour_runs_top_to_bottom() {
    let blocks = tour_blocks();
    assert!(blocks.len() >= 3, "the tour has {} sh blocks", blocks.len());
    let script = blocks.join("\n");
    for needle in [
        "pace run plans/demo.toml",
        "pace import examples/",
        "pace verify",
    ] {
        assert!(script.contains(needle), "the tour lost `{needle}`");
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_tree(&root.join("plans"), &dir.join("plans"));
    copy_tree(&root.join("examples"), &dir.join("examples"));
    std::fs::write(dir.join("tour.sh"), &script).unwrap();
    let (out_path, err_path) = (dir.join("tour.out"), dir.join("tour.err"));
    let path = format!(
        "{}:{}",
        pace_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("sh");
    cmd.args(["-eu", "tour.sh"])
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("PACE_TARGET")
        .env_remove("BASE_URL")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap());
    // Its own process group, so a tour that overruns is stopped whole
    // (the target it started in the background included).
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if started.elapsed() > LIMIT {
            let _ = Command::new("kill")
                .args(["-TERM", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = std::fs::read_to_string(&out_path).unwrap_or_default();
    let err = std::fs::read_to_string(&err_path).unwrap_or_default();
    let all = format!("{out}\n{err}");
    let status = status.unwrap_or_else(|| panic!("the tour took over {LIMIT:?}:\n{all}"));
    assert!(status.success(), "the tour failed ({status}):\n{all}");
    eprintln!("the tour took {:.1?}", started.elapsed());
    // The demo's verdict, its results folder, and what the later lines wrote.
    assert!(all.contains("PASS"), "no PASS verdict:\n{all}");
    // Other plans of plans/ run too (the trial runs): the demo's folder is
    // the one whose plan.toml is the demo's.
    let demo = std::fs::read(dir.join("plans/demo.toml")).unwrap();
    let runs: Vec<_> = std::fs::read_dir(dir.join("plans/results"))
        .expect("plans/results/ (the demo's results)")
        .map(|e| e.unwrap().path())
        .filter(|r| std::fs::read(r.join("plan.toml")).ok().as_ref() == Some(&demo))
        .collect();
    assert_eq!(runs.len(), 1, "one run of the demo: {runs:?}");
    assert!(
        all.contains("group 'login' data: users.csv: 5 rows"),
        "the login example's check:\n{all}"
    );
    for f in [
        "plan.toml",
        "results.db",
        "shop.toml",
        "my_project/plan.toml",
    ] {
        assert!(dir.join(f).exists(), "the tour did not write {f}:\n{all}");
    }
    // The example project ran converted (no rate, no threshold: nothing
    // judged) and as a plan paced to a rate (judged).
    assert!(
        all.contains(
            "examples/pyak47-shop has no plan.toml: running its Pyak47 config.cfg, converted"
        ),
        "the example project did not run converted:\n{all}"
    );
    assert!(
        all.contains("\nNO CHECKS"),
        "the converted project promises nothing:\n{all}"
    );
    assert!(
        all.matches("\nPASS").count() >= 3,
        "the demo, its verify and shop.toml each end in PASS:\n{all}"
    );
}
