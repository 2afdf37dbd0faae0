//! The Tesseract engine on a rendered page: loading and reading apart, and the page let go after.

use std::borrow::Cow;

use samples::documents::{self, Candidate};
use samples::render::{self, PageStyle};
use samples::rng::Rng;

#[test]
fn a_page_is_read_once_and_then_let_go() {
    let families = render::load_families(&render::font_dir()).unwrap();
    let mut rng = Rng::new(7);
    let candidate = Candidate::random(&mut rng, 1);
    let doc = documents::dossier_documents(&candidate, &mut rng).swap_remove(0);
    let style = PageStyle {
        dpi: 300,
        body_pt: 11.0,
        skew_degrees: 0.0,
        noise: 2.0,
        blur: false,
        specks: 0,
        rotation: 0,
        marks: Default::default(),
    };
    let (grey, _) = render::render(&doc, &families[0], &style, &mut rng);

    let mut engine = dossier_ocr::Engine::new("fra+eng").unwrap();
    let whole = engine.recognize(Cow::Borrowed(&grey), 300).unwrap();
    assert!(
        whole.text.contains("Fonction publique") && whole.words.len() > 50,
        "the page reads: {}",
        whole.text
    );
    // Loading and reading apart, with the engine taking the page, read the same.
    engine.load(Cow::Owned(grey), 300).unwrap();
    let apart = engine.read().unwrap();
    assert_eq!(apart.text, whole.text);
    // Once read, Tesseract no longer holds the page: a second read finds nothing.
    let again = engine.read().unwrap();
    assert!(again.words.is_empty(), "still held: {}", again.text);
}
