//! Printing separator sheets: each an A4 page at 300 dpi with large text, a
//! QR code and a Code 128, gathered in one PDF/A whose text layer carries
//! what is printed (so the sheets PDF is itself searchable).

use std::path::{Path, PathBuf};

use ab_glyph::{Font, FontVec, PxScale, ScaleFont, point};
use image::{DynamicImage, GrayImage, Luma};

use super::Sheet;
use super::barcode::{self, Symbology};

/// Resolution the sheets are drawn at.
const DPI: f32 = 300.0;
/// A4 at [`DPI`].
const WIDTH: u32 = 2480;
const HEIGHT: u32 = 3508;
/// Left and right margins, 2 cm.
const MARGIN: u32 = 236;

/// A sheet to print, with what the operator's list says of its dossier.
#[derive(Debug, Clone)]
pub struct SheetPage {
    pub sheet: Sheet,
    /// The candidate's name, on a cover sheet.
    pub name: Option<String>,
    /// The candidate's corps, on a cover sheet.
    pub corps: Option<String>,
}

/// The typefaces sheets are printed in.
pub struct Fonts {
    regular: FontVec,
    bold: FontVec,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fonts(DejaVu Sans)")
    }
}

impl Fonts {
    /// DejaVu Sans, from Debian's `fonts-dejavu-core` or `DOSSIER_FONT_DIR`.
    pub fn load() -> Result<Fonts, String> {
        let dir = std::env::var_os("DOSSIER_FONT_DIR")
            .map_or_else(|| PathBuf::from("/usr/share/fonts/truetype"), PathBuf::from);
        let load = |file: &str| -> Result<FontVec, String> {
            let path = dir.join("dejavu").join(file);
            let bytes = std::fs::read(&path).map_err(|e| font_error(&path, &e))?;
            FontVec::try_from_vec(bytes).map_err(|e| font_error(&path, &e))
        };
        Ok(Fonts {
            regular: load("DejaVuSans.ttf")?,
            bold: load("DejaVuSans-Bold.ttf")?,
        })
    }
}

fn font_error(path: &Path, e: &dyn std::fmt::Display) -> String {
    format!(
        "cannot load the sheets' typeface {}: {e} (install fonts-dejavu-core, or set DOSSIER_FONT_DIR)",
        path.display()
    )
}

/// A page being drawn, with the words of its text layer.
struct Canvas<'f> {
    image: GrayImage,
    words: Vec<pdf::Word>,
    line: u32,
    fonts: &'f Fonts,
}

impl Canvas<'_> {
    /// Draws a line of text centred, its top at `top`; returns its bottom.
    fn text(&mut self, text: &str, px: f32, bold: bool, top: u32) -> u32 {
        let font = if bold {
            &self.fonts.bold
        } else {
            &self.fonts.regular
        };
        let scaled = font.as_scaled(PxScale::from(px));
        let width = advance(font, px, text);
        let mut caret = (WIDTH as f32 - width).max(0.0) / 2.0;
        let baseline = top as f32 + scaled.ascent();
        for word in text.split(' ') {
            let start = caret;
            caret += self.glyphs(font, px, caret, baseline, word);
            self.words.push(pdf::Word {
                text: word.to_owned(),
                bbox: [
                    start as u32,
                    top,
                    (caret - start).max(1.0) as u32,
                    px as u32,
                ],
                line: self.line,
                confidence: 100.0,
            });
            caret += advance(font, px, " ");
        }
        self.line += 1;
        top + (scaled.ascent() - scaled.descent()).ceil() as u32
    }

    fn glyphs(&mut self, font: &FontVec, px: f32, x: f32, baseline: f32, text: &str) -> f32 {
        let scaled = font.as_scaled(PxScale::from(px));
        let mut caret = x;
        for ch in text.chars() {
            let id = font.glyph_id(ch);
            let glyph = id.with_scale_and_position(px, point(caret, baseline));
            if let Some(outlined) = font.outline_glyph(glyph) {
                let bounds = outlined.px_bounds();
                let image = &mut self.image;
                outlined.draw(|gx, gy, coverage| {
                    let (x, y) = (
                        bounds.min.x as i64 + gx as i64,
                        bounds.min.y as i64 + gy as i64,
                    );
                    if coverage > 0.5 && x >= 0 && y >= 0 && x < WIDTH as i64 && y < HEIGHT as i64 {
                        image.put_pixel(x as u32, y as u32, Luma([0]));
                    }
                });
            }
            caret += scaled.h_advance(id);
        }
        caret - x
    }

    /// Draws a code centred, `module` pixels per module (a Code 128's bars
    /// `bar_height` tall); returns its bottom.
    fn code(
        &mut self,
        text: &str,
        symbology: Symbology,
        module: u32,
        bar_height: u32,
        top: u32,
    ) -> Result<u32, String> {
        let modules = barcode::encode(text, symbology)?;
        let width = modules.width * module;
        let rows = if modules.height == 1 {
            bar_height
        } else {
            modules.height * module
        };
        let left = WIDTH.saturating_sub(width) / 2;
        for y in 0..rows {
            for x in 0..width {
                let my = if modules.height == 1 { 0 } else { y / module };
                if modules.dark(x / module, my) {
                    self.image.put_pixel(left + x, top + y, Luma([0]));
                }
            }
        }
        Ok(top + rows)
    }

    /// A black band across the page between the margins.
    fn band(&mut self, top: u32, height: u32) {
        for y in top..top + height {
            for x in MARGIN..WIDTH - MARGIN {
                self.image.put_pixel(x, y, Luma([0]));
            }
        }
    }
}

fn advance(font: &FontVec, px: f32, text: &str) -> f32 {
    let scaled = font.as_scaled(PxScale::from(px));
    text.chars()
        .map(|c| scaled.h_advance(font.glyph_id(c)))
        .sum()
}

/// Draws one sheet: the page and its words.
pub fn draw(page: &SheetPage, fonts: &Fonts) -> Result<(GrayImage, Vec<pdf::Word>), String> {
    let mut canvas = Canvas {
        image: GrayImage::from_pixel(WIDTH, HEIGHT, Luma([255])),
        words: Vec::new(),
        line: 0,
        fonts,
    };
    canvas.band(200, 60);
    let code = page.sheet.code();
    let mut y = match &page.sheet {
        Sheet::Cover(id) => {
            let y = canvas.text("DOSSIER - FEUILLE DE COUVERTURE", 80.0, true, 330);
            let y = canvas.text("Dossier cover sheet", 56.0, false, y + 20);
            let mut y = canvas.text(id, 170.0, true, y + 140);
            // The name in bold, the corps under it in plain type.
            for (value, px, bold) in [(&page.name, 96.0, true), (&page.corps, 64.0, false)] {
                if let Some(value) = value {
                    y = canvas.text(value, px, bold, y + 50);
                }
            }
            y
        }
        Sheet::Piece(kind) => {
            let (french, english) = index::classify::label(kind);
            let y = canvas.text("DOSSIER - INTERCALAIRE", 80.0, true, 330);
            let y = canvas.text("Document separator sheet", 56.0, false, y + 20);
            let y = canvas.text(&french.to_uppercase(), 150.0, true, y + 140);
            canvas.text(english, 80.0, false, y + 40)
        }
    };
    // A QR code of ~6 cm and a Code 128 of ~15 x 4 cm, each enough alone:
    // read from photocopies and faxes at 150 dpi, turned or skewed (benches:
    // `dossier-sheets-bench`). The bars are tall so that a line across them
    // skewed 15 degrees still crosses every bar.
    let qr_modules = barcode::encode(&code, Symbology::Qr)?.width;
    let module = (700 / qr_modules).max(8);
    y = canvas.code(&code, Symbology::Qr, module, 0, y + 120)?;
    let bars = barcode::encode(&code, Symbology::Code128)?.width;
    let bar_module = ((WIDTH - 2 * MARGIN - 200) / bars).clamp(3, 6);
    y = canvas.code(&code, Symbology::Code128, bar_module, 480, y + 120)?;
    canvas.text(&code, 44.0, false, y + 30);
    canvas.text(super::PHRASE, 60.0, true, HEIGHT - 420);
    canvas.text(
        "à laisser dans la pile, à sa place - keep in the stack, in its place",
        44.0,
        false,
        HEIGHT - 320,
    );
    canvas.band(HEIGHT - 240, 60);
    Ok((canvas.image, canvas.words))
}

/// The sheets as one PDF/A, in the order given.
pub fn pdf(pages: &[SheetPage], fonts: &Fonts) -> Result<Vec<u8>, String> {
    let mut builder = pdf::Builder::new();
    for page in pages {
        let (image, words) = draw(page, fonts)?;
        let encoded = pdf::PageImage::encode(&DynamicImage::ImageLuma8(image), true, DPI)
            .map_err(|e| e.to_string())?;
        builder
            .add_page(&encoded, &words)
            .map_err(|e| e.to_string())?;
    }
    let info = pdf::Info {
        title: "Separator sheets".into(),
        ..pdf::Info::default()
    };
    Ok(builder.finish(&info).map_err(|e| e.to_string())?.pdf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_printed_sheet_reads_back_as_itself() {
        let fonts = Fonts::load().unwrap();
        for sheet in [
            Sheet::Cover("INT-2026-00042".into()),
            Sheet::Piece("criminal-record".into()),
        ] {
            let page = SheetPage {
                sheet: sheet.clone(),
                name: Some("NGONO Marie Claire".into()),
                corps: Some("Professeurs des lycées".into()),
            };
            let (image, words) = draw(&page, &fonts).unwrap();
            if let Some(dir) = std::env::var_os("DOSSIER_SHEET_DUMP") {
                image
                    .save(Path::new(&dir).join(format!("{}.png", sheet.code().replace(':', "_"))))
                    .unwrap();
            }
            let code = barcode::read(&image, |_| true).unwrap();
            assert_eq!(Sheet::parse(&code), Some(Ok(sheet.clone())));
            let text: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
            assert!(super::super::looks_like_sheet(&text.join(" ")), "{text:?}");
        }
    }
}
