//! Searchable PDFs: each page's image with an invisible text layer placed at
//! the OCR word boxes, so that text selection and `pdftotext` work.
//!
//! This crate owns the encoding of page images (JPEG for grey and colour,
//! 1-bit PNG for bilevel pages, whose compressed data goes into the PDF
//! unchanged) and the assembly of a dossier's PDF. It must never know OCR
//! engines, files or storage: callers hand it pixels and words.

mod encoding;
mod image_data;
mod pdfa;
pub mod sidecar;

pub use image_data::{ImageKind, PageImage};
pub use sidecar::PageText;

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat, dictionary};
use sha2::{Digest as _, Sha256};

/// What went wrong while building a PDF.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("encoding page image: {0}")]
    Image(String),
    #[error("writing PDF: {0}")]
    Pdf(#[from] lopdf::Error),
    #[error("the document has no pages")]
    NoPages,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A word of the text layer, in pixel coordinates of its page image.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub text: String,
    /// Left, top, width, height in pixels.
    pub bbox: [u32; 4],
    /// Text line index; words of a line share a baseline and size.
    pub line: u32,
    /// OCR confidence, 0 to 100 (for the sidecars).
    pub confidence: f32,
}

/// Document metadata, written to the XMP packet and the info dictionary alike.
#[derive(Debug, Clone, Default)]
pub struct Info {
    /// The dossier identifier.
    pub title: String,
    /// The candidate's name.
    pub subject: String,
    pub keywords: String,
    /// The scanning operator.
    pub author: String,
    /// When the paper was scanned (RFC 3339 or a plain date); the PDF's creation date.
    pub created: String,
}

/// A finished dossier: the PDF and its text sidecars.
#[derive(Debug, Clone)]
pub struct Output {
    pub pdf: Vec<u8>,
    pub hocr: String,
    pub alto: String,
}

/// Builds one PDF/A-2b document, page by page.
pub struct Builder {
    doc: Document,
    pages_id: ObjectId,
    font_id: ObjectId,
    page_ids: Vec<Object>,
    texts: Vec<PageText>,
    /// Hash of everything added, for the document ID PDF/A asks for.
    content: Sha256,
    /// Bytes of page images added: the PDF's size, near enough, to allocate it once.
    image_bytes: usize,
}

impl Builder {
    pub fn new() -> Builder {
        let mut doc = Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let font_id = encoding::add_invisible_font(&mut doc);
        Builder {
            doc,
            pages_id,
            font_id,
            page_ids: Vec::new(),
            texts: Vec::new(),
            content: Sha256::new(),
            image_bytes: 0,
        }
    }

    /// Adds a page showing `image` with `words` as invisible, selectable text.
    pub fn add_page(&mut self, image: &PageImage, words: &[Word]) -> Result<()> {
        let points_per_px = 72.0 / image.dpi;
        let (width_pt, height_pt) = (
            image.width as f32 * points_per_px,
            image.height as f32 * points_per_px,
        );
        self.content.update(&image.bytes);
        self.image_bytes += image.bytes.len();
        for word in words {
            self.content.update(word.text.as_bytes());
        }
        self.texts.push(PageText {
            width: image.width,
            height: image.height,
            dpi: image.dpi,
            words: words.to_vec(),
        });
        let image_id = self.doc.add_object(image.to_xobject());
        let mut ops = vec![
            Operation::new("q", vec![]),
            Operation::new(
                "cm",
                vec![
                    width_pt.into(),
                    0.into(),
                    0.into(),
                    height_pt.into(),
                    0.into(),
                    0.into(),
                ],
            ),
            Operation::new("Do", vec!["Im0".into()]),
            Operation::new("Q", vec![]),
        ];
        ops.extend(text_layer(words, points_per_px, height_pt));
        let content = Content { operations: ops }.encode()?;
        let mut stream = Stream::new(Dictionary::new(), content);
        // Text layers compress well; a failed compression only costs bytes.
        let _ = stream.compress();
        let content_id = self.doc.add_object(stream);
        let page_id = self.doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => self.pages_id,
            "MediaBox" => vec![0.into(), 0.into(), width_pt.into(), height_pt.into()],
            "Contents" => content_id,
            "Resources" => dictionary! {
                "XObject" => dictionary! { "Im0" => image_id },
                "Font" => dictionary! { "F1" => self.font_id },
            },
        });
        self.page_ids.push(page_id.into());
        Ok(())
    }

    /// Number of pages added so far.
    pub fn len(&self) -> usize {
        self.page_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.page_ids.is_empty()
    }

    /// Writes the document and its sidecars. The output depends only on the
    /// inputs (no clock, no random ID), so the same pages and metadata always
    /// give the same bytes and the same hash.
    pub fn finish(mut self, info: &Info) -> Result<Output> {
        if self.page_ids.is_empty() {
            return Err(Error::NoPages);
        }
        let count = self.page_ids.len();
        self.doc.objects.insert(
            self.pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => self.page_ids,
                "Count" => count as i64,
            }),
        );
        let producer = concat!("dossier ", env!("CARGO_PKG_VERSION"));
        let date = pdfa::xmp_date(&info.created);
        let metadata = pdfa::add_metadata(&mut self.doc, pdfa::xmp(info, &date, count, producer));
        let intent = pdfa::output_intent(&mut self.doc);
        let catalog_id = self.doc.add_object(dictionary! {
            "Type" => "Catalog",
            "Pages" => self.pages_id,
            "Metadata" => metadata,
            "OutputIntents" => vec![intent],
        });
        let text = |s: &str| Object::String(encoding::utf16_text(s), StringFormat::Hexadecimal);
        let mut info_dict = dictionary! {
            "Title" => text(&info.title),
            "Creator" => text(producer),
            "Producer" => text(producer),
            "CreationDate" => pdfa::pdf_date(&date),
            "ModDate" => pdfa::pdf_date(&date),
        };
        for (key, value) in [
            ("Subject", &info.subject),
            ("Keywords", &info.keywords),
            ("Author", &info.author),
        ] {
            if !value.is_empty() {
                info_dict.set(key, text(value));
            }
        }
        let info_id = self.doc.add_object(info_dict);
        self.content.update(info.title.as_bytes());
        let id: Vec<u8> = self.content.finalize()[..16].to_vec();
        self.doc.trailer.set("Root", catalog_id);
        self.doc.trailer.set("Info", info_id);
        self.doc.trailer.set(
            "ID",
            vec![
                Object::String(id.clone(), StringFormat::Hexadecimal),
                Object::String(id, StringFormat::Hexadecimal),
            ],
        );
        // Sized once: grown by doubling, a dossier's PDF passed through a chain
        // of ever larger buffers, up to twice its size, on every dossier.
        let mut pdf = Vec::with_capacity(self.image_bytes + self.image_bytes / 8 + 65_536);
        self.doc
            .save_to(&mut pdf)
            .map_err(|e| Error::Pdf(e.into()))?;
        Ok(Output {
            pdf,
            hocr: sidecar::hocr(&info.title, &self.texts),
            alto: sidecar::alto(&info.title, &self.texts),
        })
    }
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

/// Invisible text (render mode 3), one positioned run per word, stretched to its box.
fn text_layer(words: &[Word], points_per_px: f32, page_height_pt: f32) -> Vec<Operation> {
    if words.is_empty() {
        return Vec::new();
    }
    let mut ops = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tr", vec![3.into()]),
    ];
    // Size and baseline come from the line, so that a line's words sit on one baseline.
    for (run, [_, top, _, bottom]) in sidecar::lines(words) {
        let size = ((bottom - top) as f32 * points_per_px).max(1.0);
        // Descenders take about a fifth of a line's box.
        let baseline = page_height_pt - bottom as f32 * points_per_px + size * 0.2;
        ops.push(Operation::new("Tf", vec!["F1".into(), size.into()]));
        for word in run {
            let (encoded, n_codes) = encoding::codes(&word.text);
            if n_codes == 0 {
                continue;
            }
            let natural = n_codes as f32 * encoding::GLYPH_WIDTH / 1000.0 * size;
            let box_width = word.bbox[2] as f32 * points_per_px;
            let scale = (100.0 * box_width / natural).clamp(1.0, 1000.0);
            let x = word.bbox[0] as f32 * points_per_px;
            ops.push(Operation::new("Tz", vec![scale.into()]));
            ops.push(Operation::new(
                "Tm",
                vec![
                    1.into(),
                    0.into(),
                    0.into(),
                    1.into(),
                    x.into(),
                    baseline.into(),
                ],
            ));
            ops.push(Operation::new("Tj", vec![encoded]));
        }
    }
    ops.push(Operation::new("ET", vec![]));
    ops
}
