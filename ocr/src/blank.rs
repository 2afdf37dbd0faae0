//! Blank pages: the empty backs of duplex scans, kept in the archive but not OCRed.

use crate::deskew::Overview;

/// Share of ink (dark pixels after downscaling) below which a page is blank.
/// One short line of text on an A4 page is about 0.1%; scanner dust, once
/// averaged by the downscale, stays well under this.
const INK_SHARE: f64 = 0.0002;

/// Whether the page carries no content worth reading.
pub fn is_blank(overview: &Overview) -> bool {
    ink_share(overview) < INK_SHARE
}

/// The share of the page, margins left out, that is clearly ink.
pub fn ink_share(overview: &Overview) -> f64 {
    let small = &overview.image;
    // Margins hold scanner borders and the shadow of the lid: not content.
    let region = crate::border::content_region(small, 110, 20);
    let mut dark = 0u64;
    let mut total = 0u64;
    for y in region.y0..region.y1 {
        for x in region.x0..region.x1 {
            total += 1;
            dark += u64::from(small.get_pixel(x, y)[0] < 110);
        }
    }
    if total == 0 {
        0.0
    } else {
        dark as f64 / total as f64
    }
}

#[cfg(test)]
mod tests {
    use image::GrayImage;

    use super::*;

    #[test]
    fn white_page_with_dust_is_blank() {
        let mut page = GrayImage::from_pixel(2480, 3508, image::Luma([245]));
        for i in 0..300u32 {
            page.put_pixel((i * 7919) % 2480, (i * 104_729) % 3508, image::Luma([0]));
        }
        assert!(is_blank(&Overview::of(&page)));
    }

    #[test]
    fn one_line_of_text_is_not_blank() {
        let mut page = GrayImage::from_pixel(2480, 3508, image::Luma([245]));
        for y in 1700..1730 {
            for x in 300..1500 {
                if (x / 12) % 3 != 0 {
                    page.put_pixel(x, y, image::Luma([20]));
                }
            }
        }
        assert!(!is_blank(&Overview::of(&page)));
    }
}
