//! `dossier-completeness-bench`: generated dossiers with a piece missing,
//! doubled or out of date, ingested by the `dossier` binary; counts what its
//! completeness report finds against what was made.
//!
//! `dossier-completeness-bench [DOSSIERS] [DPI]` (build the binary first:
//! `cargo build --release`; `DOSSIER_BIN` points elsewhere).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use samples::gaps::{self, Gap};
use samples::rng::Rng;
use serde_json::Value;

#[derive(Default)]
struct Tally {
    dossiers: usize,
    right: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(24);
    let dpi: u32 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(200);
    let bin = std::env::var_os("DOSSIER_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/dossier"),
        PathBuf::from,
    );
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(28);
    let plan = gaps::cycle(count, &mut rng);
    let truth = gaps::generate(dir.path(), &plan, 28, dpi).expect("generate");
    let started = std::time::Instant::now();
    let out = Command::new(&bin)
        .args(["ingest", "--json", "--archive"])
        .arg(dir.path().join("archive"))
        .arg(dir.path().join("batch"))
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", bin.display()));
    let seconds = started.elapsed().as_secs_f64();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let checks = &report["completeness"];

    let mut by_gap: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut doubtful = 0;
    let mut false_alarms = Vec::new();
    for dossier in &truth {
        let check = &checks[&dossier.id];
        let list = |key: &str| -> Vec<String> {
            check[key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (missing, expired) = (list("missing"), list("expired"));
        doubtful += usize::from(!list("doubtful").is_empty());
        let (label, right) = match &dossier.gap {
            Gap::None => ("complete", missing.is_empty() && expired.is_empty()),
            Gap::Duplicated(_) => ("a piece twice", missing.is_empty() && expired.is_empty()),
            Gap::Missing(kind) => (
                "a piece missing",
                missing == [kind.clone()] && expired.is_empty(),
            ),
            Gap::Expired(kind) => (
                "a piece out of date",
                missing.is_empty() && expired.len() == 1 && expired[0].starts_with(kind.as_str()),
            ),
        };
        if !right {
            false_alarms.push(format!("{} ({:?}): {check}", dossier.id, dossier.gap));
        }
        let tally = by_gap.entry(label).or_default();
        tally.dossiers += 1;
        tally.right += usize::from(right);
    }
    let pages = report["pages"].as_u64().unwrap_or(0);
    println!("{count} dossiers, {pages} pages at {dpi} dpi, ingested in {seconds:.0} s\n");
    println!("| dossiers made with | dossiers | reported exactly |");
    println!("| --- | --- | --- |");
    for (label, tally) in &by_gap {
        println!("| {label} | {} | {} |", tally.dossiers, tally.right);
    }
    println!("\nDossiers with something to check (doubtful): {doubtful} of {count}.");
    for alarm in &false_alarms {
        println!("wrong: {alarm}");
    }
}
