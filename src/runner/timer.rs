//! A precise deadline service for iteration starts. tokio's timer wheel
//! has 1 ms ticks and rounds every deadline up to the next one, so a start
//! it wakes is 0-2 ms late; the schedule promises starts to well under a
//! millisecond. One OS thread per run ("pace-timer") keeps the pending
//! deadlines in order, sleeps in the kernel (with its timer slack at 1 ns)
//! until [`SPIN_MARGIN`] before the earliest, spins only that last stretch,
//! then wakes every task whose deadline has come. Idle, it waits on a
//! condition variable and costs nothing.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long before a deadline the thread stops sleeping in the kernel and
/// spins on the clock instead. A kernel wake-up with 1 ns of slack comes
/// 20-40 µs after the time asked for on this class of machine (p10-p90 on
/// the shared 2-core VM of docs/pacing.md, section 8): asking that much early
/// absorbs the usual latency, and the spin only covers a wake-up that came
/// sooner than usual, so it costs at most this long per distinct deadline
/// (about 6 % of a core at 2,000 starts/s in the worst case, far less in
/// practice). Larger would burn CPU the load needs; smaller would leave
/// the typical kernel latency as lateness.
pub const SPIN_MARGIN: Duration = Duration::from_micros(30);

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
    /// While the thread waits on the condition variable: the deadline it
    /// sleeps towards (`Some(None)`: none, it waits for work). A new sleep
    /// notifies it only when it is earlier, so most sleeps cost no syscall.
    parked_for: Option<Option<Instant>>,
    /// The last handle is gone: the thread ends.
    shutdown: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; if something ever did,
        // the map is still consistent (every change is one call).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Ends the thread when the last [`Timer`] handle (or [`Sleep`]) is gone.
struct Owner {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take()
            && t.thread().id() != std::thread::current().id()
        {
            // Bounded: the thread only waits on the condition variable (now
            // notified) or spins for at most SPIN_MARGIN.
            let _ = t.join();
        }
    }
}

/// A handle on the run's timer thread; cheap to clone. The thread ends
/// (and is joined) when the last handle and the last [`Sleep`] are dropped.
#[derive(Clone)]
pub struct Timer {
    owner: Arc<Owner>,
}

impl Timer {
    /// Starts the timer thread. Errors: the OS refused a thread.
    pub fn start() -> std::io::Result<Timer> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("pace-timer".into())
            .spawn(move || run(&s))?;
        Ok(Timer {
            owner: Arc::new(Owner {
                shared,
                thread: Some(thread),
            }),
        })
    }

    /// A future ready at `deadline` (not before), woken by the timer
    /// thread; ready at its first poll if `deadline` has passed. Dropping
    /// it before then removes its entry.
    pub fn sleep_until(&self, deadline: Instant) -> Sleep {
        Sleep {
            timer: self.clone(),
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
    timer: Timer,
    deadline: Instant,
    /// Its entry in the pending map, once registered and until it fired.
    key: Option<Key>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let shared = &this.timer.owner.shared;
        let Some(key) = this.key else {
            if Instant::now() >= this.deadline {
                return Poll::Ready(());
            }
            let mut st = shared.lock();
            let key = (this.deadline, st.next_id);
            st.next_id += 1;
            st.pending.insert(key, cx.waker().clone());
            this.key = Some(key);
            let earlier = match st.parked_for {
                Some(None) => true,
                Some(Some(first)) => this.deadline < first,
                None => false,
            };
            if earlier {
                st.parked_for = Some(Some(this.deadline));
                drop(st);
                shared.wake.notify_one();
            }
            return Poll::Pending;
        };
        let mut st = shared.lock();
        match st.pending.get_mut(&key) {
            // The thread took it out: its deadline has come.
            None => {
                this.key = None;
                Poll::Ready(())
            }
            // Polled for another reason (a select's other branch), or due
            // and about to be woken anyway.
            Some(w) => {
                if Instant::now() >= this.deadline {
                    let w = st.pending.remove(&key);
                    drop(st);
                    // A waker's drop may free its task: not under the lock.
                    drop(w);
                    this.key = None;
                    return Poll::Ready(());
                }
                if !w.will_wake(cx.waker()) {
                    *w = cx.waker().clone();
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let w = self.timer.owner.shared.lock().pending.remove(&key);
            // A waker's drop may free its task: not under the lock.
            drop(w);
        }
    }
}

/// Keeps the kernel's sleeps precise: by default Linux may add 50 µs to
/// each timeout to group wake-ups. Elsewhere (or if refused) sleeps are
/// as precise as the OS makes them, and the spin margin covers a part.
fn precise_sleeps() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_TIMERSLACK takes one integer and affects only the
    // calling thread; a failure only leaves the default slack.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong);
    }
}

/// The timer thread: wakes each sleep at its deadline, until shutdown.
fn run(shared: &Shared) {
    precise_sleeps();
    let mut due: Vec<Waker> = Vec::new();
    let mut st = shared.lock();
    loop {
        st.parked_for = None;
        if st.shutdown {
            return;
        }
        let now = Instant::now();
        while let Some(e) = st.pending.first_entry() {
            if e.key().0 > now {
                break;
            }
            due.push(e.remove());
        }
        if !due.is_empty() {
            // Woken outside the lock: a wake may run the task at once on
            // another thread, and its poll takes the lock.
            drop(st);
            for w in due.drain(..) {
                w.wake();
            }
            st = shared.lock();
            continue;
        }
        let Some(&(first, _)) = st.pending.first_key_value().map(|(k, _)| k) else {
            st.parked_for = Some(None);
            st = shared.wake.wait(st).unwrap_or_else(|p| p.into_inner());
            continue;
        };
        let left = first - now;
        if left > SPIN_MARGIN {
            st.parked_for = Some(Some(first));
            st = shared
                .wake
                .wait_timeout(st, left - SPIN_MARGIN)
                .unwrap_or_else(|p| p.into_inner())
                .0;
            continue;
        }
        // The last few µs: spin without the lock, so sleeps can still
        // register (an earlier one is at most SPIN_MARGIN late).
        drop(st);
        while Instant::now() < first {
            std::hint::spin_loop();
        }
        st = shared.lock();
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

    #[test]
    fn fires_in_deadline_order_and_never_early() {
        let timer = Timer::start().unwrap();
        let (tx, rx) = mpsc::channel();
        let t0 = Instant::now();
        let offsets_ms = [40u64, 10, 30, 20, 50, 15];
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
            assert!(Instant::now() >= sleeps[i].deadline, "woken early");
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
                Instant::now() >= deadline
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

    #[test]
    fn a_past_deadline_is_ready_at_once_without_the_thread() {
        let timer = Timer::start().unwrap();
        let (tx, rx) = mpsc::channel();
        let mut s = timer.sleep_until(Instant::now() - Duration::from_millis(1));
        assert!(register(&mut s, &tx, 0).is_ready());
        assert_eq!(timer.pending(), 0);
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn a_dropped_sleep_is_removed_and_never_wakes() {
        let timer = Timer::start().unwrap();
        let (tx, rx) = mpsc::channel();
        let deadline = Instant::now() + Duration::from_millis(30);
        // Many users cancelling many sleeps leave nothing behind.
        for round in 0..1000 {
            let mut s = timer.sleep_until(deadline);
            assert!(register(&mut s, &tx, round).is_pending());
            drop(s);
        }
        assert_eq!(timer.pending(), 0);
        // A later sleep fires; none of the dropped ones did.
        let mut later = timer.sleep_until(deadline + Duration::from_millis(20));
        assert!(register(&mut later, &tx, usize::MAX).is_pending());
        assert_eq!(rx.recv_timeout(BOUND), Ok(usize::MAX));
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn an_earlier_deadline_interrupts_the_sleep_for_a_later_one() {
        let timer = Timer::start().unwrap();
        let (tx, rx) = mpsc::channel();
        let mut late = timer.sleep_until(Instant::now() + Duration::from_secs(30));
        assert!(register(&mut late, &tx, 1).is_pending());
        // Let the thread settle into its long sleep.
        std::thread::sleep(Duration::from_millis(20));
        let soon = Instant::now() + Duration::from_millis(20);
        let mut early = timer.sleep_until(soon);
        assert!(register(&mut early, &tx, 0).is_pending());
        assert_eq!(rx.recv_timeout(BOUND), Ok(0));
        let fired = Instant::now();
        assert!(fired >= soon && fired < soon + Duration::from_millis(500));
        assert_eq!(timer.pending(), 1);
    }

    #[test]
    fn dropping_the_last_handle_ends_the_thread() {
        let timer = Timer::start().unwrap();
        let shared = Arc::downgrade(&timer.owner.shared);
        let copy = timer.clone();
        let (tx, _rx) = mpsc::channel();
        let mut s = timer.sleep_until(Instant::now() + Duration::from_secs(60));
        assert!(register(&mut s, &tx, 0).is_pending());
        drop(timer);
        drop(copy);
        // The pending sleep still holds the thread.
        assert!(shared.upgrade().is_some());
        let (done_tx, done) = mpsc::channel();
        std::thread::spawn(move || {
            // Joins the thread: returns once it has ended.
            drop(s);
            let _ = done_tx.send(());
        });
        done.recv_timeout(BOUND).expect("the thread ended");
        assert!(shared.upgrade().is_none(), "the thread let go of its state");
    }
}
