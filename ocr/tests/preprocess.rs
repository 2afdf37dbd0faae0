//! Preprocessing on rendered dossier pages with known skew and orientation.

use image::DynamicImage;
use samples::documents::{self, Candidate};
use samples::render::{self, PageStyle};
use samples::rng::Rng;

fn page(kind: usize, skew: f32, rotation: u16, seed: u64) -> dossier_ocr::Scan {
    let families = render::load_families(&render::font_dir()).unwrap();
    let mut rng = Rng::new(seed);
    let candidate = Candidate::random(&mut rng, 1);
    let doc = documents::dossier_documents(&candidate, &mut rng).swap_remove(kind);
    let style = PageStyle {
        dpi: 300,
        body_pt: 11.0,
        skew_degrees: skew,
        noise: 4.0,
        blur: true,
        specks: 60,
        rotation,
        marks: Default::default(),
    };
    let family = &families[seed as usize % families.len()];
    let (grey, _) = render::render(&doc, family, &style, &mut rng);
    dossier_ocr::Scan {
        image: DynamicImage::ImageLuma8(grey),
        dpi: Some(300.0),
        bilevel: false,
    }
}

#[test]
fn turned_and_skewed_pages_come_back_upright_and_straight() {
    // (document, skew, rotation): letters are full pages, certificates sparse.
    let cases = [
        (0, 0.0, 0),
        (0, 4.3, 180),
        (1, -6.1, 90),
        (3, 2.2, 270),
        (2, -9.5, 0),
        (4, 12.0, 180),
        (1, 0.7, 90),
    ];
    for (n, &(kind, skew, rotation)) in cases.iter().enumerate() {
        let page = dossier_ocr::preprocess(page(kind, skew, rotation, n as u64 + 10), 300.0);
        assert_eq!(
            page.rotation, rotation,
            "case {n}: document {kind}, skew {skew}"
        );
        assert!(
            (page.skew_degrees - skew).abs() < 0.3,
            "case {n}: skew {skew}, found {}",
            page.skew_degrees
        );
        assert!(!page.blank);
        let (w, h) = (page.image.width(), page.image.height());
        assert!(h > w, "case {n}: upright A4 is portrait, got {w} x {h}");
    }
}
