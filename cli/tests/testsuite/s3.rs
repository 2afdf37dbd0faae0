//! `dossier` on an S3 store: the same commands and answers as on local files,
//! against a real S3 server on 127.0.0.1 (s3s-fs, or `DOSSIER_TEST_S3_ENDPOINT`),
//! through a fault-injecting proxy where the network should misbehave, and
//! against moto for Object Lock, the one server here that enforces it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;
use testkit::{BodyFault, Endpoint, Fault, FaultProxy, Moto, S3Server};

use crate::util::command;

fn batch() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/batch")
}

fn dossier(archive: &Path, endpoint: &Endpoint, args: &[&str]) -> Output {
    dossier_env(archive, endpoint, &[], args)
}

fn dossier_env(archive: &Path, endpoint: &Endpoint, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = command();
    command.args(args).arg("--archive").arg(archive);
    for (name, value) in endpoint.env() {
        command.env(name, value);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn ok(output: &Output) -> Value {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    serde_json::from_slice(&output.stdout).unwrap_or(Value::Null)
}

fn keys(endpoint: &Endpoint, bucket: &str, prefix: &str) -> Vec<String> {
    let client = endpoint.client();
    testkit::block_on(async {
        let listed = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .send()
            .await
            .unwrap();
        listed
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect()
    })
}

#[test]
fn an_s3_archive_answers_every_command_like_a_local_one() {
    let server = S3Server::start();
    let bucket = server.endpoint.create_bucket_blocking(false);
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path();
    let store = format!("s3://{bucket}/minfopra");
    let batch = batch();

    let report = ok(&dossier(
        archive,
        &server.endpoint,
        &[
            "ingest",
            batch.to_str().unwrap(),
            "--store",
            &store,
            "--json",
        ],
    ));
    assert_eq!(report["dossiers"], 3);
    assert_eq!(report["pages"], 15);
    // The objects went to the bucket, under the prefix, and none to the folder.
    let objects = keys(&server.endpoint, &bucket, "minfopra/objects/");
    // Stored objects, plus the ledger's records.
    assert!(objects.len() as u64 > report["objects"]["stored"].as_u64().unwrap());
    assert!(!archive.join("objects").exists());
    let config = std::fs::read_to_string(archive.join("archive.toml")).unwrap();
    assert!(config.contains(&store), "{config}");

    // Without --store from here on: the archive remembers.
    let shown = ok(&dossier(
        archive,
        &server.endpoint,
        &["show", "INT-2026-00001", "--json"],
    ));
    assert_eq!(shown["pages"].as_array().unwrap().len(), 5);
    let hits = ok(&dossier(
        archive,
        &server.endpoint,
        &["search", "naissance", "--json"],
    ));
    assert!(hits["total"].as_u64().unwrap() >= 3, "{hits}");
    ok(&dossier(archive, &server.endpoint, &["verify"]));
    let page = batch.join("INT-2026-00001/001.png");
    let found = ok(&dossier(
        archive,
        &server.endpoint,
        &["verify-file", page.to_str().unwrap(), "--json"],
    ));
    assert_eq!(found["uses"][0]["dossier"], "INT-2026-00001", "{found}");
    std::fs::remove_dir_all(archive.join("index")).unwrap();
    ok(&dossier(archive, &server.endpoint, &["reindex"]));
    let again = ok(&dossier(
        archive,
        &server.endpoint,
        &["search", "naissance", "--json"],
    ));
    assert_eq!(again["total"], hits["total"]);

    // A new folder on the same store opens the archive there, indexed at once.
    let other = tempfile::tempdir().unwrap();
    let viewer = other.path().join("viewer");
    let out = dossier(
        &viewer,
        &server.endpoint,
        &["search", "naissance", "--store", &store, "--json"],
    );
    assert_eq!(ok(&out)["total"], hits["total"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("from a new archive folder"), "{said}");
    // A mistyped prefix holds no archive: said so, and nothing made.
    let typo = other.path().join("typo");
    let mistyped = format!("s3://{bucket}/minfopr");
    let out = dossier(
        &typo,
        &server.endpoint,
        &["search", "naissance", "--store", &mistyped],
    );
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("no archive at") && said.contains(&mistyped),
        "{said}"
    );
    assert!(!typo.exists());

    // A re-run reads and writes no object: it only asks what is there.
    let proxy = FaultProxy::start(&server.endpoint.url, 0, vec![], Duration::ZERO);
    let via = server.endpoint.via(proxy.url.clone());
    let rerun = ok(&dossier(
        archive,
        &via,
        &["ingest", batch.to_str().unwrap(), "--json"],
    ));
    assert_eq!(rerun["objects"]["stored"], 0);
    assert_eq!(rerun["pages_read"], 0);
    let methods = proxy.methods();
    assert!(!methods.contains_key("PUT"), "{methods:?}");

    // Change one stored byte behind the archive's back: verify names it.
    let victim = objects
        .iter()
        .find(|k| !k.ends_with(".json"))
        .unwrap()
        .clone();
    let client = server.endpoint.client();
    testkit::block_on(async {
        client
            .put_object()
            .bucket(&bucket)
            .key(&victim)
            .body(b"not the scan".to_vec().into())
            .send()
            .await
            .unwrap();
    });
    let verify = dossier(archive, &server.endpoint, &["verify", "--json"]);
    assert_eq!(verify.status.code(), Some(3));
    let report: Value = serde_json::from_slice(&verify.stdout).unwrap();
    let named = victim.trim_start_matches("minfopra/objects/");
    assert!(
        report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["key"] == named && p["kind"] == "modified"),
        "{report}"
    );
}

/// What `verify --json` says of each damaged key.
fn problem_kinds(report: &Value) -> Vec<(String, String)> {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let key = p["key"].as_str().unwrap_or_default().to_owned();
            (key, p["kind"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

#[test]
fn damaged_reads_are_named_never_served_and_the_rest_is_checked() {
    let server = S3Server::start();
    let bucket = server.endpoint.create_bucket_blocking(false);
    let proxy = FaultProxy::start(&server.endpoint.url, 0, vec![], Duration::ZERO);
    let via = server.endpoint.via(proxy.url.clone());
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path();
    let store = format!("s3://{bucket}/minfopra");
    let batch = batch();
    ok(&dossier(
        archive,
        &via,
        &["ingest", batch.to_str().unwrap(), "--store", &store],
    ));
    let shown = ok(&dossier(
        archive,
        &via,
        &["show", "INT-2026-00002", "--json"],
    ));
    let key = |v: &Value| v["key"].as_str().unwrap().to_owned();
    let (pdf, text, scan) = (
        key(&shown["pdf"]),
        key(&shown["text"]),
        key(&shown["sources"][0]),
    );
    let clean = ok(&dossier(archive, &via, &["verify", "--json"]));
    proxy.damage_gets(&pdf, BodyFault::Flip);
    proxy.damage_gets(&text, BodyFault::Truncate);
    proxy.damage_gets(&scan, BodyFault::CutOff);

    let verify = dossier(archive, &via, &["verify", "--json"]);
    let stderr = String::from_utf8_lossy(&verify.stderr);
    assert_eq!(verify.status.code(), Some(3), "stderr: {stderr}");
    let report: Value = serde_json::from_slice(&verify.stdout).unwrap();
    let mut kinds = problem_kinds(&report);
    kinds.sort();
    let mut expected = vec![
        (pdf.clone(), "modified".to_owned()),
        (text.clone(), "modified".to_owned()),
        (scan.clone(), "unreadable".to_owned()),
    ];
    expected.sort();
    assert_eq!(kinds, expected, "{report}");
    // Everything checked: all the clean run checked, and the record it left.
    let checked = clean["checked"].as_u64().unwrap();
    assert_eq!(report["checked"].as_u64(), Some(checked + 1), "{report}");
    let text_line = verify_lines(&dossier(archive, &via, &["verify"]));
    assert!(text_line.contains("unreadable"), "{text_line}");

    // Never served: the export refuses, naming the object, and writes no bag.
    let bag = dir.path().join("bag");
    let export = dossier(
        archive,
        &via,
        &["export", "INT-2026-00002", "--bagit", bag.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&export.stderr);
    assert_eq!(export.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("corrupt") && stderr.contains(&pdf),
        "{stderr}"
    );
    assert!(!bag.join("bagit.txt").exists());
}

fn verify_lines(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn ingest_rides_out_a_flaky_store() {
    let server = S3Server::start();
    let bucket = server.endpoint.create_bucket_blocking(false);
    // Every fifth request: 503 SlowDown, 500, an answer lost after the server
    // acted, or a stall past the client's patience.
    let proxy = FaultProxy::start(
        &server.endpoint.url,
        5,
        vec![
            Fault::SlowDown,
            Fault::Internal,
            Fault::DropAfter,
            Fault::Stall,
        ],
        Duration::from_secs(4),
    );
    let via = server.endpoint.via(proxy.url.clone());
    let dir = tempfile::tempdir().unwrap();
    let store = format!("s3://{bucket}");
    let report = ok(&dossier_env(
        dir.path(),
        &via,
        &[("DOSSIER_S3_ATTEMPT_TIMEOUT", "1.5")],
        &[
            "ingest",
            batch().to_str().unwrap(),
            "--store",
            &store,
            "--json",
        ],
    ));
    assert_eq!(report["dossiers"], 3);
    let (requests, faults) = proxy.counts();
    assert!(faults >= 20, "{faults} faults in {requests} requests");
    // Checked straight at the server, past the proxy.
    ok(&dossier(dir.path(), &server.endpoint, &["verify"]));
}

#[test]
fn an_outage_stops_ingest_with_a_clear_error_and_a_rerun_finishes_cleanly() {
    let server = S3Server::start();
    let bucket = server.endpoint.create_bucket_blocking(false);
    let proxy = std::sync::Arc::new(FaultProxy::start(
        &server.endpoint.url,
        0,
        vec![],
        Duration::ZERO,
    ));
    let via = server.endpoint.via(proxy.url.clone());
    let dir = tempfile::tempdir().unwrap();
    let store = format!("s3://{bucket}");
    // The store goes away part-way through the batch.
    let watcher = {
        let proxy = proxy.clone();
        std::thread::spawn(move || {
            while proxy.counts().0 < 60 {
                std::thread::sleep(Duration::from_millis(5));
            }
            proxy.set_down(true);
        })
    };
    let failed = dossier_env(
        dir.path(),
        &via,
        &[("DOSSIER_S3_MAX_ATTEMPTS", "2")],
        &["ingest", batch().to_str().unwrap(), "--store", &store],
    );
    watcher.join().unwrap();
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("SlowDown") || stderr.contains("503"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("s3://{bucket}/")), "{stderr}");

    proxy.set_down(false);
    let report = ok(&dossier(
        dir.path(),
        &via,
        &["ingest", batch().to_str().unwrap(), "--json"],
    ));
    let done = report["dossiers"].as_u64().unwrap() + report["unchanged"].as_u64().unwrap_or(0);
    assert_eq!(done, 3, "{report}");
    ok(&dossier(dir.path(), &server.endpoint, &["verify"]));
    let listed = ok(&dossier(
        dir.path(),
        &server.endpoint,
        &["search", "naissance", "--json"],
    ));
    assert!(listed["total"].as_u64().unwrap() >= 3);
}

#[test]
fn two_stations_on_one_bucket_leave_each_others_unfinished_work_alone() {
    let server = S3Server::start();
    let endpoint = &server.endpoint;
    let bucket = endpoint.create_bucket_blocking(false);
    let store = format!("s3://{bucket}");
    let (b, a) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let batch = batch();
    let batch = batch.to_str().unwrap();

    // Station B is killed part-way through a batch, with scans stored and
    // not yet named by the ledger.
    let mut ingest = command();
    ingest
        .args(["ingest", batch, "--store", &store, "--archive"])
        .arg(b.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (name, value) in endpoint.env() {
        ingest.env(name, value);
    }
    let mut child = ingest.spawn().unwrap();
    let started = std::time::Instant::now();
    while keys(endpoint, &bucket, "objects/").len() < 5 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "nothing stored"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let station_b = std::fs::read_to_string(b.path().join("station")).unwrap();
    assert_eq!(keys(endpoint, &bucket, "refs/writers/").len(), 1);

    // Station A, a new folder on the same store, does not make a second
    // signing key: it says whose key to copy.
    let refused = dossier(a.path(), endpoint, &["ingest", batch, "--store", &store]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("copy keys/signing.key"), "{stderr}");
    std::fs::create_dir_all(a.path().join("keys")).unwrap();
    std::fs::copy(
        b.path().join("keys/signing.key"),
        a.path().join("keys/signing.key"),
    )
    .unwrap();

    // A's auditor sees B's unfinished work as pending, not as strays.
    let verify = dossier(a.path(), endpoint, &["verify", "--json"]);
    let report: Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(verify.status.code(), Some(0), "{report}");
    assert!(
        !report["pending"].as_array().unwrap().is_empty(),
        "{report}"
    );
    assert_eq!(
        report["writers"][0]["station"],
        station_b.trim(),
        "{report}"
    );
    let said = dossier(a.path(), endpoint, &["verify"]);
    let said = String::from_utf8_lossy(&said.stdout);
    assert!(
        said.contains(&format!("station {}", station_b.trim())),
        "{said}"
    );
    assert!(said.contains("lease renewed"), "{said}");

    // A recovering from a killed run of its own (its lock file left saying
    // `running` by a process that is gone) sweeps nothing B may still name.
    let gone = Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait_with_output().unwrap();
    std::fs::write(a.path().join("ingest.lock"), format!("running {pid}\n")).unwrap();
    let recovered = dossier(a.path(), endpoint, &["ingest", batch, "--json"]);
    let stderr = String::from_utf8_lossy(&recovered.stderr);
    assert_eq!(recovered.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains(", 0 stray object(s) removed"), "{stderr}");

    // B run again finds its dossiers stored and gives its lease back:
    // the archive is whole, with nobody writing.
    ok(&dossier(b.path(), endpoint, &["ingest", batch]));
    assert!(keys(endpoint, &bucket, "refs/writers/").is_empty());
    let clean = ok(&dossier(a.path(), endpoint, &["verify", "--json"]));
    assert_eq!(clean["problems"].as_array().unwrap().len(), 0, "{clean}");
    assert_eq!(clean["pending"].as_array().unwrap().len(), 0, "{clean}");
    assert_eq!(clean["writers"].as_array().unwrap().len(), 0, "{clean}");
}

#[test]
fn object_lock_keeps_stored_dossiers_from_deletion() {
    let moto = Moto::start();
    let bucket = moto.endpoint.create_bucket_blocking(true);
    let dir = tempfile::tempdir().unwrap();
    let store = format!("s3://{bucket}");
    let until = humantime::format_rfc3339_seconds(
        std::time::SystemTime::now() + Duration::from_secs(2 * 86_400),
    )
    .to_string();
    let day = &until[..10];
    ok(&dossier(
        dir.path(),
        &moto.endpoint,
        &[
            "ingest",
            batch().to_str().unwrap(),
            "--store",
            &store,
            "--retain-until",
            day,
            "--legal-hold",
        ],
    ));
    // verify appends a ledger record of its own: the archive remembers its
    // lock, so that record is as undeletable as the dossiers it vouches for.
    ok(&dossier(dir.path(), &moto.endpoint, &["verify"]));
    let first = all_locked(&moto.endpoint, &bucket, day);
    assert!(first > 20, "{first} objects");

    // A later ingest, without the flags, stores under the same lock. Its
    // corrected dossier moves that dossier's ref: refs stay mutable.
    let again = tempfile::tempdir().unwrap();
    let corrected = again.path().join("INT-2026-00001");
    std::fs::create_dir_all(&corrected).unwrap();
    std::fs::copy(batch().join("batch.toml"), again.path().join("batch.toml")).unwrap();
    for entry in std::fs::read_dir(batch().join("INT-2026-00001")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), corrected.join(entry.file_name())).unwrap();
    }
    let toml = std::fs::read_to_string(corrected.join("dossier.toml")).unwrap();
    std::fs::write(
        corrected.join("dossier.toml"),
        toml.replace("Maroua", "Maroua (Extrême-Nord)"),
    )
    .unwrap();
    let ingest_again = || {
        let output = dossier(
            dir.path(),
            &moto.endpoint,
            &["ingest", again.path().to_str().unwrap()],
        );
        ok(&output);
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    // The operator sees the lock that applied, though the command named none.
    let said = ingest_again();
    assert!(said.contains("Stored 1 dossier(s)"), "{said}");
    assert!(
        said.contains(&format!(
            "Object Lock on what was written: compliance retention until {day}T00:00:00Z, legal hold."
        )),
        "{said}"
    );
    let second = all_locked(&moto.endpoint, &bucket, day);
    assert!(second > first, "the second ingest stored nothing: {second}");

    // The same batch once more writes nothing, and names no lock.
    let said = ingest_again();
    assert!(said.contains("Nothing new"), "{said}");
    assert!(said.contains("; 0 object(s) written"), "{said}");
    assert!(!said.contains("Object Lock"), "{said}");
}

/// Asserts that every object in the bucket is under compliance retention until
/// `day` with a legal hold, and that none of its versions can be deleted.
/// Returns how many objects there are.
fn all_locked(endpoint: &Endpoint, bucket: &str, day: &str) -> usize {
    let midnight = humantime::parse_rfc3339(&format!("{day}T00:00:00Z"))
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let objects = keys(endpoint, bucket, "objects/");
    let client = endpoint.client();
    testkit::block_on(async {
        for key in &objects {
            let head = client
                .head_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .unwrap();
            assert_eq!(
                head.object_lock_mode().map(|m| m.as_str()),
                Some("COMPLIANCE"),
                "{key}"
            );
            let until = head
                .object_lock_retain_until_date()
                .expect("a retention date");
            assert_eq!(until.secs(), midnight, "{key} is not retained until {day}");
            assert_eq!(
                head.object_lock_legal_hold_status().map(|s| s.as_str()),
                Some("ON"),
                "{key}"
            );
            let version = head.version_id().expect("a versioned bucket").to_owned();
            let deleted = client
                .delete_object()
                .bucket(bucket)
                .key(key)
                .version_id(&version)
                .send()
                .await;
            assert!(deleted.is_err(), "{key} version {version} could be deleted");
        }
    });
    objects.len()
}

#[test]
fn retention_needs_an_s3_store() {
    let dir = tempfile::tempdir().unwrap();
    let out = command()
        .args([
            "ingest",
            batch().to_str().unwrap(),
            "--retain-until",
            "2099-01-01",
        ])
        .arg("--archive")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Object Lock"), "{stderr}");
    let past = command()
        .args([
            "ingest",
            batch().to_str().unwrap(),
            "--retain-until",
            "2001-01-01",
        ])
        .arg("--archive")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&past.stderr).contains("already past"));
}

#[test]
fn what_one_station_stores_or_corrects_is_found_at_another_without_reindex() {
    use crate::corrections::{MISREAD, misread_batch};
    let server = S3Server::start();
    let endpoint = &server.endpoint;
    let bucket = endpoint.create_bucket_blocking(false);
    let store = format!("s3://{bucket}");
    let (a, b, batches) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let search_in = |archive: &Path, word: &str, only: &[&str]| -> u64 {
        let mut args = vec!["search", word, "--json"];
        args.extend(only);
        let found = ok(&dossier(archive, endpoint, &args));
        found["total"].as_u64().unwrap()
    };
    let search = |archive: &Path, word: &str| search_in(archive, word, &[]);
    let sample = batch();
    ok(&dossier(
        a.path(),
        endpoint,
        &["ingest", sample.to_str().unwrap(), "--store", &store],
    ));
    // A viewer's machine joins the bucket.
    join_viewer(b.path(), endpoint, &store);
    let before = search(b.path(), "naissance");
    assert!(before > 0);

    // A stores one more dossier, then corrects it: B finds both without a reindex.
    let misread = misread_batch(batches.path());
    ok(&dossier(
        a.path(),
        endpoint,
        &["ingest", misread.to_str().unwrap()],
    ));
    assert_eq!(
        search(b.path(), "mbarqa"),
        1,
        "B follows the ledger to A's new dossier"
    );
    ok(&dossier(
        a.path(),
        endpoint,
        &["correct", MISREAD, "--from", "MBARQA", "--to", "MBARGA"],
    ));
    let only = ["--dossier", MISREAD];
    assert_eq!(
        search_in(b.path(), "mbarga", &only),
        1,
        "and to its correction"
    );
    assert_eq!(search(b.path(), "mbarqa"), 0, "replaced, not indexed twice");
    assert_eq!(
        search(b.path(), "naissance"),
        before,
        "nothing else changed"
    );
}

/// A viewer's machine joins the bucket: its first account makes its archive
/// folder, whose index is built from the store.
fn join_viewer(archive: &Path, endpoint: &Endpoint, store: &str) {
    let mut join = command();
    join.args([
        "user",
        "add",
        "amina",
        "--role",
        "archivist",
        "--password-stdin",
    ])
    .args(["--store", store, "--archive"])
    .arg(archive);
    for (name, value) in endpoint.env() {
        join.env(name, value);
    }
    let out = crate::util::run_with_input(join, "amina-long-password\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A generated batch of three two-document dossiers of its own
/// (`INT-2026-{n}0001`...): other stations scan other paper.
fn station_batch(dir: &Path, n: u32) -> PathBuf {
    let root = dir.join(format!("station-{n}"));
    let options = samples::BatchOptions {
        dossiers: 3,
        documents: 2,
        dpi: 200,
        blank_backs: false,
        seed: u64::from(n),
        first_number: n * 10_000 + 1,
        ..samples::BatchOptions::default()
    };
    samples::generate_batch(&root, &options).unwrap();
    root.join("batch")
}

/// `dossier ARGS` on `endpoint`, started now and left running.
fn spawn(archive: &Path, endpoint: &Endpoint, args: &[&str]) -> std::process::Child {
    let mut command = command();
    command
        .args(args)
        .arg("--archive")
        .arg(archive)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (name, value) in endpoint.env() {
        command.env(name, value);
    }
    command.spawn().unwrap()
}

#[test]
fn three_stations_at_once_and_two_viewers_see_every_dossier_once() {
    let server = S3Server::start();
    let endpoint = &server.endpoint;
    let bucket = endpoint.create_bucket_blocking(false);
    let store = format!("s3://{bucket}");
    let dir = tempfile::tempdir().unwrap();
    let folder = |name: &str| dir.path().join(name);
    // The first station makes the signing key; the others are given a copy.
    ok(&dossier(
        &folder("a"),
        endpoint,
        &["keygen", "--store", &store],
    ));
    for other in ["b", "c"] {
        let keys = folder(other).join("keys");
        std::fs::create_dir_all(&keys).unwrap();
        std::fs::copy(
            folder("a").join("keys/signing.key"),
            keys.join("signing.key"),
        )
        .unwrap();
    }
    // Two viewers' folders join once the archive holds a first dossier.
    let first = crate::corrections::misread_batch(dir.path());
    ok(&dossier(
        &folder("a"),
        endpoint,
        &["ingest", first.to_str().unwrap()],
    ));
    for viewer in ["v1", "v2"] {
        ok(&dossier(
            &folder(viewer),
            endpoint,
            &["reindex", "--store", &store, "--json"],
        ));
    }
    let batches: Vec<PathBuf> = (1..=3).map(|n| station_batch(dir.path(), n)).collect();
    let running: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .zip(&batches)
        .map(|(station, batch)| {
            let args = ["ingest", batch.to_str().unwrap(), "--store", &store];
            spawn(&folder(station), endpoint, &args)
        })
        .collect();
    for child in running {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let ids: Vec<String> = ["1", "2", "3"]
        .iter()
        .flat_map(|p| (1..=3).map(move |n| format!("INT-2026-{p}000{n}")))
        .collect();
    for viewer in ["v1", "v2"] {
        let found = ok(&dossier(
            &folder(viewer),
            endpoint,
            &["search", "naissance", "--group", "--limit", "50", "--json"],
        ));
        let mut seen: Vec<String> = found["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["dossier"].as_str().unwrap().to_owned())
            .collect();
        seen.sort();
        assert_eq!(seen, ids, "viewer {viewer} finds every station's dossiers");
    }
    for id in &ids {
        let history = ok(&dossier(
            &folder("v1"),
            endpoint,
            &["show", id, "--history", "--json"],
        ));
        assert_eq!(
            history["versions"].as_array().unwrap().len(),
            1,
            "{id} recorded once"
        );
    }
    for name in ["a", "b", "c", "v1", "v2"] {
        let out = dossier(&folder(name), endpoint, &["verify", "--json"]);
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            report["problems"].as_array().unwrap().is_empty(),
            "{name}: {report:#}"
        );
        assert_eq!(out.status.code(), Some(0));
    }
}
