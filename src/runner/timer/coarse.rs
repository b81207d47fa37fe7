//! Starts on tokio's timer, where there is no timerfd: 0-2 ms late (its
//! wheel's 1 ms ticks), at no cost beyond tokio's own.

use std::time::Instant;

/// The same interface as the precise timer: a handle, cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Timer;

/// See [`Timer::sleep_until`].
pub type Sleep = tokio::time::Sleep;

impl Timer {
    /// Never fails; a `Result` like the precise timer's.
    pub fn start() -> std::io::Result<Timer> {
        Ok(Timer)
    }

    /// A future ready at the first 1 ms tick at or after `deadline`.
    /// Must be polled inside a tokio runtime with its timer enabled.
    pub fn sleep_until(&self, deadline: Instant) -> Sleep {
        tokio::time::sleep_until(deadline.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn fires_at_or_after_its_deadline() {
        let timer = Timer::start().unwrap();
        let deadline = Instant::now() + Duration::from_millis(10);
        tokio::time::timeout(Duration::from_secs(5), timer.sleep_until(deadline))
            .await
            .expect("fires");
        assert!(Instant::now() >= deadline);
    }
}
