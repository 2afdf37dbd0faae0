//! A counting gate for the steps that hold whole pages or scans: at most `n` inside at once.
//!
//! Workers are plain threads, so entering blocks; async intake waits for its
//! place on the blocking pool. It bounds memory, not CPU: a worker decoding
//! and straightening a page holds two full-size copies of it, intake holds a
//! whole scan while it hashes and stores it, and the gate keeps those peaks
//! from piling up.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};

#[derive(Debug)]
pub struct Gate {
    free: Mutex<usize>,
    freed: Condvar,
}

/// Inside the gate until dropped.
#[must_use = "the gate is left when this is dropped"]
pub struct Pass(Arc<Gate>);

impl Gate {
    pub fn new(n: usize) -> Gate {
        Gate {
            free: Mutex::new(n.max(1)),
            freed: Condvar::new(),
        }
    }

    /// Waits for a place and takes it.
    pub fn enter(self: &Arc<Self>) -> Pass {
        let mut free = self.lock();
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Pass(self.clone())
    }

    /// [`Gate::enter`] for async code: the wait blocks a thread of the
    /// blocking pool, not the runtime.
    pub async fn entered(self: &Arc<Self>) -> Pass {
        let gate = self.clone();
        match tokio::task::spawn_blocking(move || gate.enter()).await {
            Ok(pass) => pass,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    // The count stays right even if a holder panicked: it is only ever
    // changed under the lock, by whole steps.
    fn lock(&self) -> MutexGuard<'_, usize> {
        self.free.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        *self.0.lock() += 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn no_more_than_n_threads_are_inside_at_once() {
        let gate = Arc::new(Gate::new(2));
        let (inside, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|scope| {
            for _ in 0..6 {
                scope.spawn(|| {
                    for _ in 0..50 {
                        let _pass = gate.enter();
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert!(most.load(Ordering::SeqCst) <= 2);
        assert_eq!(*gate.lock(), 2, "every place is given back");
    }

    #[test]
    fn a_full_gate_lets_the_next_one_in_when_a_place_is_given_back() {
        let gate = Arc::new(Gate::new(1));
        let entered = AtomicUsize::new(0);
        let first = gate.enter();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let _pass = gate.enter();
                entered.store(1, Ordering::SeqCst);
            });
            std::thread::sleep(std::time::Duration::from_millis(100));
            assert_eq!(entered.load(Ordering::SeqCst), 0, "the gate was full");
            drop(first);
        });
        assert_eq!(entered.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn async_callers_wait_for_a_place_like_threads() {
        let gate = Arc::new(Gate::new(1));
        let first = gate.enter();
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move { gate.entered().await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(!waiting.is_finished(), "the gate was full");
        drop(first);
        let pass = tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
            .await
            .expect("let in once the place was given back")
            .unwrap();
        assert_eq!(*gate.lock(), 0);
        drop(pass);
        assert_eq!(*gate.lock(), 1, "every place is given back");
    }
}
