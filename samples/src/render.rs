//! Rendering a document as a scanner would deliver it: set in a real font at a
//! real resolution, then skewed, blurred and noisy.

use std::path::{Path, PathBuf};

use ab_glyph::{Font, FontVec, PxScale, ScaleFont, point};
use anyhow::{Context, Result};
use image::GrayImage;

use crate::documents::{Document, Style};
use crate::rng::Rng;

/// A typeface in regular and bold.
pub struct Family {
    pub name: String,
    regular: FontVec,
    bold: FontVec,
}

impl std::fmt::Debug for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Family").field("name", &self.name).finish()
    }
}

/// Families looked for, as (name, regular file, bold file) under the font directory.
const FAMILIES: &[(&str, &str, &str)] = &[
    (
        "DejaVu Serif",
        "dejavu/DejaVuSerif.ttf",
        "dejavu/DejaVuSerif-Bold.ttf",
    ),
    (
        "DejaVu Sans",
        "dejavu/DejaVuSans.ttf",
        "dejavu/DejaVuSans-Bold.ttf",
    ),
    (
        "Liberation Serif",
        "liberation2/LiberationSerif-Regular.ttf",
        "liberation2/LiberationSerif-Bold.ttf",
    ),
    (
        "Liberation Sans",
        "liberation2/LiberationSans-Regular.ttf",
        "liberation2/LiberationSans-Bold.ttf",
    ),
    (
        "Liberation Mono",
        "liberation2/LiberationMono-Regular.ttf",
        "liberation2/LiberationMono-Bold.ttf",
    ),
];

/// Where Debian's `fonts-dejavu-core` and `fonts-liberation2` put their files;
/// `DOSSIER_FONT_DIR` points elsewhere.
pub fn font_dir() -> PathBuf {
    std::env::var_os("DOSSIER_FONT_DIR")
        .map_or_else(|| PathBuf::from("/usr/share/fonts/truetype"), PathBuf::from)
}

/// Loads every family found; fails if none is.
pub fn load_families(dir: &Path) -> Result<Vec<Family>> {
    let load = |file: &str| -> Result<FontVec> {
        let path = dir.join(file);
        let bytes =
            std::fs::read(&path).with_context(|| format!("reading font {}", path.display()))?;
        FontVec::try_from_vec(bytes).with_context(|| format!("parsing font {}", path.display()))
    };
    let families: Vec<Family> = FAMILIES
        .iter()
        .filter_map(|(name, regular, bold)| {
            Some(Family {
                name: name.to_string(),
                regular: load(regular).ok()?,
                bold: load(bold).ok()?,
            })
        })
        .collect();
    anyhow::ensure!(
        !families.is_empty(),
        "no fonts found under {} (install fonts-dejavu-core and fonts-liberation2, or set DOSSIER_FONT_DIR)",
        dir.display()
    );
    Ok(families)
}

/// How one page is set and degraded.
#[derive(Debug, Clone)]
pub struct PageStyle {
    pub dpi: u32,
    /// Body text size in points.
    pub body_pt: f32,
    /// Counter-clockwise positive, degrees.
    pub skew_degrees: f32,
    /// Standard deviation of the grey noise, in grey levels.
    pub noise: f32,
    /// Soften the page as a slightly defocused scanner does.
    pub blur: bool,
    /// Dark dust specks.
    pub specks: u32,
    /// Quarter-turn the sheet lies in on the scanner, counter-clockwise: 0, 90, 180 or 270.
    pub rotation: u16,
    /// What else is on the sheet and around it.
    pub marks: Marks,
}

/// Marks that are not text, the kind that mislead skew estimation and OCR.
#[derive(Debug, Clone, Copy, Default)]
pub struct Marks {
    /// A round rubber stamp under the text.
    pub stamp: bool,
    /// A handwritten signature.
    pub signature: bool,
    /// An identity photo.
    pub photo: bool,
    /// Dark bands where the scanner saw past the sheet's edges.
    pub border: bool,
}

/// Ink coverage of a page, 0 (paper) to 1 (ink), before degradation.
struct Coverage {
    width: u32,
    height: u32,
    ink: Vec<f32>,
}

impl Coverage {
    fn new(width: u32, height: u32) -> Coverage {
        Coverage {
            width,
            height,
            ink: vec![0.0; (width * height) as usize],
        }
    }

    /// Draws `text` with its baseline at `y`, starting at `x`; returns the advance.
    fn draw(&mut self, font: &FontVec, px: f32, x: f32, y: f32, text: &str) -> f32 {
        let scaled = font.as_scaled(PxScale::from(px));
        let mut caret = x;
        let mut previous = None;
        for ch in text.chars() {
            let id = font.glyph_id(ch);
            if let Some(prev) = previous {
                caret += scaled.kern(prev, id);
            }
            let glyph = id.with_scale_and_position(px, point(caret, y));
            if let Some(outlined) = font.outline_glyph(glyph) {
                let bounds = outlined.px_bounds();
                outlined.draw(|gx, gy, c| {
                    let (px, py) = (
                        bounds.min.x as i64 + gx as i64,
                        bounds.min.y as i64 + gy as i64,
                    );
                    if px >= 0 && py >= 0 && (px as u32) < self.width && (py as u32) < self.height {
                        let cell = &mut self.ink[(py as u32 * self.width + px as u32) as usize];
                        *cell = (*cell + c).min(1.0);
                    }
                });
            }
            caret += scaled.h_advance(id);
            previous = Some(id);
        }
        caret - x
    }
}

impl Coverage {
    fn add(&mut self, x: i64, y: i64, c: f32) {
        if x >= 0 && y >= 0 && (x as u32) < self.width && (y as u32) < self.height {
            let cell = &mut self.ink[(y as u32 * self.width + x as u32) as usize];
            *cell = (*cell + c).min(1.0);
        }
    }

    /// A ring of radius `r` and the given thickness, as rubber stamps print.
    fn ring(&mut self, cx: f32, cy: f32, r: f32, thickness: f32, ink: f32) {
        let reach = (r + thickness) as i64 + 1;
        for dy in -reach..=reach {
            for dx in -reach..=reach {
                let d = ((dx * dx + dy * dy) as f32).sqrt();
                let c = (thickness / 2.0 - (d - r).abs() + 0.5).clamp(0.0, 1.0);
                if c > 0.0 {
                    self.add(cx as i64 + dx, cy as i64 + dy, c * ink);
                }
            }
        }
    }

    /// A pen stroke through `points`, `width` pixels wide.
    fn stroke(&mut self, points: &[(f32, f32)], width: f32) {
        let r = width / 2.0;
        for pair in points.windows(2) {
            let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
            let steps = ((x1 - x0).hypot(y1 - y0)).ceil().max(1.0) as usize;
            for i in 0..=steps {
                let t = i as f32 / steps as f32;
                let (x, y) = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
                let reach = r.ceil() as i64;
                for dy in -reach..=reach {
                    for dx in -reach..=reach {
                        if ((dx * dx + dy * dy) as f32) <= r * r {
                            self.add(x as i64 + dx, y as i64 + dy, 0.5);
                        }
                    }
                }
            }
        }
    }

    /// A photograph: a mid-grey rectangle with soft blotches.
    fn photo(&mut self, x0: u32, y0: u32, w: u32, h: u32, rng: &mut Rng) {
        let blotches: Vec<(f32, f32, f32)> = (0..6)
            .map(|_| {
                (
                    rng.range(0.0, w as f32),
                    rng.range(0.0, h as f32),
                    rng.range(40.0, 140.0),
                )
            })
            .collect();
        for y in 0..h {
            for x in 0..w {
                let mut c = 0.35 + 0.2 * (y as f32 / h as f32);
                for &(bx, by, br) in &blotches {
                    let d = ((x as f32 - bx).powi(2) + (y as f32 - by).powi(2)).sqrt();
                    c += 0.25 * (1.0 - d / br).max(0.0);
                }
                self.add((x0 + x) as i64, (y0 + y) as i64, c.min(0.95));
            }
        }
    }
}

/// Draws the marks in the free space under the text, which ends at `y_end`.
fn draw_marks(page: &mut Coverage, marks: Marks, dpi: f32, y_end: f32, rng: &mut Rng) {
    let margin = 0.85 * dpi;
    let top = y_end + 0.4 * dpi;
    let room = page.height as f32 - margin - top;
    if marks.photo && room > 1.6 * dpi {
        page.photo(
            margin as u32,
            top as u32,
            (1.2 * dpi) as u32,
            (1.5 * dpi) as u32,
            rng,
        );
    }
    if marks.signature && room > 0.8 * dpi {
        let (x0, y0) = (page.width as f32 * 0.45, top + 0.3 * dpi);
        let points: Vec<(f32, f32)> = (0..60)
            .map(|i| {
                let t = i as f32 / 59.0;
                let x = x0 + t * 1.6 * dpi;
                let y = y0 + (t * 19.0).sin() * 0.18 * dpi + (t * 5.0).cos() * 0.1 * dpi;
                (x, y)
            })
            .collect();
        page.stroke(&points, 0.012 * dpi);
    }
    if marks.stamp && room > 1.2 * dpi {
        let (cx, cy) = (page.width as f32 - margin - 0.6 * dpi, top + 0.55 * dpi);
        page.ring(cx, cy, 0.5 * dpi, 0.02 * dpi, 0.6);
        page.ring(cx, cy, 0.38 * dpi, 0.012 * dpi, 0.6);
    }
}

/// Dark bands along two edges: the scanner lid seen past the sheet.
fn border(grey: &mut GrayImage, dpi: f32, rng: &mut Rng) {
    let (w, h) = grey.dimensions();
    let left = (rng.range(0.08, 0.3) * dpi) as u32;
    let bottom = (rng.range(0.08, 0.3) * dpi) as u32;
    for y in 0..h {
        for x in 0..w {
            if x < left || y >= h - bottom {
                grey.put_pixel(x, y, image::Luma([(20.0 + rng.unit() * 25.0) as u8]));
            }
        }
    }
}

fn text_width(font: &FontVec, px: f32, text: &str) -> f32 {
    let scaled = font.as_scaled(PxScale::from(px));
    text.chars()
        .map(|c| scaled.h_advance(font.glyph_id(c)))
        .sum()
}

/// Splits `text` into lines no wider than `width`.
fn wrap(font: &FontVec, px: f32, text: &str, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if text_width(font, px, &candidate) > width && !line.is_empty() {
            lines.push(std::mem::replace(&mut line, word.to_owned()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Sets the document on an A4 page; returns the page and the text as set, line by line.
pub fn render(
    doc: &Document,
    family: &Family,
    style: &PageStyle,
    rng: &mut Rng,
) -> (GrayImage, String) {
    let dpi = style.dpi as f32;
    let (width, height) = ((8.27 * dpi) as u32, (11.69 * dpi) as u32);
    let mut page = Coverage::new(width, height);
    let body = style.body_pt * dpi / 72.0;
    let margin = 0.85 * dpi;
    let text_width_px = width as f32 - 2.0 * margin;
    let mut y = margin + body;
    let mut truth: Vec<String> = Vec::new();
    for block in &doc.blocks {
        let (font, px) = match block.style {
            Style::Title => (&family.bold, body * 1.5),
            _ => (&family.regular, body),
        };
        let lines = match block.style {
            Style::Paragraph => wrap(font, px, &block.text, text_width_px),
            _ => vec![block.text.clone()],
        };
        if matches!(block.style, Style::Title | Style::Paragraph) {
            y += px * 0.6;
        }
        for line in lines {
            let w = text_width(font, px, &line);
            let x = match block.style {
                Style::Title | Style::Centre => (width as f32 - w) / 2.0,
                Style::Right => width as f32 - margin - w,
                Style::Line | Style::Paragraph => margin,
            };
            page.draw(font, px, x, y, &line);
            truth.push(line);
            y += px * 1.45;
        }
        if block.style == Style::Title {
            y += px * 0.4;
        }
    }
    draw_marks(&mut page, style.marks, dpi, y, rng);
    let mut scanned = degrade(&page, style, rng);
    if style.marks.border {
        border(&mut scanned, dpi, rng);
    }
    let scanned = match style.rotation % 360 {
        90 => image::imageops::rotate270(&scanned),
        180 => image::imageops::rotate180(&scanned),
        270 => image::imageops::rotate90(&scanned),
        _ => scanned,
    };
    (scanned, truth.join("\n"))
}

/// Turns ink coverage into a scanned grey page: skew, blur, paper tone, noise, dust.
fn degrade(page: &Coverage, style: &PageStyle, rng: &mut Rng) -> GrayImage {
    let mut ink = skew(page, style.skew_degrees);
    if style.blur {
        ink = blur(&ink, page.width, page.height);
    }
    let paper = rng.range(236.0, 250.0);
    let dark = rng.range(15.0, 45.0);
    let mut grey = GrayImage::new(page.width, page.height);
    for (out, &c) in grey.as_mut().iter_mut().zip(&ink) {
        let noise = if style.noise > 0.0 {
            rng.normal() * style.noise
        } else {
            0.0
        };
        *out = (paper - (paper - dark) * c + noise).clamp(0.0, 255.0) as u8;
    }
    for _ in 0..style.specks {
        let (x, y) = (
            rng.below(page.width as usize) as u32,
            rng.below(page.height as usize) as u32,
        );
        let size = 1 + rng.below(3) as u32;
        for dy in 0..size {
            for dx in 0..size {
                if x + dx < page.width && y + dy < page.height {
                    grey.put_pixel(x + dx, y + dy, image::Luma([dark as u8]));
                }
            }
        }
    }
    grey
}

/// The page as it lies turned counter-clockwise by `degrees` on the scanner glass.
fn skew(page: &Coverage, degrees: f32) -> Vec<f32> {
    if degrees == 0.0 {
        return page.ink.clone();
    }
    let (w, h) = (page.width as i64, page.height as i64);
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let at = |x: i64, y: i64| {
        if x < 0 || y < 0 || x >= w || y >= h {
            0.0
        } else {
            page.ink[(y * w + x) as usize]
        }
    };
    let mut out = vec![0.0; page.ink.len()];
    for yo in 0..h {
        for xo in 0..w {
            // Where this scanned pixel was on the upright sheet: the inverse, clockwise turn.
            let (dx, dy) = (xo as f32 + 0.5 - cx, yo as f32 + 0.5 - cy);
            let xs = dx * cos - dy * sin + cx - 0.5;
            let ys = dx * sin + dy * cos + cy - 0.5;
            let (x0, y0) = (xs.floor(), ys.floor());
            let (fx, fy) = (xs - x0, ys - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
            let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
            out[(yo * w + xo) as usize] = top * (1.0 - fy) + bottom * fy;
        }
    }
    out
}

/// A separable 1-2-1 blur.
fn blur(ink: &[f32], width: u32, height: u32) -> Vec<f32> {
    let (w, h) = (width as usize, height as usize);
    let mut tmp = ink.to_vec();
    for y in 0..h {
        for x in 1..w - 1 {
            let i = y * w + x;
            tmp[i] = (ink[i - 1] + 2.0 * ink[i] + ink[i + 1]) / 4.0;
        }
    }
    let mut out = tmp.clone();
    for y in 1..h - 1 {
        for x in 0..w {
            let i = y * w + x;
            out[i] = (tmp[i - w] + 2.0 * tmp[i] + tmp[i + w]) / 4.0;
        }
    }
    out
}
