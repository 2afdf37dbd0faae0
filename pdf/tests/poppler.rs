//! The PDFs read back with poppler, a reader nobody here wrote.

use std::process::Command;

use dossier_pdf::{Builder, Info, PageImage, Word};
use image::{DynamicImage, GrayImage, Luma};

fn words(line: u32, y: u32, texts: &[&str]) -> Vec<Word> {
    let mut x = 200;
    texts
        .iter()
        .map(|t| {
            let w = 40 * t.chars().count() as u32;
            let word = Word {
                text: t.to_string(),
                bbox: [x, y, w, 60],
                line,
            };
            x += w + 30;
            word
        })
        .collect()
}

fn page(bilevel: bool) -> PageImage {
    let grey = GrayImage::from_pixel(2480, 3508, Luma([255]));
    PageImage::encode(&DynamicImage::ImageLuma8(grey), bilevel, 300.0).unwrap()
}

fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new(tool)
        .args(args)
        .arg(&path)
        .args(if tool == "pdftotext" { &["-"][..] } else { &[] })
        .output()
        .unwrap_or_else(|e| panic!("{tool} (Debian poppler-utils) must be installed: {e}"));
    assert!(
        out.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn pdftotext_gives_back_the_words_in_reading_order() {
    let mut builder = Builder::new();
    let mut layer = words(0, 300, &["RÉPUBLIQUE", "DU", "CAMEROUN"]);
    layer.extend(words(
        1,
        420,
        &["Né", "le", "12", "août", "à", "Ngaoundéré"],
    ));
    layer.extend(words(2, 540, &["l’œuvre", "«", "intégration", "»"]));
    builder.add_page(&page(false), &layer).unwrap();
    builder
        .add_page(&page(true), &words(0, 300, &["Deuxième", "page"]))
        .unwrap();
    let pdf = builder
        .finish(&Info {
            title: "INT-1".into(),
            ..Info::default()
        })
        .unwrap();
    let text = poppler("pdftotext", &["-layout"], &pdf);
    let lines: Vec<String> = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        lines,
        [
            "RÉPUBLIQUE DU CAMEROUN",
            "Né le 12 août à Ngaoundéré",
            "l’œuvre « intégration »",
            "Deuxième page"
        ]
    );
}

#[test]
fn same_pages_give_the_same_bytes() {
    let build = || {
        let mut builder = Builder::new();
        builder
            .add_page(&page(false), &words(0, 300, &["stable"]))
            .unwrap();
        builder.finish(&Info::default()).unwrap()
    };
    assert_eq!(build(), build());
}

#[test]
fn page_size_follows_the_resolution() {
    let mut builder = Builder::new();
    builder.add_page(&page(true), &[]).unwrap();
    let pdf = builder.finish(&Info::default()).unwrap();
    let info = poppler("pdfinfo", &[], &pdf);
    // 2480 x 3508 pixels at 300 dpi is A4: 595.2 x 841.92 points.
    assert!(info.contains("595.2 x 841.92 pts (A4)"), "{info}");
}

#[test]
fn empty_document_is_an_error() {
    assert!(matches!(
        Builder::new().finish(&Info::default()),
        Err(dossier_pdf::Error::NoPages)
    ));
}
