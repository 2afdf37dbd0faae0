//! Corrections of OCR text from the command line: a new version whose PDF,
//! ALTO and index say the corrected words, the earlier version kept and
//! proven; tampering named by `verify`; a correction killed half-way.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::util::{command, dossier, json};

pub const MISREAD: &str = "INT-2026-07001";

/// A batch with one dossier whose letter names its candidate as OCR
/// misreads such names: `MBARQA` for `MBARGA` (the paper itself says
/// `MBARQA`, so every reading of it does).
pub fn misread_batch(dir: &Path) -> PathBuf {
    let batch = dir.join("misread");
    let folder = batch.join(MISREAD);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("dossier.toml"),
        // No `name`: the index would find the dossier by it, corrected or
        // not. A birth place the letter does not give, for the review queue.
        "corps = \"infirmiers\"\nbirth_place = \"Mbalmayo\"\n",
    )
    .unwrap();
    crate::util::print_page(
        &folder.join("001.png"),
        "DEMANDE D'INTÉGRATION",
        &[
            "Madame MBARQA Awa, infirmière diplômée d'État,",
            "sollicite son intégration dans la fonction publique.",
            "Fait à Yaoundé, le 3 novembre 2026.",
        ],
        11,
    );
    batch
}

/// An archive holding the misread dossier.
pub fn misread_archive(dir: &Path) -> PathBuf {
    let archive = dir.join("archive");
    let batch = misread_batch(dir);
    let out = dossier(&archive, &["ingest", batch.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    archive
}

fn object(archive: &Path, key: &str) -> PathBuf {
    archive.join("objects").join(key)
}

fn pdftotext(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn show(archive: &Path) -> Value {
    json(&dossier(archive, &["show", MISREAD, "--json"]))
}

fn hits(archive: &Path, query: &str) -> u64 {
    json(&dossier(archive, &["search", query, "--json"]))["total"]
        .as_u64()
        .unwrap()
}

#[test]
fn a_corrected_name_is_in_the_pdf_the_alto_the_index_and_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let archive = misread_archive(dir.path());
    let before = show(&archive);
    assert_eq!(
        hits(&archive, "mbarga"),
        0,
        "not found before the correction"
    );

    // A dry run says what would change and writes nothing.
    let head = std::fs::read_to_string(archive.join("refs/ledger/head")).unwrap();
    let dry = dossier(
        &archive,
        &[
            "correct",
            MISREAD,
            "--from",
            "MBARQA",
            "--to",
            "MBARGA",
            "--dry-run",
            "--json",
        ],
    );
    assert_eq!(dry.status.code(), Some(0));
    let dry = json(&dry);
    assert!(dry["corrected"][0]["manifest"].is_null());
    assert_eq!(dry["corrected"][0]["version"], 2);
    assert_eq!(
        head,
        std::fs::read_to_string(archive.join("refs/ledger/head")).unwrap()
    );

    let out = dossier(
        &archive,
        &[
            "correct", MISREAD, "--page", "1", "--from", "MBARQA", "--to", "MBARGA", "--by",
            "cli:ngo", "--json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let change = &json(&out)["corrected"][0]["changes"][0];
    assert!(
        change["old"].as_str().unwrap().contains("MBARQA"),
        "{change}"
    );
    assert!(
        change["new"].as_str().unwrap().contains("MBARGA"),
        "{change}"
    );

    let after = show(&archive);
    assert_eq!(after["replaces"], before["manifest"]);
    assert_eq!(after["correction"]["by"], "cli:ngo");
    // The machine reading is kept beside the correction.
    assert_eq!(after["pages"][0]["ocr_words"], before["pages"][0]["words"]);
    let pdf = object(&archive, after["pdf"]["key"].as_str().unwrap());
    assert!(pdftotext(&pdf).contains("MBARGA Awa"));
    let alto =
        std::fs::read_to_string(object(&archive, after["alto"]["key"].as_str().unwrap())).unwrap();
    assert!(alto.contains("CONTENT=\"MBARGA"), "the ALTO says it");
    assert!(!alto.contains("MBARQA"));
    assert_eq!(hits(&archive, "mbarga"), 1, "the index says it at once");
    assert_eq!(hits(&archive, "mbarqa"), 0);

    // The earlier version's PDF is still there, and known for what it is.
    let old_pdf = object(&archive, before["pdf"]["key"].as_str().unwrap());
    assert!(pdftotext(&old_pdf).contains("MBARQA"));
    let found = json(&dossier(
        &archive,
        &["verify-file", old_pdf.to_str().unwrap(), "--json"],
    ));
    assert_eq!(found["uses"][0]["version"], 1);
    assert_eq!(found["uses"][0]["current"], false);

    let history = json(&dossier(
        &archive,
        &["show", MISREAD, "--history", "--json"],
    ));
    let versions = history["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1]["made_by"], "correction");
    assert_eq!(versions[1]["current"], true);
    let text = dossier(&archive, &["show", MISREAD, "--history"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("[-MBARQA-] {+MBARGA+}"), "{text}");

    // The ledger names the correction; verify is clean; the bag carries both versions.
    assert_eq!(dossier(&archive, &["verify"]).status.code(), Some(0));
    let bag = dir.path().join("bag");
    let out = dossier(
        &archive,
        &["export", MISREAD, "--bagit", bag.to_str().unwrap()],
    );
    assert!(out.status.success());
    assert!(bag.join(format!("data/versions/1/{MISREAD}.pdf")).exists());
    let ledger = std::fs::read_to_string(bag.join("data/ledger.jsonl")).unwrap();
    assert!(ledger.contains("\"dossier-corrected\""), "{ledger}");

    // The same again changes nothing and says so.
    let again = dossier(
        &archive,
        &["correct", MISREAD, "--from", "MBARQA", "--to", "MBARGA"],
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not in the text"));
}

#[test]
fn a_csv_makes_what_it_can_and_names_what_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let archive = misread_archive(dir.path());
    let csv = dir.path().join("corrections.csv");
    std::fs::write(
        &csv,
        format!("dossier;page;from;to\n{MISREAD};1;MBARQA;MBARGA\n{MISREAD};;Yaoundé,;Yaoundé\nINT-2026-00404;;x;y\n"),
    )
    .unwrap();
    let out = dossier(
        &archive,
        &["correct", "--csv", csv.to_str().unwrap(), "--json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    // One dossier, one new version with both of its lines.
    assert_eq!(report["corrected"].as_array().unwrap().len(), 1);
    assert_eq!(
        report["corrected"][0]["changes"].as_array().unwrap().len(),
        2
    );
    assert_eq!(report["refused"][0]["dossier"], "INT-2026-00404");
}

/// The object file of ledger record `digest`.
fn record_path(archive: &Path, digest: &str) -> PathBuf {
    archive
        .join("objects")
        .join(&digest[..2])
        .join(&digest[2..])
}

/// The newest ledger record's digest and content.
fn head_record(archive: &Path) -> (String, Value) {
    let head = std::fs::read_to_string(archive.join("refs/ledger/head")).unwrap();
    let head = head.trim().to_owned();
    let record =
        serde_json::from_slice(&std::fs::read(record_path(archive, &head)).unwrap()).unwrap();
    (head, record)
}

fn corrected(dir: &Path) -> (PathBuf, Value) {
    let archive = misread_archive(dir);
    let before = show(&archive);
    let out = dossier(
        &archive,
        &["correct", MISREAD, "--from", "MBARQA", "--to", "MBARGA"],
    );
    assert_eq!(out.status.code(), Some(0));
    (archive, before)
}

#[test]
fn verify_names_an_altered_correction_record_and_a_removed_version() {
    let dir = tempfile::tempdir().unwrap();
    let (archive, _) = corrected(dir.path());
    let (digest, mut record) = head_record(&archive);
    assert_eq!(record["event"]["type"], "dossier-corrected");
    // Someone rewrites who corrected, in the record itself.
    record["event"]["by"] = "someone-else".into();
    let path = record_path(&archive, &digest);
    std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
    let out = dossier(&archive, &["verify", "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let report = json(&out);
    let keys: Vec<&str> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert!(
        keys.contains(&&*format!("{}/{}", &digest[..2], &digest[2..])),
        "{report:#}"
    );

    // A fresh archive: the first version's PDF removed.
    let dir = tempfile::tempdir().unwrap();
    let (archive, before) = corrected(dir.path());
    let key = before["pdf"]["key"].as_str().unwrap();
    std::fs::remove_file(object(&archive, key)).unwrap();
    let out = dossier(&archive, &["verify", "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let report = json(&out);
    let missing = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["key"] == key && p["kind"] == "missing");
    assert!(missing, "{report:#}");
}

#[test]
fn a_correction_killed_at_any_moment_leaves_the_previous_version_whole() {
    let dir = tempfile::tempdir().unwrap();
    let archive = misread_archive(dir.path());
    // Each run recovers from the kill before it (under the ingest lock).
    let mut corrections_committed = 0;
    for (i, delay_ms) in [5u64, 20, 40, 70, 100, 150, 220, 320]
        .into_iter()
        .enumerate()
    {
        // Alternate between two spellings so that every run has work to do.
        let (from, to) = if i % 2 == 0 {
            ("Awa", "Awa-Marie")
        } else {
            ("Awa-Marie", "Awa")
        };
        let mut child = command()
            .args(["correct", MISREAD, "--from", from, "--to", to])
            .arg("--archive")
            .arg(&archive)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        // Whatever moment it died at, the dossier reads whole: its current
        // version's PDF is there and says one spelling or the other.
        let current = show(&archive);
        let pdf = object(&archive, current["pdf"]["key"].as_str().unwrap());
        let text = pdftotext(&pdf);
        assert!(text.contains("MBARQA"), "{text}");
        if current["correction"].is_object() {
            corrections_committed += 1;
        }
    }
    // One more correction recovers from the last kill; then all is clean.
    let out = dossier(
        &archive,
        &["correct", MISREAD, "--from", "MBARQA", "--to", "MBARGA"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verify = dossier(&archive, &["verify", "--json"]);
    assert_eq!(verify.status.code(), Some(0), "{:#}", json(&verify));
    let history = json(&dossier(
        &archive,
        &["show", MISREAD, "--history", "--json"],
    ));
    let versions = history["versions"].as_array().unwrap();
    assert!(versions.len() >= 2);
    // Every version the chain names is one the ledger recorded, in order.
    for pair in versions.windows(2) {
        assert_eq!(
            pair[0]["version"].as_u64().unwrap() + 1,
            pair[1]["version"].as_u64().unwrap()
        );
    }
    assert_eq!(hits(&archive, "mbarga"), 1);
    eprintln!("{corrections_committed} of 8 killed runs had committed");
}

#[test]
fn a_rescan_keeps_what_was_corrected() {
    let dir = tempfile::tempdir().unwrap();
    let (archive, _) = corrected(dir.path());
    // The operator scans one more page into the dossier and ingests again.
    let folder = dir.path().join("misread").join(MISREAD);
    // Another sheet of the same letter: the same words, other pixels.
    let mut sheet = image::open(folder.join("001.png")).unwrap().to_luma8();
    sheet.put_pixel(0, 0, image::Luma([128]));
    sheet.save(folder.join("002.png")).unwrap();
    let batch = dir.path().join("misread");
    let out = dossier(&archive, &["ingest", batch.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let report = json(&out);
    assert_eq!(report["pages_read"], 1, "only the new page is read");
    let rescanned = show(&archive);
    assert!(
        rescanned["correction"].is_null(),
        "a re-scan, not a correction"
    );
    let pages = rescanned["pages"].as_array().unwrap();
    assert!(
        pages[0]["text"].as_str().unwrap().contains("MBARGA"),
        "page 1 keeps its correction"
    );
    assert!(pages[0]["ocr_words"].is_object());
    assert!(
        pages[1]["text"].as_str().unwrap().contains("MBARQA"),
        "the new page is as read"
    );
    let pdf = object(&archive, rescanned["pdf"]["key"].as_str().unwrap());
    let text = pdftotext(&pdf);
    assert_eq!(text.matches("MBARGA").count(), 1, "{text}");
    let history = json(&dossier(
        &archive,
        &["show", MISREAD, "--history", "--json"],
    ));
    let made: Vec<&str> = history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["made_by"].as_str().unwrap())
        .collect();
    assert_eq!(made, ["ingest", "correction", "re-scan"]);
    assert_eq!(dossier(&archive, &["verify"]).status.code(), Some(0));
}
