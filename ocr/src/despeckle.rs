//! Despeckling: removing isolated dust specks that Tesseract reads as `|`, `.` or `'`.
//!
//! Only tiny connected blobs of ink are removed (both sides at most 1/75 inch,
//! 4 pixels at 300 dpi); the smallest real marks of body text, the dot of a
//! period or an `i`, are about 5 pixels across at that resolution. The archived
//! image is left alone: this only cleans the copy Tesseract reads.

use image::GrayImage;

use crate::deskew::otsu;

/// Removes specks from `grey` in place; returns how many were removed.
///
/// Blobs are found as runs of ink along rows, joined to the runs they touch
/// (8-connectivity) in the row above: a page is mostly paper, so a scan that
/// skips clean stretches 32 pixels at a time and then works on runs costs a
/// fraction of a pixel-by-pixel flood fill.
pub fn despeckle(grey: &mut GrayImage, dpi: f32) -> usize {
    let max_side = (dpi / 75.0).round().max(2.0) as u32;
    let threshold = otsu(grey).min(180);
    let (w, h) = (grey.width() as usize, grey.height() as usize);
    if w == 0 || h == 0 {
        return 0;
    }
    let raw = grey.as_mut();
    let mut runs: Vec<Run> = Vec::new();
    let mut parent: Vec<u32> = Vec::new();
    let mut previous = 0..0;
    for (y, row) in raw.chunks_exact(w).enumerate() {
        let first = runs.len();
        ink_runs(row, threshold, |x0, x1| {
            parent.push(runs.len() as u32);
            runs.push(Run {
                y: y as u32,
                x0: x0 as u32,
                x1: x1 as u32,
            });
        });
        // Join each run to the runs of the row above that it touches, corners included.
        let (mut i, mut j) = (previous.start, first);
        while i < previous.end && j < runs.len() {
            let (a, b) = (&runs[i], &runs[j]);
            if a.x0 <= b.x1 && b.x0 <= a.x1 {
                union(&mut parent, i, j);
            }
            if a.x1 < b.x1 { i += 1 } else { j += 1 }
        }
        previous = first..runs.len();
    }

    // Bounding box of every blob, kept at its root run.
    let mut boxes: Vec<[u32; 4]> = vec![[u32::MAX, u32::MAX, 0, 0]; runs.len()];
    for (i, run) in runs.iter().enumerate() {
        let root = find(&mut parent, i);
        let b = &mut boxes[root];
        *b = [
            b[0].min(run.x0),
            b[1].min(run.y),
            b[2].max(run.x1),
            b[3].max(run.y + 1),
        ];
    }
    let is_speck = |b: &[u32; 4]| b[2] - b[0] <= max_side && b[3] - b[1] <= max_side;
    let near_marks = NearMarks::of(&runs, &mut parent, &boxes, &is_speck, (w, h), max_side);
    let mut removed = 0;
    for (i, run) in runs.iter().enumerate() {
        let root = find(&mut parent, i);
        let b = boxes[root];
        if !is_speck(&b) || near_marks.touches(&b) {
            continue;
        }
        let start = run.y as usize * w;
        raw[start + run.x0 as usize..start + run.x1 as usize].fill(255);
        if root == i {
            // The speck's soft edge, one pixel around its box, becomes paper too.
            let (x0, y0) = (
                b[0].saturating_sub(1) as usize,
                b[1].saturating_sub(1) as usize,
            );
            let (x1, y1) = ((b[2] as usize + 1).min(w), (b[3] as usize + 1).min(h));
            for y in y0..y1 {
                for v in &mut raw[y * w + x0..y * w + x1] {
                    if *v > threshold {
                        *v = (*v).max(230);
                    }
                }
            }
            removed += 1;
        }
    }
    removed
}

/// Where the page's real marks (letters, rules, anything larger than a
/// speck) are, on a grid of cells about a speck and a half wide.
///
/// A small blob right beside a mark is a period, a comma, the dot of an `i`
/// or an accent, not dust: in small or low-resolution type these are no
/// larger than specks, and removing them cost real pages their punctuation.
/// Only specks with no mark within reach go.
struct NearMarks {
    cell: u32,
    columns: usize,
    marked: Vec<bool>,
}

impl NearMarks {
    fn of(
        runs: &[Run],
        parent: &mut [u32],
        boxes: &[[u32; 4]],
        is_speck: &dyn Fn(&[u32; 4]) -> bool,
        (w, h): (usize, usize),
        max_side: u32,
    ) -> NearMarks {
        let cell = (max_side + max_side / 2).max(1);
        let columns = w / cell as usize + 1;
        let mut marked = vec![false; columns * (h / cell as usize + 1)];
        for (i, run) in runs.iter().enumerate() {
            if is_speck(&boxes[find(parent, i)]) {
                continue;
            }
            let row = (run.y / cell) as usize * columns;
            for column in run.x0 / cell..=(run.x1 - 1) / cell {
                marked[row + column as usize] = true;
            }
        }
        NearMarks {
            cell,
            columns,
            marked,
        }
    }

    /// Whether a mark lies within about a cell of the box `b`.
    fn touches(&self, b: &[u32; 4]) -> bool {
        let rows = self.marked.len() / self.columns;
        let (x0, y0) = (b[0] / self.cell, b[1] / self.cell);
        let (x1, y1) = ((b[2] - 1) / self.cell, (b[3] - 1) / self.cell);
        let x_range = x0.saturating_sub(1) as usize..=((x1 + 1) as usize).min(self.columns - 1);
        (y0.saturating_sub(1) as usize..=((y1 + 1) as usize).min(rows - 1))
            .any(|y| x_range.clone().any(|x| self.marked[y * self.columns + x]))
    }
}

/// A run of ink pixels along a row, `x0..x1`.
struct Run {
    y: u32,
    x0: u32,
    x1: u32,
}

/// Calls `found(x0, x1)` for each run of pixels `<= threshold` in `row`.
fn ink_runs(row: &[u8], threshold: u8, mut found: impl FnMut(usize, usize)) {
    const SKIP: usize = 32;
    let mut x = 0;
    while x < row.len() {
        // Stretches of paper go 32 pixels at a time (a minimum the compiler vectorises).
        if x + SKIP <= row.len()
            && row[x..x + SKIP].iter().fold(255u8, |m, &v| m.min(v)) > threshold
        {
            x += SKIP;
            continue;
        }
        if row[x] > threshold {
            x += 1;
            continue;
        }
        let start = x;
        while x < row.len() && row[x] <= threshold {
            x += 1;
        }
        found(start, x);
    }
}

/// The root of run `i`'s blob, halving the path on the way.
fn find(parent: &mut [u32], mut i: usize) -> usize {
    while parent[i] as usize != i {
        let grandparent = parent[parent[i] as usize];
        parent[i] = grandparent;
        i = grandparent as usize;
    }
    i
}

/// Joins the blobs of runs `a` and `b`; the lower index becomes the root, so a
/// blob's root is its first run in reading order.
fn union(parent: &mut [u32], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        let (low, high) = (ra.min(rb), ra.max(rb));
        parent[high] = low as u32;
    }
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

    #[test]
    fn a_period_beside_a_letter_stays_and_dust_in_the_margin_goes() {
        let mut page = GrayImage::from_pixel(400, 200, image::Luma([245]));
        let ink = image::Luma([20]);
        let square = |page: &mut GrayImage, x0: u32, y0: u32, w: u32, h: u32| {
            for y in y0..y0 + h {
                for x in x0..x0 + w {
                    page.put_pixel(x, y, ink);
                }
            }
        };
        // A letter's stem, 3 px wide and 20 tall, and a 3x3 period 2 px after it.
        square(&mut page, 100, 100, 3, 20);
        square(&mut page, 105, 117, 3, 3);
        // The same 3x3 blob alone in the margin.
        square(&mut page, 300, 40, 3, 3);
        assert_eq!(despeckle(&mut page, 300.0), 1);
        assert_eq!(page.get_pixel(106, 118)[0], 20, "the period stays");
        assert_eq!(page.get_pixel(301, 41)[0], 255, "the dust goes");
    }

    #[test]
    fn a_blob_touching_a_stroke_at_a_corner_is_part_of_it() {
        let mut page = GrayImage::from_pixel(200, 200, image::Luma([245]));
        let ink = image::Luma([20]);
        // A 3x3 blob whose bottom-right corner touches, diagonally, a stroke
        // going down and left, so that they meet only in a later row.
        for (x, y) in (0..3).flat_map(|dy| (0..3).map(move |dx| (40 + dx, 40 + dy))) {
            page.put_pixel(x, y, ink);
        }
        for i in 0..60 {
            page.put_pixel(43 + i % 2, 43 + i, ink);
        }
        // Two specks side by side in the same rows, far from anything.
        for (x, y) in [(120, 120), (121, 120), (130, 120), (130, 121)] {
            page.put_pixel(x, y, ink);
        }
        assert_eq!(despeckle(&mut page, 300.0), 2);
        assert_eq!(
            page.get_pixel(41, 41)[0],
            20,
            "the blob joined to the stroke stays"
        );
        assert_eq!(page.get_pixel(120, 120)[0], 255);
        assert_eq!(page.get_pixel(130, 121)[0], 255);
        // The soft edge around a removed speck is lightened, not the paper beyond.
        assert_eq!(page.get_pixel(119, 120)[0], 245);
    }
}
