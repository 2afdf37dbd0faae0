//! The `dossier` binary as operators and scripts use it: arguments, exit codes, JSON.

use std::process::Output;

use serde_json::Value;

use crate::util::{command, dossier, json, samples};

/// One archive with the sample batch ingested, shared by the read-only tests of a process.
fn ingested() -> (tempfile::TempDir, Output) {
    let dir = tempfile::tempdir().unwrap();
    let batch = samples().join("batch");
    let out = dossier(dir.path(), &["ingest", batch.to_str().unwrap(), "--json"]);
    (dir, out)
}

#[test]
fn ingest_json_follows_the_interface_and_a_rerun_reports_nothing_new() {
    let (dir, out) = ingested();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(report["dossiers"], 3);
    assert_eq!(report["pages"], 15);
    assert_eq!(report["rejected"], Value::Array(vec![]));
    assert!(report["seconds"].as_f64().unwrap() > 0.0);
    // Per-stage timings, one OCR and one encoding per non-blank page and blank page alike.
    assert_eq!(report["stats"]["decode"]["count"], 15);
    assert_eq!(report["stats"]["pdf"]["count"], 3);
    assert!(report["stats"]["ocr"]["seconds"].as_f64().unwrap() > 0.5);

    let batch = samples().join("batch");
    let again = dossier(dir.path(), &["ingest", batch.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(0));
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(
        text.contains("Nothing new: 3 dossier(s) already archived"),
        "{text}"
    );
    assert!(text.contains("0 object(s) written"), "{text}");
}

#[test]
fn show_search_and_reindex() {
    let (dir, _) = ingested();
    let archive = dir.path();
    // Global options go before or after the command name.
    let out = command()
        .args(["--json", "--archive"])
        .arg(archive)
        .args(["show", "INT-2026-00002"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let manifest = json(&out);
    assert_eq!(manifest["dossier"], "INT-2026-00002");
    let page = &manifest["pages"][0];
    assert_eq!(page["number"], 1);
    assert_eq!(page["source"]["path"], "INT-2026-00002/001.jpg");
    assert_eq!(page["source"]["sha256"].as_str().unwrap().len(), 64);
    assert!(
        page["skew_degrees"].as_f64().unwrap() > 6.0,
        "the sample page lies at 6.5 degrees"
    );
    assert_eq!(page["rotation"], 0);
    assert_eq!(page["blank"], false);
    assert!(page["confidence"].as_f64().unwrap() > 50.0);
    assert!(page["text"].as_str().unwrap().contains("Ministre"));
    assert_eq!(manifest["pages"][2]["blank"], true);
    assert!(manifest["pdf"]["bytes"].as_u64().unwrap() > 1000);
    let pdf_key = manifest["pdf"]["key"].as_str().unwrap();
    assert!(
        archive.join("objects").join(pdf_key).is_file(),
        "objects live at DIR/objects/<key>"
    );

    let search = |args: &[&str]| {
        json(&dossier(
            archive,
            &[&["search"], args, &["--json"]].concat(),
        ))
    };
    let results = search(&["naissance", "--dossier", "INT-2026-00002"]);
    assert!(results["total"].as_u64().unwrap() >= 1);
    assert_eq!(results["hits"][0]["dossier"], "INT-2026-00002");
    assert!(results["hits"][0]["page"].as_u64().unwrap() >= 1);
    assert!(
        results["hits"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<b>")
    );
    let before = search(&["integration", "--limit", "50"]);

    let out = dossier(archive, &["reindex", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["pages"], 15);
    let after = search(&["integration", "--limit", "50"]);
    assert_eq!(before["total"], after["total"]);
    let key = |v: &Value| {
        let mut hits: Vec<String> = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| format!("{}/{}", h["dossier"], h["page"]))
            .collect();
        hits.sort();
        hits
    };
    assert_eq!(
        key(&before),
        key(&after),
        "the rebuilt index finds the same pages"
    );

    let text = String::from_utf8(dossier(archive, &["search", "intégration"]).stdout).unwrap();
    assert!(text.contains("*intégration*"), "{text}");
}

/// An archive with no dossier yet (`keygen` makes one).
fn empty_archive() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = dossier(dir.path(), &["keygen"]);
    assert_eq!(out.status.code(), Some(0));
    dir
}

#[test]
fn unknown_dossier_exits_4() {
    let dir = empty_archive();
    let out = dossier(dir.path(), &["show", "INT-NOPE"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no dossier 'INT-NOPE'"));
}

#[test]
fn rejected_input_exits_2_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let batch = dir.path().join("B");
    std::fs::create_dir_all(batch.join("INT-1")).unwrap();
    std::fs::copy(
        samples().join("batch/INT-2026-00001/001.png"),
        batch.join("INT-1/001.png"),
    )
    .unwrap();
    std::fs::write(batch.join("INT-1/002.tif"), b"II*\0 truncated").unwrap();
    let out = dossier(
        &dir.path().join("archive"),
        &["ingest", batch.to_str().unwrap(), "--json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    assert_eq!(report["dossiers"], 1);
    assert_eq!(report["rejected"][0]["path"], "B/INT-1/002.tif");
    assert!(
        report["rejected"][0]["error"]
            .as_str()
            .unwrap()
            .contains("TIFF")
    );
}

#[test]
fn missing_language_is_fatal_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let batch = samples().join("batch");
    let out = dossier(
        dir.path(),
        &["ingest", batch.to_str().unwrap(), "--lang", "xyz"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot load language models 'xyz'"),
        "{stderr}"
    );
}

#[test]
fn bad_query_is_an_error_not_a_crash() {
    let dir = empty_archive();
    let out = dossier(dir.path(), &["search", "page:abc"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("query"));
}
