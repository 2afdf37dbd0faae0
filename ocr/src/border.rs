//! Scanner borders: the dark bands where the scanner saw past the sheet's edges.
//!
//! They are axis-aligned (the scanner bed does not tilt with the sheet), mostly
//! ink, and start at the image edge. Left in, they look like huge text lines or
//! columns to the skew and orientation analysis and like `|` to Tesseract.

use image::{DynamicImage, GrayImage, ImageBuffer, Pixel};

use crate::deskew::Overview;

/// A rectangle of an image, `x0..x1` by `y0..y1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

/// Share of a row or column that must be ink for it to count as border.
const BORDER_INK: f64 = 0.5;

/// The part of the page inside any dark border bands, less a `margin_share`
/// of each side (punch holes, lid shadows). Pixels `<= threshold` are ink.
pub fn content_region(grey: &GrayImage, threshold: u8, margin_share: u32) -> Region {
    let (w, h) = grey.dimensions();
    let mut column_ink = vec![0u32; w as usize];
    let mut row_ink = vec![0u32; h as usize];
    for (y, row) in grey.as_raw().chunks_exact(w as usize).enumerate() {
        // Branch-free, so that the compiler vectorises it: this runs over every pixel.
        let mut in_row = 0;
        for (column, &v) in column_ink.iter_mut().zip(row) {
            let ink = u32::from(v <= threshold);
            *column += ink;
            in_row += ink;
        }
        row_ink[y] = in_row;
    }
    // Bands start at an edge and reach at most a quarter of the way in.
    let band = |ink: &[u32], across: u32, from_end: bool| -> u32 {
        let limit = ink.len() / 4;
        let is_border = |v: u32| f64::from(v) > BORDER_INK * f64::from(across);
        let n = if from_end {
            ink.iter()
                .rev()
                .take(limit)
                .take_while(|&&v| is_border(v))
                .count()
        } else {
            ink.iter()
                .take(limit)
                .take_while(|&&v| is_border(v))
                .count()
        };
        // The band's soft inner edge is a few pixels more.
        if n > 0 { n as u32 + 2 } else { 0 }
    };
    let (mx, my) = (w / margin_share.max(1), h / margin_share.max(1));
    let x0 = band(&column_ink, h, false).max(mx);
    let x1 = w.saturating_sub(band(&column_ink, h, true).max(mx));
    let y0 = band(&row_ink, w, false).max(my);
    let y1 = h.saturating_sub(band(&row_ink, w, true).max(my));
    if x0 >= x1 || y0 >= y1 {
        return Region {
            x0: 0,
            y0: 0,
            x1: 0,
            y1: 0,
        };
    }
    Region { x0, y0, x1, y1 }
}

/// The page inside its dark border bands, at full size, if it has any.
pub fn find(overview: &Overview) -> Option<Region> {
    let (small, factor) = (&overview.image, overview.factor);
    let inner = content_region(small, crate::deskew::otsu(small).min(160), u32::MAX);
    let (w, h) = overview.full;
    let (sw, sh) = small.dimensions();
    if inner
        == (Region {
            x0: 0,
            y0: 0,
            x1: sw,
            y1: sh,
        })
        || inner.x0 >= inner.x1
    {
        return None;
    }
    // Bands that reach the reduced copy's far edge reach the full page's.
    let scale = |v: u32, small_edge: u32, edge: u32| {
        if v >= small_edge {
            edge
        } else {
            (v * factor).min(edge)
        }
    };
    Some(Region {
        x0: scale(inner.x0, sw, w),
        y0: scale(inner.y0, sh, h),
        x1: scale(inner.x1, sw, w),
        y1: scale(inner.y1, sh, h),
    })
}

/// Paints everything outside `region` as white paper.
pub fn whiten(image: &mut DynamicImage, region: Region) {
    fn paint<P: Pixel<Subpixel = u8>>(img: &mut ImageBuffer<P, Vec<u8>>, region: Region) {
        for (x, y, p) in img.enumerate_pixels_mut() {
            if x < region.x0 || x >= region.x1 || y < region.y0 || y >= region.y1 {
                p.channels_mut().iter_mut().for_each(|c| *c = 255);
            }
        }
    }
    match image {
        DynamicImage::ImageLuma8(grey) => paint(grey, region),
        DynamicImage::ImageRgb8(rgb) => paint(rgb, region),
        other => {
            let mut rgb = other.to_rgb8();
            paint(&mut rgb, region);
            *other = DynamicImage::ImageRgb8(rgb);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dark_bands_at_the_edges_are_found() {
        let mut page = GrayImage::from_pixel(300, 400, image::Luma([240]));
        for y in 0..400 {
            for x in 0..300 {
                if x < 12 || y >= 380 {
                    page.put_pixel(x, y, image::Luma([25]));
                }
            }
        }
        // Some text that is not a border.
        for x in 40..260 {
            page.put_pixel(x, 100, image::Luma([20]));
        }
        let region = content_region(&page, 128, u32::MAX);
        assert_eq!(
            region,
            Region {
                x0: 14,
                y0: 0,
                x1: 300,
                y1: 378
            }
        );
        let found = find(&Overview::of(&page)).expect("a border");
        assert_eq!((found.x0, found.x1, found.y1), (14, 300, 378));
        let mut image = DynamicImage::ImageLuma8(page);
        whiten(&mut image, found);
        let page = image.into_luma8();
        assert_eq!(page.get_pixel(5, 5)[0], 255);
        assert_eq!(page.get_pixel(5, 390)[0], 255);
        assert_eq!(page.get_pixel(100, 100)[0], 20);
    }

    #[test]
    fn a_clean_page_has_no_border() {
        let page = GrayImage::from_pixel(300, 400, image::Luma([240]));
        assert_eq!(find(&Overview::of(&page)), None);
        assert_eq!(
            content_region(&page, 128, 30),
            Region {
                x0: 10,
                y0: 13,
                x1: 290,
                y1: 387
            }
        );
    }
}
