//! Decoding scanned files into pages, with size limits checked before any pixel is allocated.
//!
//! The format is taken from the bytes, never from the file name: scanners and
//! people both mislabel files. TIFF goes through the `tiff` crate directly
//! because `image` only reads the first page of a multi-page file.

use std::io::Cursor;

use image::{ColorType, DynamicImage, GrayImage, ImageDecoder, ImageReader, RgbImage};
use tiff::decoder::{Decoder as TiffDecoder, DecodingResult};
use tiff::tags::Tag;

use crate::{Error, Result, pixels};

/// Pixel limits enforced on the header before decoding.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest accepted width or height, in pixels.
    pub max_side: u32,
    /// Largest accepted width × height.
    pub max_pixels: u64,
    /// Most pages read from one multi-page file.
    pub max_pages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // An A3 sheet at 600 dpi is 7016 x 9921 (70 Mpx); anything far beyond is not a scan.
        Limits {
            max_side: 20_000,
            max_pixels: 120_000_000,
            max_pages: 5_000,
        }
    }
}

impl Limits {
    pub(crate) fn check(&self, width: u32, height: u32) -> Result<()> {
        if width == 0 || height == 0 {
            return Err(Error::Decode(format!("empty image ({width} x {height})")));
        }
        let pixels = u64::from(width) * u64::from(height);
        if width > self.max_side || height > self.max_side || pixels > self.max_pixels {
            return Err(Error::TooLarge {
                width: width.into(),
                height: height.into(),
                limit: format!(
                    "{} px a side, {} Mpx",
                    self.max_side,
                    self.max_pixels / 1_000_000
                ),
            });
        }
        Ok(())
    }
}

/// The file formats recognised by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
    Tiff,
    Pdf,
}

impl Format {
    /// Recognises a format from the magic bytes at the start of a file.
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        match bytes {
            [0x89, b'P', b'N', b'G', ..] => Some(Format::Png),
            [0xFF, 0xD8, 0xFF, ..] => Some(Format::Jpeg),
            [b'I', b'I', 42, 0, ..] | [b'M', b'M', 0, 42, ..] => Some(Format::Tiff),
            [b'I', b'I', 43, 0, ..] | [b'M', b'M', 0, 43, ..] => Some(Format::Tiff),
            _ if bytes.starts_with(b"%PDF-") => Some(Format::Pdf),
            _ => None,
        }
    }

    /// The MIME type, for manifests and downloads.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::Tiff => "image/tiff",
            Format::Pdf => "application/pdf",
        }
    }
}

/// One decoded page of a scan.
#[derive(Debug, Clone)]
pub struct Scan {
    /// Grey (`Luma8`) or colour (`Rgb8`) pixels; never anything else.
    pub image: DynamicImage,
    /// Resolution the file declares, if any.
    pub dpi: Option<f32>,
    /// Every pixel is pure black or white (a bilevel scan).
    pub bilevel: bool,
}

impl Scan {
    /// The resolution to read the page at: the file's own when it is
    /// believable, else the one that makes the page's long side an A4's.
    ///
    /// Many files declare none, or a format's default (72 dpi, a JPEG's 1:1
    /// aspect ratio) rather than the scanner's. Taking such a page for 300
    /// dpi made a 1024-pixel-wide scan's letters look like specks to
    /// despeckling and told Tesseract its type was a third of its real size.
    /// The long side of the pixels over an A4's 11.7 inches is right for the
    /// forms of a dossier, and within a factor of 1.5 for anything from A5 to A3.
    pub fn resolution(&self) -> f32 {
        const A4_LONG_INCHES: f32 = 11.69;
        let long = self.image.width().max(self.image.height()) as f32;
        match self.believable_dpi() {
            Some(dpi) => dpi,
            None => (long / A4_LONG_INCHES).clamp(50.0, 1200.0).round(),
        }
    }

    /// The resolution the file declares, if it makes a sheet 4 to 20 inches
    /// long: `None` when [`Scan::resolution`] is a guess.
    pub fn believable_dpi(&self) -> Option<f32> {
        let long = self.image.width().max(self.image.height()) as f32;
        self.dpi
            .filter(|&dpi| dpi >= 50.0 && (4.0..=20.0).contains(&(long / dpi)))
    }

    /// The file declares a resolution and [`Scan::resolution`] did not
    /// believe it: ours is then a guess against the file's word.
    pub fn declared_dpi_overridden(&self) -> bool {
        self.dpi.is_some() && self.believable_dpi().is_none()
    }

    /// The resolution the `tesseract` command would read this page at: the
    /// file's own from 70 dpi up, believable or not; else 0, which has
    /// Tesseract estimate it from the height of the letters. The second
    /// reading of a doubtful page is meant to be Tesseract alone's.
    pub fn tesseract_dpi(&self) -> u32 {
        self.dpi
            .filter(|&dpi| dpi >= 70.0)
            .map_or(0, |dpi| dpi.round() as u32)
    }
}

fn sniff(bytes: &[u8]) -> Result<Format> {
    if bytes.is_empty() {
        return Err(Error::Decode("empty file (0 bytes)".into()));
    }
    match Format::sniff(bytes) {
        Some(format) => Ok(format),
        None => Err(Error::Decode("not a PNG, JPEG, TIFF or PDF file".into())),
    }
}

/// How many pages the file holds (1 for PNG and JPEG).
pub fn page_count(bytes: &[u8], limits: &Limits) -> Result<usize> {
    match sniff(bytes)? {
        Format::Pdf => crate::pdf_input::page_count(bytes),
        Format::Tiff => {
            let mut decoder = TiffDecoder::new(Cursor::new(bytes))?;
            let mut count = 1;
            while decoder.more_images() {
                if count >= limits.max_pages {
                    return Err(Error::Decode(format!(
                        "more than {} pages",
                        limits.max_pages
                    )));
                }
                decoder.next_image()?;
                count += 1;
            }
            Ok(count)
        }
        _ => Ok(1),
    }
}

/// Decodes page `index` (0-based) of the file.
pub fn decode_page(bytes: &[u8], index: usize, limits: &Limits) -> Result<Scan> {
    match sniff(bytes)? {
        Format::Tiff => decode_tiff(bytes, index, limits),
        Format::Pdf => crate::pdf_input::decode_page(bytes, index, limits),
        format => {
            if index != 0 {
                return Err(Error::NoSuchPage { index, count: 1 });
            }
            // A JPEG cut short still decodes, its missing rows made up: refuse it instead.
            if format == Format::Jpeg
                && !bytes[bytes.len().saturating_sub(4096)..]
                    .windows(2)
                    .any(|w| w == [0xFF, 0xD9])
            {
                return Err(Error::Decode(
                    "JPEG: truncated (no end-of-image marker)".into(),
                ));
            }
            let dpi = match format {
                Format::Png => png_dpi(bytes),
                Format::Jpeg => jpeg_dpi(bytes),
                _ => None,
            };
            let reader = || ImageReader::new(Cursor::new(bytes)).with_guessed_format();
            let (width, height) = reader()
                .map_err(|e| Error::Decode(e.to_string()))?
                .into_dimensions()?;
            limits.check(width, height)?;
            let mut reader = reader().map_err(|e| Error::Decode(e.to_string()))?;
            let mut image_limits = image::Limits::default();
            image_limits.max_image_width = Some(limits.max_side);
            image_limits.max_image_height = Some(limits.max_side);
            image_limits.max_alloc = Some(limits.max_pixels.saturating_mul(4));
            reader.limits(image_limits);
            Ok(normalise(read_decoded(reader.into_decoder()?)?, dpi))
        }
    }
}

/// Decodes 8-bit grey and RGB pages into buffers sized as in [`crate::pixels`];
/// other kinds, converted later anyway, into `image`'s own.
fn read_decoded(decoder: impl ImageDecoder) -> Result<DynamicImage> {
    let (width, height) = decoder.dimensions();
    let channels = match decoder.color_type() {
        ColorType::L8 => 1,
        ColorType::Rgb8 => 3,
        _ => return Ok(DynamicImage::from_decoder(decoder)?),
    };
    let mut buffer = pixels::zeroed(width, height, channels);
    decoder.read_image(&mut buffer)?;
    Ok(if channels == 1 {
        DynamicImage::ImageLuma8(GrayImage::from_raw(width, height, buffer).expect("sized above"))
    } else {
        DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, buffer).expect("sized above"))
    })
}

/// Reduces any decoded image to grey or RGB, the two kinds the pipeline handles.
pub(crate) fn normalise(image: DynamicImage, dpi: Option<f32>) -> Scan {
    let image = if image.color().has_color() {
        DynamicImage::ImageRgb8(image.into_rgb8())
    } else {
        DynamicImage::ImageLuma8(image.into_luma8())
    };
    let bilevel = match &image {
        DynamicImage::ImageLuma8(grey) => grey.as_raw().iter().all(|&v| v == 0 || v == 255),
        _ => false,
    };
    Scan {
        image,
        dpi,
        bilevel,
    }
}

fn decode_tiff(bytes: &[u8], index: usize, limits: &Limits) -> Result<Scan> {
    let mut tiff_limits = tiff::decoder::Limits::default();
    tiff_limits.decoding_buffer_size =
        usize::try_from(limits.max_pixels.saturating_mul(4)).unwrap_or(usize::MAX);
    let mut decoder = TiffDecoder::new(Cursor::new(bytes))?.with_limits(tiff_limits);
    if index > 0 {
        decoder
            .seek_to_image(index)
            .map_err(|_| Error::NoSuchPage {
                index,
                count: page_count(bytes, limits).unwrap_or(0),
            })?;
    }
    let (width, height) = decoder.dimensions()?;
    limits.check(width, height)?;
    let dpi = tiff_dpi(&mut decoder);
    let color = decoder.colortype()?;
    let data = if color == tiff::ColorType::Gray(8) {
        // One sample a pixel, so one plane: the bytes are the page's rows.
        let mut buffer = pixels::zeroed(width, height, 1);
        decoder.read_image_bytes(&mut buffer)?;
        DecodingResult::U8(buffer)
    } else {
        decoder.read_image()?
    };
    let (w, h) = (width as usize, height as usize);
    let too_short = || Error::Decode("TIFF: image data shorter than its dimensions".into());
    use tiff::ColorType as C;
    let image = match (color, data) {
        (C::Gray(8), DecodingResult::U8(buf)) => {
            DynamicImage::ImageLuma8(GrayImage::from_raw(width, height, buf).ok_or_else(too_short)?)
        }
        (C::Gray(16), DecodingResult::U16(buf)) => {
            let grey: Vec<u8> = buf.iter().map(|&v| (v >> 8) as u8).collect();
            DynamicImage::ImageLuma8(
                GrayImage::from_raw(width, height, grey).ok_or_else(too_short)?,
            )
        }
        (C::Gray(1), DecodingResult::U8(buf)) => {
            // Packed rows, padded to a byte; the decoder has already mapped WhiteIsZero to 1 = white.
            let stride = w.div_ceil(8);
            if buf.len() < stride * h {
                return Err(too_short());
            }
            let mut grey = Vec::with_capacity(w * h);
            for row in buf.chunks_exact(stride).take(h) {
                grey.extend((0..w).map(|x| {
                    if row[x / 8] & (0x80 >> (x % 8)) != 0 {
                        255
                    } else {
                        0
                    }
                }));
            }
            DynamicImage::ImageLuma8(
                GrayImage::from_raw(width, height, grey).ok_or_else(too_short)?,
            )
        }
        (C::RGB(8), DecodingResult::U8(buf)) => {
            DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, buf).ok_or_else(too_short)?)
        }
        (C::RGBA(8), DecodingResult::U8(buf)) => {
            let rgb: Vec<u8> = buf
                .chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect();
            DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, rgb).ok_or_else(too_short)?)
        }
        (C::GrayA(8), DecodingResult::U8(buf)) => {
            let grey: Vec<u8> = buf.chunks_exact(2).map(|p| p[0]).collect();
            DynamicImage::ImageLuma8(
                GrayImage::from_raw(width, height, grey).ok_or_else(too_short)?,
            )
        }
        (C::CMYK(8), DecodingResult::U8(buf)) => {
            let rgb: Vec<u8> = buf
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = 255 - u16::from(p[3]);
                    [0, 1, 2].map(|i| ((255 - u16::from(p[i])) * k / 255) as u8)
                })
                .collect();
            DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, rgb).ok_or_else(too_short)?)
        }
        (other, _) => {
            return Err(Error::Decode(format!(
                "TIFF: unsupported colour type {other:?}"
            )));
        }
    };
    Ok(normalise(image, dpi))
}

fn tiff_dpi<R: std::io::Read + std::io::Seek>(decoder: &mut TiffDecoder<R>) -> Option<f32> {
    let x = match decoder.find_tag(Tag::XResolution).ok()?? {
        tiff::decoder::ifd::Value::Rational(n, d) if d != 0 => n as f32 / d as f32,
        _ => return None,
    };
    let unit = decoder
        .find_tag_unsigned::<u16>(Tag::ResolutionUnit)
        .ok()
        .flatten()
        .unwrap_or(2);
    plausible(if unit == 3 { x * 2.54 } else { x })
}

/// Reads the `pHYs` chunk of a PNG (pixels per metre) if it comes before the image data.
fn png_dpi(bytes: &[u8]) -> Option<f32> {
    let mut pos = 8;
    while pos + 12 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().ok()?) as usize;
        let kind = &bytes[pos + 4..pos + 8];
        let data = bytes.get(pos + 8..pos + 8 + len)?;
        match kind {
            b"pHYs" if len == 9 && data[8] == 1 => {
                let per_metre = u32::from_be_bytes(data[0..4].try_into().ok()?);
                return plausible(per_metre as f32 * 0.0254);
            }
            b"IDAT" | b"IEND" => return None,
            _ => pos += 12 + len,
        }
    }
    None
}

/// Reads the density of a JFIF `APP0` segment.
fn jpeg_dpi(bytes: &[u8]) -> Option<f32> {
    let app0 = bytes.get(2..20)?;
    if app0[0..2] != [0xFF, 0xE0] || &app0[4..9] != b"JFIF\0" {
        return None;
    }
    let units = app0[11];
    let x = f32::from(u16::from_be_bytes([app0[12], app0[13]]));
    match units {
        1 => plausible(x),
        2 => plausible(x * 2.54),
        _ => None,
    }
}

/// Resolutions outside what scanners produce are metadata errors; ignore them.
fn plausible(dpi: f32) -> Option<f32> {
    (50.0..=2400.0).contains(&dpi).then_some(dpi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(width: u32, height: u32, dpi: Option<f32>) -> Scan {
        Scan {
            image: DynamicImage::new_luma8(width, height),
            dpi,
            bilevel: false,
        }
    }

    #[test]
    fn a_declared_resolution_is_kept_when_the_sheet_it_gives_is_believable() {
        assert_eq!(scan(2480, 3508, Some(300.0)).resolution(), 300.0);
        assert_eq!(scan(3642, 4565, Some(400.0)).resolution(), 400.0);
    }

    #[test]
    fn a_missing_or_default_resolution_is_read_off_the_page_size() {
        // A 300-dpi A4 scan saved at a format's default 72 dpi.
        assert_eq!(scan(2480, 3508, Some(72.0)).resolution(), 300.0);
        // A low-resolution scan with no resolution at all: about 114 dpi.
        assert_eq!(scan(1024, 1333, None).resolution(), 114.0);
        assert_eq!(scan(1024, 1333, Some(1.0)).resolution(), 114.0);
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        GrayImage::from_pixel(width, height, image::Luma([200]))
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn format_comes_from_the_bytes_not_the_name() {
        assert_eq!(Format::sniff(&png(2, 2)), Some(Format::Png));
        assert_eq!(Format::sniff(b"GIF89a"), None);
        assert!(decode_page(b"hello", 0, &Limits::default()).is_err());
    }

    #[test]
    fn zero_byte_file_is_rejected_with_a_reason() {
        let err = decode_page(&[], 0, &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("0 bytes"), "{err}");
    }

    #[test]
    fn limits_are_checked_before_decoding() {
        let limits = Limits {
            max_side: 100,
            ..Limits::default()
        };
        let err = decode_page(&png(101, 10), 0, &limits).unwrap_err();
        assert!(matches!(err, Error::TooLarge { width: 101, .. }), "{err}");
        assert!(decode_page(&png(100, 10), 0, &limits).is_ok());
    }

    #[test]
    fn grey_png_stays_grey() {
        let scan = decode_page(&png(4, 3), 0, &Limits::default()).unwrap();
        assert!(matches!(scan.image, DynamicImage::ImageLuma8(_)));
        assert!(!scan.bilevel);
    }
}
