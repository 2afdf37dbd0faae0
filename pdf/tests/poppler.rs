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
                confidence: 91.0,
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
        .unwrap()
        .pdf;
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
        builder.finish(&Info::default()).unwrap().pdf
    };
    assert_eq!(build(), build());
}

#[test]
fn page_size_follows_the_resolution() {
    let mut builder = Builder::new();
    builder.add_page(&page(true), &[]).unwrap();
    let pdf = builder.finish(&Info::default()).unwrap().pdf;
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

fn tool(program: &str, args: &[&str], file: &std::path::Path) -> (bool, String) {
    let out = Command::new(program)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("{program} must be installed (scripts/setup): {e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn dossier_pdf() -> dossier_pdf::Output {
    let mut builder = Builder::new();
    builder
        .add_page(&page(false), &words(0, 300, &["ACTE", "DE", "NAISSANCE"]))
        .unwrap();
    builder
        .add_page(
            &page(true),
            &words(0, 300, &["Né", "à", "Ngaoundéré", "«", "œuvre", "»"]),
        )
        .unwrap();
    let info = Info {
        title: "INT-2026-04711".into(),
        subject: "NGONO Marie & co".into(),
        keywords: "Infirmiers diplômés d'État".into(),
        author: "opérateur 3".into(),
        created: "2026-11-02T09:00:00Z".into(),
    };
    builder.finish(&info).unwrap()
}

#[test]
fn pdfa_identification_fonts_and_structure_pass_tools_nobody_here_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.pdf");
    std::fs::write(&path, dossier_pdf().pdf).unwrap();
    let (ok, out) = tool("qpdf", &["--check"], &path);
    assert!(
        ok && out.contains("No syntax or stream encoding errors"),
        "{out}"
    );
    let (ok, fonts) = tool("pdffonts", &[], &path);
    assert!(ok, "{fonts}");
    let font_lines: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!font_lines.is_empty(), "{fonts}");
    for line in font_lines {
        // name, type, encoding, emb, sub, uni: every font embedded, with a ToUnicode map.
        let columns: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            &columns[columns.len() - 5..columns.len() - 2],
            ["yes", "no", "yes"],
            "{line}"
        );
    }
    let (ok, meta) = tool("pdfinfo", &["-meta"], &path);
    assert!(ok, "{meta}");
    assert!(
        meta.contains("<pdfaid:part>2</pdfaid:part>")
            && meta.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
        "{meta}"
    );
    assert!(
        meta.contains("NGONO Marie &amp; co")
            && meta.contains("<dc:identifier>INT-2026-04711</dc:identifier>"),
        "{meta}"
    );
    let (_, info) = tool("pdfinfo", &[], &path);
    assert!(info.contains("Author:          opérateur 3"), "{info}");
    assert!(
        info.contains("Encrypted:       no") && info.contains("JavaScript:      no"),
        "{info}"
    );
}

#[test]
fn alto_validates_against_its_published_schema_and_hocr_is_xml() {
    let output = dossier_pdf();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.alto.xml"), &output.alto).unwrap();
    std::fs::write(dir.path().join("d.hocr"), &output.hocr).unwrap();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let script = "import sys, xmlschema, xml.etree.ElementTree as ET\n\
schema = xmlschema.XMLSchema(sys.argv[1], locations=[('http://www.w3.org/1999/xlink', sys.argv[2])])\n\
schema.validate(sys.argv[3])\n\
ET.parse(sys.argv[4])\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(data.join("alto-4-4.xsd"))
        .arg(data.join("xlink.xsd"))
        .arg(dir.path().join("d.alto.xml"))
        .arg(dir.path().join("d.hocr"))
        .output()
        .expect("python3 with xmlschema (scripts/setup installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(output.alto.contains("CONTENT=\"Ngaoundéré\"") && output.alto.contains("WC=\"0.91\""));
    assert!(output.hocr.contains("class=\"ocrx_word\"") && output.hocr.contains("x_wconf 91"));
    // Breaking the document breaks validation: the check can fail.
    std::fs::write(
        dir.path().join("d.alto.xml"),
        output
            .alto
            .replace("<MeasurementUnit>pixel</MeasurementUnit>", ""),
    )
    .unwrap();
    let broken = Command::new("python3")
        .args(["-c", script])
        .arg(data.join("alto-4-4.xsd"))
        .arg(data.join("xlink.xsd"))
        .arg(dir.path().join("d.alto.xml"))
        .arg(dir.path().join("d.hocr"))
        .output()
        .unwrap();
    assert!(!broken.status.success());
}
