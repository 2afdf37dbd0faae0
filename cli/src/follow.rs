//! The archive folder's index kept up with the store's ledger, so that
//! what any station stored is found here: before a search, and every few
//! seconds while `serve` runs.

use std::sync::Arc;
use std::time::Duration;

use crate::archive::Archive;

/// Catches the index up before a search; says on stderr what it could not do.
pub async fn before_search(archive: &Archive) {
    match ingest::follow_ledger(&archive.store, &archive.index).await {
        Ok(following) if following.busy => eprintln!(
            "Note: an ingest is writing this folder's index; {} newer ledger record(s) \
             are not searched yet.",
            following.records
        ),
        Ok(following) if following.rebuilt => eprintln!(
            "The index did not say how far it had followed the ledger: rebuilt from the \
             store ({} dossier(s)).",
            following.dossiers
        ),
        Ok(_) => {}
        Err(e) => eprintln!(
            "Warning: the index could not catch up with the ledger ({e}); searching it as it is."
        ),
    }
}

/// Follows the ledger every `every` while the viewer runs, and tells the
/// viewer how far behind its index is.
pub fn spawn_follower(archive: &Archive, status: Arc<web::follow::IndexFollow>, every: Duration) {
    let (store, index) = (archive.store.clone(), archive.index.clone());
    tokio::spawn(async move {
        loop {
            match ingest::follow_ledger(&store, &index).await {
                Ok(following) if following.current() => {
                    if following.dossiers > 0 {
                        tracing::info!(
                            dossiers = following.dossiers,
                            "index caught up with the ledger"
                        );
                    }
                    status.caught_up();
                }
                Ok(following) => status.behind(following.records),
                Err(e) => tracing::warn!("the index could not catch up with the ledger: {e}"),
            }
            tokio::time::sleep(every).await;
        }
    });
}
