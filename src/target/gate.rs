//! The embedded target's workers and queue: at most `workers` requests in
//! service, at most `queue` waiting in FIFO order, the rest refused (see
//! the module documentation of [`super`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// `workers` permits and a bounded count of waiters. Tokio's semaphore is
/// fair: a released permit goes to the longest waiter, and `try_acquire`
/// fails while anyone waits, so service is FIFO.
pub(super) struct Gate {
    pub(super) permits: Arc<Semaphore>,
    pub(super) waiting: AtomicUsize,
    pub(super) queue: usize,
}

/// Holds one place in the queue; dropping it (served, or the client gave
/// up and hyper dropped the request future) gives the place back.
struct QueuePlace<'a>(&'a AtomicUsize);

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Gate {
    /// A worker for one request, waiting in line if all are busy; `None`
    /// if the queue is full (the request is then answered 503).
    pub(super) async fn admit(&self) -> Option<OwnedSemaphorePermit> {
        if let Ok(p) = self.permits.clone().try_acquire_owned() {
            return Some(p);
        }
        // Reserve the place first, so concurrent arrivals cannot overfill.
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        let _place = QueuePlace(&self.waiting);
        // The semaphore is never closed, so acquiring only fails if it were.
        self.permits.clone().acquire_owned().await.ok()
    }
}
