//! `dossier-index-bench [--pages N]`: builds an index of N generated pages
//! (default 1,000,000) and prints the build rate, bytes of index per page and
//! search latency (p50, p99) for word, name, phrase, fuzzy and filtered queries.

use std::collections::BTreeMap;
use std::time::Instant;

use samples::documents::{self, Block, Candidate};
use samples::rng::Rng;

/// A dossier's five pages as text: the generator's documents without rendering.
fn dossier_pages(rng: &mut Rng, number: u32) -> (Candidate, Vec<String>) {
    let candidate = Candidate::random(rng, number);
    let pages = documents::dossier_documents(&candidate, rng)
        .into_iter()
        .map(|doc| {
            doc.blocks
                .iter()
                .map(|b: &Block| b.text.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    (candidate, pages)
}

fn folder_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.metadata().map_or(0, |m| m.len()))
                .sum()
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let pages: usize = args
        .iter()
        .position(|a| a == "--pages")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let index = index::Index::open_or_create(dir.path()).expect("index");
    let mut writer = index.writer_with_threads(2).expect("writer");
    let mut rng = Rng::new(2026);
    let start = Instant::now();
    let (mut done, mut number, mut text_bytes) = (0usize, 0u32, 0usize);
    let mut generating = 0.0;
    while done < pages {
        number += 1;
        let t = Instant::now();
        let (candidate, texts) = dossier_pages(&mut rng, number);
        let scanned = 1_577_836_800 + rng.below(7 * 365) as i64 * 86_400; // 2020 to 2026
        let metadata = BTreeMap::from([
            (
                "name".to_owned(),
                format!("{} {}", candidate.name, candidate.given_names),
            ),
            ("birth_place".to_owned(), candidate.birth_place.clone()),
            ("corps".to_owned(), candidate.corps.clone()),
            (
                "application_no".to_owned(),
                candidate.application_no.clone(),
            ),
        ]);
        let docs: Vec<index::PageDoc> = texts
            .into_iter()
            .take(pages - done)
            .enumerate()
            .map(|(i, text)| {
                text_bytes += text.len();
                index::PageDoc {
                    page: i as u64 + 1,
                    text,
                    scanned: Some(scanned),
                    metadata: metadata.clone(),
                    kind: None,
                    complete: None,
                    ..Default::default()
                }
            })
            .collect();
        generating += t.elapsed().as_secs_f64();
        done += docs.len();
        writer
            .add_pages(&format!("INT-{number:07}"), "bench", &docs)
            .expect("add");
    }
    writer.commit().expect("commit");
    let build = start.elapsed().as_secs_f64();
    index.reload().expect("reload");
    let bytes = folder_size(dir.path());
    println!(
        "Built an index of {done} pages ({:.0} MB of text) in {build:.1} s: {:.0} pages/s ({:.1} s of it generating text); {:.0} bytes of index per page ({:.0} MB).",
        text_bytes as f64 / 1e6,
        done as f64 / build,
        generating,
        bytes as f64 / done as f64,
        bytes as f64 / 1e6
    );

    let names = [
        "ngono", "mbarga", "atangana", "fouda", "tchoupo", "kamga", "njoya", "etoa", "abena",
        "nkoulou",
    ];
    let places = [
        "douala", "garoua", "bamenda", "buea", "ebolowa", "kribi", "dschang", "maroua",
    ];
    let kinds: [(&str, &dyn Fn(usize) -> String); 5] = [
        ("word (one name)", &|i| names[i % names.len()].to_owned()),
        ("two words", &|i| {
            format!("{} {}", names[i % names.len()], places[i % places.len()])
        }),
        ("phrase", &|i| {
            format!("\"centre d'état civil de {}\"", places[i % places.len()])
        }),
        ("fuzzy (one edit)", &|i| {
            format!("{}~1", names[i % names.len()].replacen('o', "0", 1))
        }),
        ("filtered (kind and dates)", &|i| {
            format!(
                "{} kind:birth-certificate scanned:[2024-01-01 TO 2024-06-30]",
                names[i % names.len()]
            )
        }),
    ];
    println!();
    println!("| query | example | matching pages (last) | p50 ms | p99 ms |");
    println!("| --- | --- | --- | --- | --- |");
    for (label, make) in kinds {
        let mut times = Vec::new();
        let mut matched = 0;
        for i in 0..200 {
            let query = make(i);
            let t = Instant::now();
            let results = index
                .search(&query, &index::SearchOptions::default())
                .expect("search");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            matched = results.total;
        }
        times.sort_by(f64::total_cmp);
        println!(
            "| {label} | `{}` | {matched} | {:.1} | {:.1} |",
            make(0),
            times[times.len() / 2],
            times[times.len() * 99 / 100]
        );
    }
}
