//! The precise timer on Linux: one timerfd per run, watched by the tokio
//! runtime's event loop (see the parent module). The pending deadlines are
//! an ordered map under a mutex; the timerfd is always armed for the
//! earliest one (or for one that was cancelled since: it then fires for
//! nothing, and is re-armed). Whoever makes a deadline the earliest arms
//! it directly (`timerfd_settime` is an ordinary syscall, callable from
//! any thread), so a new sleep needs no message to a timer task or
//! thread; most sleeps are not the earliest and cost no syscall at all.
//! When the timerfd fires, one task (the driver) reads it, wakes every
//! sleep that is due and arms the timerfd for the next.

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// How early a sleep may end: a deadline at most this far ahead counts as
/// due. When the timerfd fires for one start, the starts due in the next
/// few µs are woken with it rather than by a second firing, which would
/// cost another return from `epoll_wait` (and come a few µs late anyway);
/// a sleep polled this close to its deadline is ready at once. 20 µs is
/// below the latency of a wake-up itself (a thread waiting on a timerfd
/// runs 35-50 µs after its time, median, on the VM of docs/pacing.md,
/// section 8) and so well below anything a server could tell from the
/// start at its time.
pub const EARLY: Duration = Duration::from_micros(20);

/// Whether a sleep until `deadline` is over at `now`.
fn is_due(deadline: Instant, now: Instant) -> bool {
    deadline <= now + EARLY
}

/// A pending deadline: when, and a number that tells apart sleeps with the
/// same deadline (and finds a sleep's entry again to remove it).
type Key = (Instant, u64);

#[derive(Default)]
struct State {
    /// Pending sleeps, earliest first. An ordered map rather than a heap so
    /// that a sleep dropped before its deadline removes its own entry: no
    /// garbage however many sleeps are cancelled.
    pending: BTreeMap<Key, Waker>,
    next_id: u64,
    /// The deadline the timerfd was last armed for, until the driver has
    /// handled its firing (`None`: not armed, or fired and handled). A new
    /// sleep re-arms the timerfd only when it is earlier.
    armed: Option<Instant>,
    /// The driver task is gone (the runtime shut down): no sleep waits any
    /// more, so none can hang.
    gone: bool,
}

/// A timerfd on `CLOCK_MONOTONIC`, the clock of std's `Instant` on Linux.
struct TimerFd(OwnedFd);

impl TimerFd {
    fn new() -> io::Result<TimerFd> {
        // SAFETY: no pointers; the result is checked.
        let fd = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a new descriptor that nothing else owns.
        Ok(TimerFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Arms it to fire once at `at` (at once if `at` has passed),
    /// replacing any earlier setting. Armed at an absolute time: a
    /// relative one would start counting only when the kernel gets the
    /// call, late by however long the thread was delayed on its way.
    fn arm(&self, at: Instant) -> io::Result<()> {
        // `Instant` keeps its timespec private: the distance to `at` read
        // first, the clock then, so the conversion errs late by the
        // nanoseconds between the two reads, never early.
        let left = at.saturating_duration_since(Instant::now());
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: writes one timespec that we own.
        if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let secs = libc::time_t::try_from(left.as_secs()).unwrap_or(libc::time_t::MAX);
        let mut value = libc::timespec {
            tv_sec: now.tv_sec.saturating_add(secs),
            // Both below 10^9: the sum fits any c_long.
            tv_nsec: now.tv_nsec + left.subsec_nanos() as libc::c_long,
        };
        if value.tv_nsec >= 1_000_000_000 {
            value.tv_sec = value.tv_sec.saturating_add(1);
            value.tv_nsec -= 1_000_000_000;
        }
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            // Never all zero (that would disarm it): the clock is past 0.
            it_value: value,
        };
        // SAFETY: a valid descriptor, a valid itimerspec, no old value asked.
        let r = unsafe {
            libc::timerfd_settime(
                self.0.as_raw_fd(),
                libc::TFD_TIMER_ABSTIME,
                &spec,
                std::ptr::null_mut(),
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Reads (and so resets) its count of firings; `WouldBlock` if it has
    /// not fired since it was last read or armed.
    fn read(&self) -> io::Result<u64> {
        let mut count = [0u8; 8];
        // SAFETY: reads at most 8 bytes into a buffer of 8.
        let n = unsafe { libc::read(self.0.as_raw_fd(), count.as_mut_ptr().cast(), 8) };
        if n != 8 {
            return Err(io::Error::last_os_error());
        }
        Ok(u64::from_ne_bytes(count))
    }
}

struct Shared {
    state: Mutex<State>,
    fd: TimerFd,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; if something ever did,
        // the map is still consistent (every change is one call).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The shared state as the runtime's event loop sees it: the timerfd.
struct Watched(Arc<Shared>);

impl AsRawFd for Watched {
    fn as_raw_fd(&self) -> RawFd {
        self.0.fd.0.as_raw_fd()
    }
}

/// Ends the driver task when the last [`Timer`] handle (or [`Sleep`]) is
/// gone; the timerfd closes with the last reference to it.
struct Owner {
    shared: Arc<Shared>,
    driver: tokio::task::JoinHandle<()>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// A handle on the run's timer; cheap to clone. Its timerfd and driver
/// task live until the last handle and the last [`Sleep`] are dropped.
#[derive(Clone)]
pub struct Timer {
    owner: Arc<Owner>,
}

impl Timer {
    /// Creates the timerfd and spawns its driver task. Must be called
    /// inside a tokio runtime with I/O enabled. Errors: the kernel refused
    /// a timerfd (out of descriptors), or it could not be watched.
    pub fn start() -> io::Result<Timer> {
        let rt = tokio::runtime::Handle::try_current().map_err(io::Error::other)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            fd: TimerFd::new()?,
        });
        // SAFETY: `Watched` holds an `Arc` of the `OwnedFd`, so the
        // descriptor stays open, and the same, as long as the `AsyncFd`.
        let watched =
            unsafe { AsyncFd::register_with_interest(Watched(shared.clone()), Interest::READABLE) }
                .map_err(io::Error::from)?;
        let driver = rt.spawn(drive(watched));
        Ok(Timer {
            owner: Arc::new(Owner { shared, driver }),
        })
    }

    /// A future ready at `deadline` (or up to [`EARLY`] before it); ready
    /// at its first poll if that is already so. Dropping it before then
    /// removes its entry.
    pub fn sleep_until(&self, deadline: Instant) -> Sleep {
        Sleep {
            owner: self.owner.clone(),
            deadline,
            key: None,
        }
    }

    /// How many sleeps are waiting (for tests and diagnostics).
    #[cfg(test)]
    fn pending(&self) -> usize {
        self.owner.shared.lock().pending.len()
    }
}

/// See [`Timer::sleep_until`].
pub struct Sleep {
    owner: Arc<Owner>,
    deadline: Instant,
    /// Its entry in the pending map, once registered and until it fired.
    key: Option<Key>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let shared = &this.owner.shared;
        let Some(key) = this.key else {
            if is_due(this.deadline, Instant::now()) {
                return Poll::Ready(());
            }
            let mut st = shared.lock();
            if st.gone {
                return Poll::Ready(());
            }
            let key = (this.deadline, st.next_id);
            st.next_id += 1;
            st.pending.insert(key, cx.waker().clone());
            if st.armed.is_none_or(|a| this.deadline < a) {
                if shared.fd.arm(this.deadline).is_err() {
                    // Cannot happen with a valid descriptor and time; if
                    // it ever did, a start too early beats one never made.
                    let w = st.pending.remove(&key);
                    drop(st);
                    drop(w);
                    return Poll::Ready(());
                }
                st.armed = Some(this.deadline);
            }
            this.key = Some(key);
            return Poll::Pending;
        };
        let mut st = shared.lock();
        let Some(w) = st.pending.get_mut(&key) else {
            // The driver took it out: its deadline has come.
            this.key = None;
            return Poll::Ready(());
        };
        // Polled for another reason (a select's other branch), or due and
        // about to be woken anyway.
        if is_due(this.deadline, Instant::now()) {
            let w = st.pending.remove(&key);
            drop(st);
            // A waker's drop may free its task: not under the lock.
            drop(w);
            this.key = None;
            return Poll::Ready(());
        }
        if !w.will_wake(cx.waker()) {
            let old = std::mem::replace(w, cx.waker().clone());
            drop(st);
            drop(old);
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        // Its deadline may stay armed: the timerfd then fires for nothing
        // and is re-armed, cheaper than re-arming on every cancel.
        if let Some(key) = self.key.take() {
            let w = self.owner.shared.lock().pending.remove(&key);
            // A waker's drop may free its task: not under the lock.
            drop(w);
        }
    }
}

/// Marks the timer gone and ends every sleep when the driver ends (the
/// runtime shutting down drops it): no sleep may wait for a wake that
/// will not come.
struct Gone<'a>(&'a Shared);

impl Drop for Gone<'_> {
    fn drop(&mut self) {
        let mut st = self.0.lock();
        st.gone = true;
        let all = std::mem::take(&mut st.pending);
        drop(st);
        all.into_values().for_each(Waker::wake);
    }
}

/// The driver task: each time the timerfd fires, wakes the sleeps that are
/// due and arms it for the next.
async fn drive(fd: AsyncFd<Watched>) {
    let shared = fd.get_ref().0.clone();
    let _gone = Gone(&shared);
    let mut due: Vec<Waker> = Vec::new();
    loop {
        let Ok(mut ready) = fd.readable().await else {
            return;
        };
        // Reading resets the count to zero, and only the next firing (a new
        // edge for the event loop) raises it again: the descriptor is known
        // not to be readable, as clear_ready requires. It may not have
        // fired at all (WouldBlock): re-armed between its firing and this
        // read; the scan below is then simply early.
        let _ = shared.fd.read();
        ready.clear_ready();
        let mut st = shared.lock();
        let now = Instant::now();
        while let Some(e) = st.pending.first_entry() {
            if !is_due(e.key().0, now) {
                break;
            }
            due.push(e.remove());
        }
        // Armed for the next deadline here, before the wakes: a start late
        // by the time its predecessors take to run would be late for no
        // reason (the timerfd fires on its own, whatever this thread does).
        st.armed = None;
        if let Some(&(next, _)) = st.pending.first_key_value().map(|(k, _)| k) {
            if shared.fd.arm(next).is_ok() {
                st.armed = Some(next);
            } else {
                // Cannot happen (see Sleep::poll): early beats never.
                due.extend(std::mem::take(&mut st.pending).into_values());
            }
        }
        drop(st);
        // Woken outside the lock: a wake may run the task at once on
        // another thread, and its poll takes the lock.
        for w in due.drain(..) {
            w.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::task::Wake;

    /// Sends its label when woken, from whichever thread wakes it.
    struct Tell(mpsc::Sender<usize>, usize);

    impl Wake for Tell {
        fn wake(self: Arc<Self>) {
            let _ = self.0.send(self.1);
        }
    }

    /// Polls `s` once with a waker that sends `label` on `tx`.
    fn register(s: &mut Sleep, tx: &mpsc::Sender<usize>, label: usize) -> Poll<()> {
        let w = Waker::from(Arc::new(Tell(tx.clone(), label)));
        Pin::new(s).poll(&mut Context::from_waker(&w))
    }

    const BOUND: Duration = Duration::from_secs(5);

    /// A runtime like a pinned run's: one worker thread, which also waits
    /// in the event loop.
    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn fires_in_deadline_order_and_never_early() {
        let rt = runtime();
        let timer = rt.block_on(async { Timer::start() }).unwrap();
        let (tx, rx) = mpsc::channel();
        let t0 = Instant::now() + Duration::from_millis(20);
        let offsets_ms = [40u64, 10, 30, 20, 50, 15];
        // Registered from this thread, outside the runtime: the timerfd is
        // armed from here, and the runtime's thread still wakes for it.
        let mut sleeps: Vec<Sleep> = offsets_ms
            .iter()
            .map(|&ms| timer.sleep_until(t0 + Duration::from_millis(ms)))
            .collect();
        for (i, s) in sleeps.iter_mut().enumerate() {
            assert!(register(s, &tx, i).is_pending());
        }
        let mut order = Vec::new();
        for _ in 0..sleeps.len() {
            let i = rx.recv_timeout(BOUND).expect("every sleep fires");
            assert!(Instant::now() + EARLY >= sleeps[i].deadline, "woken early");
            order.push(offsets_ms[i]);
        }
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted);
        // Woken ones are ready and their entries are gone.
        for (i, s) in sleeps.iter_mut().enumerate() {
            assert!(register(s, &tx, i).is_ready());
        }
        assert_eq!(timer.pending(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_concurrent_sleepers_all_fire() {
        let timer = Timer::start().unwrap();
        let t0 = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..2000u64 {
            let timer = timer.clone();
            // Spread over 100 ms, many sharing a deadline.
            let deadline = t0 + Duration::from_micros((i * 7919) % 100_000);
            tasks.spawn(async move {
                timer.sleep_until(deadline).await;
                Instant::now() + EARLY >= deadline
            });
        }
        let all = async {
            let mut n = 0;
            while let Some(r) = tasks.join_next().await {
                assert!(r.unwrap(), "woken early");
                n += 1;
            }
            n
        };
        let n = tokio::time::timeout(BOUND, all).await.expect("all fire");
        assert_eq!(n, 2000);
        assert_eq!(timer.pending(), 0);
    }

    #[tokio::test]
    async fn a_deadline_passed_or_within_early_is_ready_at_once() {
        let timer = Timer::start().unwrap();
        let (tx, rx) = mpsc::channel();
        let mut past = timer.sleep_until(Instant::now() - Duration::from_millis(1));
        assert!(register(&mut past, &tx, 0).is_ready());
        let mut close = timer.sleep_until(Instant::now() + EARLY / 2);
        assert!(register(&mut close, &tx, 1).is_ready());
        assert_eq!(timer.pending(), 0);
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn a_dropped_sleep_is_removed_and_never_wakes() {
        let rt = runtime();
        let timer = rt.block_on(async { Timer::start() }).unwrap();
        let (tx, rx) = mpsc::channel();
        let deadline = Instant::now() + Duration::from_millis(30);
        // Many users cancelling many sleeps leave nothing behind.
        for round in 0..1000 {
            let mut s = timer.sleep_until(deadline);
            assert!(register(&mut s, &tx, round).is_pending());
            drop(s);
        }
        assert_eq!(timer.pending(), 0);
        // A later sleep fires (after the armed, cancelled deadline fired
        // for nothing); none of the dropped ones did.
        let mut later = timer.sleep_until(deadline + Duration::from_millis(20));
        assert!(register(&mut later, &tx, usize::MAX).is_pending());
        assert_eq!(rx.recv_timeout(BOUND), Ok(usize::MAX));
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn an_earlier_deadline_re_arms_the_timer() {
        let rt = runtime();
        let timer = rt.block_on(async { Timer::start() }).unwrap();
        let (tx, rx) = mpsc::channel();
        let mut late = timer.sleep_until(Instant::now() + Duration::from_secs(30));
        assert!(register(&mut late, &tx, 1).is_pending());
        // Let the runtime's thread settle into its wait.
        std::thread::sleep(Duration::from_millis(20));
        let soon = Instant::now() + Duration::from_millis(20);
        let mut early = timer.sleep_until(soon);
        assert!(register(&mut early, &tx, 0).is_pending());
        assert_eq!(rx.recv_timeout(BOUND), Ok(0));
        let fired = Instant::now();
        assert!(fired + EARLY >= soon && fired < soon + Duration::from_millis(500));
        assert_eq!(timer.pending(), 1);
        // The later one is armed again and still waits.
        assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
    }

    #[test]
    fn dropping_the_last_handle_ends_the_driver_and_closes_the_timerfd() {
        let rt = runtime();
        let timer = rt.block_on(async { Timer::start() }).unwrap();
        let shared = Arc::downgrade(&timer.owner.shared);
        let copy = timer.clone();
        let (tx, _rx) = mpsc::channel();
        let mut s = timer.sleep_until(Instant::now() + Duration::from_secs(60));
        assert!(register(&mut s, &tx, 0).is_pending());
        drop(timer);
        drop(copy);
        // The pending sleep still holds the driver.
        std::thread::sleep(Duration::from_millis(20));
        assert!(shared.upgrade().is_some());
        drop(s);
        // The aborted driver is dropped on the runtime's thread.
        let t = Instant::now();
        while shared.upgrade().is_some() {
            assert!(t.elapsed() < BOUND, "the driver let go of the timerfd");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_runtime_shutting_down_ends_every_sleep() {
        let rt = runtime();
        let timer = rt.block_on(async { Timer::start() }).unwrap();
        let (tx, rx) = mpsc::channel();
        let mut s = timer.sleep_until(Instant::now() + Duration::from_secs(60));
        assert!(register(&mut s, &tx, 7).is_pending());
        drop(rt);
        assert_eq!(rx.recv_timeout(BOUND), Ok(7));
        assert!(register(&mut s, &tx, 7).is_ready());
        let mut after = timer.sleep_until(Instant::now() + Duration::from_secs(60));
        assert!(register(&mut after, &tx, 8).is_ready());
    }
}
