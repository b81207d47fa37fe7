//! What keeps script workers from outliving pace, whatever way pace ends
//! (a clean end, Ctrl-C, a panic, or SIGKILL, where no code of pace runs):
//!
//! - every process pace starts gets a parent-death signal (Linux
//!   `PR_SET_PDEATHSIG`, SIGKILL), set in the child before it execs;
//! - the signal follows the *thread* that forked the child, not the
//!   process, so children are forked from one thread that lives as long
//!   as pace ([`spawn`]): a runtime thread that ends (tokio retires
//!   blocking threads after a while) would take its children with it;
//! - a zygote's workers are connected to pace by a socket pair whose
//!   end is passed to pace over another socket ([`recv_fd`]), so nothing
//!   is ever created in the file system, and no other process can
//!   connect in a worker's place.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::OnceLock;
use std::sync::mpsc;
use tokio::process::{Child, Command};

type Job = Box<dyn FnOnce() + Send>;

/// The thread every worker process is forked from: it never ends, so the
/// parent-death signal fires only when pace itself is gone.
fn spawner() -> io::Result<&'static mpsc::Sender<Job>> {
    static SPAWNER: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    if let Some(tx) = SPAWNER.get() {
        return Ok(tx);
    }
    let (tx, rx) = mpsc::channel::<Job>();
    // Two callers may race here; the loser's thread ends at once (its
    // sender is dropped) before it has forked anything.
    std::thread::Builder::new()
        .name("pace-spawner".into())
        .spawn(move || {
            while let Ok(job) = rx.recv() {
                job();
            }
        })?;
    Ok(SPAWNER.get_or_init(|| tx))
}

/// Starts `cmd` (already given its parent-death signal by
/// [`die_with_pace`]) from the spawning thread, inside the caller's runtime.
pub(super) async fn spawn(mut cmd: Command) -> io::Result<Child> {
    let handle = tokio::runtime::Handle::current();
    let (tx, rx) = tokio::sync::oneshot::channel();
    spawner()?
        .send(Box::new(move || {
            let _runtime = handle.enter();
            let _ = tx.send(cmd.spawn());
        }))
        .map_err(|_| io::Error::other("the thread that starts workers has ended"))?;
    rx.await
        .map_err(|_| io::Error::other("the thread that starts workers has ended"))?
}

/// Has the child killed when pace ends, even by SIGKILL (Linux; elsewhere
/// only the workers' end-of-input watchdog stops them).
pub(super) fn die_with_pace(cmd: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        let pace = std::process::id() as libc::pid_t;
        // SAFETY: the closure runs in the forked child before exec and
        // only makes async-signal-safe system calls; it allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(
                    libc::PR_SET_PDEATHSIG,
                    libc::SIGKILL as libc::c_ulong,
                    0,
                    0,
                    0,
                ) != 0
                {
                    return Err(io::Error::last_os_error());
                }
                // pace may have died between the fork and the prctl: the
                // signal would then never come, so the child stops here.
                if libc::getppid() != pace {
                    return Err(io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}

/// Lets the child inherit `fd` under the same number (pace opens every
/// descriptor close-on-exec).
pub(super) fn inherit(cmd: &mut Command, fd: RawFd) {
    // SAFETY: runs in the forked child before exec; fcntl is
    // async-signal-safe, and `fd` is kept open by the caller until the
    // spawn has returned.
    unsafe {
        cmd.pre_exec(move || {
            if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Receives one descriptor sent with `SCM_RIGHTS` (and its one byte of
/// data); `None` once the sender has closed its end.
pub(super) async fn recv_fd(sock: &tokio::net::UnixStream) -> io::Result<Option<OwnedFd>> {
    use std::os::fd::AsRawFd;
    sock.async_io(tokio::io::Interest::READABLE, || {
        recv_fd_now(sock.as_raw_fd())
    })
    .await
}

fn recv_fd_now(sock: RawFd) -> io::Result<Option<OwnedFd>> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    // Aligned for cmsghdr, and room for a few descriptors: any extra ones
    // are closed below rather than leaked.
    let mut control = [0u64; 16];
    // SAFETY: an all-zero msghdr is valid; its pointers are set below to
    // buffers that outlive the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // Close-on-exec from the start on Linux: a worker started meanwhile
    // must not inherit another worker's connection (its end of file would
    // then never come).
    #[cfg(target_os = "linux")]
    let flags = libc::MSG_CMSG_CLOEXEC;
    #[cfg(not(target_os = "linux"))]
    let flags = 0;
    // SAFETY: msg points to live buffers of the sizes it states.
    let n = unsafe { libc::recvmsg(sock, &mut msg, flags) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut received = Vec::new();
    // SAFETY: the CMSG_* walk stays within msg_controllen, which recvmsg set.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(cmsg).cast::<libc::c_int>();
                let bytes = (*cmsg).cmsg_len as usize - (data as usize - cmsg as usize);
                for i in 0..bytes / std::mem::size_of::<libc::c_int>() {
                    received.push(OwnedFd::from_raw_fd(std::ptr::read_unaligned(data.add(i))));
                }
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    #[cfg(not(target_os = "linux"))]
    for fd in &received {
        use std::os::fd::AsRawFd;
        // SAFETY: fcntl on a descriptor this process owns.
        unsafe {
            libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC);
        }
    }
    if n == 0 && received.is_empty() {
        return Ok(None);
    }
    if msg.msg_flags & libc::MSG_CTRUNC != 0 || received.len() != 1 {
        return Err(io::Error::other(format!(
            "expected one connection, got {} descriptor(s){}",
            received.len(),
            if msg.msg_flags & libc::MSG_CTRUNC != 0 {
                " (some cut off)"
            } else {
                ""
            }
        )));
    }
    Ok(received.pop())
}

/// Kills a worker and its process group (each worker leads one), so what
/// its script started goes too. `pid` must not have been reaped yet: only
/// then can neither number belong to anyone else.
pub(super) fn kill_tree(pid: i32) {
    if pid > 0 {
        // SAFETY: kill(2) on a process (group) of pace's own; no memory is
        // involved.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;

    /// A descriptor crosses a socket pair (as the zygote sends a worker's
    /// connection): it arrives open, close-on-exec, and still connected.
    #[tokio::test]
    async fn a_descriptor_is_received() {
        let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        let ours = tokio::net::UnixStream::from_std(ours).unwrap();
        let (mut a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let fd = b.as_raw_fd();
        let cmsg_space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<libc::c_int>() as u32) };
        let mut control = vec![0u64; (cmsg_space as usize).div_ceil(8)];
        let mut byte = [b'F'];
        let mut iov = libc::iovec {
            iov_base: byte.as_mut_ptr().cast(),
            iov_len: 1,
        };
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = cmsg_space as _;
        unsafe {
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<libc::c_int>() as u32) as _;
            std::ptr::write_unaligned(libc::CMSG_DATA(c).cast::<libc::c_int>(), fd);
            assert_eq!(libc::sendmsg(theirs.as_raw_fd(), &msg, 0), 1);
        }
        drop(b);
        let got = recv_fd(&ours).await.unwrap().expect("a descriptor");
        let flags = unsafe { libc::fcntl(got.as_raw_fd(), libc::F_GETFD) };
        assert_eq!(flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
        let mut got = std::os::unix::net::UnixStream::from(got);
        a.write_all(b"x").unwrap();
        let mut buf = [0u8; 1];
        std::io::Read::read_exact(&mut got, &mut buf).unwrap();
        assert_eq!(&buf, b"x");
        // The sender gone: end of file, not an error.
        drop(theirs);
        assert!(recv_fd(&ours).await.unwrap().is_none());
    }
}
