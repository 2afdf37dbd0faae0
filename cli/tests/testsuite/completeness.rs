//! Completeness from end to end: generated dossiers with a piece missing or
//! out of date are reported so by `ingest`, `show` and `search`, and a
//! checklist in the archive folder changes what is asked.

use samples::gaps::{self, Gap};
use serde_json::json;

use crate::util::{dossier, json};

#[test]
fn missing_and_expired_pieces_are_reported_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let plan = [
        Gap::None,
        Gap::Missing("criminal-record".into()),
        Gap::Expired("medical-certificate".into()),
    ];
    gaps::generate(dir.path(), &plan, 5, 150).unwrap();
    let archive = dir.path().join("archive");
    // This archive asks two diplomas of one corps, none of the generator's.
    std::fs::create_dir_all(&archive).unwrap();
    let corps = "Infirmiers anesthésistes";
    std::fs::write(
        archive.join("checklist.toml"),
        format!("[corps.\"{corps}\"]\ndiploma = 2\n"),
    )
    .unwrap();
    let batch = dir.path().join("batch");
    let toml = batch.join("GAP-2026-00001/dossier.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let nurse = text
        .lines()
        .map(|l| {
            if l.starts_with("corps") {
                format!("corps = \"{corps}\"")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&toml, nurse).unwrap();

    let out = dossier(&archive, &["ingest", batch.to_str().unwrap(), "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    let checks = &report["completeness"];
    assert_eq!(
        checks["GAP-2026-00001"]["checklist"],
        format!("corps: {corps}")
    );
    assert_eq!(checks["GAP-2026-00001"]["missing"], json!(["diploma"]));
    assert_eq!(checks["GAP-2026-00002"]["checklist"], "default");
    assert_eq!(
        checks["GAP-2026-00002"]["missing"],
        json!(["criminal-record"])
    );
    assert_eq!(
        checks["GAP-2026-00003"]["expired"],
        json!(["medical-certificate 2026-05-12"])
    );
    assert_eq!(checks["GAP-2026-00003"]["status"], "incomplete");

    let shown = dossier(&archive, &["show", "GAP-2026-00002"]);
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("Completeness (default): missing: criminal-record"),
        "{text}"
    );

    let found = json(&dossier(
        &archive,
        &["search", "complete:no", "--group", "--json"],
    ));
    let ids: Vec<&str> = found["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["dossier"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(found["facets"]["complete"]["no"].as_u64().unwrap() > 0);

    // Text for people: counts, then each dossier that is not complete.
    let again = dossier(&archive, &["ingest", batch.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(text.contains("Completeness: 3 incomplete."), "{text}");
    assert!(
        text.contains("GAP-2026-00003: expired: medical-certificate 2026-05-12"),
        "{text}"
    );
}
