//! The store: content-addressed objects over a backend, verified on every read.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::backend::{Backend, Put, local::Local};
use crate::ledger::{Event, Record};
use crate::manifest::{Manifest, ObjectRef};
use crate::{Bytes, Digest, Error, Result, sha256};

/// The archive's objects and refs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
    /// Serialises ledger appends within this process: each record names the one before.
    ledger_lock: Arc<tokio::sync::Mutex<()>>,
    /// A writer's lease, taken before this handle first writes an object
    /// (see [`Store::writing_as`]).
    pub(crate) lease: Option<Arc<crate::writers::Writing>>,
}

impl Store {
    pub fn new(backend: Arc<dyn Backend>) -> Store {
        Store {
            backend,
            ledger_lock: Arc::default(),
            lease: None,
        }
    }

    /// The embedded default: files under `root`.
    pub fn local(root: impl Into<std::path::PathBuf>) -> Store {
        Store::new(Arc::new(Local::new(root)))
    }

    pub fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    /// Stores bytes whose digest the caller already computed (off the async threads).
    pub async fn put_hashed(
        &self,
        bytes: impl Into<Bytes>,
        digest: Digest,
    ) -> Result<(ObjectRef, Put)> {
        let bytes = bytes.into();
        let key = digest.key();
        let object = ObjectRef {
            key,
            sha256: digest,
            bytes: bytes.len() as u64,
        };
        if self.lease_before_writing(&object.key).await? {
            return Ok((object, Put::Existed));
        }
        let put = self.backend.put(&object.key, bytes, &digest).await?;
        Ok((object, put))
    }

    /// Hashes and stores bytes; a no-op if they are already there.
    pub async fn put(&self, bytes: impl Into<Bytes>) -> Result<(ObjectRef, Put)> {
        let bytes = bytes.into();
        let digest = sha256(&bytes);
        self.put_hashed(bytes, digest).await
    }

    pub async fn put_json<T: Serialize>(&self, value: &T) -> Result<(ObjectRef, Put)> {
        let bytes = serde_json::to_vec(value).map_err(|e| Error::Invalid {
            what: "record".into(),
            reason: e.to_string(),
        })?;
        self.put(bytes).await
    }

    /// The object's bytes, re-hashed: a mismatch is an error, never served.
    pub async fn get(&self, digest: &Digest) -> Result<Vec<u8>> {
        let key = digest.key();
        let bytes = self
            .backend
            .get(&key)
            .await?
            .ok_or_else(|| Error::Missing(key.clone()))?;
        let actual = sha256(&bytes);
        if actual != *digest {
            return Err(Error::Corrupt {
                key,
                expected: digest.hex(),
                actual: actual.hex(),
            });
        }
        Ok(bytes)
    }

    pub async fn get_json<T: DeserializeOwned>(&self, digest: &Digest) -> Result<T> {
        let bytes = self.get(digest).await?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Invalid {
            what: format!("object {}", digest.key()),
            reason: e.to_string(),
        })
    }

    async fn ref_digest(&self, name: &str) -> Result<Option<Digest>> {
        match self.backend.get_ref(name).await? {
            None => Ok(None),
            Some(value) => Digest::from_hex(&value)
                .map(Some)
                .ok_or_else(|| Error::Invalid {
                    what: format!("ref {name}"),
                    reason: format!("'{value}' is not a sha256"),
                }),
        }
    }

    /// The manifest digest a dossier's ref points to.
    pub async fn dossier_ref(&self, dossier: &str) -> Result<Option<Digest>> {
        self.ref_digest(&format!("dossiers/{dossier}")).await
    }

    /// Points a dossier at a new manifest: the commit point of storing a dossier.
    pub async fn set_dossier_ref(&self, dossier: &str, manifest: &Digest) -> Result<()> {
        self.backend
            .set_ref(&format!("dossiers/{dossier}"), &manifest.hex())
            .await
    }

    /// Every dossier with a stored manifest, sorted.
    pub async fn dossiers(&self) -> Result<Vec<String>> {
        Ok(self
            .backend
            .list_refs("dossiers/")
            .await?
            .into_iter()
            .filter_map(|name| name.strip_prefix("dossiers/").map(str::to_owned))
            .collect())
    }

    /// A dossier's current manifest.
    pub async fn manifest(&self, dossier: &str) -> Result<Option<(Digest, Manifest)>> {
        match self.dossier_ref(dossier).await? {
            None => Ok(None),
            Some(digest) => Ok(Some((digest, self.get_json(&digest).await?))),
        }
    }

    /// Every version of a dossier, newest first: its current manifest, then
    /// the one each `replaces` (a correction's, or a re-scan's).
    pub async fn versions(&self, dossier: &str) -> Result<Vec<(Digest, Manifest)>> {
        match self.manifest(dossier).await? {
            Some((digest, manifest)) => self.versions_from(digest, manifest).await,
            None => Ok(Vec::new()),
        }
    }

    /// [`Store::versions`] from a manifest already read: it, then the ones it replaces.
    pub async fn versions_from(
        &self,
        digest: Digest,
        manifest: Manifest,
    ) -> Result<Vec<(Digest, Manifest)>> {
        let mut next = manifest.replaces;
        let mut versions = vec![(digest, manifest)];
        while let Some(digest) = next {
            // Digests cannot loop, but a damaged store must not make this spin.
            if versions.iter().any(|(d, _)| *d == digest) {
                break;
            }
            let manifest: Manifest = self.get_json(&digest).await?;
            next = manifest.replaces;
            versions.push((digest, manifest));
        }
        Ok(versions)
    }

    /// A cached per-page result (keyed by the source and the settings), if any.
    pub async fn cache_get(&self, key: &Digest) -> Result<Option<Digest>> {
        self.ref_digest(&format!("cache/{}", key.key())).await
    }

    pub async fn cache_set(&self, key: &Digest, value: &Digest) -> Result<()> {
        self.backend
            .set_ref(&format!("cache/{}", key.key()), &value.hex())
            .await
    }

    /// Appends an event to the hash-chained ledger; returns the new record's digest.
    pub async fn append(&self, event: Event) -> Result<Digest> {
        self.append_with(|_| event.clone()).await
    }

    /// Appends the event `make` builds from the digest of the record it will follow.
    /// The head moves by compare-and-set: another process (a `verify` during
    /// an ingest, another station on the same bucket) may append between our
    /// read and our write. The loser links a new record to the winner's and
    /// names its own first attempt in it.
    async fn append_with(&self, make: impl Fn(Option<&Digest>) -> Event) -> Result<Digest> {
        let _guard = self.ledger_lock.lock().await;
        let mut superseded = Vec::new();
        loop {
            let prev = self.ref_digest("ledger/head").await?;
            let seq = match &prev {
                Some(digest) => self.get_json::<Record>(digest).await?.seq + 1,
                None => 0,
            };
            let record = Record {
                version: 1,
                seq,
                prev,
                at: crate::now_rfc3339(),
                event: make(prev.as_ref()),
                superseded: superseded.clone(),
            };
            let (object, _) = self.put_json(&record).await?;
            let head = object.sha256.hex();
            let expected = prev.map(|d| d.hex());
            if self
                .backend
                .swap_ref("ledger/head", expected.as_deref(), &head)
                .await?
            {
                return Ok(object.sha256);
            }
            // A retried request whose first try did land also reports a
            // conflict, with the head already ours.
            if self.ref_digest("ledger/head").await? == Some(object.sha256) {
                return Ok(object.sha256);
            }
            tracing::info!(record = %head, "the ledger head moved meanwhile: appending again");
            superseded.push(object.sha256);
        }
    }

    /// Seals a batch: the Merkle root of `objects`, signed together with the
    /// ledger record it follows, appended as a `BatchSealed` record.
    pub async fn seal(
        &self,
        batch: &str,
        dossiers: Vec<String>,
        mut objects: Vec<Digest>,
        signer: &crate::seal::Signer,
    ) -> Result<Digest> {
        objects.sort();
        objects.dedup();
        let root = crate::seal::merkle_root(&objects);
        self.append_with(|prev| Event::BatchSealed {
            batch: batch.to_owned(),
            dossiers: dossiers.clone(),
            objects: objects.clone(),
            merkle_root: root,
            public_key: signer.public_hex(),
            signature: signer.sign(&crate::seal::message(batch, &root, prev)),
        })
        .await
    }

    /// The archive's public key for seals, if one was registered.
    pub async fn public_key(&self) -> Result<Option<String>> {
        self.backend.get_ref("keys/public").await
    }

    /// Registers the public key auditors check seals against.
    pub async fn set_public_key(&self, public_hex: &str) -> Result<()> {
        self.backend.set_ref("keys/public", public_hex).await
    }

    /// Every cached page record (values of the `cache/` refs).
    pub async fn cache_records(&self) -> Result<Vec<Digest>> {
        let mut out = Vec::new();
        for name in self.backend.list_refs("cache/").await? {
            if let Some(digest) = self.ref_digest(&name).await? {
                out.push(digest);
            }
        }
        Ok(out)
    }

    /// The newest ledger record; `None` in a store that holds no archive yet.
    pub async fn ledger_head(&self) -> Result<Option<Digest>> {
        self.ref_digest("ledger/head").await
    }

    /// The ledger from newest to oldest.
    pub async fn ledger(&self) -> Result<Vec<(Digest, Record)>> {
        let mut out = Vec::new();
        let mut next = self.ref_digest("ledger/head").await?;
        while let Some(digest) = next {
            let record: Record = self.get_json(&digest).await?;
            next = record.prev;
            out.push((digest, record));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn corrupt_object_is_never_served() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::local(dir.path());
        let (object, put) = store
            .put(Bytes::from_static(b"original scan"))
            .await
            .unwrap();
        assert_eq!(put, Put::Stored);
        std::fs::write(
            dir.path().join("objects").join(&object.key),
            b"altered scan",
        )
        .unwrap();
        match store.get(&object.sha256).await {
            Err(Error::Corrupt {
                key,
                expected,
                actual,
            }) => {
                assert_eq!(key, object.key);
                assert_eq!(expected, object.sha256.hex());
                assert_eq!(actual, sha256(b"altered scan").hex());
            }
            other => panic!("expected corruption, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn ledger_records_chain_to_the_one_before() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::local(dir.path());
        let first = store
            .append(Event::Rejected {
                batch: "B".into(),
                path: "B/x".into(),
                error: "bad".into(),
                objects: Vec::new(),
            })
            .await
            .unwrap();
        let second = store
            .append(Event::Rejected {
                batch: "B".into(),
                path: "B/y".into(),
                error: "bad".into(),
                objects: Vec::new(),
            })
            .await
            .unwrap();
        let ledger = store.ledger().await.unwrap();
        assert_eq!(ledger.len(), 2);
        assert_eq!(ledger[0].0, second);
        assert_eq!(ledger[0].1.prev, Some(first));
        assert_eq!(ledger[0].1.seq, 1);
        assert_eq!(ledger[1].1.prev, None);
    }

    fn rejected(path: &str) -> Event {
        Event::Rejected {
            batch: "B".into(),
            path: path.into(),
            error: "bad".into(),
            objects: Vec::new(),
        }
    }

    /// Dates a local object back an hour: what an interrupted run left.
    fn written_an_hour_ago(root: &std::path::Path, object: &ObjectRef) {
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(root.join("objects").join(&object.key))
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
    }

    /// What another process does, at one moment of ours.
    type Act = fn(Store) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send>>;

    /// The moment of ours another process's work falls into.
    #[derive(Debug, PartialEq)]
    enum Moment {
        /// Our first `swap_ref`: two processes race for the ledger head.
        Swap,
        /// Our first listing of the objects: a writer works while a check
        /// re-hashes.
        List,
    }

    /// A real local backend on which another store (`rival`) acts once, at
    /// one moment of ours.
    struct Interleaved {
        inner: Arc<dyn Backend>,
        rival: Store,
        at: Moment,
        act: Act,
        done: std::sync::atomic::AtomicBool,
    }

    impl std::fmt::Debug for Interleaved {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "Interleaved at {:?}", self.at)
        }
    }

    impl Interleaved {
        fn store(root: &std::path::Path, at: Moment, act: Act) -> Store {
            Store::new(Arc::new(Interleaved {
                inner: Arc::new(Local::new(root)),
                rival: Store::local(root),
                at,
                act,
                done: false.into(),
            }))
        }

        async fn at(&self, moment: Moment) -> Result<()> {
            if self.at == moment && !self.done.swap(true, std::sync::atomic::Ordering::SeqCst) {
                (self.act)(self.rival.clone()).await?;
            }
            Ok(())
        }
    }

    #[async_trait::async_trait]
    impl Backend for Interleaved {
        async fn put(&self, key: &str, bytes: Bytes, sha256: &Digest) -> Result<Put> {
            self.inner.put(key, bytes, sha256).await
        }
        async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
            self.inner.get(key).await
        }
        async fn head(&self, key: &str) -> Result<Option<u64>> {
            self.inner.head(key).await
        }
        async fn modified(&self, key: &str) -> Result<Option<std::time::SystemTime>> {
            self.inner.modified(key).await
        }
        async fn list(&self) -> Result<Vec<String>> {
            self.at(Moment::List).await?;
            self.inner.list().await
        }
        async fn delete(&self, key: &str) -> Result<()> {
            self.inner.delete(key).await
        }
        async fn get_ref(&self, name: &str) -> Result<Option<String>> {
            self.inner.get_ref(name).await
        }
        async fn set_ref(&self, name: &str, value: &str) -> Result<()> {
            self.inner.set_ref(name, value).await
        }
        async fn delete_ref(&self, name: &str) -> Result<()> {
            self.inner.delete_ref(name).await
        }
        async fn swap_ref(&self, name: &str, expected: Option<&str>, value: &str) -> Result<bool> {
            self.at(Moment::Swap).await?;
            self.inner.swap_ref(name, expected, value).await
        }
        async fn list_refs(&self, prefix: &str) -> Result<Vec<String>> {
            self.inner.list_refs(prefix).await
        }
        fn describe(&self) -> String {
            self.inner.describe()
        }
    }

    #[tokio::test]
    async fn an_append_overtaken_by_another_writer_follows_it_and_names_its_first_try() {
        let dir = tempfile::tempdir().unwrap();
        let rival = Store::local(dir.path());
        rival.append(rejected("B/first")).await.unwrap();
        let store = Interleaved::store(dir.path(), Moment::Swap, |rival| {
            Box::pin(async move { rival.append(rejected("B/rival")).await.map(drop) })
        });
        let ours = store.append(rejected("B/ours")).await.unwrap();

        let ledger = rival.ledger().await.unwrap();
        let paths: Vec<String> = ledger
            .iter()
            .map(|(_, r)| match &r.event {
                Event::Rejected { path, .. } => path.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(paths, ["B/ours", "B/rival", "B/first"]);
        assert_eq!(ledger[0].0, ours);
        assert_eq!(ledger[0].1.seq, 2);
        assert_eq!(ledger[0].1.prev, Some(ledger[1].0));
        // The first try, linked to "B/first" like the rival's, is named, and
        // so is not a stray: verify finds the archive intact.
        assert_eq!(ledger[0].1.superseded.len(), 1);
        let lost: Record = rival.get_json(&ledger[0].1.superseded[0]).await.unwrap();
        assert_eq!(lost.prev, Some(ledger[2].0));
        let report = crate::verify::verify(&rival, &[]).await.unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn two_writers_appending_at_once_lose_no_record() {
        let dir = tempfile::tempdir().unwrap();
        // Two stores on one folder: each has its own in-process lock, as two
        // processes would.
        let stores = [Store::local(dir.path()), Store::local(dir.path())];
        let mut tasks = Vec::new();
        for (n, store) in stores.iter().enumerate() {
            for i in 0..20 {
                let store = store.clone();
                tasks.push(tokio::spawn(async move {
                    store.append(rejected(&format!("B/{n}-{i}"))).await
                }));
            }
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let ledger = stores[0].ledger().await.unwrap();
        assert_eq!(ledger.len(), 40);
        for (i, (_, record)) in ledger.iter().rev().enumerate() {
            assert_eq!(record.seq, i as u64);
        }
        let report = crate::verify::verify(&stores[0], &[]).await.unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }

    #[tokio::test]
    async fn an_unnamed_object_is_pending_after_the_newest_record_and_unexpected_before() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::local(dir.path());
        let (early, _) = store
            .put(Bytes::from_static(b"left long ago"))
            .await
            .unwrap();
        // Written well before the record below: what an interrupted run left.
        written_an_hour_ago(dir.path(), &early);
        store.append(rejected("B/x")).await.unwrap();
        // Stored by an ingest that has not reached its commit point.
        let (late, _) = store.put(Bytes::from_static(b"in flight")).await.unwrap();

        // With no ingest writing, both are strays.
        let report = crate::verify::verify(&store, &[]).await.unwrap();
        assert!(report.pending.is_empty());
        assert_eq!(report.problems.len(), 2);

        let report = crate::verify::verify_while_writing(&store, &[])
            .await
            .unwrap();
        assert_eq!(report.pending, [late.key]);
        let kinds: Vec<(&str, crate::verify::Kind)> = report
            .problems
            .iter()
            .map(|p| (p.key.as_str(), p.kind))
            .collect();
        assert_eq!(
            kinds,
            [(early.key.as_str(), crate::verify::Kind::Unexpected)]
        );

        // With no ingest writing, recovery sweeps both.
        assert_eq!(crate::verify::sweep(&store, None).await.unwrap(), 2);
        let report = crate::verify::verify(&store, &[]).await.unwrap();
        assert!(report.problems.is_empty() && report.pending.is_empty());
    }

    #[tokio::test]
    async fn another_stations_unnamed_objects_are_pending_and_survive_a_sweep() {
        let dir = tempfile::tempdir().unwrap();
        // Two stations on one store: two handles on the same files.
        let (here, there) = (Store::local(dir.path()), Store::local(dir.path()));
        let (ours, _) = here.put(Bytes::from_static(b"ours, left")).await.unwrap();
        written_an_hour_ago(dir.path(), &ours);
        here.append(rejected("B/x")).await.unwrap();
        // Station B begins an ingest and stores a page before its commit point.
        let lease = crate::Lease::now("station-b");
        there.hold_lease(&lease).await.unwrap();
        let (theirs, _) = there
            .put(Bytes::from_static(b"station b's page"))
            .await
            .unwrap();

        // Without the lease, a check here would call B's page a stray.
        let report = crate::verify::verify(&here, &[]).await.unwrap();
        assert_eq!(report.pending, std::slice::from_ref(&theirs.key));
        assert_eq!(report.writers, std::slice::from_ref(&lease));
        let strays: Vec<&str> = report.problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(strays, [ours.key.as_str()]);

        // This station recovering sweeps its own stray and keeps B's page.
        assert_eq!(
            crate::verify::sweep(&here, Some("station-a"))
                .await
                .unwrap(),
            1
        );
        assert!(here.get(&ours.sha256).await.is_err());
        assert!(here.get(&theirs.sha256).await.is_ok());

        // B's own recovery (its run was killed) sweeps what its lease covered.
        assert_eq!(
            crate::verify::sweep(&there, Some("station-b"))
                .await
                .unwrap(),
            1
        );
        there.release_lease("station-b").await.unwrap();
        let report = crate::verify::verify(&here, &[]).await.unwrap();
        assert!(report.problems.is_empty() && report.pending.is_empty());
        assert!(report.writers.is_empty());
    }

    #[tokio::test]
    async fn a_record_being_appended_without_a_lease_survives_a_sweep() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::local(dir.path());
        store.append(rejected("B/x")).await.unwrap();
        let head = store.ledger_head().await.unwrap();
        // `verify` appending its own record, which takes no lease: the record
        // is written and the head not moved yet. Its object is dated back so
        // that only what it is protects it.
        let record = |seq, prev, at: String, path| Record {
            version: 1,
            seq,
            prev,
            at,
            event: rejected(path),
            superseded: Vec::new(),
        };
        let (appending, _) = store
            .put_json(&record(1, head, crate::now_rfc3339(), "B/y"))
            .await
            .unwrap();
        written_an_hour_ago(dir.path(), &appending);
        let swept = crate::verify::sweep(&store, Some("station-a"))
            .await
            .unwrap();
        assert_eq!(swept, 0);
        let report = crate::verify::verify(&store, &[]).await.unwrap();
        assert_eq!(report.pending, std::slice::from_ref(&appending.key));
        let (old, new) = (head.unwrap().hex(), appending.sha256.hex());
        let moved = store.backend().swap_ref("ledger/head", Some(&old), &new);
        assert!(moved.await.unwrap());
        let report = crate::verify::verify(&store, &[]).await.unwrap();
        assert!(report.problems.is_empty() && report.pending.is_empty());

        // One left by an append killed long ago is a stray.
        let long_ago = "2020-01-01T00:00:00Z".to_owned();
        let (left, _) = store
            .put_json(&record(2, Some(appending.sha256), long_ago, "B/z"))
            .await
            .unwrap();
        written_an_hour_ago(dir.path(), &left);
        let swept = crate::verify::sweep(&store, Some("station-a"))
            .await
            .unwrap();
        assert_eq!(swept, 1);
        assert!(store.get(&left.sha256).await.is_err());
    }

    /// Station B stores a page and names it in a record, all while a check
    /// on this station re-hashes: listed, unnamed by the ledger the check
    /// read, and with B's lease already given back.
    fn b_stores_and_names_a_page(
        rival: Store,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send>> {
        Box::pin(async move {
            let b = rival.writing_as("station-b");
            let (page, _) = b.put(Bytes::from_static(b"station b's page")).await?;
            b.append(Event::Rejected {
                batch: "B".into(),
                path: "B/x".into(),
                error: "bad".into(),
                objects: vec![page.sha256],
            })
            .await?;
            b.end_lease().await
        })
    }

    #[tokio::test]
    async fn what_a_writer_stores_while_a_check_runs_is_never_a_stray() {
        let page = sha256(b"station b's page");
        for (act, pending) in [
            // B begins while the check runs and is still writing.
            (
                (|rival| {
                    Box::pin(async move {
                        let b = rival.writing_as("station-b");
                        b.put(Bytes::from_static(b"station b's page"))
                            .await
                            .map(drop)
                    })
                }) as Act,
                1,
            ),
            // B begins and ends while the check runs.
            (b_stores_and_names_a_page as Act, 0),
        ] {
            let dir = tempfile::tempdir().unwrap();
            Store::local(dir.path())
                .append(rejected("B/first"))
                .await
                .unwrap();
            let here = Interleaved::store(dir.path(), Moment::List, act);
            assert_eq!(
                crate::verify::sweep(&here, Some("station-a"))
                    .await
                    .unwrap(),
                0
            );
            assert!(here.get(&page).await.is_ok());
            let report = crate::verify::verify(&here, &[]).await.unwrap();
            assert!(report.problems.is_empty(), "{:?}", report.problems);
            assert_eq!(report.pending.len(), pending);
        }
    }

    #[tokio::test]
    async fn a_sweep_does_not_rehash_but_stops_at_an_unreadable_page_record() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::local(dir.path());
        let (named, _) = store.put(Bytes::from_static(b"named")).await.unwrap();
        store
            .append(Event::Rejected {
                batch: "B".into(),
                path: "B/x".into(),
                error: "bad".into(),
                objects: vec![named.sha256],
            })
            .await
            .unwrap();
        let (stray, _) = store.put(Bytes::from_static(b"stray")).await.unwrap();
        written_an_hour_ago(dir.path(), &stray);
        // Damage to a named object is verify's to report; it does not make
        // anything look unnamed, and the sweep (which does not re-hash) goes on.
        std::fs::write(dir.path().join("objects").join(&named.key), b"damaged").unwrap();
        assert_eq!(crate::verify::sweep(&store, None).await.unwrap(), 1);
        let report = crate::verify::verify(&store, &[]).await.unwrap();
        let kinds: Vec<_> = report.problems.iter().map(|p| (&p.key, p.kind)).collect();
        assert_eq!(kinds, [(&named.key, crate::verify::Kind::Modified)]);

        // An unreadable page record hides which page image it keeps: then
        // nothing is swept.
        let (image, _) = store.put(Bytes::from_static(b"cached page")).await.unwrap();
        written_an_hour_ago(dir.path(), &image);
        let (record, _) = store.put(Bytes::from_static(b"not a page")).await.unwrap();
        store
            .cache_set(&sha256(b"key"), &record.sha256)
            .await
            .unwrap();
        let (stray, _) = store.put(Bytes::from_static(b"stray again")).await.unwrap();
        written_an_hour_ago(dir.path(), &stray);
        assert_eq!(crate::verify::sweep(&store, None).await.unwrap(), 0);
        assert!(store.get(&image.sha256).await.is_ok());
    }
}
