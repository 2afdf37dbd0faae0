//! Pages of PDFs as scanner software writes them: each page is one image (or a
//! few strips), taken at its native resolution from the PDF without rendering.
//!
//! DCT (JPEG), Flate and LZW (with predictors), CCITT G3/G4 and JBIG2 (with
//! its global segments, by `hayro-jbig2`) images are decoded; JPX is refused
//! with a clear message. Sizes are checked
//! against the limits from the image dictionary before any pixel buffer
//! exists, and compressed streams are inflated with a ceiling, so a bomb is an
//! error, not an allocation.

use image::{DynamicImage, GrayImage, RgbImage};
use lopdf::{Document, Object, ObjectId};

use crate::decode::{Limits, Scan};
use crate::{Error, Result};

fn load(bytes: &[u8]) -> Result<Document> {
    if bytes.len() < 64 || !bytes.windows(5).any(|w| w == b"%%EOF") {
        return Err(Error::Decode(
            "PDF: truncated (no end-of-file marker)".into(),
        ));
    }
    let doc = Document::load_mem(bytes)
        .map_err(|e| Error::Decode(format!("PDF: cannot be read: {e}")))?;
    if doc.is_encrypted() || doc.was_encrypted() || doc.trailer.get(b"Encrypt").is_ok() {
        return Err(Error::Decode(
            "PDF: encrypted; scan it again without protection".into(),
        ));
    }
    Ok(doc)
}

/// Number of pages of a PDF; a PDF without any is an error.
pub fn page_count(bytes: &[u8]) -> Result<usize> {
    let doc = load(bytes)?;
    match doc.get_pages().len() {
        0 => Err(Error::Decode("PDF: no pages".into())),
        n => Ok(n),
    }
}

/// The image of page `index` (0-based).
pub fn decode_page(bytes: &[u8], index: usize, limits: &Limits) -> Result<Scan> {
    let doc = load(bytes)?;
    let pages = doc.get_pages();
    let page_id = *pages.values().nth(index).ok_or(Error::NoSuchPage {
        index,
        count: pages.len(),
    })?;
    let images = doc
        .get_page_images(page_id)
        .map_err(|e| Error::Decode(format!("PDF page {}: {e}", index + 1)))?;
    // Scanner PDFs hold one full-page image; take the largest if there are several.
    let image = images
        .iter()
        .max_by_key(|i| i.width.saturating_mul(i.height))
        .ok_or_else(|| {
            Error::Decode(format!(
                "PDF page {}: no image (not a scanned page)",
                index + 1
            ))
        })?;
    let (width, height) = (dimension(image.width)?, dimension(image.height)?);
    limits.check(width, height)?;
    let dpi = page_width_points(&doc, page_id).map(|points| width as f32 / (points / 72.0));
    let filters = image.filters.clone().unwrap_or_default();
    let filter = match filters.as_slice() {
        [] => "",
        [one] => one.as_str(),
        more => {
            return Err(Error::Decode(format!(
                "PDF: chained image filters {more:?} are not supported"
            )));
        }
    };
    let decoded = match filter {
        "DCTDecode" => {
            let mut reader = image::ImageReader::new(std::io::Cursor::new(image.content));
            reader.set_format(image::ImageFormat::Jpeg);
            let mut image_limits = image::Limits::default();
            image_limits.max_alloc = Some(limits.max_pixels.saturating_mul(4));
            reader.limits(image_limits);
            reader.decode()?
        }
        "CCITTFaxDecode" => ccitt(&doc, image.id, image.content, width, height)?,
        "" | "FlateDecode" | "LZWDecode" => {
            let stream = doc
                .get_object(image.id)
                .and_then(Object::as_stream)
                .map_err(|e| Error::Decode(format!("PDF: {e}")))?;
            let bpc = image.bits_per_component.unwrap_or(8);
            let components = components(&doc, image.origin_dict)?;
            let row = (width as usize * components * bpc as usize).div_ceil(8);
            let expected = row * height as usize;
            // PNG predictors (img2pdf, and many scanners' own software,
            // write them) add a byte before every row of the inflated data.
            let ceiling = (row + 1) * height as usize + 1024;
            let raw = if filter.is_empty() {
                stream.content.clone()
            } else {
                stream
                    .decompressed_content_with_limit(ceiling)
                    .map_err(|e| {
                        Error::Decode(format!("PDF: image data cannot be inflated: {e}"))
                    })?
            };
            if raw.len() < expected {
                return Err(Error::Decode(format!(
                    "PDF: image data of {} bytes, {expected} expected",
                    raw.len()
                )));
            }
            samples(&raw, width, height, components, bpc, row)?
        }
        "JBIG2Decode" => jbig2(&doc, image.origin_dict, image.content, width, height)?,
        "JPXDecode" => {
            return Err(Error::Decode(
                "PDF: JPEG 2000 (JPX) images are not supported yet".into(),
            ));
        }
        other => {
            return Err(Error::Decode(format!(
                "PDF: image filter {other} is not supported"
            )));
        }
    };
    let inverted = matches!(image.origin_dict.get(b"Decode"), Ok(Object::Array(a)) if a.first().and_then(|o| o.as_float().ok()) == Some(1.0));
    let mut scan = crate::decode::normalise(decoded, dpi.filter(|d| (50.0..=2400.0).contains(d)));
    if let (true, DynamicImage::ImageLuma8(grey)) = (inverted, &mut scan.image) {
        grey.pixels_mut().for_each(|p| p[0] = 255 - p[0]);
    }
    Ok(scan)
}

/// A JBIG2 image (the embedded organisation PDF uses), with the global
/// segments its `DecodeParms` may name, as a grey page: JBIG2's black is 0.
fn jbig2(
    doc: &Document,
    dict: &lopdf::Dictionary,
    content: &[u8],
    width: u32,
    height: u32,
) -> Result<DynamicImage> {
    let failed = |e: &dyn std::fmt::Display| Error::Decode(format!("PDF: JBIG2 image: {e}"));
    let settings = hayro_jbig2::DecodeSettings::default();
    let globals = match jbig2_globals(doc, dict) {
        Some(bytes) => Some(hayro_jbig2::Globals::new(&bytes, &settings).map_err(|e| failed(&e))?),
        None => None,
    };
    let page = hayro_jbig2::Page::new_embedded(content, globals.as_ref(), &settings)
        .map_err(|e| failed(&e))?;
    // The image dictionary's size was checked against the limits; the
    // stream's own must agree before any pixel is made.
    if (page.width(), page.height()) != (width, height) {
        return Err(failed(&format!(
            "the stream says {}x{}, the image {width}x{height}",
            page.width(),
            page.height()
        )));
    }
    let mut pixels = Pixels {
        grey: crate::pixels::buffer(width, height, 1),
        width: width as usize,
        row_start: 0,
    };
    page.decode(&mut pixels).map_err(|e| failed(&e))?;
    pixels.grey.resize(width as usize * height as usize, 255);
    let grey = GrayImage::from_raw(width, height, pixels.grey).ok_or_else(|| failed(&"size"))?;
    Ok(DynamicImage::ImageLuma8(grey))
}

/// The bytes of the `JBIG2Globals` stream an image's `DecodeParms` names.
fn jbig2_globals(doc: &Document, dict: &lopdf::Dictionary) -> Option<Vec<u8>> {
    let parms = dict.get(b"DecodeParms").ok()?;
    let parms = match parms {
        Object::Reference(id) => doc.get_dictionary(*id).ok()?,
        other => other.as_dict().ok()?,
    };
    let id = parms.get(b"JBIG2Globals").ok()?.as_reference().ok()?;
    let stream = doc.get_object(id).ok()?.as_stream().ok()?;
    stream
        .decompressed_content()
        .ok()
        .or_else(|| Some(stream.content.clone()))
}

/// Collects a JBIG2 page's pixels, row after row, as grey bytes; a row the
/// decoder pads past the width is cut back to it.
struct Pixels {
    grey: Vec<u8>,
    width: usize,
    row_start: usize,
}

impl hayro_jbig2::Decoder for Pixels {
    fn push_pixel(&mut self, black: bool) {
        self.grey.push(if black { 0 } else { 255 });
    }

    fn push_pixel_chunk(&mut self, black: bool, chunk_count: u32) {
        let value = if black { 0 } else { 255 };
        let count = 8 * chunk_count as usize;
        self.grey.extend(std::iter::repeat_n(value, count));
    }

    fn next_line(&mut self) {
        self.grey.resize(self.row_start + self.width, 255);
        self.row_start = self.grey.len();
    }
}

fn dimension(value: i64) -> Result<u32> {
    u32::try_from(value)
        .ok()
        .filter(|&v| v > 0)
        .ok_or_else(|| Error::Decode(format!("PDF: image size {value}")))
}

fn page_width_points(doc: &Document, page_id: ObjectId) -> Option<f32> {
    let page = doc.get_dictionary(page_id).ok()?;
    let media = page.get(b"MediaBox").ok()?.as_array().ok()?;
    let number = |i: usize| media.get(i).and_then(|o| o.as_float().ok());
    Some((number(2)? - number(0)?).abs()).filter(|w| *w > 1.0)
}

/// Colour components of an image's colour space (1, 3 or 4).
fn components(doc: &Document, dict: &lopdf::Dictionary) -> Result<usize> {
    let space = match dict.get(b"ColorSpace") {
        Ok(Object::Reference(id)) => doc
            .get_object(*id)
            .map_err(|e| Error::Decode(format!("PDF: {e}")))?,
        Ok(other) => other,
        Err(_) => return Ok(1),
    };
    let name = |o: &Object| {
        o.as_name()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default()
    };
    match space {
        Object::Name(_) => match name(space).as_str() {
            "DeviceGray" | "CalGray" => Ok(1),
            "DeviceRGB" | "CalRGB" => Ok(3),
            "DeviceCMYK" => Ok(4),
            other => Err(Error::Decode(format!(
                "PDF: colour space {other} is not supported"
            ))),
        },
        Object::Array(parts) if parts.first().map(name).as_deref() == Some("ICCBased") => {
            let n = parts
                .get(1)
                .and_then(|o| o.as_reference().ok())
                .and_then(|id| doc.get_object(id).ok())
                .and_then(|o| o.as_stream().ok())
                .and_then(|s| s.dict.get(b"N").ok())
                .and_then(|n| n.as_i64().ok())
                .unwrap_or(3);
            Ok(n as usize)
        }
        _ => Err(Error::Decode(
            "PDF: indexed or special colour spaces are not supported".into(),
        )),
    }
}

/// Raw samples to grey or RGB pixels.
fn samples(
    raw: &[u8],
    width: u32,
    height: u32,
    components: usize,
    bpc: i64,
    row: usize,
) -> Result<DynamicImage> {
    let (w, h) = (width as usize, height as usize);
    let bad = || Error::Decode("PDF: image data does not match its size".into());
    let rows = raw.chunks(row).take(h);
    match (components, bpc) {
        (1, 8) => Ok(DynamicImage::ImageLuma8(
            GrayImage::from_raw(width, height, rows.flat_map(|r| r[..w].to_vec()).collect())
                .ok_or_else(bad)?,
        )),
        (1, 1) => {
            let grey: Vec<u8> = rows
                .flat_map(|r| {
                    (0..w).map(move |x| {
                        if r[x / 8] & (0x80 >> (x % 8)) != 0 {
                            255
                        } else {
                            0
                        }
                    })
                })
                .collect();
            Ok(DynamicImage::ImageLuma8(
                GrayImage::from_raw(width, height, grey).ok_or_else(bad)?,
            ))
        }
        (3, 8) => Ok(DynamicImage::ImageRgb8(
            RgbImage::from_raw(
                width,
                height,
                rows.flat_map(|r| r[..w * 3].to_vec()).collect(),
            )
            .ok_or_else(bad)?,
        )),
        (4, 8) => {
            let rgb: Vec<u8> = rows
                .flat_map(|r| {
                    r[..w * 4].chunks_exact(4).flat_map(|p| {
                        let k = 255 - u16::from(p[3]);
                        [0, 1, 2].map(|i| ((255 - u16::from(p[i])) * k / 255) as u8)
                    })
                })
                .collect();
            Ok(DynamicImage::ImageRgb8(
                RgbImage::from_raw(width, height, rgb).ok_or_else(bad)?,
            ))
        }
        (c, b) => Err(Error::Decode(format!(
            "PDF: {c} components of {b} bits are not supported"
        ))),
    }
}

/// CCITT Group 3 or 4 fax data (as scanners write bilevel pages).
fn ccitt(
    doc: &Document,
    id: ObjectId,
    data: &[u8],
    width: u32,
    height: u32,
) -> Result<DynamicImage> {
    let params = doc
        .get_object(id)
        .ok()
        .and_then(|o| o.as_stream().ok())
        .and_then(|s| s.dict.get(b"DecodeParms").ok())
        .and_then(|p| match p {
            Object::Array(a) => a.first().and_then(|o| o.as_dict().ok()).cloned(),
            other => other.as_dict().ok().cloned(),
        })
        .unwrap_or_default();
    let k = params.get(b"K").and_then(Object::as_i64).unwrap_or(0);
    let columns = params
        .get(b"Columns")
        .and_then(Object::as_i64)
        .unwrap_or(1728);
    let columns =
        u16::try_from(columns).map_err(|_| Error::Decode(format!("PDF: fax width {columns}")))?;
    // BlackIs1 makes the fax's black runs the image's 1 bits, which
    // DeviceGray shows as white: such a page is drawn with colours swapped.
    let black_is_1 = params
        .get(b"BlackIs1")
        .and_then(Object::as_bool)
        .unwrap_or(false);
    let (black, white) = if black_is_1 { (255u8, 0u8) } else { (0, 255) };
    let (w, h) = (u32::from(columns).min(width) as usize, height as usize);
    let mut grey = Vec::with_capacity(w * h);
    let mut line = |transitions: &[u16]| {
        if grey.len() < w * h {
            grey.extend(
                fax::decoder::pels(transitions, columns)
                    .take(w)
                    .map(|c| match c {
                        fax::Color::Black => black,
                        fax::Color::White => white,
                    }),
            );
        }
    };
    let decoded = if k < 0 {
        fax::decoder::decode_g4(
            data.iter().copied(),
            columns,
            u16::try_from(h).ok(),
            &mut line,
        )
    } else {
        fax::decoder::decode_g3(data.iter().copied(), &mut line)
    };
    if decoded.is_none() && grey.is_empty() {
        return Err(Error::Decode(
            "PDF: CCITT fax data cannot be decoded".into(),
        ));
    }
    // Missing trailing lines are white paper, as fax receivers assume.
    grey.resize(w * h, 255);
    Ok(DynamicImage::ImageLuma8(
        GrayImage::from_raw(w as u32, h as u32, grey).expect("sized above"),
    ))
}
