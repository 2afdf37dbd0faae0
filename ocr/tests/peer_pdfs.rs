//! Scanner PDFs from OCRmyPDF's test resources (fetched from its source
//! package on PyPI by `scripts/setup` into `.cache/`): JBIG2 and CCITT
//! (`BlackIs1`) images, skewed and turned pages, all made from one two-column brochure page whose
//! transcription comes with them.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::PathBuf;

use dossier_ocr::{Engine, Limits, decode_page, preprocess_with};

fn resources() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../.cache/ocrmypdf-17.13.0/tests/resources");
    assert!(
        dir.is_dir(),
        "{} is missing: run scripts/setup, which fetches OCRmyPDF's test resources",
        dir.display()
    );
    dir
}

/// The words of a text, lower case, letters and digits only.
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .collect()
}

/// Share of the transcription's words that a reading found.
fn recall(truth: &BTreeSet<String>, read: &str) -> f64 {
    let found = words(read);
    truth.intersection(&found).count() as f64 / truth.len() as f64
}

fn read(engine: &mut Engine, file: &str, page: usize) -> String {
    let bytes = std::fs::read(resources().join(file)).unwrap();
    let scan =
        decode_page(&bytes, page, &Limits::default()).unwrap_or_else(|e| panic!("{file}: {e}"));
    let dpi = scan.resolution();
    let page = preprocess_with(scan, dpi, Some(engine));
    engine
        .recognize(Cow::Owned(page.grey), dpi.round() as u32)
        .unwrap()
        .text
}

#[test]
fn jbig2_ccitt_and_skewed_scanner_pdfs_are_decoded_and_read() {
    let truth = words(&std::fs::read_to_string(resources().join("linn.txt")).unwrap());
    let mut engine = Engine::new("fra+eng").unwrap();
    let reference = {
        let bytes = std::fs::read(resources().join("linn.png")).unwrap();
        let scan = decode_page(&bytes, 0, &Limits::default()).unwrap();
        let dpi = scan.resolution();
        let page = preprocess_with(scan, dpi, Some(&mut engine));
        let text = engine
            .recognize(Cow::Owned(page.grey), dpi.round() as u32)
            .unwrap()
            .text;
        recall(&truth, &text)
    };
    assert!(reference > 0.9, "linn.png itself: {reference:.3}");
    // cardinal.pdf: the page upright, then turned a quarter at a time.
    let pages = [
        ("jbig2.pdf", 0),
        ("ccitt.pdf", 0),
        ("skew.pdf", 0),
        ("rotated_skew.pdf", 0),
        ("cardinal.pdf", 0),
        ("cardinal.pdf", 1),
        ("cardinal.pdf", 2),
        ("cardinal.pdf", 3),
    ];
    for (file, page) in pages {
        let found = recall(&truth, &read(&mut engine, file, page));
        assert!(
            found > reference - 0.05,
            "{file} page {}: {found:.3} of the words, linn.png {reference:.3}",
            page + 1
        );
    }
}
