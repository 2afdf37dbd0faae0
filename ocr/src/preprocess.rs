//! The preprocessing chain a page goes through before OCR, with what each step found.

use image::{DynamicImage, GrayImage};

use crate::decode::Scan;
use crate::{blank, deskew, despeckle};

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

/// Runs blank detection, deskew and despeckling on a decoded page scanned at `dpi`.
pub fn preprocess(scan: Scan, dpi: f32) -> Preprocessed {
    let grey = deskew::to_grey(&scan.image);
    if blank::is_blank(&grey) {
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
    let skew = deskew::estimate(&grey);
    // Below this the correction would only blur the page.
    let (image, grey) = if skew.degrees.abs() >= 0.05 && skew.confidence > 0.0 {
        let image = deskew::straighten(&scan.image, skew.degrees);
        let grey = deskew::to_grey(&image);
        (image, grey)
    } else {
        (scan.image, grey)
    };
    // A bilevel page stays bilevel: interpolation greys the edges, so threshold back.
    let image = if scan.bilevel && skew.degrees.abs() >= 0.05 {
        let mut bw = grey.clone();
        bw.pixels_mut()
            .for_each(|p| p[0] = if p[0] < 128 { 0 } else { 255 });
        DynamicImage::ImageLuma8(bw)
    } else {
        image
    };
    let mut grey = grey;
    despeckle::despeckle(&mut grey, dpi);
    Preprocessed {
        image,
        grey,
        skew_degrees: skew.degrees,
        skew_confidence: skew.confidence,
        rotation: 0,
        blank: false,
        bilevel: scan.bilevel,
    }
}
