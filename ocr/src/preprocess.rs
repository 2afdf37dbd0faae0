//! The preprocessing chain a page goes through before OCR, with what each step found.

use image::{DynamicImage, GrayImage};

use crate::decode::Scan;
use crate::deskew::Overview;
use crate::{blank, border, deskew, despeckle, orientation};

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
    /// The page is pure black and white.
    pub bilevel: bool,
}

/// Runs blank detection, orientation, deskew and despeckling on a decoded page scanned at `dpi`.
///
/// The analyses look at the page's overview only; the full-size grey copy for
/// OCR is made once, from the final page. A page is 9 MB in grey and 26 MB in
/// colour at 300 dpi: fewer of them in flight keeps a worker's memory low.
pub fn preprocess(scan: Scan, dpi: f32) -> Preprocessed {
    let mut image = scan.image;
    let mut overview = Overview::of_page(&image);
    if blank::is_blank(&overview) {
        return Preprocessed {
            grey: deskew::to_grey(&image),
            image,
            skew_degrees: 0.0,
            skew_confidence: 0.0,
            rotation: 0,
            blank: true,
            bilevel: scan.bilevel,
        };
    }
    // Dark scanner borders are not the document, and they mislead every step
    // after this one: paint them as paper (in the archived image too).
    if let Some(region) = border::find(&overview) {
        border::whiten(&mut image, region);
        overview = Overview::of_page(&image);
    }
    // Quarter turns applied clockwise, i.e. how far the page lay turned counter-clockwise.
    let mut quarters = 0u16;
    let (rows, columns) = deskew::estimate_both(&overview);
    let skew = if orientation::sideways(rows.sharpness, columns.sharpness) {
        image = image.rotate90();
        overview = Overview::of_page(&image);
        quarters = 1;
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
    if orientation::vote(&overview).upside_down() {
        image = image.rotate180();
        quarters += 2;
    }
    let mut grey = deskew::to_grey(&image);
    // A bilevel page stays bilevel: interpolation greys the edges, so threshold
    // the archived image back (OCR reads the smooth grey copy).
    if let (true, true, DynamicImage::ImageLuma8(bw)) = (scan.bilevel, straighten, &mut image) {
        bw.pixels_mut()
            .for_each(|p| p[0] = if p[0] < 128 { 0 } else { 255 });
    }
    despeckle::despeckle(&mut grey, dpi);
    Preprocessed {
        image,
        grey,
        skew_degrees: skew.degrees,
        skew_confidence: skew.confidence,
        rotation: quarters * 90,
        blank: false,
        bilevel: scan.bilevel,
    }
}
