//! A Tesseract engine, created once per worker thread and reused for every page.
//!
//! Loading the `fra+eng` models takes about as long as reading a short page, so
//! an engine is never built per page. libtesseract's handle is `Send` but not
//! `Sync`: each worker owns one. Words come from Tesseract's TSV output, which
//! carries each word's box and confidence.

use std::borrow::Cow;

use image::GrayImage;
use serde::{Deserialize, Serialize};
use tesseract::Tesseract;

use crate::{Error, Result};

/// One recognised word, in pixel coordinates of the page Tesseract read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub text: String,
    /// Left, top, width, height in pixels.
    pub bbox: [u32; 4],
    /// Tesseract's confidence, 0 to 100.
    pub confidence: f32,
    /// Index of the text line the word belongs to, counted over the page.
    pub line: u32,
}

/// What Tesseract read on a page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Recognition {
    pub words: Vec<Word>,
    /// Lines joined by `\n`, paragraphs separated by an empty line.
    pub text: String,
    /// Mean word confidence, 0 to 100 (0 when there are no words).
    pub confidence: f32,
}

/// A Tesseract engine with its language models loaded.
pub struct Engine {
    /// `None` after a failed call: the builder API consumes the handle, so it is rebuilt lazily.
    tess: Option<Tesseract>,
    lang: String,
}

impl Engine {
    /// Loads the models for `lang` (Tesseract syntax, e.g. `fra+eng`).
    pub fn new(lang: &str) -> Result<Engine> {
        let tess = Self::init(lang)?;
        Ok(Engine {
            tess: Some(tess),
            lang: lang.to_owned(),
        })
    }

    /// The languages this engine reads.
    pub fn lang(&self) -> &str {
        &self.lang
    }

    fn init(lang: &str) -> Result<Tesseract> {
        let tess = Tesseract::new(None, Some(lang))
            .map_err(|e| Error::Tesseract(format!("cannot load language models '{lang}': {e}")))?;
        // Scans are dark text on light paper: Tesseract's second pass over
        // inverted copies of doubtful lines costs time and finds nothing here.
        let tess = tess
            .set_variable("tessedit_do_invert", "0")
            .map_err(|e| Error::Tesseract(format!("setting tessedit_do_invert: {e}")))?;
        // Tesseract's own chatter ("Image too small to scale!!") would land on
        // the operator's terminal; problems reach callers as errors instead.
        tess.set_variable("debug_file", "/dev/null")
            .map_err(|e| Error::Tesseract(format!("setting debug_file: {e}")))
    }

    /// The handle, taken for a builder call; rebuilt if the last call failed
    /// and so never gave it back.
    fn take(&mut self) -> Result<Tesseract> {
        match self.tess.take() {
            Some(tess) => Ok(tess),
            None => Self::init(&self.lang),
        }
    }

    /// Reads a grey page scanned at `dpi`: [`Engine::load`], then [`Engine::read`].
    pub fn recognize(&mut self, grey: Cow<'_, GrayImage>, dpi: u32) -> Result<Recognition> {
        self.load(grey, dpi)?;
        self.read()
    }

    /// Gives Tesseract a grey page scanned at `dpi`. While it copies the page
    /// it holds two copies besides the caller's; an owned page is freed as
    /// soon as Tesseract has its own, so that a worker does not carry both
    /// through recognition, its longest step.
    pub fn load(&mut self, grey: Cow<'_, GrayImage>, dpi: u32) -> Result<()> {
        let tess = self.take()?;
        let (w, h) = grey.dimensions();
        let as_i32 =
            |v: u32| i32::try_from(v).map_err(|_| Error::Tesseract("page too large".into()));
        let tess = tess
            .set_frame(grey.as_raw(), as_i32(w)?, as_i32(h)?, 1, as_i32(w)?)
            .map_err(|e| Error::Tesseract(e.to_string()))?
            .set_source_resolution(dpi as i32);
        self.tess = Some(tess);
        Ok(())
    }

    /// Reads the page given to [`Engine::load`] (nothing, if none was).
    pub fn read(&mut self) -> Result<Recognition> {
        let mut tess = self
            .take()?
            .recognize()
            .map_err(|e| Error::Tesseract(e.to_string()))?;
        let tsv = tess
            .get_tsv_text(0)
            .map_err(|e| Error::Tesseract(e.to_string()))?;
        // Tesseract keeps the page, its thresholded copies and every word's
        // blobs until the next image is set: tens of MB a worker would carry
        // through its next page's decoding and straightening. Setting a blank
        // 1x1 image frees them now.
        let tess = tess
            .set_frame(&[255], 1, 1, 1, 1)
            .map_err(|e| Error::Tesseract(e.to_string()))?;
        self.tess = Some(tess);
        Ok(parse_tsv(&tsv))
    }
}

/// Turns Tesseract's TSV (level, page, block, par, line, word, left, top, width,
/// height, conf, text) into words and text.
fn parse_tsv(tsv: &str) -> Recognition {
    let mut words = Vec::new();
    let mut text = String::new();
    let mut last_line: Option<(u32, u32, u32)> = None;
    let mut last_par: Option<(u32, u32)> = None;
    let mut line_idx = 0u32;
    for row in tsv.lines() {
        let cols: Vec<&str> = row.splitn(12, '\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let num = |i: usize| cols[i].trim().parse::<u32>().unwrap_or(0);
        let word = cols[11].trim();
        if word.is_empty() {
            continue;
        }
        let (block, par, line) = (num(2), num(3), num(4));
        if last_line != Some((block, par, line)) {
            if last_line.is_some() {
                line_idx += 1;
                text.push('\n');
                if last_par != Some((block, par)) {
                    text.push('\n');
                }
            }
            last_line = Some((block, par, line));
            last_par = Some((block, par));
        } else {
            text.push(' ');
        }
        text.push_str(word);
        words.push(Word {
            text: word.to_owned(),
            bbox: [num(6), num(7), num(8), num(9)],
            confidence: cols[10].trim().parse::<f32>().unwrap_or(0.0).max(0.0),
            line: line_idx,
        });
    }
    let confidence = if words.is_empty() {
        0.0
    } else {
        words.iter().map(|w| w.confidence).sum::<f32>() / words.len() as f32
    };
    Recognition {
        words,
        text,
        confidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_rows_become_words_lines_and_paragraphs() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
            1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t\n\
            5\t1\t1\t1\t1\t1\t10\t20\t30\t12\t96.5\tRÉPUBLIQUE\n\
            5\t1\t1\t1\t1\t2\t45\t20\t10\t12\t90\tDU\n\
            5\t1\t1\t1\t2\t1\t10\t40\t30\t12\t80\tCAMEROUN\n\
            5\t1\t1\t2\t1\t1\t10\t80\t30\t12\t70\tPaix\n";
        let r = parse_tsv(tsv);
        assert_eq!(r.text, "RÉPUBLIQUE DU\nCAMEROUN\n\nPaix");
        assert_eq!(r.words.len(), 4);
        assert_eq!(r.words[0].bbox, [10, 20, 30, 12]);
        assert_eq!(
            r.words.iter().map(|w| w.line).collect::<Vec<_>>(),
            vec![0, 0, 1, 2]
        );
        assert!((r.confidence - 84.125).abs() < 1e-3);
    }
}
