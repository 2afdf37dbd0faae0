//! Auditors' checks against real tampering: every change to the archive is
//! found and named exactly, and exports validate with the Library of Congress
//! `bagit` tool.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{dossier, json};

/// An archive holding one sample dossier (5 pages).
fn archive() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let batch = dir.path().join("B/INT-2026-00003");
    std::fs::create_dir_all(&batch).unwrap();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/batch/INT-2026-00003");
    for entry in std::fs::read_dir(samples).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), batch.join(entry.file_name())).unwrap();
    }
    let root = dir.path().join("archive");
    let out = dossier(&root, &["ingest", dir.path().join("B").to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, root)
}

fn manifest(root: &Path) -> Value {
    json(&dossier(root, &["show", "INT-2026-00003", "--json"]))
}

fn object_path(root: &Path, key: &str) -> PathBuf {
    root.join("objects").join(key)
}

/// Runs verify; returns its problems as (kind, key) pairs after checking the exit code.
fn problems(root: &Path) -> Vec<(String, String, Value)> {
    let out = dossier(root, &["verify", "--json"]);
    let report = json(&out);
    let problems: Vec<(String, String, Value)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().to_owned(),
                p["key"].as_str().unwrap().to_owned(),
                p.clone(),
            )
        })
        .collect();
    let expected_code = if problems.is_empty() { 0 } else { 3 };
    assert_eq!(out.status.code(), Some(expected_code), "{report}");
    problems
}

#[test]
fn an_untouched_archive_is_intact_and_sealed() {
    let (_dir, root) = archive();
    let out = dossier(&root, &["verify", "--json"]);
    let report = json(&out);
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert!(report["checked"].as_u64().unwrap() > 15);
    assert_eq!(report["problems"], Value::Array(vec![]));
    // A dossier-only check too; and the archive prints its public key.
    assert_eq!(
        dossier(&root, &["verify", "INT-2026-00003"]).status.code(),
        Some(0)
    );
    let key = json(&dossier(&root, &["keygen", "--json"]));
    assert_eq!(key["created"], false);
    assert_eq!(key["public_key"].as_str().unwrap().len(), 64);
}

#[test]
fn a_flipped_byte_is_reported_as_modified_with_both_digests() {
    let (_dir, root) = archive();
    let image = manifest(&root)["pages"][0]["image"]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = object_path(&root, &image);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1000] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let found = problems(&root);
    assert_eq!(found.len(), 1, "{found:?}");
    let (kind, key, problem) = &found[0];
    assert_eq!((kind.as_str(), key.as_str()), ("modified", image.as_str()));
    assert_eq!(
        problem["expected"].as_str().unwrap(),
        image.replace('/', "")
    );
    assert_ne!(problem["actual"], problem["expected"]);
}

#[test]
fn a_truncated_object_is_modified_and_a_deleted_one_missing() {
    let (_dir, root) = archive();
    let m = manifest(&root);
    let pdf = m["pdf"]["key"].as_str().unwrap().to_owned();
    let source = m["sources"][1]["key"].as_str().unwrap().to_owned();
    let bytes = std::fs::read(object_path(&root, &pdf)).unwrap();
    std::fs::write(object_path(&root, &pdf), &bytes[..bytes.len() / 2]).unwrap();
    std::fs::remove_file(object_path(&root, &source)).unwrap();
    let mut found: Vec<(String, String)> = problems(&root)
        .into_iter()
        .map(|(k, key, _)| (k, key))
        .collect();
    found.sort();
    let mut expected = vec![("missing".to_owned(), source), ("modified".to_owned(), pdf)];
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn a_stray_object_is_unexpected() {
    let (_dir, root) = archive();
    let stray = "ab/".to_owned() + &"c".repeat(62);
    std::fs::create_dir_all(root.join("objects/ab")).unwrap();
    std::fs::write(object_path(&root, &stray), b"slipped in").unwrap();
    let found = problems(&root);
    assert_eq!(
        found
            .iter()
            .map(|(k, key, _)| (k.as_str(), key.as_str()))
            .collect::<Vec<_>>(),
        [("unexpected", stray.as_str())]
    );
}

#[test]
fn objects_an_ingest_under_way_has_not_committed_are_pending_not_strays() {
    let (_dir, root) = archive();
    // What a running ingest looks like from outside: its lock held, and an
    // object stored after the newest ledger record.
    std::fs::write(
        root.join("ingest.lock"),
        format!("running {}\n", std::process::id()),
    )
    .unwrap();
    let lock = std::fs::File::open(root.join("ingest.lock")).unwrap();
    lock.try_lock_shared().unwrap();
    let fresh = "cd/".to_owned() + &"e".repeat(62);
    std::fs::create_dir_all(root.join("objects/cd")).unwrap();
    std::fs::write(object_path(&root, &fresh), b"a page not yet committed").unwrap();

    assert_eq!(problems(&root), []);
    let report = json(&dossier(&root, &["verify", "--json"]));
    assert_eq!(report["pending"], serde_json::json!([fresh]));
    let said = String::from_utf8_lossy(&dossier(&root, &["verify"]).stdout).into_owned();
    assert!(said.contains("Pending: 1 object(s)"), "{said}");

    // Once no ingest holds the archive (the lock let go, the file emptied
    // as an ingest that ends leaves it), an object nothing names is a stray.
    drop(lock);
    std::fs::write(root.join("ingest.lock"), "").unwrap();
    let found = problems(&root);
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str()),
        ("unexpected", fresh.as_str())
    );
}

#[test]
fn a_manifest_rewritten_with_its_own_hash_is_caught_by_the_ledger() {
    let (_dir, root) = archive();
    let mut m = manifest(&root);
    m.as_object_mut().unwrap().remove("manifest");
    m["pages"][0]["text"] = Value::String("Forged text".into());
    let bytes = serde_json::to_vec_pretty(&m).unwrap();
    let digest = sha256_hex(&bytes);
    let key = format!("{}/{}", &digest[..2], &digest[2..]);
    std::fs::create_dir_all(object_path(&root, &key).parent().unwrap()).unwrap();
    std::fs::write(object_path(&root, &key), &bytes).unwrap();
    std::fs::write(
        root.join("refs/dossiers/INT-2026-00003"),
        format!("{digest}\n"),
    )
    .unwrap();
    let found = problems(&root);
    assert_eq!(found.len(), 1, "{found:?}");
    let (kind, found_key, problem) = &found[0];
    assert_eq!(
        (kind.as_str(), found_key.as_str()),
        ("ledger", key.as_str())
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("does not record"),
        "{problem}"
    );
}

#[test]
fn a_removed_ledger_record_breaks_the_chain() {
    let (_dir, root) = archive();
    let ledger = ledger_keys(&root);
    // Remove a record in the middle of the chain.
    std::fs::remove_file(object_path(&root, &ledger[ledger.len() / 2])).unwrap();
    let found = problems(&root);
    assert!(
        found.iter().any(|(kind, key, p)| kind == "ledger"
            && *key == ledger[ledger.len() / 2]
            && p["detail"].as_str().unwrap().contains("chain is broken")),
        "{found:?}"
    );
}

#[test]
fn an_edited_ledger_record_is_modified_and_breaks_the_chain() {
    let (_dir, root) = archive();
    let ledger = ledger_keys(&root);
    let path = object_path(&root, &ledger[1]);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("INT-2026-00003", "INT-2026-99999");
    std::fs::write(&path, text).unwrap();
    let found = problems(&root);
    let kinds: Vec<(&str, &str)> = found
        .iter()
        .map(|(k, key, _)| (k.as_str(), key.as_str()))
        .collect();
    assert!(
        kinds.contains(&("modified", ledger[1].as_str())),
        "{found:?}"
    );
    assert!(kinds.contains(&("ledger", ledger[1].as_str())), "{found:?}");
}

#[test]
fn a_seal_checked_against_another_key_is_refused() {
    let (_dir, root) = archive();
    std::fs::write(
        root.join("refs/keys/public"),
        format!("{}\n", "11".repeat(32)),
    )
    .unwrap();
    let found = problems(&root);
    assert!(
        found.iter().any(|(k, _, p)| k == "ledger"
            && p["detail"].as_str().unwrap().contains("not the archive's")),
        "{found:?}"
    );
}

#[test]
fn verify_file_finds_the_stored_pdf_and_not_a_stranger() {
    let (dir, root) = archive();
    let m = manifest(&root);
    let pdf = dir.path().join("handed.pdf");
    std::fs::copy(object_path(&root, m["pdf"]["key"].as_str().unwrap()), &pdf).unwrap();
    let out = dossier(&root, &["verify-file", pdf.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let found = json(&out);
    assert_eq!(found["uses"][0]["dossier"], "INT-2026-00003");
    assert_eq!(found["uses"][0]["role"], "PDF");
    assert!(found["stored_at"].as_str().unwrap().starts_with("20"));
    assert_eq!(found["batch"], "B");
    assert_eq!(found["batch_root"].as_str().unwrap().len(), 64);

    let stranger = dir.path().join("stranger.pdf");
    std::fs::write(&stranger, b"%PDF-1.7 not ours").unwrap();
    assert_eq!(
        dossier(&root, &["verify-file", stranger.to_str().unwrap()])
            .status
            .code(),
        Some(3)
    );
}

#[test]
fn export_writes_a_bag_the_library_of_congress_tool_validates() {
    let (dir, root) = archive();
    let bag = dir.path().join("bag");
    let out = dossier(
        &root,
        &["export", "INT-2026-00003", "--bagit", bag.to_str().unwrap()],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in [
        "data/INT-2026-00003.pdf",
        "data/originals/001.tif",
        "data/text.txt",
        "data/ledger.jsonl",
        "tagmanifest-sha256.txt",
    ] {
        assert!(bag.join(file).is_file(), "{file}");
    }
    let validate = |bag: &Path| {
        Command::new("python3")
            .args(["-c", "import bagit, sys; bagit.Bag(sys.argv[1]).validate()"])
            .arg(bag)
            .output()
            .expect("python3 with the bagit package (scripts/setup installs it)")
    };
    let out = validate(&bag);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The tool notices when a payload file changes: the check can fail.
    std::fs::write(bag.join("data/text.txt"), b"changed").unwrap();
    assert!(!validate(&bag).status.success());
    // Exporting is itself recorded, and the archive stays intact.
    assert!(problems(&root).is_empty());
}

/// Ledger record keys, newest first.
fn ledger_keys(root: &Path) -> Vec<String> {
    let mut keys = Vec::new();
    let mut next = std::fs::read_to_string(root.join("refs/ledger/head"))
        .unwrap()
        .trim()
        .to_owned();
    loop {
        let key = format!("{}/{}", &next[..2], &next[2..]);
        let record: Value =
            serde_json::from_slice(&std::fs::read(object_path(root, &key)).unwrap()).unwrap();
        keys.push(key);
        match record["prev"].as_str() {
            Some(prev) => next = prev.to_owned(),
            None => return keys,
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    let out = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(bytes)?;
            child.wait_with_output()
        })
        .unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}
