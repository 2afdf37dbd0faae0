//! `dossier watch`: the hot folder takes each batch once it has arrived, moves
//! it to _done or _failed, exposes metrics, and survives being killed.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::{command, copy_dir};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/batch")
}

fn dossier(archive: &Path, args: &[&str]) -> Command {
    let mut command = command();
    command.args(args).arg("--archive").arg(archive);
    command
}

fn output(command: &mut Command) -> Output {
    command.output().unwrap()
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn dossiers_in(archive: &Path) -> usize {
    let out = output(&mut dossier(
        archive,
        &["search", "kind:birth-certificate", "--json"],
    ));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    value["total"].as_u64().unwrap() as usize
}

#[test]
fn batches_are_taken_when_marked_or_settled_and_bad_ones_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let (inbox, archive) = (dir.path().join("inbox"), dir.path().join("archive"));
    copy_dir(&samples(), &inbox.join("marked"));
    std::fs::write(inbox.join("marked/.done"), b"").unwrap();
    // Nothing in it can be read: it goes to _failed, with the reasons.
    std::fs::create_dir_all(inbox.join("garbled/INT-2026-07777")).unwrap();
    std::fs::write(inbox.join("garbled/INT-2026-07777/001.png"), b"not a scan").unwrap();
    let out = output(&mut dossier(
        &archive,
        &[
            "watch",
            inbox.to_str().unwrap(),
            "--once",
            "--settle",
            "0.5",
            "--poll",
            "0.1",
            "--json",
        ],
    ));
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(inbox.join("_done/marked/INT-2026-00001").is_dir());
    assert!(inbox.join("_failed/garbled").is_dir());
    assert!(!inbox.join("marked").exists() && !inbox.join("garbled").exists());
    let report =
        std::fs::read_to_string(inbox.join("_failed/garbled/.dossier-report.json")).unwrap();
    assert!(report.contains("not a PNG, JPEG, TIFF or PDF"), "{report}");
    assert_eq!(dossiers_in(&archive), 3);
    assert!(output(&mut dossier(&archive, &["verify"])).status.success());
}

fn get(addr: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}

#[test]
fn a_batch_still_arriving_waits_and_metrics_count_what_was_done() {
    let dir = tempfile::tempdir().unwrap();
    let (inbox, archive) = (dir.path().join("inbox"), dir.path().join("archive"));
    std::fs::create_dir_all(&inbox).unwrap();
    let (_child, addrs) = testkit::spawn_announcing(
        dossier(
            &archive,
            &[
                "watch",
                inbox.to_str().unwrap(),
                "--settle",
                "2",
                "--poll",
                "0.2",
                "--metrics",
                "127.0.0.1:0",
            ],
        )
        .stdout(Stdio::null()),
        &["Metrics on"],
    );
    let metrics = addrs[0];

    // The scanner writes one dossier at a time, pausing between them.
    let batch = inbox.join("arriving");
    for entry in std::fs::read_dir(samples()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &batch.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), batch.join(entry.file_name())).unwrap();
        }
        std::thread::sleep(Duration::from_millis(700));
        assert!(batch.exists(), "taken while still arriving");
    }
    assert!(get(metrics, "/metrics").contains("dossier_watch_waiting_batches 1"));
    wait_until("the batch in _done", Duration::from_secs(120), || {
        inbox.join("_done/arriving/.dossier-report.json").exists()
    });
    let text = get(metrics, "/metrics");
    assert!(
        text.contains("dossier_watch_batches_total{outcome=\"done\"} 1"),
        "{text}"
    );
    assert!(text.contains("dossier_watch_pages_total 15"), "{text}");
    assert!(
        text.contains("dossier_watch_stage_seconds_total{stage=\"ocr\"}"),
        "{text}"
    );
    assert_eq!(dossiers_in(&archive), 3);
}

#[test]
fn killing_watch_mid_batch_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (inbox, archive) = (dir.path().join("inbox"), dir.path().join("archive"));
    copy_dir(&samples(), &inbox.join("b"));
    std::fs::write(inbox.join("b/.done"), b"").unwrap();
    let mut child = dossier(
        &archive,
        &["watch", inbox.to_str().unwrap(), "--poll", "0.1"],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    // Kill it once the first dossier is committed, with the batch half done.
    wait_until("a first dossier", Duration::from_secs(180), || {
        archive
            .join("refs/dossiers")
            .read_dir()
            .is_ok_and(|mut d| d.next().is_some())
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(inbox.join("b").is_dir(), "the batch stays in the inbox");

    let out = output(&mut dossier(
        &archive,
        &["watch", inbox.to_str().unwrap(), "--once", "--poll", "0.1"],
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(inbox.join("_done/b").is_dir());
    assert_eq!(dossiers_in(&archive), 3);
    let verify = output(&mut dossier(&archive, &["verify"]));
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}
