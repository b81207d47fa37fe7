//! Pyak47 projects: a folder with config.cfg, test_scripts/ and results/.
//! [`ini`] reads config.cfg as Python's ConfigParser did, [`convert`] turns
//! it into a plan; `pace import` writes that plan, and `pace run` on a
//! project folder without plan.toml runs it directly.

pub mod convert;
pub mod ini;

use convert::{Conversion, ConvertError, Options};
use std::path::{Path, PathBuf};

/// Pyak47's configuration file, in the project folder.
pub const CONFIG_FILE: &str = "config.cfg";
/// Where a project's scripts live.
pub const SCRIPTS_DIR: &str = "test_scripts";

/// The project folder and its config file, for a path that is either.
pub fn locate(path: &Path) -> (PathBuf, PathBuf) {
    if path.is_dir() {
        (path.to_path_buf(), path.join(CONFIG_FILE))
    } else {
        let project = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        (project, path.to_path_buf())
    }
}

/// Reads and converts a config file. Errors are one line, ready to print:
/// `error: FILE:LINE: [section] option: what is wrong`.
pub fn convert_file(cfg: &Path, opts: &Options) -> Result<Conversion, String> {
    let bytes = crate::input::read_bytes(cfg).map_err(|e| {
        format!(
            "error: {}: cannot read the Pyak47 config: {e}",
            cfg.display()
        )
    })?;
    // Python 2 read bytes; a stray Latin-1 byte in a comment must not stop us.
    let text = String::from_utf8_lossy(&bytes);
    let at = |e: ini::IniError| {
        let option = if e.option.is_empty() {
            String::new()
        } else {
            format!(" {}:", e.option)
        };
        format!("error: {}:{}:{option} {}", cfg.display(), e.line, e.message)
    };
    let parsed = ini::parse(&text).map_err(at)?;
    convert::convert(&parsed, opts).map_err(|e| match e {
        ConvertError::Config(e) => at(e),
        ConvertError::Rate(m) => format!("error: {m}"),
        ConvertError::Internal(m) => format!("error: internal: {}: {m}", cfg.display()),
    })
}

/// Looks for each group's script in `<project>/test_scripts/`; a missing one
/// is a warning (the run reports it) and is noted in its row.
pub fn check_scripts(conv: &mut Conversion, project: &Path, cfg: &Path) -> Vec<String> {
    let mut warnings = Vec::new();
    for s in &conv.scripts {
        let path = if Path::new(&s.file).is_absolute() {
            PathBuf::from(&s.file)
        } else {
            project.join(SCRIPTS_DIR).join(&s.file)
        };
        if !path.is_file() {
            warnings.push(format!(
                "warning: {}:{}: [{}] script: {} does not exist (the run would report it)",
                cfg.display(),
                s.line,
                s.section,
                path.display()
            ));
            if let Some(row) = conv.rows.get_mut(s.row) {
                row.note = format!("missing: {} does not exist yet", path.display());
            }
        }
    }
    warnings
}

/// The converted plan text of a Pyak47 project folder, or `None` when it
/// has no config.cfg. Scripts are relative to the folder, as if the plan
/// were `<dir>/plan.toml`. Errors are one line, ready to print; warnings
/// go to stderr.
pub fn plan_from_project(dir: &Path) -> Result<Option<String>, String> {
    let cfg = dir.join(CONFIG_FILE);
    if !cfg.is_file() {
        return Ok(None);
    }
    let opts = Options {
        command: format!(
            "pace run {} (`pace import {}` writes it)",
            dir.display(),
            dir.display()
        ),
        ..Options::default()
    };
    let conv = convert_file(&cfg, &opts)?;
    // What `pace import` would print as warnings (a shortened ramp-up, a
    // database pace cannot use); missing scripts the run reports itself.
    for w in &conv.warnings {
        errln!("warning: {}: {w}", cfg.display());
    }
    Ok(Some(conv.text))
}

/// `to` relative to the folder `from` (both absolute and canonical), with
/// `..` where needed; `/` separators, as a plan file writes paths.
pub fn relative(from: &Path, to: &Path) -> String {
    let a: Vec<_> = from.components().collect();
    let b: Vec<_> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".to_string(); a.len() - common];
    parts.extend(
        b[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let r = |a: &str, b: &str| relative(Path::new(a), Path::new(b));
        assert_eq!(r("/p/proj", "/p/proj/test_scripts"), "test_scripts");
        assert_eq!(
            r("/p/other", "/p/proj/test_scripts"),
            "../proj/test_scripts"
        );
        assert_eq!(
            r("/p/proj/plans/x", "/p/proj/test_scripts"),
            "../../test_scripts"
        );
        assert_eq!(r("/p", "/p"), ".");
    }

    #[test]
    fn a_project_folder_converts_and_a_plain_folder_does_not() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(plan_from_project(dir.path()).unwrap(), None);
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "[global]\nrun_time = 30\nrampup = 3\nresults_ts_interval = 5\n[user_group-1]\nthreads = 2\nscript = vu.py\n",
        )
        .unwrap();
        let text = plan_from_project(dir.path()).unwrap().unwrap();
        let p = crate::plan::file::PlanFile::parse(&text, "plan.toml").unwrap();
        assert_eq!(p.groups[0].script.as_deref(), Some("test_scripts/vu.py"));
        std::fs::write(dir.path().join(CONFIG_FILE), "[global]\nrun_time = x\n").unwrap();
        let e = plan_from_project(dir.path()).unwrap_err();
        assert!(e.contains("config.cfg:2: [global] run_time:"), "{e}");
    }

    #[test]
    fn locate_a_folder_or_its_config() {
        let dir = tempfile::tempdir().unwrap();
        let (p, c) = locate(dir.path());
        assert_eq!((p.as_path(), c), (dir.path(), dir.path().join(CONFIG_FILE)));
        let (p, _) = locate(Path::new("config.cfg"));
        assert_eq!(p, PathBuf::from("."));
    }
}
