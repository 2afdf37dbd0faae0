//! How far the viewer's index is behind the archive's ledger, as `serve`'s
//! follower reports it: shown under the search results and in `/metrics`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the follower last found.
#[derive(Debug, Default)]
pub struct IndexFollow {
    state: Mutex<State>,
}

#[derive(Debug, Default, Clone, Copy)]
struct State {
    /// When the index last held everything the ledger said.
    current_at: Option<Instant>,
    /// Ledger records not applied yet, at the last look.
    behind: usize,
}

impl IndexFollow {
    /// The index holds everything the ledger says, as of now.
    pub fn caught_up(&self) {
        let mut state = self.state.lock().expect("no panics while held");
        state.current_at = Some(Instant::now());
        state.behind = 0;
    }

    /// The index could not apply `records` new ledger records yet (an
    /// ingest holds it, or the store did not answer).
    pub fn behind(&self, records: usize) {
        self.state.lock().expect("no panics while held").behind = records;
    }

    /// Time since the index last held the whole ledger (`None`: never seen
    /// current since the viewer started), and the records it lacks.
    pub fn lag(&self) -> (Option<Duration>, usize) {
        let state = *self.state.lock().expect("no panics while held");
        (state.current_at.map(|at| at.elapsed()), state.behind)
    }
}
