//! The grey copy Tesseract reads, made from the colour channel in which the
//! type stands out most from the paper.
//!
//! Luminance mixes the channels as the eye does, and violet duplicator ink or
//! faded typewriter ribbon on yellowed paper comes out as a pale grey on a
//! grey. In one of the channels (red for blue and violet inks, blue for
//! yellowed paper) the same type is dark on light. Tesseract, handed a colour
//! page, thresholds each channel and keeps the best; handed our grey copy it
//! cannot, so the choice is made here, by the same measure (Otsu's
//! between-class variance).

use image::{DynamicImage, GrayImage, RgbImage};

use crate::deskew;

/// The page in grey for OCR: the best-separated channel of a colour page,
/// the page itself if it is grey.
pub fn ocr_grey(image: &DynamicImage) -> GrayImage {
    match image {
        DynamicImage::ImageRgb8(rgb) => {
            let channel = best_channel(rgb);
            let mut grey = crate::pixels::buffer(rgb.width(), rgb.height(), 1);
            grey.extend(rgb.as_raw().chunks_exact(3).map(|p| p[channel]));
            GrayImage::from_raw(rgb.width(), rgb.height(), grey).expect("one byte per pixel")
        }
        other => deskew::to_grey(other),
    }
}

/// The channel (0 red, 1 green, 2 blue) whose two Otsu classes lie furthest
/// apart, measured on every fourth pixel.
fn best_channel(rgb: &RgbImage) -> usize {
    let mut histograms = [[0u64; 256]; 3];
    for pixel in rgb.as_raw().chunks_exact(3).step_by(4) {
        for (histogram, &v) in histograms.iter_mut().zip(pixel) {
            histogram[v as usize] += 1;
        }
    }
    let separation: Vec<f64> = histograms.iter().map(between_class_variance).collect();
    (0..3)
        .max_by(|&a, &b| separation[a].total_cmp(&separation[b]))
        .unwrap_or(1)
}

/// Otsu's criterion at its best threshold: how far apart ink and paper are.
fn between_class_variance(histogram: &[u64; 256]) -> f64 {
    let total: u64 = histogram.iter().sum();
    let sum_all: f64 = histogram
        .iter()
        .enumerate()
        .map(|(v, &n)| v as f64 * n as f64)
        .sum();
    let (mut weight_low, mut sum_low, mut best) = (0u64, 0f64, 0f64);
    for (v, &n) in histogram.iter().enumerate() {
        weight_low += n;
        let weight_high = total - weight_low;
        if weight_low == 0 || weight_high == 0 {
            continue;
        }
        sum_low += v as f64 * n as f64;
        let mean_low = sum_low / weight_low as f64;
        let mean_high = (sum_all - sum_low) / weight_high as f64;
        let between = weight_low as f64 * weight_high as f64 * (mean_low - mean_high).powi(2);
        best = best.max(between);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violet_type_on_yellowed_paper_is_read_from_the_channel_where_it_is_dark() {
        // Yellowed paper (230, 215, 160) and violet ink (150, 110, 190):
        // nearly the same luminance, far apart in green.
        let mut page = RgbImage::from_pixel(200, 100, image::Rgb([230, 215, 160]));
        for y in 40..60 {
            for x in 20..180 {
                if x % 6 < 2 {
                    page.put_pixel(x, y, image::Rgb([150, 110, 190]));
                }
            }
        }
        let grey = ocr_grey(&DynamicImage::ImageRgb8(page));
        let (paper, ink) = (grey.get_pixel(5, 5)[0], grey.get_pixel(24, 50)[0]);
        assert!(paper - ink >= 100, "paper {paper}, ink {ink}");
    }

    #[test]
    fn a_grey_page_is_left_as_it_is() {
        let page = GrayImage::from_fn(50, 50, |x, y| image::Luma([(x * 5 + y) as u8]));
        assert_eq!(ocr_grey(&DynamicImage::ImageLuma8(page.clone())), page);
    }
}
