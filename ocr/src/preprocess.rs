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
pub fn preprocess(scan: Scan, dpi: f32) -> Preprocessed {
    let (grey, mut overview) = views(&scan.image);
    if blank::is_blank(&overview) {
        return Preprocessed {
            image: scan.image,
            grey,
            skew_degrees: 0.0,
            skew_confidence: 0.0,
            rotation: 0,
            blank: true,
            bilevel: scan.bilevel,
        };
    }
    let (mut image, mut grey) = (scan.image, grey);
    // Dark scanner borders are not the document, and they mislead every step
    // after this one: paint them as paper (in the archived image too).
    if let Some(region) = border::find(&overview) {
        border::whiten(&mut image, region);
        (grey, overview) = views(&image);
    }
    // Quarter turns applied clockwise, i.e. how far the page lay turned counter-clockwise.
    let mut quarters = 0u16;
    let (rows, columns) = deskew::estimate_both(&overview);
    let skew = if orientation::sideways(rows.sharpness, columns.sharpness) {
        image = image.rotate90();
        (grey, overview) = views(&image);
        quarters = 1;
        deskew::estimate(&overview)
    } else {
        rows
    };
    // Below 0.05 degree a correction would only blur the page.
    let straighten = skew.degrees.abs() >= 0.05 && skew.confidence > 0.0;
    if straighten {
        image = deskew::straighten(&image, skew.degrees);
        (grey, overview) = views(&image);
    }
    if orientation::vote(&overview).upside_down() {
        image = image.rotate180();
        grey = image::imageops::rotate180(&grey);
        quarters += 2;
    }
    // A bilevel page stays bilevel: interpolation greys the edges, so threshold back.
    if scan.bilevel && straighten {
        let mut bw = grey.clone();
        bw.pixels_mut()
            .for_each(|p| p[0] = if p[0] < 128 { 0 } else { 255 });
        image = DynamicImage::ImageLuma8(bw);
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

/// The grey copy of a page and its overview: made again each time the page changes.
fn views(image: &DynamicImage) -> (GrayImage, Overview) {
    let grey = deskew::to_grey(image);
    let overview = Overview::of(&grey);
    (grey, overview)
}
