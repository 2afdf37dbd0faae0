//! `dossier-score`: character error rates of page texts against the generator's truth.
//!
//! Texts are read from `DIR/<dossier>/<file>.<page>.txt` (page counted from 0);
//! a missing file counts as an empty reading. Blank pages are left out.
//! Prints one JSON line: pages, mean, median, max and overall rate.

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, truth, texts, label] = &args[..] else {
        eprintln!("usage: dossier-score TRUTH.json TEXT_DIR LABEL");
        std::process::exit(2);
    };
    let truth = samples::Truth::load(&PathBuf::from(truth)).unwrap_or_else(|e| {
        eprintln!("{e:#}");
        std::process::exit(1)
    });
    let mut rates = Vec::new();
    let (mut errors, mut chars) = (0usize, 0usize);
    for dossier in &truth.dossiers {
        for page in dossier.pages.iter().filter(|p| !p.blank) {
            let path = PathBuf::from(texts)
                .join(&dossier.id)
                .join(format!("{}.{}.txt", page.file, page.page_in_file));
            let read = std::fs::read_to_string(&path).unwrap_or_default();
            errors += samples::cer::edit_distance(&page.text, &read);
            chars += samples::cer::normalise(&page.text).len();
            rates.push(samples::cer::cer(&page.text, &read));
        }
    }
    rates.sort_by(f64::total_cmp);
    let mean = rates.iter().sum::<f64>() / rates.len().max(1) as f64;
    let median = rates.get(rates.len() / 2).copied().unwrap_or(0.0);
    let max = rates.last().copied().unwrap_or(0.0);
    println!(
        "{{\"label\":\"{label}\",\"pages\":{},\"cer_mean\":{mean:.5},\"cer_median\":{median:.5},\"cer_max\":{max:.5},\"cer_overall\":{:.5}}}",
        rates.len(),
        errors as f64 / chars.max(1) as f64
    );
}
