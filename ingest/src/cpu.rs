//! The one way async code runs CPU work: on the blocking pool, with a bound on
//! how much is in flight, so a burst of hashing or PDF assembly cannot starve
//! the OCR workers or pile up memory.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// A bounded gate in front of `spawn_blocking`.
#[derive(Debug, Clone)]
pub struct Cpu {
    permits: Arc<Semaphore>,
}

impl Cpu {
    pub fn new(max_in_flight: usize) -> Cpu {
        Cpu {
            permits: Arc::new(Semaphore::new(max_in_flight.max(1))),
        }
    }

    /// Runs `work` on the blocking pool once a permit is free.
    pub async fn run<T, F>(&self, work: F) -> T
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        match tokio::task::spawn_blocking(work).await {
            Ok(value) => value,
            // A panic in CPU work is a bug: surface it where it happened.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
}
