//! Despeckling: removing isolated dust specks that Tesseract reads as `|`, `.` or `'`.
//!
//! Only tiny connected blobs of ink are removed (both sides at most 1/75 inch,
//! 4 pixels at 300 dpi); the smallest real marks of body text, the dot of a
//! period or an `i`, are about 5 pixels across at that resolution. The archived
//! image is left alone: this only cleans the copy Tesseract reads.

use image::GrayImage;

use crate::deskew::otsu;

/// Removes specks from `grey` in place; returns how many were removed.
pub fn despeckle(grey: &mut GrayImage, dpi: f32) -> usize {
    let max_side = (dpi / 75.0).round().max(2.0) as u32;
    let max_area = (max_side * max_side) as usize;
    let threshold = otsu(grey).min(180);
    let (w, h) = (grey.width() as usize, grey.height() as usize);
    let mut seen = vec![false; w * h];
    let mut stack = Vec::new();
    let mut blob = Vec::new();
    let mut removed = 0;
    let raw = grey.as_mut();
    for start in 0..w * h {
        if seen[start] || raw[start] > threshold {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        blob.clear();
        let (mut x0, mut y0, mut x1, mut y1) = (start % w, start / w, start % w, start / w);
        let mut area = 0usize;
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            area += 1;
            if area <= max_area {
                blob.push(i);
            }
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
            for (dx, dy) in [
                (-1i64, -1i64),
                (0, -1),
                (1, -1),
                (-1, 0),
                (1, 0),
                (-1, 1),
                (0, 1),
                (1, 1),
            ] {
                let (nx, ny) = (x as i64 + dx, y as i64 + dy);
                if nx < 0 || ny < 0 || nx >= w as i64 || ny >= h as i64 {
                    continue;
                }
                let n = ny as usize * w + nx as usize;
                if !seen[n] && raw[n] <= threshold {
                    seen[n] = true;
                    stack.push(n);
                }
            }
        }
        let small = (x1 - x0 + 1) as u32 <= max_side
            && (y1 - y0 + 1) as u32 <= max_side
            && area <= max_area;
        if small {
            // Paint the speck and its soft edge as paper.
            for &i in &blob {
                raw[i] = 255;
            }
            for y in y0.saturating_sub(1)..=(y1 + 1).min(h - 1) {
                for x in x0.saturating_sub(1)..=(x1 + 1).min(w - 1) {
                    let i = y * w + x;
                    if raw[i] > threshold {
                        raw[i] = raw[i].max(230);
                    }
                }
            }
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specks_go_and_dots_stay() {
        let mut page = GrayImage::from_pixel(400, 400, image::Luma([245]));
        // A 3x3 speck, a 6x6 period and a long stroke.
        for (x0, y0, size) in [(50u32, 50u32, 3u32), (200, 200, 6)] {
            for y in y0..y0 + size {
                for x in x0..x0 + size {
                    page.put_pixel(x, y, image::Luma([20]));
                }
            }
        }
        for x in 100..300 {
            page.put_pixel(x, 300, image::Luma([20]));
        }
        assert_eq!(despeckle(&mut page, 300.0), 1);
        assert_eq!(page.get_pixel(51, 51)[0], 255);
        assert_eq!(page.get_pixel(202, 202)[0], 20);
        assert_eq!(page.get_pixel(150, 300)[0], 20);
    }
}
