//! Reading the files a user names (a plan, a Pyak47 config.cfg, a results
//! folder's samples and summary): only regular files, and text only up to
//! a cap, so a FIFO, a device or a folder given by mistake is refused at
//! once instead of hanging or filling memory.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The largest text file pace reads whole (a plan, config.cfg,
/// summary.json): 16 MiB. A plan is a few KiB; anything near this is not
/// one.
pub const MAX_TEXT_BYTES: u64 = 16 << 20;

/// Opens `path` for reading if it is a regular file (after following
/// links). Errors: it does not exist or cannot be read, or it is a folder,
/// a FIFO, a socket or a device (`InvalidInput`, saying which).
pub fn open_regular(path: &Path) -> io::Result<File> {
    open_checked(path).map_err(clean)
}

/// The words of an I/O error for a user: its text without the
/// ` (os error N)` errno suffix the standard library appends
/// (`No such file or directory (os error 2)` -> `No such file or directory`).
pub fn plain(e: &io::Error) -> String {
    strip_os_error(&e.to_string())
}

/// `text` without a trailing ` (os error N)`: the errno is noise to a user
/// once the words say what happened.
pub fn strip_os_error(text: &str) -> String {
    if let Some(i) = text.rfind(" (os error ") {
        let tail = &text[i + " (os error ".len()..];
        if let Some(n) = tail.strip_suffix(')')
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit() || b == b'-')
        {
            return text[..i].to_string();
        }
    }
    text.to_string()
}

/// The same error, its text made [`plain`] (the kind kept for callers that
/// test it).
fn clean(e: io::Error) -> io::Error {
    if e.raw_os_error().is_some() {
        io::Error::new(e.kind(), plain(&e))
    } else {
        e
    }
}

fn open_checked(path: &Path) -> io::Result<File> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", what(&meta)),
        ));
    }
    // Opening a FIFO blocks until a writer comes, so the check comes
    // first; O_NONBLOCK closes the race with a file swapped in between.
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    if !f.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    // /proc and /sys files call themselves regular, of size 0, and are
    // made as they are read (/proc/self/environ: the process's secrets;
    // /proc/kcore: the machine's memory): not files a user gives pace.
    if let Some(fs) = kernel_file_system(&f) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a file of {fs}, not a regular file"),
        ));
    }
    Ok(f)
}

/// `Some("/proc")` or `Some("/sys")` when `f` lives on the kernel's
/// process or system file system (statfs's f_type).
fn kernel_file_system(f: &File) -> Option<&'static str> {
    use std::os::fd::AsRawFd;
    // PROC_SUPER_MAGIC and SYSFS_MAGIC of linux/magic.h.
    const PROC: i64 = 0x9fa0;
    const SYSFS: i64 = 0x6265_6572;
    let mut st = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: fstatfs writes a statfs into the buffer on success (0), and
    // it is read only then.
    let ok = unsafe { libc::fstatfs(f.as_raw_fd(), st.as_mut_ptr()) } == 0;
    if !ok {
        return None;
    }
    // SAFETY: initialised by the successful call above.
    // f_type is i64 on x86-64 glibc and another integer elsewhere.
    #[allow(clippy::unnecessary_cast)]
    let kind = unsafe { st.assume_init() }.f_type as i64;
    match kind {
        PROC => Some("/proc"),
        SYSFS => Some("/sys"),
        _ => None,
    }
}

/// Reads a regular file of UTF-8 text of at most [`MAX_TEXT_BYTES`].
/// Errors as [`read_bytes`], plus: not UTF-8.
pub fn read_text(path: &Path) -> io::Result<String> {
    let bytes = read_bytes(path)?;
    String::from_utf8(bytes).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })
}

/// Reads a regular file of at most [`MAX_TEXT_BYTES`]. Errors as
/// [`open_regular`], plus: larger than the cap.
pub fn read_bytes(path: &Path) -> io::Result<Vec<u8>> {
    let f = open_regular(path)?;
    let mut bytes = Vec::new();
    f.take(MAX_TEXT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(clean)?;
    if bytes.len() as u64 > MAX_TEXT_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "larger than {} MiB: not a file pace reads",
                MAX_TEXT_BYTES >> 20
            ),
        ));
    }
    Ok(bytes)
}

fn what(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else {
        "it"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_read_without_the_errno() {
        let e = read_text(Path::new("/nonexistent/nosuch.csv")).unwrap_err();
        assert_eq!(e.to_string(), "No such file or directory");
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        let raw = io::Error::from_raw_os_error(libc::ECONNREFUSED);
        assert_eq!(plain(&raw), "Connection refused");
        assert_eq!(strip_os_error("x (os error 2): y"), "x (os error 2): y");
    }

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_text(dir.path()).unwrap_err();
        assert_eq!(e.to_string(), "a folder is not a regular file");
        let e = read_text(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(e.to_string(), "a device is not a regular file");
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_text(&fifo).unwrap_err();
        assert_eq!(e.to_string(), "a FIFO is not a regular file");
        let f = dir.path().join("plan.toml");
        std::fs::write(&f, "a = 1\n").unwrap();
        assert_eq!(read_text(&f).unwrap(), "a = 1\n");
        std::fs::write(&f, b"a = \xff\n").unwrap();
        assert!(read_text(&f).unwrap_err().to_string().contains("not UTF-8"));
    }

    #[test]
    fn text_is_capped() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("big.toml");
        let file = File::create(&f).unwrap();
        file.set_len(MAX_TEXT_BYTES + 1).unwrap();
        let e = read_text(&f).unwrap_err();
        assert!(e.to_string().contains("larger than 16 MiB"), "{e}");
    }
}
