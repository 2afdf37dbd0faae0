//! Fixity: re-hashing stored objects against the ledger and the manifests, and
//! checking the ledger's chain and seals.
//!
//! What should exist comes from the ledger (every object a record names, and
//! the records themselves), the current manifests and the page records the
//! cache refs name; what does exist comes from listing the backend. Objects
//! are read and hashed one at a time, so memory stays flat.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use serde::Serialize;

use crate::ledger::{Event, Record};
use crate::writers::Lease;
use crate::{Digest, Error, Result, Store, sha256};

/// What kind of problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An object the ledger or a manifest names is not in the store.
    Missing,
    /// An object's bytes no longer hash to its name.
    Modified,
    /// An object that is there but could not be read whole (`detail` says why).
    Unreadable,
    /// An object nothing names.
    Unexpected,
    /// The ledger's chain, a seal or a ref disagrees with the records.
    Ledger,
}

/// One problem, named exactly.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub key: String,
    pub kind: Kind,
    pub expected: Option<String>,
    pub actual: Option<String>,
    pub detail: String,
}

/// The outcome of a check (`verify --json` prints it).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Objects re-hashed.
    pub checked: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub problems: Vec<Problem>,
    /// Objects nothing names yet that an ingest under way (or interrupted)
    /// may have stored before its commit point: those written since the
    /// start of an ingest that holds a lease (see [`crate::writers`]), on this
    /// station or another, and, from [`verify_while_writing`], those written
    /// since the newest ledger record. Not problems; older unnamed objects are
    /// still `unexpected`.
    pub pending: Vec<String>,
    /// The leases found: ingests writing now, or killed or stopped and not
    /// yet run again.
    pub writers: Vec<Lease>,
}

/// How far before the newest record (or a lease's start) an unnamed object
/// still counts as pending: those times are the writer's clock, an S3
/// object's the server's.
const CLOCK_SKEW: std::time::Duration = std::time::Duration::from_secs(300);

/// Objects fetched and hashed at once by `verify`.
const IN_FLIGHT: usize = 8;

/// Checks the whole archive, or only the named dossiers' objects (the ledger is always checked).
/// Every object nothing names is `unexpected`: no ingest is writing.
/// Objects written since the start of a writer's lease are `pending` either way.
pub async fn verify(store: &Store, dossiers: &[String]) -> Result<Report> {
    let mode = Mode {
        writing: false,
        own: None,
        rehash: true,
    };
    check(store, dossiers, mode).await
}

/// [`verify`] while an ingest is writing to the archive (or one was killed
/// and not run again): unnamed objects written since the newest ledger record
/// are `pending`, not problems.
pub async fn verify_while_writing(store: &Store, dossiers: &[String]) -> Result<Report> {
    let mode = Mode {
        writing: true,
        own: None,
        rehash: true,
    };
    check(store, dossiers, mode).await
}

/// How a check runs; [`verify`], [`verify_while_writing`] and [`sweep`] each
/// fix one.
#[derive(Debug, Clone, Copy)]
struct Mode<'a> {
    /// An ingest may be writing: unnamed objects written since the newest
    /// ledger record are pending.
    writing: bool,
    /// The station checking, whose own lease (left by its killed run) does
    /// not protect anything: what that run left unnamed is stray.
    own: Option<&'a str>,
    /// Read and hash every named object. Without it, only the ledger, the
    /// refs and the page records are read (what tells named from unnamed).
    rehash: bool,
}

/// What should exist, each with why.
type Expected = BTreeMap<Digest, String>;

async fn check(store: &Store, dossiers: &[String], mode: Mode<'_>) -> Result<Report> {
    let started = Instant::now();
    let mut problems = Vec::new();
    let records = walk_ledger(store, &mut problems).await?;
    let mut expected = Expected::new();
    for (digest, record) in records.iter().rev() {
        expect_record(&mut expected, digest, record);
    }
    check_seals(store, &records, &mut problems).await?;
    if mode.rehash {
        check_corrections(store, &records, &mut problems).await;
    }
    for unreadable in expect_cached(store, &mut expected).await? {
        // Re-hashing reports it below; a check that does not re-hash must
        // still not take what that record names for strays.
        if !mode.rehash {
            problems.push(Problem {
                key: unreadable.key(),
                kind: Kind::Modified,
                expected: Some(unreadable.hex()),
                actual: None,
                detail: "a cached page record that cannot be read".into(),
            });
        }
    }
    let wanted = check_refs(store, dossiers, &records, &mut expected, &mut problems).await?;
    let (checked, bytes) = if mode.rehash {
        rehash(store, &expected, wanted.as_ref(), &mut problems).await?
    } else {
        (0, 0)
    };
    // Objects nothing names: only meaningful over the whole archive. Listed
    // before the leases are read (see `sort_unnamed`).
    let listed = match wanted {
        None => Some(store.backend().list().await?),
        Some(_) => None,
    };
    let writers = store.leases().await?;
    let mut pending = Vec::new();
    if let Some(listed) = listed {
        let unnamed = Unnamed {
            records: &records,
            writers: &writers,
            mode,
        };
        unnamed
            .sort(store, listed, &mut expected, &mut pending, &mut problems)
            .await?;
    }
    problems.sort_by(|a, b| a.key.cmp(&b.key).then(a.detail.cmp(&b.detail)));
    pending.sort();
    Ok(Report {
        checked,
        bytes,
        seconds: started.elapsed().as_secs_f64(),
        problems,
        pending,
        writers,
    })
}

/// Checks that each correction's manifest says what its ledger record says:
/// the same dossier, the version it replaces, who, and the same changes. A
/// manifest that cannot be read is left to the re-hash, which names it.
async fn check_corrections(
    store: &Store,
    records: &[(Digest, Record)],
    problems: &mut Vec<Problem>,
) {
    for (record_digest, record) in records {
        let Event::DossierCorrected {
            dossier,
            manifest,
            previous,
            by,
            changes,
            ..
        } = &record.event
        else {
            continue;
        };
        let Ok(version) = store.get_json::<crate::Manifest>(manifest).await else {
            continue;
        };
        let agrees = version.dossier == *dossier
            && version.replaces == Some(*previous)
            && version
                .correction
                .as_ref()
                .is_some_and(|c| c.by == *by && c.changes == *changes);
        if !agrees {
            problems.push(Problem {
                key: record_digest.key(),
                kind: Kind::Ledger,
                expected: Some(manifest.hex()),
                actual: None,
                detail: format!(
                    "the correction of {dossier} recorded here disagrees with the manifest it names"
                ),
            });
        }
    }
}

/// The manifest the ledger last recorded for each dossier.
fn last_manifests(records: &[(Digest, Record)]) -> BTreeMap<String, Digest> {
    let mut last = BTreeMap::new();
    // Newest first: the first record seen for a dossier is its last.
    for (_, record) in records {
        if let Some((dossier, manifest)) = record.event.moves_ref() {
            last.entry(dossier.to_owned()).or_insert(*manifest);
        }
    }
    last
}

/// Checks that every ref points where the ledger last recorded it, and
/// expects each current manifest. With `dossiers` named, returns the objects
/// of those dossiers, the only ones then re-hashed.
async fn check_refs(
    store: &Store,
    dossiers: &[String],
    records: &[(Digest, Record)],
    expected: &mut Expected,
    problems: &mut Vec<Problem>,
) -> Result<Option<BTreeSet<Digest>>> {
    let last_manifest = last_manifests(records);
    let mut wanted: Option<BTreeSet<Digest>> = (!dossiers.is_empty()).then(BTreeSet::new);
    let all = store.dossiers().await?;
    for id in dossiers.iter().filter(|id| !all.contains(id)) {
        problems.push(Problem {
            key: format!("dossiers/{id}"),
            kind: Kind::Missing,
            expected: None,
            actual: None,
            detail: format!("no dossier {id} in the archive"),
        });
    }
    for id in &all {
        let Some(current) = store.dossier_ref(id).await? else {
            continue;
        };
        if last_manifest.get(id) != Some(&current) {
            problems.push(Problem {
                key: current.key(),
                kind: Kind::Ledger,
                expected: last_manifest.get(id).map(Digest::hex),
                actual: Some(current.hex()),
                detail: format!(
                    "the ref of {id} points to a manifest the ledger does not record for it"
                ),
            });
        }
        expected
            .entry(current)
            .or_insert_with(|| format!("manifest of {id}"));
        if let Some(wanted) = wanted.as_mut().filter(|_| dossiers.contains(id)) {
            wanted.insert(current);
            if let Ok(manifest) = store.get_json::<crate::Manifest>(&current).await {
                wanted.extend(manifest.objects());
            }
        }
    }
    Ok(wanted)
}

/// Re-hashes the expected objects (those of `wanted` only, if given), several
/// in flight: S3 answers each GET slowly but serves many at once; local disks
/// do not mind either. Returns the objects and bytes read.
async fn rehash(
    store: &Store,
    expected: &Expected,
    wanted: Option<&BTreeSet<Digest>>,
    problems: &mut Vec<Problem>,
) -> Result<(u64, u64)> {
    let (mut checked, mut bytes) = (0u64, 0u64);
    let mut todo = expected
        .iter()
        .filter(|(digest, _)| wanted.is_none_or(|w| w.contains(digest)))
        .map(|(digest, why)| (*digest, why.clone()));
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        while tasks.len() < IN_FLIGHT {
            let Some((digest, why)) = todo.next() else {
                break;
            };
            let store = store.clone();
            tasks.spawn(async move {
                let content = store.backend().get(&digest.key()).await;
                let hashed = content.map(|c| c.map(|c| (c.len() as u64, sha256(&c))));
                (digest, why, hashed)
            });
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        let (digest, why, hashed) =
            joined.map_err(|e| Error::Backend(format!("a check failed: {e}")))?;
        checked += 1;
        if let Some(len) = judge_hash(digest, &why, hashed, problems)? {
            bytes += len;
        }
    }
    Ok((checked, bytes))
}

/// Records what a re-hash found wrong with one object; returns its length if it was read.
fn judge_hash(
    digest: Digest,
    why: &str,
    hashed: Result<Option<(u64, Digest)>>,
    problems: &mut Vec<Problem>,
) -> Result<Option<u64>> {
    let key = digest.key();
    let problem = |kind, actual: Option<String>, detail: String| Problem {
        key: key.clone(),
        kind,
        expected: Some(digest.hex()),
        actual,
        detail,
    };
    match hashed {
        Err(Error::Unreadable { reason, .. }) => {
            let detail = format!("{why} cannot be read: {reason}");
            problems.push(problem(Kind::Unreadable, None, detail));
            Ok(None)
        }
        Err(e) => Err(e),
        Ok(None) => {
            let detail = format!("{why} is not in the store");
            problems.push(problem(Kind::Missing, None, detail));
            Ok(None)
        }
        Ok(Some((len, actual))) => {
            if actual != digest {
                let detail = format!("{why} no longer hashes to its name");
                problems.push(problem(Kind::Modified, Some(actual.hex()), detail));
            }
            Ok(Some(len))
        }
    }
}

/// Sorts the listed objects nothing names into pending and stray.
struct Unnamed<'a> {
    /// The ledger as the check read it, newest first.
    records: &'a [(Digest, Record)],
    /// The leases, read after the listing.
    writers: &'a [Lease],
    mode: Mode<'a>,
}

impl Unnamed<'_> {
    async fn sort(
        &self,
        store: &Store,
        mut unnamed: Vec<String>,
        expected: &mut Expected,
        pending: &mut Vec<String>,
        problems: &mut Vec<Problem>,
    ) -> Result<()> {
        // Listed first, leases read after, then the names again: a writer
        // takes its lease before its first object and gives it back only
        // after its last record. So an object listed here is either covered
        // by a lease read below, or named by a record or cache ref that is
        // there when the names are read again, even if that writer began or
        // ended while this check re-hashed (which takes minutes on a large
        // archive, when a sweep deleting such an object would lose it).
        let named = |expected: &Expected, key: &str| {
            Digest::from_key(key).is_some_and(|d| expected.contains_key(&d))
        };
        unnamed.retain(|key| !named(expected, key));
        if !unnamed.is_empty() {
            let head = self.records.first().map(|(digest, _)| *digest);
            let since = match records_since(store, head.as_ref()).await {
                Ok(records) => records,
                // A check reports an edited or unreadable record (the walk
                // named it); a sweep must not guess what it named, and stops.
                Err(_) if self.mode.rehash => Vec::new(),
                Err(e) => return Err(e),
            };
            for (digest, record) in since {
                expect_record(expected, &digest, &record);
            }
            expect_cached(store, expected).await?;
            unnamed.retain(|key| !named(expected, key));
        }
        let since = self.pending_since();
        for key in unnamed {
            let recent = match since {
                None => false,
                Some(since) => store
                    .backend()
                    .modified(&key)
                    .await?
                    .is_none_or(|written| written >= since),
            };
            if recent || appending(store, &key).await {
                pending.push(key);
            } else {
                problems.push(Problem {
                    key,
                    kind: Kind::Unexpected,
                    expected: None,
                    actual: None,
                    detail: "an object neither the ledger nor a manifest names".into(),
                });
            }
        }
        Ok(())
    }

    /// Since when an unnamed object may be a writer's that has not reached
    /// its commit point yet; `None` when no writer can be.
    fn pending_since(&self) -> Option<std::time::SystemTime> {
        let before =
            |at: std::time::SystemTime| at.checked_sub(CLOCK_SKEW).unwrap_or(std::time::UNIX_EPOCH);
        // Written after the newest record we read (minus the skew): an ingest
        // may be between storing them and its commit point.
        let since_record = self.mode.writing.then(|| {
            self.records
                .first()
                .and_then(|(_, record)| humantime::parse_rfc3339_weak(&record.at).ok())
                .map_or(std::time::UNIX_EPOCH, before)
        });
        // Another station's ingest (or ours, seen by a plain `verify`) may be
        // anywhere between its start and its commit point. A lease whose
        // start cannot be read protects everything unnamed.
        let since_lease = self
            .writers
            .iter()
            .filter(|lease| Some(lease.station.as_str()) != self.mode.own)
            .map(|lease| lease.started_at().map_or(std::time::UNIX_EPOCH, before))
            .min();
        since_record.into_iter().chain(since_lease).min()
    }
}

/// Whether an unnamed object is a ledger record being appended: written, its
/// head not moved yet. Appends without a lease (`verify`'s own record, an
/// export's) are covered by no writer's lease, so a sweep that listed such a
/// record in those milliseconds would otherwise remove it and leave the head
/// naming nothing. A record older than the clocks' allowance was left by an
/// append that was killed, and is a stray like any other.
async fn appending(store: &Store, key: &str) -> bool {
    let Some(digest) = Digest::from_key(key) else {
        return false;
    };
    let Ok(record) = store.get_json::<Record>(&digest).await else {
        return false;
    };
    let Ok(at) = humantime::parse_rfc3339_weak(&record.at) else {
        return false;
    };
    let now = std::time::SystemTime::now();
    now.duration_since(at).map_or(true, |age| age < CLOCK_SKEW)
}

/// Expects a ledger record, every object it names, and its own first tries
/// that lost a race for the head.
fn expect_record(expected: &mut Expected, digest: &Digest, record: &Record) {
    expected.insert(*digest, format!("ledger record {}", record.seq));
    for object in record.event.objects() {
        expected
            .entry(object)
            .or_insert_with(|| format!("named by ledger record {}", record.seq));
    }
    for lost in &record.superseded {
        expected.entry(*lost).or_insert_with(|| {
            format!(
                "an append that lost the race to ledger record {}",
                record.seq
            )
        });
    }
}

/// Expects every cached page record and the page image and words it names,
/// kept for reuse. Returns the page records that could not be read, whose
/// objects are then not known.
async fn expect_cached(store: &Store, expected: &mut Expected) -> Result<Vec<Digest>> {
    let mut unreadable = Vec::new();
    for page_record in store.cache_records().await? {
        expected
            .entry(page_record)
            .or_insert_with(|| "a cached page record".into());
        match store.get_json::<crate::manifest::Page>(&page_record).await {
            Ok(page) => {
                for object in std::iter::once(&page.image).chain(&page.words) {
                    expected
                        .entry(object.sha256)
                        .or_insert_with(|| "named by a cached page record".into());
                }
            }
            Err(_) => unreadable.push(page_record),
        }
    }
    Ok(unreadable)
}

/// The records appended after `known` (the head a check began with), newest first.
async fn records_since(store: &Store, known: Option<&Digest>) -> Result<Vec<(Digest, Record)>> {
    let mut out = Vec::new();
    let mut next = store.ledger_head().await?;
    while let Some(digest) = next.filter(|digest| Some(digest) != known) {
        let record: Record = store.get_json(&digest).await?;
        next = record.prev;
        out.push((digest, record));
    }
    Ok(out)
}

/// What recovery did after an interrupted run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Recovery {
    /// Dossier refs moved to the manifest the ledger had already recorded.
    pub refs_completed: usize,
    /// Objects nothing named, removed.
    pub objects_removed: usize,
}

/// Brings the archive back to a consistent state after a run was killed:
/// completes ref moves the ledger had committed, then sweeps what nothing names.
/// The ledger is the authority: a ref is only ever moved to what it records.
/// `own` is the recovering station (see [`sweep`]).
pub async fn recover(store: &Store, own: Option<&str>) -> Result<Recovery> {
    let mut recovery = Recovery::default();
    let mut problems = Vec::new();
    let records = walk_ledger(store, &mut problems).await?;
    if !problems.is_empty() {
        return Ok(recovery);
    }
    for (dossier, manifest) in last_manifests(&records) {
        if store.dossier_ref(&dossier).await? != Some(manifest)
            && store.get(&manifest).await.is_ok()
        {
            store.set_dossier_ref(&dossier, &manifest).await?;
            recovery.refs_completed += 1;
        }
    }
    recovery.objects_removed = sweep(store, own).await?;
    Ok(recovery)
}

/// Removes the objects nothing names: what a run killed before its commit
/// point left behind. Run only while no ingest of this station is writing;
/// objects written since another station's lease began are kept, as that
/// station may be about to name them. `own` is this station: its own lease
/// is the killed run's and protects nothing. Returns how many objects were
/// removed; does nothing if the ledger itself has problems.
pub async fn sweep(store: &Store, own: Option<&str>) -> Result<usize> {
    // Which objects are named needs the ledger, refs and page records only:
    // re-hashing every object would make recovery after a kill read the
    // whole archive first.
    let mode = Mode {
        writing: false,
        own,
        rehash: false,
    };
    let report = check(store, &[], mode).await?;
    if report.problems.iter().any(|p| p.kind != Kind::Unexpected) {
        return Ok(0);
    }
    let mut removed = 0;
    for problem in &report.problems {
        store.backend().delete(&problem.key).await?;
        removed += 1;
    }
    Ok(removed)
}

/// Follows the chain from the head; every break is a problem. Returns the records reached, newest first.
async fn walk_ledger(store: &Store, problems: &mut Vec<Problem>) -> Result<Vec<(Digest, Record)>> {
    let mut out: Vec<(Digest, Record)> = Vec::new();
    let mut next = store.ledger_head().await?;
    let ledger_problem = |key: String, detail: String| Problem {
        key,
        kind: Kind::Ledger,
        expected: None,
        actual: None,
        detail,
    };
    while let Some(digest) = next {
        let key = digest.key();
        let expected_seq = out.last().map(|(_, r)| r.seq.wrapping_sub(1));
        let Some(bytes) = store.backend().get(&key).await? else {
            let after = out
                .last()
                .map_or("the head".to_owned(), |(_, r)| format!("record {}", r.seq));
            problems.push(ledger_problem(
                key,
                format!("the ledger record before {after} is missing: the chain is broken"),
            ));
            return Ok(out);
        };
        let actual = sha256(&bytes);
        if actual != digest {
            problems.push(Problem {
                key: key.clone(),
                kind: Kind::Modified,
                expected: Some(digest.hex()),
                actual: Some(actual.hex()),
                detail: "a ledger record was edited".into(),
            });
            problems.push(ledger_problem(
                key,
                "the chain is broken at an edited record".into(),
            ));
            return Ok(out);
        }
        let record: Record = match serde_json::from_slice(&bytes) {
            Ok(record) => record,
            Err(e) => {
                problems.push(ledger_problem(key, format!("not a ledger record: {e}")));
                return Ok(out);
            }
        };
        if let Some(seq) = expected_seq.filter(|&seq| seq != record.seq) {
            let detail = format!(
                "record {} follows record {}: records are missing",
                record.seq,
                seq + 1
            );
            problems.push(ledger_problem(key.clone(), detail));
        }
        next = record.prev;
        if next.is_none() && record.seq != 0 {
            problems.push(ledger_problem(
                key.clone(),
                format!("the chain starts at record {}, not 0", record.seq),
            ));
        }
        out.push((digest, record));
    }
    Ok(out)
}

/// Every seal's root must match its objects and its signature the archive's key.
async fn check_seals(
    store: &Store,
    records: &[(Digest, Record)],
    problems: &mut Vec<Problem>,
) -> Result<()> {
    let archive_key = store.public_key().await?;
    for (digest, record) in records {
        let Event::BatchSealed {
            batch,
            objects,
            merkle_root,
            public_key,
            signature,
            ..
        } = &record.event
        else {
            continue;
        };
        let root = crate::seal::merkle_root(objects);
        let mut fail = |detail: String| {
            problems.push(Problem {
                key: digest.key(),
                kind: Kind::Ledger,
                expected: None,
                actual: None,
                detail,
            })
        };
        if root != *merkle_root {
            fail(format!(
                "the seal of batch {batch} names a Merkle root its objects do not give"
            ));
        }
        if archive_key.as_deref().is_some_and(|k| k != public_key) {
            fail(format!(
                "the seal of batch {batch} is signed by a key that is not the archive's"
            ));
        }
        let message = crate::seal::message(batch, merkle_root, record.prev.as_ref());
        if !crate::seal::verify(public_key, &message, signature) {
            fail(format!("the seal of batch {batch} has a bad signature"));
        }
    }
    Ok(())
}
