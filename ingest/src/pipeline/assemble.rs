//! The assembler: collects page results per dossier, has each dossier stored
//! once its last page arrives, and indexes stored dossiers in commits.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use store::manifest::Rejection;
use tokio::sync::mpsc;

use super::commit::{Unindexed, store_dossier};
use super::{PageOutput, Shared, Start, ToAssembler};
use crate::Result;

/// A dossier whose pages are arriving.
pub(super) struct Open {
    pub start: Box<Start>,
    /// Page results by page number in the dossier.
    pub pages: BTreeMap<usize, Result<PageOutput, Rejection>>,
}

impl Open {
    fn complete(&self) -> bool {
        self.pages.len() == self.start.expected
    }
}

/// Collects page results per dossier and stores each dossier once complete.
pub(super) async fn assemble(
    shared: Arc<Shared>,
    mut rx: mpsc::Receiver<ToAssembler>,
) -> Result<()> {
    let index = shared.job.index.clone();
    let writer = Arc::new(Mutex::new(index.writer()?));
    let mut open: HashMap<u64, Open> = HashMap::new();
    let mut since_commit = 0;
    let mut unindexed = Vec::new();
    let mut failure = None;
    while let Some(message) = rx.recv().await {
        let Some(dossier) = receive(&mut open, message) else {
            continue;
        };
        // After a failure, keep draining so that the workers and intake are
        // not left blocked, but store nothing more.
        if failure.is_some() {
            continue;
        }
        let pages = dossier.start.expected;
        match store_dossier(&shared, dossier).await {
            Ok(Some(stored)) => {
                since_commit += pages;
                unindexed.push(stored);
            }
            Ok(None) => {}
            Err(e) => failure = Some(e),
        }
        if since_commit >= shared.job.options.commit_pages {
            since_commit = 0;
            index_and_commit(&shared, &writer, std::mem::take(&mut unindexed)).await?;
        }
    }
    // Nothing left to index means nothing to commit: the writer only ever
    // receives work inside `index_and_commit`.
    let commit = if unindexed.is_empty() {
        Ok(())
    } else {
        index_and_commit(&shared, &writer, unindexed).await
    };
    if let Some(e) = failure {
        return Err(e);
    }
    commit?;
    index.reload()?;
    Ok(())
}

/// Files a message; returns the dossier it completed, if any.
fn receive(open: &mut HashMap<u64, Open>, message: ToAssembler) -> Option<Open> {
    let seq = match message {
        ToAssembler::Start(start) => {
            let seq = start.seq;
            let pages = BTreeMap::new();
            open.insert(seq, Open { start, pages });
            seq
        }
        ToAssembler::Page(page) => {
            if let Some(dossier) = open.get_mut(&page.seq) {
                dossier.pages.insert(page.number, page.output);
            }
            page.seq
        }
    };
    if open.get(&seq).is_some_and(Open::complete) {
        open.remove(&seq)
    } else {
        None
    }
}

/// Indexes stored dossiers and commits them at once.
async fn index_and_commit(
    shared: &Shared,
    writer: &Arc<Mutex<index::Writer>>,
    dossiers: Vec<Unindexed>,
) -> Result<()> {
    let started = Instant::now();
    let writer = writer.clone();
    shared
        .cpu
        .run(move || {
            let mut writer = writer.lock().expect("no panics while held");
            for dossier in &dossiers {
                writer.replace_dossier(&dossier.id, &dossier.manifest, &dossier.docs)?;
            }
            writer.commit()
        })
        .await?;
    shared
        .tally
        .time(|s| &mut s.index, started.elapsed().as_secs_f64());
    Ok(())
}
