//! The one way to run an ingest: under the archive folder's lock, recovering
//! first from a run that was killed, with the station's lease renewed while
//! the pipeline runs and given back when it ends.

use store::Store;
use tokio::sync::oneshot;

use crate::lock::IngestLock;
use crate::{Job, Report, Result, pipeline, reindex};

/// Runs `job` on its archive. Callers (the CLI's `ingest` and `watch`, the
/// tests) all come through here, so none can skip the lock or recovery.
pub async fn ingest(mut job: Job) -> Result<Report> {
    let (_lock, interrupted) = IngestLock::take(&job.archive)?;
    job.store = job.store.writing_as(&job.station);
    let recovered = if interrupted {
        Some(recover(&job.store, &job.station, &job.index).await?)
    } else {
        None
    };
    let store = job.store.clone();
    let lease = Renewal::start(store.clone());
    let result = pipeline::run(job).await;
    lease.stop().await;
    let mut report = result?;
    report.recovered = recovered;
    // A run that stopped on an error keeps its lease: what it stored stays
    // pending, for every station, until it is run again. A lease that cannot
    // be given back only keeps this run's objects pending a while longer:
    // the batch is stored, so the report says so and the run succeeds.
    if let Err(e) = store.end_lease().await {
        report.warnings.push(format!(
            "could not give back this station's lease in the store ({e}); \
             the next ingest here gives it back"
        ));
    }
    Ok(report)
}

/// A run was killed: finishes what its ledger committed, sweeps what it left
/// half-written (not what other stations are writing), and rebuilds the
/// derived index.
pub(crate) async fn recover(
    store: &Store,
    station: &str,
    index: &std::sync::Arc<index::Index>,
) -> Result<store::verify::Recovery> {
    let recovery = store::verify::recover(store, Some(station)).await?;
    reindex::rebuild(store, index).await?;
    tracing::info!(
        refs_completed = recovery.refs_completed,
        objects_removed = recovery.objects_removed,
        "recovered from an interrupted ingest"
    );
    Ok(recovery)
}

/// Renews the station's lease while the pipeline runs. The lease says when it
/// was last renewed, so that a station reading it can tell a running ingest
/// from one killed long ago.
pub(crate) struct Renewal {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Renewal {
    pub(crate) fn start(store: Store) -> Renewal {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    () = tokio::time::sleep(store::writers::RENEWAL) => {}
                }
                if let Err(e) = store.renew_lease().await {
                    tracing::warn!("could not renew this station's lease: {e}");
                }
            }
        });
        Renewal { stop, task }
    }

    /// Stops renewing; a renewal under way finishes first, so that it cannot
    /// land after the lease is given back.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}
