//! Crash safety: `dossier ingest` killed with SIGKILL at many moments, then run
//! again, finishes the batch with nothing lost, nothing stored twice and the
//! archive consistent.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::util::command;

fn dossier(archive: &Path) -> Command {
    let mut command = command();
    command.arg("--archive").arg(archive);
    command
}

/// Ledger records, oldest first, read from the archive's files.
fn ledger(archive: &Path) -> Vec<Value> {
    let mut records = Vec::new();
    let mut next = std::fs::read_to_string(archive.join("refs/ledger/head"))
        .unwrap()
        .trim()
        .to_owned();
    loop {
        let path = archive.join("objects").join(&next[..2]).join(&next[2..]);
        let record: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let prev = record["prev"].as_str().map(str::to_owned);
        records.push(record);
        match prev {
            Some(prev) => next = prev,
            None => break,
        }
    }
    records.reverse();
    records
}

#[test]
fn ingest_killed_at_any_moment_then_run_again_loses_nothing_and_stores_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let batch = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/batch");
    // A full run takes about three seconds here: kill it early, midway and late.
    let mut killed_with_lock = 0;
    for delay_ms in [120, 300, 550, 800, 1100, 1500, 1900, 2400, 2900, 3500] {
        let mut child = dossier(&archive)
            .arg("ingest")
            .arg(&batch)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        let lock = std::fs::read_to_string(archive.join("ingest.lock")).unwrap_or_default();
        if !finished && lock.starts_with("running") {
            killed_with_lock += 1;
        }
    }
    assert!(
        killed_with_lock >= 3,
        "the kills must land while ingest runs ({killed_with_lock})"
    );

    let out = dossier(&archive)
        .arg("ingest")
        .arg(&batch)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["dossiers"], 3);
    assert_eq!(report["pages"], 15);

    // Consistent: every object matches the ledger, nothing stray, chain intact.
    let verify = dossier(&archive)
        .args(["verify", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );

    // Stored once: one ledger record per dossier, and the refs point at them.
    let stored: Vec<String> = ledger(&archive)
        .iter()
        .filter(|r| r["event"]["type"] == "dossier-stored")
        .map(|r| r["event"]["dossier"].as_str().unwrap().to_owned())
        .collect();
    let mut unique = stored.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(stored.len(), 3, "{stored:?}");
    assert_eq!(unique.len(), 3);

    // Nothing lost: every page is there and searchable.
    for id in ["INT-2026-00001", "INT-2026-00002", "INT-2026-00003"] {
        let show = dossier(&archive)
            .args(["show", id, "--json"])
            .output()
            .unwrap();
        let manifest: Value = serde_json::from_slice(&show.stdout).unwrap();
        assert_eq!(manifest["pages"].as_array().unwrap().len(), 5, "{id}");
    }
    let search = dossier(&archive)
        .args(["search", "\"centre d'état civil\"", "--json"])
        .output()
        .unwrap();
    let results: Value = serde_json::from_slice(&search.stdout).unwrap();
    assert_eq!(results["total"], 3, "{results}");

    // And a further run finds everything done.
    let again = dossier(&archive)
        .arg("ingest")
        .arg(&batch)
        .arg("--json")
        .output()
        .unwrap();
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again["pages_read"], 0);
    assert_eq!(again["objects"]["stored"], 0);
}

#[test]
fn a_second_ingest_on_the_same_archive_is_refused_while_one_runs() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let batch = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/batch");
    let mut first = dossier(&archive)
        .arg("ingest")
        .arg(&batch)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let second = dossier(&archive)
        .arg("ingest")
        .arg(&batch)
        .output()
        .unwrap();
    first.wait().unwrap();
    assert_eq!(second.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("another ingest"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
}

#[test]
fn a_lock_left_by_a_killed_ingest_not_yet_reaped_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let batch = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/batch");
    std::fs::create_dir_all(&archive).unwrap();
    let lock = archive.join("ingest.lock");
    std::fs::write(&lock, "running 1\n").unwrap();
    // Another process holds the archive's lock (util-linux flock takes the
    // same OS lock, in the process it then becomes).
    let mut holder = std::process::Command::new("flock")
        .args(["--no-fork"])
        .arg(&lock)
        .args(["sleep", "60"])
        .spawn()
        .expect("flock (util-linux) must be installed");
    let started = std::time::Instant::now();
    while std::fs::File::open(&lock).unwrap().try_lock().is_ok() {
        assert!(started.elapsed() < Duration::from_secs(10), "never locked");
        std::thread::sleep(Duration::from_millis(10));
    }
    let refused = dossier(&archive)
        .arg("ingest")
        .arg(&batch)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("another ingest"));

    // Killed and not collected: a zombie, as a killed ingest stays until its
    // parent (or a slow init) reaps it. The kernel let go of its lock.
    holder.kill().unwrap();
    let stat = format!("/proc/{}/stat", holder.id());
    while !std::fs::read_to_string(&stat).unwrap().contains(") Z ") {
        assert!(started.elapsed() < Duration::from_secs(10), "never exited");
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = dossier(&archive)
        .arg("ingest")
        .arg(&batch)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("Recovered from an interrupted ingest"),
        "{stderr}"
    );
    // An ingest that ends well leaves no trace of running.
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), "");
    holder.wait().unwrap();
}
