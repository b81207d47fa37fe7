//! One writer per results folder. `pace merge -o`, `pace baseline -o`,
//! `pace report` and `pace run` (its own new folder) claim the folder
//! they write before writing anything: an exclusive `flock` on
//! `.pace-lock` inside it, held until the process ends (the kernel lets it
//! go if pace is killed, so a crash leaves no stale claim). A second
//! command on a claimed folder is refused at once, exit 2, instead of
//! mixing its files with the first's (the case
//! merge-concurrent-same-output: two merges into one `-o` both passed an
//! "is it empty?" check and left a summary.json of 4 shards beside a
//! samples.csv of 3). A command that needs a new folder checks that it is
//! empty *after* taking the claim, so only one of two racing commands can
//! see it empty.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// The lock file's name in a claimed folder (kept after the claim ends:
/// removing a file others may have open and locked would let two claims
/// hold two different files).
pub const LOCK_FILE: &str = ".pace-lock";

/// Whether the folder must be new (nothing in it but [`LOCK_FILE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fresh {
    /// A new or empty folder (merge -o, baseline -o).
    Required,
    /// Any folder (report rewrites a run's files; run made it new itself).
    Any,
}

/// A held claim: the folder is this process's to write until it is
/// dropped or the process ends.
#[derive(Debug)]
pub struct Claim {
    _lock: File,
    dir: PathBuf,
}

impl Claim {
    /// The claimed folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Why a folder could not be claimed.
#[derive(Debug, PartialEq, Eq)]
pub enum ClaimError {
    /// Another pace holds it (another merge, report, baseline or a run
    /// still writing it).
    Busy,
    /// `Fresh::Required` and it holds files.
    NotEmpty,
    /// It is not a folder, or cannot be made or locked: the words.
    Io(String),
}

/// Claims `dir`, made first (with its parents) if missing under
/// [`Fresh::Required`]; under [`Fresh::Any`] it must exist. Errors:
/// [`ClaimError::Busy`] if another process holds it, [`ClaimError::NotEmpty`]
/// under [`Fresh::Required`] if anything but the lock file is in it,
/// [`ClaimError::Io`] otherwise.
pub fn claim(dir: &Path, fresh: Fresh) -> Result<Claim, ClaimError> {
    let io = |e: std::io::Error| ClaimError::Io(crate::input::plain(&e));
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => return Err(ClaimError::Io("exists and is not a folder".into())),
        Ok(_) => {}
        Err(_) if fresh == Fresh::Required => std::fs::create_dir_all(dir).map_err(io)?,
        Err(e) => return Err(io(e)),
    }
    use std::os::unix::fs::OpenOptionsExt;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        // Never follow a link planted under the lock's name.
        .custom_flags(libc::O_NOFOLLOW)
        .open(dir.join(LOCK_FILE))
        .map_err(io)?;
    // SAFETY: flock on a descriptor this function owns.
    let r = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if r != 0 {
        let e = std::io::Error::last_os_error();
        return Err(if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
            ClaimError::Busy
        } else {
            io(e)
        });
    }
    if fresh == Fresh::Required {
        let busy = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(Result::ok)
            .any(|e| e.file_name() != LOCK_FILE);
        if busy {
            return Err(ClaimError::NotEmpty);
        }
    }
    Ok(Claim {
        _lock: lock,
        dir: dir.to_path_buf(),
    })
}

impl ClaimError {
    /// The error in words, after the flag or folder it concerns.
    pub fn words(&self) -> String {
        match self {
            ClaimError::Busy => "another pace command is writing this folder (a merge, report or baseline, or a run still going); wait for it, or give another folder".into(),
            ClaimError::NotEmpty => "exists and is not an empty folder: give a new or empty one".into(),
            ClaimError::Io(e) => e.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_claim_at_a_time_and_a_new_folder_must_be_empty() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let a = claim(&dir, Fresh::Required).unwrap();
        assert_eq!(a.dir(), dir);
        // flock is per open file description: a second open in this
        // process conflicts as another process would.
        assert_eq!(claim(&dir, Fresh::Any).unwrap_err(), ClaimError::Busy);
        assert_eq!(claim(&dir, Fresh::Required).unwrap_err(), ClaimError::Busy);
        std::fs::write(dir.join("summary.json"), "{}").unwrap();
        drop(a);
        assert_eq!(
            claim(&dir, Fresh::Required).unwrap_err(),
            ClaimError::NotEmpty
        );
        let b = claim(&dir, Fresh::Any).unwrap();
        drop(b);
        let file = tmp.path().join("f");
        std::fs::write(&file, "x").unwrap();
        assert!(matches!(claim(&file, Fresh::Any), Err(ClaimError::Io(_))));
    }
}
