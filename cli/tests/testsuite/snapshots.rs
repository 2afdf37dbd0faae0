//! What each command prints, text and JSON, as reviewed snapshots
//! (`snapshots/`): a change of output is a diff someone reads, not a
//! surprise for operators' scripts. Digests, times, durations, sizes and
//! paths are masked; what is left is the same on every run and machine.
//! After a deliberate change, run with `INSTA_UPDATE=always` and review the
//! diff of `snapshots/` before committing it.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::util::{command, samples};

fn dossier(archive: &Path, args: &[&str]) -> Output {
    let output = command()
        .args(args)
        .arg("--archive")
        .arg(archive)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "dossier {args:?}: {stderr}");
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// What changes from run to run, masked.
fn settings(archive: &Path) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    for (pattern, mask) in [
        (regex_escape(&archive.display().to_string()), "[ARCHIVE]"),
        (regex_escape(&samples().display().to_string()), "[SAMPLES]"),
        (r"[0-9a-f]{64}".into(), "[SHA256]"),
        (r"\b[0-9a-f]{2}/[0-9a-f]{62}\b".into(), "[KEY]"),
        (r"\b[0-9a-f]{12}\b".into(), "[SHORT]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ".into(), "[TIME]"),
        (r"\d+\.\d+ s\b".into(), "[SECONDS] s"),
        (r"\d+(\.\d+)? (B|KiB|MiB|GiB)\b".into(), "[SIZE]"),
        (r"\d+(\.\d+)? MB/s".into(), "[RATE]"),
        (r"\d+\.\d+ ms each".into(), "[MS] ms each"),
        (r"score \d+\.\d+".into(), "score [SCORE]"),
    ] {
        settings.add_filter(&pattern, mask);
    }
    settings
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// Timings and sizes in a JSON document, masked by key.
fn masked(mut value: Value) -> Value {
    fn walk(value: &mut Value, key: &str) {
        match value {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    walk(v, k);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, key)),
            Value::Number(_)
                if matches!(
                    key,
                    "seconds" | "bytes" | "bytes_stored" | "mb_per_second" | "score"
                ) =>
            {
                *value = Value::String(format!("[{key}]"));
            }
            _ => {}
        }
    }
    walk(&mut value, "");
    value
}

fn json(output: &Output) -> Value {
    masked(serde_json::from_slice(&output.stdout).unwrap())
}

#[test]
fn each_command_prints_what_was_reviewed() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let batch = samples().join("batch");
    let batch = batch.to_str().unwrap();
    let settings = settings(&archive);
    let _bound = settings.bind_to_scope();

    let help = command().arg("--help").output().unwrap();
    insta::assert_snapshot!("help", stdout(&help));

    let ingest = dossier(&archive, &["ingest", batch, "--workers", "2", "--json"]);
    let mut report = json(&ingest);
    // Which run writes which object first depends on the workers' timing.
    report["objects"] = Value::String("[objects]".into());
    report["stats"] = Value::String("[stats]".into());
    insta::assert_json_snapshot!("ingest-json", report);
    let again = dossier(&archive, &["ingest", batch]);
    insta::assert_snapshot!("ingest-again", stdout(&again));

    let show = dossier(&archive, &["show", "INT-2026-00002"]);
    insta::assert_snapshot!("show", stdout(&show));
    let search = dossier(&archive, &["search", "acte de naissance", "--limit", "3"]);
    insta::assert_snapshot!("search", stdout(&search));
    let found = dossier(&archive, &["search", "fouda", "--limit", "2", "--json"]);
    insta::assert_json_snapshot!("search-json", json(&found));

    let verify = dossier(&archive, &["verify"]);
    insta::assert_snapshot!("verify", stdout(&verify));
    let verified = dossier(&archive, &["verify", "--json"]);
    insta::assert_json_snapshot!("verify-json", json(&verified));
}
