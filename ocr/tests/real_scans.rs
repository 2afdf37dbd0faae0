//! Preprocessing and reading on real scanned pages (`../shared/real-scans`),
//! which nobody here made: what the generated pages could not show.

use std::borrow::Cow;
use std::path::PathBuf;

use dossier_ocr::{Engine, Scan, preprocess_with};

use image::DynamicImage;

fn real(name: &str) -> Scan {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/real-scans")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    dossier_ocr::decode_page(&bytes, 0, &dossier_ocr::Limits::default()).unwrap()
}

fn turned(scan: &Scan, image: DynamicImage) -> Scan {
    Scan {
        image,
        dpi: scan.dpi,
        bilevel: scan.bilevel,
    }
}

/// Upright pages stay upright, and pages turned by a quarter, a half or
/// three quarters come back: a bilevel typescript, a French typewritten
/// letter and a two-column printed page.
#[test]
fn upright_real_pages_are_never_turned_and_turned_ones_come_back() {
    let mut engine = Engine::new("fra+eng").unwrap();
    for name in [
        "en_ehri_dr19390125_03.jpg",
        "fr_tapus_b10010002v_1.jpeg",
        "en_scribe_multicol05_1.jpg",
    ] {
        let scan = real(name);
        let dpi = scan.resolution();
        // `rotation` is how far the page lay turned counter-clockwise.
        for (image, expected) in [
            (scan.image.clone(), 0),
            (scan.image.rotate90(), 270),
            (scan.image.rotate180(), 180),
            (scan.image.rotate270(), 90),
        ] {
            let page = preprocess_with(turned(&scan, image), dpi, Some(&mut engine));
            assert_eq!(page.rotation, expected, "{name}");
            assert!(!page.blank, "{name}");
        }
    }
}

/// Beige paper inside the scanner's grey frame: Tesseract's global
/// threshold took the type for paper and read nothing, by itself too.
/// With the paper flattened to white (the third reading of an unclear page)
/// the letter is read.
#[test]
fn typewritten_letter_on_beige_paper_in_a_grey_frame_is_read() {
    let mut engine = Engine::new("fra+eng").unwrap();
    let scan = real("fr_tapus_b530924453_1.jpeg");
    let dpi = scan.resolution();
    let page = preprocess_with(turned(&scan, scan.image.clone()), dpi, Some(&mut engine));
    let plain = engine
        .recognize(Cow::Owned(page.grey), dpi.round() as u32)
        .unwrap();
    assert!(
        dossier_ocr::second_reading::unclear(Some(&plain)),
        "{plain:?}"
    );
    let page = dossier_ocr::preprocess_flattened(scan, dpi, Some(&mut engine));
    let read = engine
        .recognize(Cow::Owned(page.grey), dpi.round() as u32)
        .unwrap();
    for word in [
        "autorisation",
        "dispositions",
        "contrat",
        "REUNION",
        "CAMBON",
    ] {
        assert!(read.text.contains(word), "{word} not in {:?}", read.text);
    }
}
