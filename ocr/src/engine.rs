//! A Tesseract engine, created once per worker thread and reused for every page.
//!
//! Loading the `fra+eng` models takes about as long as reading a short page, so
//! an engine is never built per page. libtesseract's handle is `Send` but not
//! `Sync`: each worker owns one. Words come from Tesseract's TSV output, which
//! carries each word's box and confidence.

use std::borrow::Cow;
use std::ffi::CString;

use image::GrayImage;
use serde::{Deserialize, Serialize};
use tesseract::plumbing::TessBaseApi;
use tesseract::plumbing::leptonica_plumbing::Pix;

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

/// What Tesseract's orientation detection found on a page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Orientation {
    /// How far the page lies turned clockwise: 0, 90, 180 or 270
    /// (Tesseract's "Orientation in degrees"). Turning it back
    /// counter-clockwise as far makes it upright.
    pub degrees: u16,
    /// How much better that orientation scored than the next best; Tesseract's
    /// own `--psm 0` output calls under about 2 unreliable.
    pub confidence: f32,
}

/// A Tesseract engine with its language models loaded.
///
/// It drives libtesseract through the `tesseract` crate's plumbing layer. The
/// crate's builder API takes a page as raw bytes, which Tesseract copies
/// twice, or as an image file in memory, which it keeps until Tesseract has
/// copied the page; the plumbing layer lets a page be handed over with no
/// more than two copies alive at once (see [`Engine::load`]).
pub struct Engine {
    api: TessBaseApi,
    lang: String,
    /// A second handle with the `osd` model, made when first asked for an
    /// orientation: most pages never need one.
    osd: Option<TessBaseApi>,
}

impl Engine {
    /// Loads the models for `lang` (Tesseract syntax, e.g. `fra+eng`).
    pub fn new(lang: &str) -> Result<Engine> {
        let cannot =
            |why: &str| Error::Tesseract(format!("cannot load language models '{lang}': {why}"));
        let mut api = TessBaseApi::create();
        let c_lang = CString::new(lang).map_err(|_| cannot("the name holds a NUL byte"))?;
        api.init_2(None, Some(&c_lang))
            .map_err(|_| cannot("Tesseract could not initialise them"))?;
        let mut engine = Engine {
            api,
            lang: lang.to_owned(),
            osd: None,
        };
        // Scans are dark text on light paper: Tesseract's second pass over
        // inverted copies of doubtful lines costs time and finds nothing on
        // a clean page (see `read_as_tesseract_alone` for the others).
        engine.invert_doubtful_lines(false)?;
        let api = &mut engine.api;
        // Tesseract's own chatter ("Image too small to scale!!") would land on
        // the operator's terminal; problems reach callers as errors instead.
        api.set_variable(c"debug_file", c"/dev/null")
            .map_err(|e| Error::Tesseract(format!("setting debug_file: {e}")))?;
        // Automatic page segmentation, as the `tesseract` command uses: the
        // library's own default reads the page as one block of text, so two
        // columns came out read across, line by line.
        api.set_variable(c"tessedit_pageseg_mode", c"3")
            .map_err(|e| Error::Tesseract(format!("setting tessedit_pageseg_mode: {e}")))?;
        Ok(engine)
    }

    fn invert_doubtful_lines(&mut self, on: bool) -> Result<()> {
        let value = if on { c"1" } else { c"0" };
        self.api
            .set_variable(c"tessedit_do_invert", value)
            .map_err(|e| Error::Tesseract(format!("setting tessedit_do_invert: {e}")))
    }

    /// Tesseract's orientation detection (its `osd` model) on a grey page
    /// scanned at `dpi`; `None` when it finds too little text to say.
    pub fn orientation(&mut self, grey: &GrayImage, dpi: u32) -> Result<Option<Orientation>> {
        let osd = match &mut self.osd {
            Some(osd) => osd,
            empty => {
                let mut api = TessBaseApi::create();
                api.init_2(None, Some(c"osd"))
                    .map_err(|_| Error::Tesseract("cannot load the 'osd' model".into()))?;
                api.set_variable(c"debug_file", c"/dev/null")
                    .map_err(|e| Error::Tesseract(format!("setting debug_file: {e}")))?;
                empty.insert(api)
            }
        };
        let tiff = grey_tiff(grey)?;
        let pix = Pix::read_mem(&tiff)
            .map_err(|e| Error::Tesseract(format!("handing the page over: {e}")))?;
        drop(tiff);
        osd.set_image_2(&pix);
        drop(pix);
        osd.set_source_resolution(dpi as i32);
        let found = osd
            .detect_orientation_script()
            .ok()
            .map(|found| Orientation {
                degrees: u16::try_from(found.orient_deg.rem_euclid(360)).unwrap_or(0),
                confidence: found.orient_conf,
            });
        // As in `read`: Tesseract would keep the page until the next one.
        osd.set_image(&[255], 1, 1, 1, 1)
            .map_err(|e| Error::Tesseract(e.to_string()))?;
        Ok(found)
    }

    /// The languages this engine reads.
    pub fn lang(&self) -> &str {
        &self.lang
    }

    /// Reads a grey page scanned at `dpi`: [`Engine::load`], then [`Engine::read`].
    pub fn recognize(&mut self, grey: Cow<'_, GrayImage>, dpi: u32) -> Result<Recognition> {
        self.load(grey, dpi)?;
        self.read()
    }

    /// Gives Tesseract a grey page scanned at `dpi` and has it thresholded,
    /// holding at most two copies of it at any moment besides a borrowed page.
    ///
    /// Handed raw bytes, Tesseract wraps them in a temporary image and copies
    /// that: three full pages at once with the caller's. That was the peak of
    /// a whole ingest (heaptrack), and every time the heap grew after the
    /// first pages of a 500-page batch, it grew for Tesseract's copy
    /// (`strace -k` on `brk`). Handed a leptonica image, it makes only its
    /// own copy. The page travels to leptonica as an uncompressed TIFF in
    /// memory, which it reads row by row (1 ms a page; its PGM reader takes
    /// 120 ms, a byte at a time). An owned page is freed as soon as the TIFF
    /// holds it, the TIFF as soon as leptonica has read it.
    pub fn load(&mut self, grey: Cow<'_, GrayImage>, dpi: u32) -> Result<()> {
        let tiff = grey_tiff(&grey)?;
        drop(grey);
        let pix = Pix::read_mem(&tiff)
            .map_err(|e| Error::Tesseract(format!("handing the page over: {e}")))?;
        drop(tiff);
        self.api.set_image_2(&pix);
        drop(pix);
        self.api.set_source_resolution(dpi as i32);
        // Thresholding makes one more page-size image (Tesseract's threshold
        // map). Done here, it belongs to the load, which callers can keep
        // from coinciding with other pages' peaks; left to the start of
        // recognition, it was every late growth of the heap on a long batch
        // (`strace -k` on `brk`). Recognition reuses the binary page: the
        // text is the same. Our reference to it goes at once; Tesseract keeps its own.
        self.api
            .get_thresholded_image()
            .map_err(|e| Error::Tesseract(format!("thresholding the page: {e}")))?;
        Ok(())
    }

    /// Gives Tesseract a page exactly as scanned, colour included: Tesseract
    /// thresholds a colour page channel by channel, which our grey copy
    /// cannot match on coloured ink or yellowed paper. This is how the
    /// `tesseract` command reads the scan, for the second reading of a
    /// doubtful page. A colour page travels as a PPM, which leptonica reads
    /// more slowly than the grey TIFF of [`Engine::load`]: only doubtful
    /// pages pay for it.
    pub fn load_scan(&mut self, scan: &image::DynamicImage, dpi: u32) -> Result<()> {
        let image::DynamicImage::ImageRgb8(rgb) = scan else {
            return self.load(Cow::Owned(crate::deskew::to_grey(scan)), dpi);
        };
        let (width, height) = rgb.dimensions();
        let mut ppm = format!("P6\n{width} {height}\n255\n").into_bytes();
        ppm.extend_from_slice(rgb.as_raw());
        let pix = Pix::read_mem(&ppm)
            .map_err(|e| Error::Tesseract(format!("handing the page over: {e}")))?;
        drop(ppm);
        self.api.set_image_2(&pix);
        drop(pix);
        self.api.set_source_resolution(dpi as i32);
        self.api
            .get_thresholded_image()
            .map_err(|e| Error::Tesseract(format!("thresholding the page: {e}")))?;
        Ok(())
    }

    /// Reads the page given to [`Engine::load_scan`] as the `tesseract`
    /// command would, with its pass over inverted copies of doubtful lines:
    /// on faint or blotchy typewriting that pass finds words (three points
    /// of CER on one real page), and only doubtful pages pay for it.
    pub fn read_as_tesseract_alone(&mut self) -> Result<Recognition> {
        self.invert_doubtful_lines(true)?;
        let read = self.read();
        self.invert_doubtful_lines(false)?;
        read
    }

    /// Reads the page given to [`Engine::load`] (nothing, if none was).
    pub fn read(&mut self) -> Result<Recognition> {
        let read = self
            .api
            .recognize()
            .map_err(|e| Error::Tesseract(e.to_string()))
            .and_then(|()| {
                self.api
                    .get_tsv_text(0)
                    .map_err(|e| Error::Tesseract(e.to_string()))
            })
            .map(|tsv| parse_tsv(&tsv.as_ref().to_string_lossy()));
        // Tesseract keeps the page, its thresholded copies and every word's
        // blobs until the next image is set: tens of MB a worker would carry
        // through its next page's decoding and straightening. Setting a blank
        // 1x1 image frees them now, whether or not recognition worked.
        self.api
            .set_image(&[255], 1, 1, 1, 1)
            .map_err(|e| Error::Tesseract(e.to_string()))?;
        read
    }
}

/// A grey page as an uncompressed, single-strip, 8-bit TIFF: the smallest
/// file leptonica reads quickly from memory, written in one allocation as
/// large as leptonica's image of the page (see [`crate::pixels`]).
fn grey_tiff(grey: &GrayImage) -> Result<Vec<u8>> {
    let (width, height) = grey.dimensions();
    let pixels = u32::try_from(grey.as_raw().len())
        .map_err(|_| Error::Tesseract("page too large".into()))?;
    // Header (8 bytes), then the directory: a count, 8 entries of 12 bytes and
    // the next directory's offset (none); the pixels follow.
    const ENTRIES: u16 = 8;
    let data_offset = 8 + 2 + u32::from(ENTRIES) * 12 + 4;
    let mut tiff = Vec::with_capacity(
        (data_offset as usize + pixels as usize).max(crate::pixels::capacity(width, height, 1)),
    );
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&ENTRIES.to_le_bytes());
    // Tag, type (3 = SHORT, 4 = LONG), count 1, value; tags in ascending order.
    let entries: [(u16, u16, u32); ENTRIES as usize] = [
        (256, 4, width),       // ImageWidth
        (257, 4, height),      // ImageLength
        (258, 3, 8),           // BitsPerSample
        (259, 3, 1),           // Compression: none
        (262, 3, 1),           // PhotometricInterpretation: black is zero
        (273, 4, data_offset), // StripOffsets
        (278, 4, height),      // RowsPerStrip: one strip
        (279, 4, pixels),      // StripByteCounts
    ];
    for (tag, kind, value) in entries {
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&kind.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        // A SHORT sits in the first two bytes of the four-byte value field.
        tiff.extend_from_slice(&value.to_le_bytes());
    }
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(grey.as_raw());
    Ok(tiff)
}

/// Turns Tesseract's TSV (level, page, block, par, line, word, left, top, width,
/// height, conf, text) into words and text, block by block in reading order
/// (see [`reading_order`]).
fn parse_tsv(tsv: &str) -> Recognition {
    let mut blocks: Vec<Block> = Vec::new();
    for row in tsv.lines() {
        let cols: Vec<&str> = row.splitn(12, '\t').collect();
        if cols.len() < 12 {
            continue;
        }
        let num = |i: usize| cols[i].trim().parse::<u32>().unwrap_or(0);
        let block = num(2);
        if blocks.last().is_none_or(|b| b.number != block) {
            blocks.push(Block {
                number: block,
                top: u32::MAX,
                bottom: 0,
                left: u32::MAX,
                right: 0,
                rows: Vec::new(),
            });
        }
        let current = blocks.last_mut().expect("pushed above");
        if cols[0] == "5" && !cols[11].trim().is_empty() {
            current.top = current.top.min(num(7));
            current.bottom = current.bottom.max(num(7) + num(9));
            current.left = current.left.min(num(6));
            current.right = current.right.max(num(6) + num(8));
            current.rows.push(cols);
        }
    }
    blocks.retain(|b| !b.rows.is_empty());
    let mut words = Vec::new();
    let mut text = String::new();
    let mut last_line: Option<(u32, u32, u32)> = None;
    let mut last_par: Option<(u32, u32)> = None;
    let mut line_idx = 0u32;
    for block in reading_order(blocks) {
        for cols in &block.rows {
            let num = |i: usize| cols[i].trim().parse::<u32>().unwrap_or(0);
            let word = cols[11].trim();
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

/// One block of Tesseract's layout: its TSV word rows and extent.
struct Block<'a> {
    number: u32,
    top: u32,
    bottom: u32,
    left: u32,
    right: u32,
    rows: Vec<Vec<&'a str>>,
}

impl Block<'_> {
    /// Wholly above `other`.
    fn above(&self, other: &Block<'_>) -> bool {
        self.bottom <= other.top
    }

    /// Wholly above `other`, and over it: some of their width is shared.
    fn over(&self, other: &Block<'_>) -> bool {
        self.above(other) && self.left < other.right && other.left < self.right
    }

    /// Side by side with `other`: some of their height is shared.
    fn beside(&self, other: &Block<'_>) -> bool {
        self.top < other.bottom && other.top < self.bottom
    }
}

/// Tesseract's order of blocks, except that a block given after blocks
/// lying wholly below it comes before them.
///
/// Tesseract orders side-by-side columns well, but it sometimes gives a
/// block of a form (the candidate's fields, on the left) before the
/// centred heading above it, which a reader, a search snippet and the text
/// layer all read first. A block beside an earlier one belongs to a column,
/// and moves only over a block of its own column: one column's paragraph
/// that ends above the other column's next keeps Tesseract's order, and so
/// does a column of values beside a column of their labels.
fn reading_order(blocks: Vec<Block<'_>>) -> Vec<Block<'_>> {
    let mut ordered: Vec<Block<'_>> = Vec::with_capacity(blocks.len());
    for block in blocks {
        let at = if ordered.iter().any(|earlier| block.beside(earlier)) {
            ordered
                .iter()
                .position(|earlier| block.over(earlier))
                .unwrap_or(ordered.len())
        } else {
            // Only past the blocks at the end that all lie below it.
            ordered
                .iter()
                .rposition(|earlier| !block.above(earlier))
                .map_or(0, |last| last + 1)
        };
        ordered.insert(at, block);
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_handed_to_leptonica_is_a_tiff_of_exactly_its_pixels() {
        // A width whose rows leptonica pads, tall enough for the padding to
        // outweigh the TIFF's header.
        let (w, h) = (37u32, 200u32);
        let grey = GrayImage::from_fn(w, h, |x, y| image::Luma([(x * 7 + y * 13) as u8]));
        let tiff = grey_tiff(&grey).unwrap();
        assert_eq!(tiff.len(), 8 + 2 + 8 * 12 + 4 + (w * h) as usize);
        assert_eq!(
            tiff.capacity(),
            40 * 200,
            "written in one allocation, as large as leptonica's"
        );
        let mut decoder = tiff::decoder::Decoder::new(std::io::Cursor::new(&tiff)).unwrap();
        assert_eq!(decoder.dimensions().unwrap(), (w, h));
        assert_eq!(decoder.colortype().unwrap(), tiff::ColorType::Gray(8));
        match decoder.read_image().unwrap() {
            tiff::decoder::DecodingResult::U8(pixels) => assert_eq!(&pixels, grey.as_raw()),
            other => panic!("8-bit pixels expected, got {other:?}"),
        }
    }

    /// A TSV word row alone in its block, 50 x 20 at (`left`, `top`).
    fn block_row(block: u32, left: u32, top: u32, text: &str) -> String {
        format!("5\t1\t{block}\t1\t1\t1\t{left}\t{top}\t50\t20\t90\t{text}\n")
    }

    #[test]
    fn labels_then_their_values_keep_tesseract_s_order() {
        // A column of labels, then the column of their values: the second
        // value lies above the second label but beside no block before it.
        let tsv = [
            block_row(1, 10, 100, "REMISE"),
            block_row(2, 10, 400, "ENVOIS"),
            block_row(3, 400, 100, "valeur1"),
            block_row(4, 400, 250, "valeur2"),
        ]
        .concat();
        assert_eq!(
            parse_tsv(&tsv).text,
            "REMISE\n\nENVOIS\n\nvaleur1\n\nvaleur2"
        );
    }

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

    #[test]
    fn a_heading_given_after_the_block_below_it_comes_first_and_columns_keep_their_order() {
        // Tesseract's order: the fields (block 1), the heading above them
        // (block 2), a centred line above the fields but not over them
        // (block 7), then two columns side by side, two paragraphs each:
        // the right column's first ends above the left column's second.
        let tsv = [
            block_row(1, 10, 300, "Nom"),
            block_row(2, 10, 50, "ACTE"),
            block_row(7, 200, 150, "N°"),
            block_row(3, 10, 600, "gauche1"),
            block_row(4, 10, 900, "gauche2"),
            block_row(5, 400, 600, "droite1"),
            block_row(6, 400, 900, "droite2"),
        ]
        .concat();
        let r = parse_tsv(&tsv);
        assert_eq!(
            r.text,
            "ACTE\n\nN°\n\nNom\n\ngauche1\n\ngauche2\n\ndroite1\n\ndroite2"
        );
        assert_eq!(
            r.words.iter().map(|w| w.line).collect::<Vec<_>>(),
            vec![0, 1, 2, 3, 4, 5, 6]
        );
    }
}
