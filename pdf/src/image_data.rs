//! Page images encoded once, for both the archive and the PDF.
//!
//! Grey and colour pages become baseline JPEG (DCT in the PDF). Bilevel pages
//! become 1-bit PNG, whose zlib stream is exactly what a PDF FlateDecode image
//! with the PNG predictor expects, so the PDF embeds it without re-encoding.

use std::borrow::Cow;

use image::DynamicImage;
use lopdf::{Stream, dictionary};

use crate::{Error, Result};

/// How a page image is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    JpegGrey,
    JpegRgb,
    /// 1-bit PNG.
    Bilevel,
}

/// An encoded page image with its geometry.
#[derive(Debug, Clone)]
pub struct PageImage {
    pub kind: ImageKind,
    /// A complete JPEG or PNG file.
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub dpi: f32,
}

/// JPEG quality for page images: text edges stay clean, noise is not kept at any cost.
const JPEG_QUALITY: u8 = 75;

impl PageImage {
    /// Encodes a grey or colour page; `bilevel` pages are stored 1-bit.
    pub fn encode(image: &DynamicImage, bilevel: bool, dpi: f32) -> Result<PageImage> {
        let (width, height) = (image.width(), image.height());
        let err = |e: &dyn std::fmt::Display| Error::Image(e.to_string());
        let (kind, mut bytes) = if bilevel {
            // A bilevel page is decoded grey: read it in place rather than
            // converting a copy (a full page, at one of the pipeline's peaks).
            let grey = image
                .as_luma8()
                .map_or_else(|| Cow::Owned(image.to_luma8()), Cow::Borrowed);
            (
                ImageKind::Bilevel,
                encode_bilevel(&grey).map_err(|e| err(&e))?,
            )
        } else {
            // jpeg-encoder (SIMD) writes the same baseline JPEG as image's
            // encoder at a third of the time, which counts on every page.
            // A fifth of a byte per pixel holds a noisy 300-dpi page at this
            // quality; reserved at once, the buffer is not regrown by doubling.
            let mut bytes = Vec::with_capacity((width as usize * height as usize) / 5);
            let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, JPEG_QUALITY);
            let dots = dpi.round().clamp(1.0, 65_535.0) as u16;
            encoder.set_density(jpeg_encoder::PixelDensity::dpi(dots));
            let too_large = || Error::Image(format!("{width} x {height} is too large for JPEG"));
            let (w, h) = (
                u16::try_from(width).map_err(|_| too_large())?,
                u16::try_from(height).map_err(|_| too_large())?,
            );
            match image {
                DynamicImage::ImageLuma8(grey) => {
                    encoder
                        .encode(grey.as_raw(), w, h, jpeg_encoder::ColorType::Luma)
                        .map_err(|e| err(&e))?;
                    (ImageKind::JpegGrey, bytes)
                }
                colour => {
                    // The pipeline hands over grey or RGB; other callers' images are converted.
                    let rgb = match colour {
                        DynamicImage::ImageRgb8(rgb) => Cow::Borrowed(rgb),
                        other => Cow::Owned(other.to_rgb8()),
                    };
                    encoder
                        .encode(rgb.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
                        .map_err(|e| err(&e))?;
                    (ImageKind::JpegRgb, bytes)
                }
            }
        };
        // The reserve is generous (the sample pages take half to two thirds of
        // it), and the image is held until its dossier is assembled: give the
        // rest back now.
        bytes.shrink_to_fit();
        Ok(PageImage {
            kind,
            bytes,
            width,
            height,
            dpi,
        })
    }

    /// MIME type of `bytes`.
    pub fn mime(&self) -> &'static str {
        match self.kind {
            ImageKind::Bilevel => "image/png",
            _ => "image/jpeg",
        }
    }

    /// The image as a PDF XObject.
    pub(crate) fn to_xobject(&self) -> Stream {
        match self.kind {
            ImageKind::JpegGrey | ImageKind::JpegRgb => {
                let space = if self.kind == ImageKind::JpegGrey {
                    "DeviceGray"
                } else {
                    "DeviceRGB"
                };
                Stream::new(
                    dictionary! {
                        "Type" => "XObject",
                        "Subtype" => "Image",
                        "Width" => self.width,
                        "Height" => self.height,
                        "ColorSpace" => space,
                        "BitsPerComponent" => 8,
                        "Filter" => "DCTDecode",
                    },
                    self.bytes.clone(),
                )
                .with_compression(false)
            }
            ImageKind::Bilevel => Stream::new(
                dictionary! {
                    "Type" => "XObject",
                    "Subtype" => "Image",
                    "Width" => self.width,
                    "Height" => self.height,
                    "ColorSpace" => "DeviceGray",
                    "BitsPerComponent" => 1,
                    "Filter" => "FlateDecode",
                    "DecodeParms" => dictionary! {
                        "Predictor" => 15,
                        "Colors" => 1,
                        "BitsPerComponent" => 1,
                        "Columns" => self.width,
                    },
                },
                png_idat(&self.bytes),
            )
            .with_compression(false),
        }
    }
}

fn encode_bilevel(grey: &image::GrayImage) -> Result<Vec<u8>, png::EncodingError> {
    let (w, h) = grey.dimensions();
    let stride = (w as usize).div_ceil(8);
    let mut packed = vec![0u8; stride * h as usize];
    for (y, row) in grey.rows().enumerate() {
        for (x, p) in row.enumerate() {
            if p[0] >= 128 {
                packed[y * stride + x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&packed)?;
    writer.finish()?;
    Ok(out)
}

/// The concatenated IDAT payload of a PNG: its zlib stream.
fn png_idat(png: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut pos = 8;
    while pos + 12 <= png.len() {
        let len = u32::from_be_bytes([png[pos], png[pos + 1], png[pos + 2], png[pos + 3]]) as usize;
        if &png[pos + 4..pos + 8] == b"IDAT" {
            out.extend_from_slice(&png[pos + 8..(pos + 8 + len).min(png.len())]);
        }
        pos += 12 + len;
    }
    out
}
