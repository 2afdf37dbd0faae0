//! Writers' leases: which stations have an ingest writing to the store.
//!
//! Several scanning stations may share one bucket. Each stores a batch's
//! objects before its commit point (the ledger record), so for a while the
//! store holds objects nothing names yet. A station checking or recovering the
//! archive must tell those apart from strays: a `verify` would report them as
//! unexpected, and a recovery's sweep would delete them from under the
//! station about to name them. Local lock files only speak for one machine;
//! the lease lives in the store itself, as the ref `writers/STATION`, where
//! every station reads it.
//!
//! A lease is taken before an ingest stores its first new object and given
//! back when it ends well. A run that was killed or stopped on an error leaves it, and
//! its objects stay pending until that station runs again.

use serde::{Deserialize, Serialize};

use crate::{Error, Result, Store};

/// Ref prefix of the leases.
const PREFIX: &str = "writers/";

/// The ref of `station`'s lease.
fn ref_name(station: &str) -> String {
    format!("{PREFIX}{station}")
}

/// How often a running ingest renews its lease.
pub const RENEWAL: std::time::Duration = std::time::Duration::from_secs(30);

/// One station's lease, as stored (a small JSON value).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The station's identifier: letters, digits, `-`, `_` and `.`.
    pub station: String,
    /// The machine's name, for people reading reports.
    pub host: String,
    pub pid: u32,
    /// When the ingest began (RFC 3339, the writer's clock). Every object it
    /// stores is written after this.
    pub started: String,
    /// When the writer last said it was alive (RFC 3339, its clock).
    pub seen: String,
}

impl Lease {
    /// A lease for an ingest starting now on this machine.
    pub fn now(station: &str) -> Lease {
        let now = crate::now_rfc3339();
        Lease {
            station: station.to_owned(),
            host: host_name(),
            pid: std::process::id(),
            started: now.clone(),
            seen: now,
        }
    }

    /// When the ingest began, if the time can be read.
    pub fn started_at(&self) -> Option<std::time::SystemTime> {
        humantime::parse_rfc3339_weak(&self.started).ok()
    }

    /// When the writer last renewed it, if the time can be read.
    pub fn seen_at(&self) -> Option<std::time::SystemTime> {
        humantime::parse_rfc3339_weak(&self.seen).ok()
    }

    /// Whether its writer renewed it lately (within four renewals): running,
    /// as far as another station can tell, rather than killed or stopped. A
    /// time ahead of this machine's clock is the writer's clock running ahead.
    pub fn is_live(&self) -> bool {
        self.seen_at().is_some_and(
            |seen| match std::time::SystemTime::now().duration_since(seen) {
                Ok(ago) => ago < 4 * RENEWAL,
                Err(_) => true,
            },
        )
    }
}

/// This machine's name, from the kernel (empty if it cannot be read).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_default()
}

/// The lease a writing handle takes on its first new object, once.
#[derive(Debug)]
pub(crate) struct Writing {
    station: String,
    taken: tokio::sync::OnceCell<Lease>,
}

impl Store {
    /// This store, as written by an ingest of `station`: before its first new
    /// object, it records a lease (`writers/STATION`), so that other stations'
    /// checks and recoveries leave what it stores before its commit point
    /// alone. A run that only finds its objects already there takes none.
    pub fn writing_as(&self, station: &str) -> Store {
        let mut store = self.clone();
        store.lease = Some(std::sync::Arc::new(Writing {
            station: station.to_owned(),
            taken: tokio::sync::OnceCell::new(),
        }));
        store
    }

    /// Called before each put: until this handle holds its lease, an object
    /// already there is left as is (`true`: it exists), and the first one
    /// that is not takes the lease before it is written.
    pub(crate) async fn lease_before_writing(&self, key: &str) -> Result<bool> {
        let Some(writing) = self.lease.as_ref().filter(|w| !w.taken.initialized()) else {
            return Ok(false);
        };
        if self.backend().head(key).await?.is_some() {
            return Ok(true);
        }
        writing
            .taken
            .get_or_try_init(|| async {
                let lease = Lease::now(&writing.station);
                self.hold_lease(&lease).await.map(|()| lease)
            })
            .await?;
        Ok(false)
    }

    /// Says the writer is still alive, if it took its lease.
    pub async fn renew_lease(&self) -> Result<()> {
        match self.lease.as_ref().and_then(|w| w.taken.get()) {
            Some(lease) => {
                let mut lease = lease.clone();
                lease.seen = crate::now_rfc3339();
                self.hold_lease(&lease).await
            }
            None => Ok(()),
        }
    }

    /// Gives the station's lease back: everything written is named now. One
    /// left by an earlier, killed run of the station goes too, even if this
    /// run found nothing to write (and so took none).
    pub async fn end_lease(&self) -> Result<()> {
        let Some(writing) = &self.lease else {
            return Ok(());
        };
        if writing.taken.initialized()
            || self
                .backend()
                .get_ref(&ref_name(&writing.station))
                .await?
                .is_some()
        {
            self.release_lease(&writing.station).await?;
        }
        Ok(())
    }

    /// Records (or renews) `lease`: its station is writing.
    pub async fn hold_lease(&self, lease: &Lease) -> Result<()> {
        let value = serde_json::to_string(lease).map_err(|e| Error::Invalid {
            what: format!("the lease of {}", lease.station),
            reason: e.to_string(),
        })?;
        self.backend()
            .set_ref(&ref_name(&lease.station), &value)
            .await
    }

    /// Gives `station`'s lease back: its ingest ended and named all it stored.
    pub async fn release_lease(&self, station: &str) -> Result<()> {
        self.backend().delete_ref(&ref_name(station)).await
    }

    /// Every lease in the store, by station. A value that cannot be read
    /// still counts, as a writer begun at an unknown time.
    pub async fn leases(&self) -> Result<Vec<Lease>> {
        let mut leases = Vec::new();
        for name in self.backend().list_refs(PREFIX).await? {
            let Some(value) = self.backend().get_ref(&name).await? else {
                continue; // released meanwhile
            };
            leases.push(serde_json::from_str(&value).unwrap_or_else(|_| Lease {
                station: name.trim_start_matches(PREFIX).to_owned(),
                ..Lease::default()
            }));
        }
        Ok(leases)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_lease_is_held_renewed_listed_and_released() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::local(dir.path());
        assert!(store.leases().await.unwrap().is_empty());
        let mut lease = Lease::now("station-a");
        store.hold_lease(&lease).await.unwrap();
        lease.seen = "2001-01-01T00:00:00Z".into();
        store.hold_lease(&lease).await.unwrap();
        store.hold_lease(&Lease::now("station-b")).await.unwrap();
        let leases = store.leases().await.unwrap();
        assert_eq!(leases.len(), 2);
        assert_eq!(leases[0], lease);
        assert!(leases[0].started_at().is_some());
        // Last renewed long ago: killed or stopped.
        assert!(!leases[0].is_live());
        assert!(Lease::now("x").is_live());
        store.release_lease("station-a").await.unwrap();
        store.release_lease("station-a").await.unwrap();
        let left: Vec<_> = store.leases().await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].station, "station-b");
    }

    #[tokio::test]
    async fn a_writing_handle_takes_its_lease_on_its_first_new_object_only() {
        let dir = tempfile::tempdir().unwrap();
        let plain = Store::local(dir.path());
        plain.put(&b"already there"[..]).await.unwrap();
        let writing = plain.writing_as("station-a");
        // Finding its objects there, a run writes nothing, not even a lease.
        let (_, put) = writing.put(&b"already there"[..]).await.unwrap();
        assert_eq!(put, crate::Put::Existed);
        writing.renew_lease().await.unwrap();
        assert!(plain.leases().await.unwrap().is_empty());

        writing.put(&b"new"[..]).await.unwrap();
        writing.put(&b"newer"[..]).await.unwrap();
        let leases = plain.leases().await.unwrap();
        assert_eq!(leases.len(), 1);
        assert_eq!(leases[0].station, "station-a");
        assert_eq!(leases[0].pid, std::process::id());
        writing.end_lease().await.unwrap();
        assert!(plain.leases().await.unwrap().is_empty());

        // A killed run's lease goes at the end of the next run, which found
        // everything already stored and took none of its own.
        plain.hold_lease(&Lease::now("station-a")).await.unwrap();
        let rerun = plain.writing_as("station-a");
        rerun.put(&b"new"[..]).await.unwrap();
        rerun.end_lease().await.unwrap();
        assert!(plain.leases().await.unwrap().is_empty());
    }
}
