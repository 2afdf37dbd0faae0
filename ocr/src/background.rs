//! Paper made white before Tesseract thresholds the page: grey, yellowed or
//! unevenly lit paper and the scanner's grey frame around the sheet.
//!
//! Tesseract binarises a page with one global Otsu threshold. A sheet of
//! beige paper inside a grey frame splits there into "frame" and "paper",
//! and the type goes white with the paper: real typewritten pages came out
//! with no word at all, by Tesseract alone too. Each pixel is divided by the
//! brightness of the paper around it (the brightest overview pixels within
//! about a centimetre), so paper is white everywhere and type keeps its
//! contrast against it. Only the copy Tesseract reads is changed.

use image::GrayImage;

use crate::deskew::Overview;

/// Paper darker than this is not paper but a photo or a black band: those
/// regions are left as they are rather than amplified.
const DARKEST_PAPER: u8 = 140;

/// Divides every pixel of `grey` by the brightness of the paper around it.
pub fn flatten(grey: &mut GrayImage) {
    let overview = Overview::of(grey);
    let paper = paper_brightness(&overview);
    let factor = overview.factor;
    let (sw, sh) = paper.dimensions();
    let width = grey.width() as usize;
    if width == 0 {
        return;
    }
    for (y, row) in grey.as_mut().chunks_exact_mut(width).enumerate() {
        let sy = (y as u32 / factor).min(sh - 1);
        let paper_row = &paper.as_raw()[(sy * sw) as usize..((sy + 1) * sw) as usize];
        for (x, pixel) in row.iter_mut().enumerate() {
            let around = paper_row[(x as u32 / factor).min(sw - 1) as usize];
            if around >= DARKEST_PAPER && *pixel < around {
                *pixel = ((u32::from(*pixel) * 255) / u32::from(around)) as u8;
            } else if around >= DARKEST_PAPER {
                *pixel = 255;
            }
        }
    }
}

/// The paper's brightness at each overview pixel: the brightest pixel within
/// a window about a twenty-fifth of the page's long side (a centimetre on
/// A4), wider than any stroke of type and narrower than a shadow's change.
fn paper_brightness(overview: &Overview) -> GrayImage {
    let small = &overview.image;
    let long = small.width().max(small.height());
    let radius = (long / 50).max(2);
    let rows = max_along(small, radius, false);
    max_along(&rows, radius, true)
}

/// A running maximum over `radius` pixels on each side, along rows (or columns).
fn max_along(image: &GrayImage, radius: u32, columns: bool) -> GrayImage {
    let (w, h) = image.dimensions();
    let mut out = GrayImage::new(w, h);
    let (lines, length) = if columns { (w, h) } else { (h, w) };
    let at = |line: u32, i: u32| if columns { (line, i) } else { (i, line) };
    let mut values = vec![0u8; length as usize];
    for line in 0..lines {
        for (i, v) in values.iter_mut().enumerate() {
            let (x, y) = at(line, i as u32);
            *v = image.get_pixel(x, y)[0];
        }
        for (i, max) in running_max(&values, radius as usize)
            .into_iter()
            .enumerate()
        {
            let (x, y) = at(line, i as u32);
            out.put_pixel(x, y, image::Luma([max]));
        }
    }
    out
}

/// The maximum of `values[i - radius ..= i + radius]` for every `i` (clipped
/// at the ends), in linear time whatever the radius (van Herk / Gil-Werman:
/// maxima from each block's start and from its end, blocks a window wide).
fn running_max(values: &[u8], radius: usize) -> Vec<u8> {
    let n = values.len();
    let block = 2 * radius + 1;
    let mut from_start = values.to_vec();
    let mut from_end = values.to_vec();
    for i in 1..n {
        if i % block != 0 {
            from_start[i] = from_start[i].max(from_start[i - 1]);
        }
    }
    for i in (0..n.saturating_sub(1)).rev() {
        if (i + 1) % block != 0 {
            from_end[i] = from_end[i].max(from_end[i + 1]);
        }
    }
    (0..n)
        .map(|i| {
            let (lo, hi) = (i.saturating_sub(radius), (i + radius).min(n - 1));
            // [lo, hi] spans at most two blocks: the end of lo's and the start of hi's.
            if lo / block == hi / block {
                values[lo..=hi].iter().copied().max().unwrap_or(0)
            } else {
                from_end[lo].max(from_start[hi])
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beige_paper_in_a_grey_frame_becomes_white_and_type_stays_dark() {
        // A grey frame (150), beige paper (190) and a word of type (90).
        let mut page = GrayImage::from_pixel(1200, 1600, image::Luma([150]));
        for y in 100..1500 {
            for x in 100..1100 {
                page.put_pixel(x, y, image::Luma([190]));
            }
        }
        for y in 700..730 {
            for x in 400..700 {
                if x % 9 < 3 {
                    page.put_pixel(x, y, image::Luma([90]));
                }
            }
        }
        flatten(&mut page);
        assert!(page.get_pixel(300, 300)[0] >= 250, "paper is white");
        assert!(page.get_pixel(20, 20)[0] >= 250, "the frame is paper too");
        let ink = page.get_pixel(405, 710)[0];
        assert!(ink < 140, "type keeps its contrast: {ink}");
    }

    #[test]
    fn the_running_maximum_is_the_maximum_of_each_window() {
        let values: Vec<u8> = (0..200u32).map(|i| ((i * 7919) % 251) as u8).collect();
        for radius in [0, 1, 3, 10] {
            let fast = running_max(&values, radius);
            for (i, got) in fast.iter().enumerate() {
                let window = &values[i.saturating_sub(radius)..(i + radius + 1).min(values.len())];
                assert_eq!(
                    *got,
                    *window.iter().max().unwrap(),
                    "radius {radius} at {i}"
                );
            }
        }
    }

    #[test]
    fn a_black_band_is_left_alone() {
        let mut page = GrayImage::from_pixel(1000, 1000, image::Luma([240]));
        for y in 0..1000 {
            for x in 0..200 {
                page.put_pixel(x, y, image::Luma([10]));
            }
        }
        flatten(&mut page);
        assert_eq!(page.get_pixel(50, 500)[0], 10);
    }
}
