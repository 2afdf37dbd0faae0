//! Orientation: pages fed sideways or upside down, found without OCR.
//!
//! Sideways: text lines make the ink profile across rows far sharper than the
//! profile across columns; a page whose columns are sharper lies on its side.
//! Upside down: Latin text has many more ascenders (b d f h k l t, capitals,
//! accents) than descenders (g j p q y). Within each text line, ink above the
//! x-height band outweighs ink below the baseline on an upright page, and the
//! reverse on a page turned half-way round.

use crate::deskew::{Overview, otsu};

/// How sure the up/down vote must be before a page is turned: balanced votes
/// (tables, numbers, capitals only) leave the page as it is.
const MIN_MARGIN: f64 = 0.15;

/// Ascender and descender ink of the text lines of an upright-or-inverted page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vote {
    pub ascender: u64,
    pub descender: u64,
}

impl Vote {
    /// Positive when the page reads upright, negative when upside down, in -1..1.
    pub fn balance(&self) -> f64 {
        let total = (self.ascender + self.descender) as f64;
        if total == 0.0 {
            0.0
        } else {
            (self.ascender as f64 - self.descender as f64) / total
        }
    }

    /// The page is upside down, clearly enough to act on.
    pub fn upside_down(&self) -> bool {
        self.balance() < -MIN_MARGIN
    }
}

/// Whether the text lines of `grey` run vertically: the page lies on its side.
/// `row_score` and `column_score` are the best projection sharpness found across
/// rows and across columns (see `deskew::estimate_scored`).
pub fn sideways(row_score: f64, column_score: f64) -> bool {
    column_score > row_score * 1.15
}

/// Counts ascender and descender ink over the text lines of a straightened page.
/// The overview keeps ascenders several pixels tall (150 dpi for a 300-dpi A4 page).
pub fn vote(overview: &Overview) -> Vote {
    let small = &overview.image;
    let threshold = otsu(small).min(160);
    let region = crate::border::content_region(small, threshold, 20);
    let (x0, x1) = (region.x0, region.x1);
    let profile: Vec<u64> = (0..small.height())
        .map(|y| {
            (x0..x1)
                .filter(|&x| small.get_pixel(x, y)[0] <= threshold)
                .count() as u64
        })
        .collect();
    let min_ink = (u64::from(x1.saturating_sub(x0)) / 200).max(2);
    let mut vote = Vote {
        ascender: 0,
        descender: 0,
    };
    let mut y = region.y0 as usize;
    let end = region.y1 as usize;
    while y < end {
        if profile[y] < min_ink {
            y += 1;
            continue;
        }
        let start = y;
        while y < end && profile[y] >= min_ink {
            y += 1;
        }
        let line = &profile[start..y];
        if line.len() < 6 {
            continue;
        }
        let peak = *line.iter().max().unwrap_or(&0);
        // The x-height band: rows at least 40% as inked as the line's densest row.
        let core_top = line.iter().position(|&v| v * 5 >= peak * 2).unwrap_or(0);
        let core_bottom = line
            .iter()
            .rposition(|&v| v * 5 >= peak * 2)
            .unwrap_or(line.len() - 1);
        vote.ascender += line[..core_top].iter().sum::<u64>();
        vote.descender += line[core_bottom + 1..].iter().sum::<u64>();
    }
    vote
}

#[cfg(test)]
mod tests {
    use image::GrayImage;

    use super::*;

    /// Text-like lines: an x-height band, with ascender strokes above it more often than descenders below.
    fn lines(upside_down: bool) -> GrayImage {
        let mut page = GrayImage::from_pixel(1600, 2000, image::Luma([250]));
        for line in 0..20u32 {
            let base = 200 + line * 80;
            for x in (150..1450).step_by(20) {
                for y in base..base + 20 {
                    for dx in 0..8 {
                        page.put_pixel(x + dx, y, image::Luma([10]));
                    }
                }
                let stroke = if (x / 20) % 3 == 0 {
                    Some(base - 14..base)
                } else if (x / 20) % 7 == 1 {
                    Some(base + 20..base + 32)
                } else {
                    None
                };
                for y in stroke.into_iter().flatten() {
                    for dx in 0..4 {
                        page.put_pixel(x + dx, y, image::Luma([10]));
                    }
                }
            }
        }
        if upside_down {
            image::imageops::rotate180(&page)
        } else {
            page
        }
    }

    #[test]
    fn ascenders_outvote_descenders_on_an_upright_page() {
        let upright = vote(&Overview::of(&lines(false)));
        assert!(upright.balance() > 0.3, "{upright:?}");
        assert!(!upright.upside_down());
        let inverted = vote(&Overview::of(&lines(true)));
        assert!(inverted.upside_down(), "{inverted:?}");
    }

    #[test]
    fn empty_page_does_not_vote() {
        let v = vote(&Overview::of(&GrayImage::from_pixel(
            800,
            1000,
            image::Luma([255]),
        )));
        assert_eq!(v.balance(), 0.0);
        assert!(!v.upside_down());
    }
}
