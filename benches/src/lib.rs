//! Inputs for the benchmarks: sample pages from the committed batch.

use std::path::{Path, PathBuf};

/// The committed sample batch.
pub fn sample_batch() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/batch")
}

/// A file of the sample batch, read whole.
pub fn sample_file(rel: &str) -> Vec<u8> {
    let path = sample_batch().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A decoded sample page: a full 300-dpi A4 application letter skewed 6.5 degrees.
pub fn skewed_page() -> ocr::Scan {
    ocr::decode_page(
        &sample_file("INT-2026-00002/001.jpg"),
        0,
        &ocr::Limits::default(),
    )
    .expect("sample decodes")
}
