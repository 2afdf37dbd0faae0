//! The one door to the barcode library (rxing, a pure-Rust port of ZXing):
//! codes drawn as module grids, and codes read from a page's grey pixels.

use std::collections::HashSet;

use image::GrayImage;
use rxing::{BarcodeFormat, DecodeHints, MultiFormatWriter, Writer};

/// The two symbologies a sheet carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbology {
    Qr,
    Code128,
}

impl Symbology {
    fn format(self) -> BarcodeFormat {
        match self {
            Symbology::Qr => BarcodeFormat::QR_CODE,
            Symbology::Code128 => BarcodeFormat::CODE_128,
        }
    }
}

/// A code as a grid of modules, `true` for dark; a Code 128 is one row.
#[derive(Debug, Clone)]
pub struct Modules {
    pub width: u32,
    pub height: u32,
    dark: Vec<bool>,
}

impl Modules {
    pub fn dark(&self, x: u32, y: u32) -> bool {
        self.dark[(y * self.width + x) as usize]
    }
}

/// Encodes `text` with its quiet zone left to the caller.
pub fn encode(text: &str, symbology: Symbology) -> Result<Modules, String> {
    let matrix = MultiFormatWriter
        .encode(text, &symbology.format(), 0, 0)
        .map_err(|e| format!("cannot encode {text:?}: {e}"))?;
    let (width, height) = (matrix.getWidth(), matrix.getHeight());
    // The writer pads QR codes with their quiet zone; keep only the symbol.
    let rect = matrix
        .getEnclosingRectangle()
        .unwrap_or([0, 0, width, height]);
    let [left, top, w, h] = rect;
    let h = if symbology == Symbology::Code128 {
        1
    } else {
        h
    };
    let mut dark = Vec::with_capacity((w * h) as usize);
    for y in top..top + h {
        for x in left..left + w {
            dark.push(matrix.get(x, y));
        }
    }
    Ok(Modules {
        width: w,
        height: h,
        dark,
    })
}

/// Longest side a page is read at: larger pages are reduced by a whole
/// factor first (a 300-dpi A4 page to 150 dpi). A sheet's codes are large
/// enough for that, and reading a 600-dpi page whole took 0.4 s where a
/// reduced one takes a few tens of ms.
const READ_SIDE: u32 = 2400;

/// The QR and Code 128 texts found on a page, for `wanted` to pick from:
/// the Code 128 is only looked for when no QR text was wanted, so that a
/// sheet whose QR code reads costs one search, not two.
pub fn read(page: &GrayImage, wanted: impl Fn(&str) -> bool) -> Option<String> {
    let long = page.width().max(page.height());
    let factor = long.div_ceil(READ_SIDE);
    let reduced;
    let page = if factor > 1 {
        reduced = ocr::deskew::downscale(page, factor);
        &reduced
    } else {
        page
    };
    let (width, height) = page.dimensions();
    if width == 0 || height == 0 {
        return None;
    }
    // One symbology at a time: a reader asked for both returns the first it
    // finds, which may be a document's own code.
    for symbology in [Symbology::Qr, Symbology::Code128] {
        let mut hints = DecodeHints {
            PossibleFormats: Some(HashSet::from([symbology.format()])),
            TryHarder: Some(true),
            ..DecodeHints::default()
        };
        let result = rxing::helpers::detect_in_luma_slice_with_hints(
            page.as_raw(),
            width,
            height,
            None,
            &mut hints,
        );
        if let Ok(result) = result
            && wanted(result.getText())
        {
            return Some(result.getText().to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    /// Draws `modules` at `scale` pixels each, `bar_height` pixels tall for a one-row code.
    fn draw(modules: &Modules, scale: u32, bar_height: u32) -> GrayImage {
        let rows = if modules.height == 1 {
            bar_height
        } else {
            modules.height * scale
        };
        let quiet = 10 * scale;
        let mut page = GrayImage::from_pixel(
            modules.width * scale + 2 * quiet,
            rows + 2 * quiet,
            Luma([255]),
        );
        for y in 0..rows {
            for x in 0..modules.width * scale {
                let my = if modules.height == 1 { 0 } else { y / scale };
                if modules.dark(x / scale, my) {
                    page.put_pixel(x + quiet, y + quiet, Luma([0]));
                }
            }
        }
        page
    }

    #[test]
    fn what_is_written_reads_back() {
        let text = "DOSSIER:COVER:INT-2026-00001";
        let qr = encode(text, Symbology::Qr).unwrap();
        assert_eq!(qr.width, qr.height);
        let any = |_: &str| true;
        assert_eq!(read(&draw(&qr, 8, 0), any).as_deref(), Some(text));
        let bars = encode(text, Symbology::Code128).unwrap();
        assert_eq!(bars.height, 1);
        assert_eq!(read(&draw(&bars, 4, 200), any).as_deref(), Some(text));
        assert_eq!(read(&draw(&bars, 4, 200), |t| t.starts_with("X")), None);
        assert_eq!(
            read(&GrayImage::from_pixel(300, 300, Luma([255])), any),
            None
        );
    }
}
