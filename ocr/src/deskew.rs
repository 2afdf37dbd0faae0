//! Skew: estimating the angle at which a page lay on the scanner, and straightening it.
//!
//! The estimate is a projection profile: dark pixels of a downscaled copy are
//! projected onto the axis perpendicular to a candidate text direction, and
//! the angle whose profile has the sharpest peaks (largest sum of squared bin
//! counts) is where the text lines are. A coarse sweep finds the region, finer
//! sweeps and a parabola through the best three scores refine it.

use image::{DynamicImage, GrayImage, ImageBuffer, Pixel};

/// An estimated skew.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Skew {
    /// Counter-clockwise positive, in degrees: how the page lay on the scanner.
    pub degrees: f32,
    /// 0 when the page gives no evidence (blank, or no lines), towards 1 when lines are sharp.
    pub confidence: f32,
    /// How sharp the ink profile is at that angle (sum of squared bin counts per
    /// ink pixel): comparable between two projections of the same page.
    pub sharpness: f64,
}

/// The largest skew searched for, either way.
pub const MAX_DEGREES: f32 = 15.0;

/// Width and height the estimate works at: enough for 0.1 degree, and fast.
const WORK_SIZE: u32 = 900;

/// A page reduced by block averaging to about 900 pixels on its shorter side:
/// what blank detection, border finding, skew and orientation look at. Made
/// once per state of the page, as a full-size pass costs more than the analyses.
#[derive(Debug, Clone)]
pub struct Overview {
    pub image: GrayImage,
    /// How many full-size pixels, per side, each overview pixel averages.
    pub factor: u32,
    /// Width and height of the full-size page.
    pub full: (u32, u32),
}

impl Overview {
    /// The overview of a full-size grey page.
    pub fn of(grey: &GrayImage) -> Overview {
        let factor = work_factor(grey.width(), grey.height());
        Overview {
            image: downscale(grey, factor),
            factor,
            full: grey.dimensions(),
        }
    }

    /// The overview of a page as scanned, grey or colour. A colour page is
    /// reduced row by row, with no full-size grey copy: the same result as
    /// `Overview::of(&to_grey(page))`, without allocating a page's worth of bytes.
    pub fn of_page(page: &DynamicImage) -> Overview {
        let rgb = match page {
            DynamicImage::ImageLuma8(grey) => return Overview::of(grey),
            DynamicImage::ImageRgb8(rgb) => rgb,
            other => return Overview::of(&to_grey(other)),
        };
        let (width, height) = rgb.dimensions();
        let factor = work_factor(width, height);
        let stride = width as usize * 3;
        let image = reduce(width, height, factor, |y, sums| {
            let row = &rgb.as_raw()[y * stride..][..sums.len() * 3];
            for (sum, p) in sums.iter_mut().zip(row.chunks_exact(3)) {
                *sum += u32::from(luma(p[0], p[1], p[2]));
            }
        });
        Overview {
            image,
            factor,
            full: (width, height),
        }
    }
}

/// The factor that brings the shorter side near 900 pixels, the size the analysis works at.
fn work_factor(width: u32, height: u32) -> u32 {
    (width.min(height) / WORK_SIZE).max(1)
}

/// Averages `factor` x `factor` blocks: a fast, alias-free reduction for analysis.
pub fn downscale(grey: &GrayImage, factor: u32) -> GrayImage {
    let stride = grey.width() as usize;
    reduce(grey.width(), grey.height(), factor, |y, sums| {
        let row = &grey.as_raw()[y * stride..][..sums.len()];
        for (sum, &v) in sums.iter_mut().zip(row) {
            *sum += u32::from(v);
        }
    })
}

/// Block averaging over rows supplied by `add_row(y, sums)`, which adds the
/// grey values of row `y` into one sum per column.
fn reduce(
    width: u32,
    height: u32,
    factor: u32,
    mut add_row: impl FnMut(usize, &mut [u32]),
) -> GrayImage {
    let factor = factor.max(1) as usize;
    let (w, h) = (width as usize / factor, height as usize / factor);
    // Rows are summed column by column first (a loop the compiler vectorises),
    // then each run of `factor` columns; the mean divides by multiplying with
    // a 32-bit reciprocal, as a division per pixel would cost more than the rest.
    let area = (factor * factor) as u64;
    let reciprocal = (1u64 << 32).div_ceil(area);
    let mut out = Vec::with_capacity(w * h);
    let mut column_sums = vec![0u32; w * factor];
    for y0 in (0..h).map(|r| r * factor) {
        column_sums.fill(0);
        for y in y0..y0 + factor {
            add_row(y, &mut column_sums);
        }
        out.extend(column_sums.chunks_exact(factor).map(|block| {
            let sum = u64::from(block.iter().sum::<u32>());
            ((sum * reciprocal) >> 32) as u8
        }));
    }
    GrayImage::from_raw(w as u32, h as u32, out).expect("buffer sized from its dimensions")
}

/// Otsu's threshold: the grey level that best splits ink from paper.
pub fn otsu(grey: &GrayImage) -> u8 {
    // Four histograms filled in turn: on a page that is mostly one paper tone,
    // a single one would make every increment wait for the previous one.
    let mut partial = [[0u32; 256]; 4];
    let pixels = grey.as_raw().chunks_exact(4);
    for &v in pixels.remainder() {
        partial[0][v as usize] += 1;
    }
    for four in pixels {
        for (histogram, &v) in partial.iter_mut().zip(four) {
            histogram[v as usize] += 1;
        }
    }
    let histogram: [u64; 256] =
        std::array::from_fn(|v| partial.iter().map(|h| u64::from(h[v])).sum());
    let total: u64 = histogram.iter().sum();
    let sum_all: f64 = histogram
        .iter()
        .enumerate()
        .map(|(v, &n)| v as f64 * n as f64)
        .sum();
    let (mut weight_bg, mut sum_bg, mut best, mut best_t) = (0u64, 0f64, 0f64, 128u8);
    for (t, &n) in histogram.iter().enumerate() {
        weight_bg += n;
        if weight_bg == 0 {
            continue;
        }
        let weight_fg = total - weight_bg;
        if weight_fg == 0 {
            break;
        }
        sum_bg += t as f64 * n as f64;
        let mean_bg = sum_bg / weight_bg as f64;
        let mean_fg = (sum_all - sum_bg) / weight_fg as f64;
        let between = weight_bg as f64 * weight_fg as f64 * (mean_bg - mean_fg).powi(2);
        if between > best {
            best = between;
            best_t = t as u8;
        }
    }
    best_t
}

/// Estimates the skew of a page from its overview.
pub fn estimate(overview: &Overview) -> Skew {
    estimate_small(&overview.image, ink_threshold(&overview.image))
}

/// The skew across rows, and across columns (the page turned a quarter): the
/// second is sharper when the page lies on its side.
pub fn estimate_both(overview: &Overview) -> (Skew, Skew) {
    // Turning the page changes no grey level: one threshold serves both.
    let threshold = ink_threshold(&overview.image);
    let turned = image::imageops::rotate90(&overview.image);
    (
        estimate_small(&overview.image, threshold),
        estimate_small(&turned, threshold),
    )
}

/// The grey level at or below which an overview pixel counts as ink for the skew estimate.
fn ink_threshold(small: &GrayImage) -> u8 {
    otsu(small).min(160)
}

fn estimate_small(small: &GrayImage, threshold: u8) -> Skew {
    let (w, h) = (small.width() as i32, small.height() as i32);
    // Scanner borders, punch holes and lid shadows sit at the edges; leave them out.
    let region = crate::border::content_region(small, threshold, 30);
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let mut points = Vec::new();
    let (x0, x1) = (region.x0 as usize, region.x1 as usize);
    for y in region.y0..region.y1 {
        let row = &small.as_raw()[y as usize * w as usize..][x0..x1];
        for (x, &v) in (x0..).zip(row) {
            if v <= threshold {
                points.push((x as f32 - cx, y as f32 - cy));
            }
        }
    }
    let n_pixels = ((region.x1 - region.x0) * (region.y1 - region.y0)).max(1) as usize;
    // Too little ink to say anything, or so much that it is a photo or a black page.
    if points.len() < 50 || points.len() > n_pixels / 2 {
        return Skew {
            degrees: 0.0,
            confidence: 0.0,
            sharpness: 0.0,
        };
    }
    let radius = (cx * cx + cy * cy).sqrt().ceil() as usize + 2;
    let mut bins = vec![0u32; 2 * radius + 1];
    // `every`: score one ink pixel in that many. The coarse sweep only has to
    // land within half a degree of the peak, which a quarter of the ink does as
    // well as all of it, at a quarter of the cost; the fine sweeps use all.
    let mut score = |degrees: f32, every: usize| -> f64 {
        let (sin, cos) = degrees.to_radians().sin_cos();
        bins.iter_mut().for_each(|b| *b = 0);
        for &(x, y) in points.iter().step_by(every) {
            let key = y * cos + x * sin + radius as f32;
            bins[key as usize] += 1;
        }
        bins.iter().map(|&c| f64::from(c) * f64::from(c)).sum()
    };

    let sweep =
        |score: &mut dyn FnMut(f32, usize) -> f64, from: f32, to: f32, step: f32, every: usize| {
            let n = ((to - from) / step).round() as i32;
            (0..=n)
                .map(|i| {
                    let angle = from + i as f32 * step;
                    (angle, score(angle, every))
                })
                .collect::<Vec<_>>()
        };
    let coarse = sweep(&mut score, -MAX_DEGREES, MAX_DEGREES, 0.5, 4);
    let (mut best, best_coarse) = coarse
        .iter()
        .copied()
        .fold((0.0, f64::MIN), |a, b| if b.1 > a.1 { b } else { a });
    let mut sorted: Vec<f64> = coarse.iter().map(|c| c.1).collect();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let mut step = 0.5;
    let mut best_score = 0.0;
    for fine_step in [0.1, 0.02] {
        let fine = sweep(&mut score, best - step, best + step, fine_step, 1);
        let i = fine
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.1.total_cmp(&b.1.1))
            .map(|(i, _)| i)
            .unwrap_or(0);
        best = fine[i].0;
        best_score = fine[i].1;
        if fine_step < 0.05 && i > 0 && i + 1 < fine.len() {
            // A parabola through the peak and its neighbours places it between samples.
            let (l, c, r) = (fine[i - 1].1, fine[i].1, fine[i + 1].1);
            let denominator = l - 2.0 * c + r;
            if denominator < 0.0 {
                best += (0.5 * (l - r) / denominator) as f32 * fine_step;
            }
        }
        step = fine_step;
    }
    let confidence = if best_coarse > 0.0 {
        (1.0 - median / best_coarse) as f32
    } else {
        0.0
    };
    Skew {
        degrees: best,
        confidence: confidence.clamp(0.0, 1.0),
        sharpness: best_score / points.len() as f64,
    }
}

/// Rotates the page by `-degrees` (undoing a counter-clockwise skew of `degrees`),
/// keeping its size; uncovered corners take the paper's own tone, so that the
/// straightened page shows no wedges of another colour.
pub fn straighten(image: &DynamicImage, degrees: f32) -> DynamicImage {
    if degrees.abs() < 0.01 {
        return image.clone();
    }
    match image {
        DynamicImage::ImageLuma8(grey) => DynamicImage::ImageLuma8(rotate(grey, degrees)),
        DynamicImage::ImageRgb8(rgb) => DynamicImage::ImageRgb8(rotate(rgb, degrees)),
        other => DynamicImage::ImageRgb8(rotate(&other.to_rgb8(), degrees)),
    }
}

/// Bilinear rotation of any 8-bit image; see `straighten` for the direction.
fn rotate<P>(src: &ImageBuffer<P, Vec<u8>>, degrees: f32) -> ImageBuffer<P, Vec<u8>>
where
    P: Pixel<Subpixel = u8>,
{
    let (w, h) = src.dimensions();
    // The channel count as a constant lets the compiler unroll the per-channel
    // arithmetic: twice as fast as a loop over a run-time count.
    let out = match P::CHANNEL_COUNT {
        1 => rotate_raw::<1>(src.as_raw(), w, h, degrees),
        3 => rotate_raw::<3>(src.as_raw(), w, h, degrees),
        4 => rotate_raw::<4>(src.as_raw(), w, h, degrees),
        2 => rotate_raw::<2>(src.as_raw(), w, h, degrees),
        n => unreachable!("8-bit images have 1 to 4 channels, not {n}"),
    };
    ImageBuffer::from_raw(w, h, out).expect("same size as the source")
}

fn rotate_raw<const C: usize>(raw: &[u8], w: u32, h: u32, degrees: f32) -> Vec<u8> {
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let stride = w as usize * C;
    let paper: [u8; C] = paper_tone(raw, C).try_into().expect("one tone per channel");
    let mut out = crate::pixels::zeroed(w, h, C);
    // Fixed point, 16 fractional bits for positions and 8 for the weights:
    // three to four times faster than floats, and exact to 1/256 of a pixel.
    const ONE: i64 = 1 << 16;
    let (step_x, step_y) = ((cos * ONE as f32) as i64, (-sin * ONE as f32) as i64);
    let (limit_x, limit_y) = ((i64::from(w) - 1) << 16, (i64::from(h) - 1) << 16);
    for (yo, row) in out.chunks_exact_mut(stride).enumerate() {
        let dy = yo as f32 + 0.5 - cy;
        // Source position of output pixel (x, y): the page turned back by +degrees.
        let dx = 0.5 - cx;
        let xi0 = ((dx * cos + dy * sin + cx - 0.5) * ONE as f32) as i64;
        let yi0 = ((-dx * sin + dy * cos + cy - 0.5) * ONE as f32) as i64;
        // The output pixels whose source square lies inside the page form one
        // run; outside it is paper. Working the run out first keeps the bounds
        // test out of the per-pixel loop.
        let (from_x, to_x) = inside(xi0, step_x, limit_x, w as usize);
        let (from_y, to_y) = inside(yi0, step_y, limit_y, w as usize);
        let from = from_x.max(from_y);
        let to = to_x.min(to_y).max(from);
        for px in row[..from * C].chunks_exact_mut(C) {
            px.copy_from_slice(&paper);
        }
        for px in row[to * C..].chunks_exact_mut(C) {
            px.copy_from_slice(&paper);
        }
        let (mut xi, mut yi) = (xi0 + from as i64 * step_x, yi0 + from as i64 * step_y);
        for px in row[from * C..to * C].chunks_exact_mut(C) {
            let (fx, fy) = (((xi >> 8) & 0xFF) as u32, ((yi >> 8) & 0xFF) as u32);
            let base = (yi >> 16) as usize * stride + (xi >> 16) as usize * C;
            let top = &raw[base..base + 2 * C];
            let bottom = &raw[base + stride..base + stride + 2 * C];
            for c in 0..C {
                let t = u32::from(top[c]) * (256 - fx) + u32::from(top[C + c]) * fx;
                let b = u32::from(bottom[c]) * (256 - fx) + u32::from(bottom[C + c]) * fx;
                px[c] = ((t * (256 - fy) + b * fy + (1 << 15)) >> 16) as u8;
            }
            xi += step_x;
            yi += step_y;
        }
    }
    out
}

/// The `x` in `0..n` for which `start + x * step` lies in `0..limit`, as a range `(from, to)`.
fn inside(start: i64, step: i64, limit: i64, n: usize) -> (usize, usize) {
    let n = n as i64;
    let (from, to) = match step.cmp(&0) {
        std::cmp::Ordering::Equal if (0..limit).contains(&start) => (0, n),
        std::cmp::Ordering::Equal => (0, 0),
        // start + x * step >= 0 from ceil(-start / step); < limit until ceil((limit - start) / step).
        std::cmp::Ordering::Greater => (
            -(start.div_euclid(step)),
            -((start - limit).div_euclid(step)),
        ),
        // Decreasing: < limit from floor((start - limit) / -step) + 1; >= 0 up to floor(start / -step).
        std::cmp::Ordering::Less => (
            (start - limit).div_euclid(-step) + 1,
            start.div_euclid(-step) + 1,
        ),
    };
    let clamp = |v: i64| v.clamp(0, n) as usize;
    (clamp(from), clamp(to).max(clamp(from)))
}

/// The most common light colour of a page, channel by channel: its paper.
fn paper_tone(raw: &[u8], channels: usize) -> Vec<u8> {
    (0..channels)
        .map(|c| {
            let mut histogram = [0u32; 256];
            // Every 7th pixel is plenty for a mode, and 7 is prime to any row width.
            raw.iter()
                .skip(c)
                .step_by(channels * 7)
                .for_each(|&v| histogram[v as usize] += 1);
            (128..256).max_by_key(|&v| histogram[v]).unwrap_or(255) as u8
        })
        .collect()
}

/// The grey version of a page, for analysis and OCR.
pub fn to_grey(image: &DynamicImage) -> GrayImage {
    match image {
        DynamicImage::ImageLuma8(grey) => {
            let mut copy = crate::pixels::buffer(grey.width(), grey.height(), 1);
            copy.extend_from_slice(grey.as_raw());
            GrayImage::from_raw(grey.width(), grey.height(), copy).expect("same size")
        }
        DynamicImage::ImageRgb8(rgb) => {
            // image's own conversion goes through floats per pixel: five times slower.
            let mut grey = crate::pixels::buffer(rgb.width(), rgb.height(), 1);
            grey.extend(rgb.as_raw().chunks_exact(3).map(|p| luma(p[0], p[1], p[2])));
            GrayImage::from_raw(rgb.width(), rgb.height(), grey).expect("one byte per pixel")
        }
        other => other.to_luma8(),
    }
}

/// Rec. 709 luma, as `image` computes it, in 16-bit fixed point (weights summing to 65536).
#[inline]
fn luma(r: u8, g: u8, b: u8) -> u8 {
    let luma = 13933 * u32::from(r) + 46871 * u32::from(g) + 4732 * u32::from(b) + (1 << 15);
    (luma >> 16) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Horizontal bars like text lines, on white.
    fn lines_page() -> GrayImage {
        GrayImage::from_fn(1800, 2400, |x, y| {
            let in_line = (y % 60) < 18 && x > 200 && x < 1600 && y > 200 && y < 2200;
            let in_word_gap = (x / 70) % 5 == 4;
            image::Luma([if in_line && !in_word_gap { 0 } else { 255 }])
        })
    }

    #[test]
    fn straight_page_reads_as_zero() {
        let skew = estimate(&Overview::of(&lines_page()));
        assert!(skew.degrees.abs() < 0.1, "{skew:?}");
        assert!(skew.confidence > 0.5, "{skew:?}");
    }

    #[test]
    fn estimate_recovers_a_counter_clockwise_skew() {
        for angle in [5.0f32, -3.2, 11.7] {
            // straighten(-angle) turns the page counter-clockwise by `angle`.
            let skewed = straighten(&DynamicImage::ImageLuma8(lines_page()), -angle).into_luma8();
            let skew = estimate(&Overview::of(&skewed));
            assert!(
                (skew.degrees - angle).abs() < 0.1,
                "angle {angle}: {skew:?}"
            );
        }
    }

    #[test]
    fn blank_page_gives_no_confidence() {
        let skew = estimate(&Overview::of(&GrayImage::from_pixel(
            1000,
            1400,
            image::Luma([250]),
        )));
        assert_eq!(skew.confidence, 0.0);
    }

    #[test]
    fn rotation_moves_a_point_counter_clockwise_for_negative_angles() {
        // A dot right of centre; turning the page counter-clockwise by 90 puts it above centre.
        let mut page = GrayImage::from_pixel(201, 201, image::Luma([255]));
        for y in 98..103 {
            for x in 170..175 {
                page.put_pixel(x, y, image::Luma([0]));
            }
        }
        let turned = straighten(&DynamicImage::ImageLuma8(page), -90.0).into_luma8();
        let dark: Vec<(u32, u32)> = turned
            .enumerate_pixels()
            .filter(|p| p.2[0] < 128)
            .map(|p| (p.0, p.1))
            .collect();
        let (sx, sy) = dark.iter().fold((0, 0), |a, p| (a.0 + p.0, a.1 + p.1));
        let (mx, my) = (sx / dark.len() as u32, sy / dark.len() as u32);
        assert!((mx as i32 - 100).abs() <= 2 && my < 40, "dot at {mx},{my}");
    }

    #[test]
    fn colour_becomes_grey_as_image_would_make_it() {
        let rgb = image::RgbImage::from_fn(64, 64, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 4) as u8, ((x + y) * 2) as u8])
        });
        let page = DynamicImage::ImageRgb8(rgb);
        let ours = to_grey(&page);
        let theirs = page.to_luma8();
        for (a, b) in ours.as_raw().iter().zip(theirs.as_raw()) {
            assert!(a.abs_diff(*b) <= 1, "{a} vs {b}");
        }
    }

    #[test]
    fn a_colour_overview_equals_the_overview_of_its_grey_copy() {
        // Odd sizes, so that the reduction drops partial blocks on both sides.
        let rgb = image::RgbImage::from_fn(2713, 1901, |x, y| {
            image::Rgb([
                (x * 7 % 251) as u8,
                (y * 3 % 256) as u8,
                ((x ^ y) % 256) as u8,
            ])
        });
        let page = DynamicImage::ImageRgb8(rgb);
        let direct = Overview::of_page(&page);
        let via_grey = Overview::of(&to_grey(&page));
        assert_eq!(direct.factor, 2);
        assert_eq!(direct.full, via_grey.full);
        assert_eq!(direct.image.dimensions(), via_grey.image.dimensions());
        assert!(direct.image.as_raw() == via_grey.image.as_raw());
    }

    #[test]
    fn inside_finds_exactly_the_in_page_run() {
        for start in [-70_000i64, -1, 0, 1, 65_535, 65_536, 300_000] {
            for step in [-70_000i64, -65_536, -3, 0, 3, 65_536, 70_000] {
                for (limit, n) in [(0i64, 10usize), (65_536, 1), (5 * 65_536, 12)] {
                    let expected: Vec<usize> = (0..n)
                        .filter(|&x| (0..limit).contains(&(start + x as i64 * step)))
                        .collect();
                    let (from, to) = inside(start, step, limit, n);
                    assert_eq!(
                        (from..to).collect::<Vec<_>>(),
                        expected,
                        "start {start} step {step} limit {limit} n {n}"
                    );
                }
            }
        }
    }
}
