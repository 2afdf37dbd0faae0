//! A counting gate for OCR worker threads: at most `n` of them inside a step at once.
//!
//! Workers are plain threads, so this blocks rather than awaits. It bounds
//! memory, not CPU: a worker decoding and straightening a page holds two
//! full-size copies of it, and the gate keeps those peaks from piling up.

use std::sync::{Condvar, Mutex, MutexGuard};

#[derive(Debug)]
pub struct Gate {
    free: Mutex<usize>,
    freed: Condvar,
}

/// Inside the gate until dropped.
#[must_use = "the gate is left when this is dropped"]
pub struct Pass<'a>(&'a Gate);

impl Gate {
    pub fn new(n: usize) -> Gate {
        Gate {
            free: Mutex::new(n.max(1)),
            freed: Condvar::new(),
        }
    }

    /// Waits for a place and takes it.
    pub fn enter(&self) -> Pass<'_> {
        let mut free = self.lock();
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Pass(self)
    }

    // The count stays right even if a holder panicked: it is only ever
    // changed under the lock, by whole steps.
    fn lock(&self) -> MutexGuard<'_, usize> {
        self.free.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Pass<'_> {
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
        let gate = Gate::new(2);
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
        let gate = Gate::new(1);
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
}
