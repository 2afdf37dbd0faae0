//! The preprocessing chain a page goes through before OCR, with what each step found.

use image::{DynamicImage, GrayImage};

use crate::decode::Scan;
use crate::deskew::Overview;
use crate::{Engine, background, blank, border, deskew, despeckle, orientation};

/// A page made ready for OCR, and what was done to it.
#[derive(Debug, Clone)]
pub struct Preprocessed {
    /// The straightened page in its original colour kind (grey or RGB): what the PDF shows.
    pub image: DynamicImage,
    /// The grey version Tesseract reads: straightened and despeckled.
    pub grey: GrayImage,
    /// Counter-clockwise positive skew found on the scan, in degrees.
    pub skew_degrees: f32,
    /// How sure the skew estimate is, 0 to 1.
    pub skew_confidence: f32,
    /// Quarter-turn the page lay in (0, 90, 180, 270), counter-clockwise.
    pub rotation: u16,
    /// No content: not worth OCR.
    pub blank: bool,
    /// Dark scanner borders were painted as paper: a guess that changes how
    /// Tesseract thresholds the whole page.
    pub border: bool,
    /// The page is pure black and white.
    pub bilevel: bool,
}

/// Runs blank detection, orientation, deskew and despeckling on a decoded page scanned at `dpi`.
///
/// The analyses look at the page's overview only; the full-size grey copy for
/// OCR is made once, from the final page. A page is 9 MB in grey and 26 MB in
/// colour at 300 dpi: fewer of them in flight keeps a worker's memory low.
pub fn preprocess(scan: Scan, dpi: f32) -> Preprocessed {
    preprocess_with(scan, dpi, None)
}

/// [`preprocess`], with Tesseract's orientation detection (`osd`) asked to
/// confirm every turn the page's own analysis proposes. A turn it does not
/// confirm is not made: an upright page turned is a page read as garbage,
/// while a turned page left alone is still caught by the second reading.
pub fn preprocess_with(scan: Scan, dpi: f32, osd: Option<&mut Engine>) -> Preprocessed {
    chain(scan, dpi, osd, false)
}

/// [`preprocess_with`], and the copy for OCR has its paper flattened to
/// white (see [`crate::background`]): for a third reading of a page the
/// other two could not make out.
pub fn preprocess_flattened(scan: Scan, dpi: f32, osd: Option<&mut Engine>) -> Preprocessed {
    chain(scan, dpi, osd, true)
}

fn chain(scan: Scan, dpi: f32, mut osd: Option<&mut Engine>, flatten: bool) -> Preprocessed {
    let mut image = scan.image;
    let mut overview = Overview::of_page(&image);
    if blank::is_blank(&overview) {
        let mut grey = deskew::to_grey(&image);
        if flatten {
            background::flatten(&mut grey);
        }
        return Preprocessed {
            grey,
            image,
            skew_degrees: 0.0,
            skew_confidence: 0.0,
            rotation: 0,
            blank: true,
            border: false,
            bilevel: scan.bilevel,
        };
    }
    // Dark scanner borders are not the document, and they mislead every step
    // after this one: paint them as paper (in the archived image too).
    let painted = border::find(&overview);
    if let Some(region) = painted {
        border::whiten(&mut image, region);
        overview = Overview::of_page(&image);
    }
    // Quarter turns applied clockwise, i.e. how far the page lay turned counter-clockwise.
    let mut quarters = 0u16;
    let (rows, columns) = deskew::estimate_both(&overview);
    let mut confirmed = None;
    if orientation::sideways(rows.sharpness, columns.sharpness) {
        quarters = match osd.as_deref_mut() {
            None => 1,
            Some(engine) => {
                confirmed = confirm(engine, &image, dpi, &[90, 270]);
                confirmed.map_or(0, quarters_back)
            }
        };
    }
    let skew = if quarters != 0 {
        image = turn(image, quarters);
        overview = Overview::of_page(&image);
        deskew::estimate(&overview)
    } else {
        rows
    };
    // Below 0.05 degree a correction would only blur the page.
    let straighten = skew.degrees.abs() >= 0.05 && skew.confidence > 0.0;
    if straighten {
        image = deskew::straighten(&image, skew.degrees);
        overview = Overview::of_page(&image);
    }
    // A sideways turn Tesseract confirmed already says which way is up.
    if confirmed.is_none() && orientation::vote(&overview).upside_down() {
        let turn_over = match osd {
            None => true,
            Some(engine) => confirm(engine, &image, dpi, &[180]).is_some(),
        };
        if turn_over {
            image = image.rotate180();
            quarters += 2;
        }
    }
    let mut grey = deskew::to_grey(&image);
    // A bilevel page stays bilevel: interpolation greys the edges, so threshold
    // the archived image back (OCR reads the smooth grey copy).
    if let (true, true, DynamicImage::ImageLuma8(bw)) = (scan.bilevel, straighten, &mut image) {
        bw.pixels_mut()
            .for_each(|p| p[0] = if p[0] < 128 { 0 } else { 255 });
    }
    // Before despeckling: the paper specks leave would pass for bright paper.
    if flatten {
        background::flatten(&mut grey);
    }
    despeckle::despeckle(&mut grey, dpi);
    Preprocessed {
        image,
        grey,
        skew_degrees: skew.degrees,
        skew_confidence: skew.confidence,
        rotation: quarters * 90,
        blank: false,
        border: painted.is_some(),
        bilevel: scan.bilevel,
    }
}

/// Below this, Tesseract's orientation confidence is a guess: its `--psm 0`
/// calls such answers unreliable.
const MIN_OSD_CONFIDENCE: f32 = 2.0;

/// Tesseract's orientation of `image`, if it is one of `expected` (degrees
/// clockwise) with some confidence: a turn our own analysis proposed and
/// Tesseract, looking at the letters, agrees with.
fn confirm(engine: &mut Engine, image: &DynamicImage, dpi: f32, expected: &[u16]) -> Option<u16> {
    let grey = deskew::to_grey(image);
    let found = engine
        .orientation(&grey, dpi.round() as u32)
        .ok()
        .flatten()?;
    (found.confidence >= MIN_OSD_CONFIDENCE && expected.contains(&found.degrees))
        .then_some(found.degrees)
}

/// Quarter turns clockwise that bring back a page lying `degrees` clockwise.
fn quarters_back(degrees: u16) -> u16 {
    (4 - degrees / 90 % 4) % 4
}

/// `image` turned clockwise by `quarters` quarter turns.
fn turn(image: DynamicImage, quarters: u16) -> DynamicImage {
    match quarters % 4 {
        1 => image.rotate90(),
        2 => image.rotate180(),
        3 => image.rotate270(),
        _ => image,
    }
}
