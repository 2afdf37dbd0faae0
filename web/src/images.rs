//! Page images at screen size: derived once from the stored 300-dpi page and
//! cached in `ARCHIVE/derivatives/`, named by the page image's hash and width.

use std::path::PathBuf;

use anyhow::{Context, Result};

/// Widths served: a thumbnail and a reading size. Anything else is refused,
/// so a client cannot fill the cache with arbitrary sizes.
pub const THUMB: u32 = 320;
pub const SCREEN: u32 = 1400;

#[derive(Debug)]
pub struct Derivatives {
    dir: PathBuf,
}

impl Derivatives {
    pub fn new(dir: PathBuf) -> Derivatives {
        Derivatives { dir }
    }

    /// The cached JPEG if there is one.
    pub fn cached(&self, sha256: &str, width: u32) -> Option<Vec<u8>> {
        std::fs::read(self.path(sha256, width)).ok()
    }

    /// Renders the derivative from the stored page image and caches it.
    pub fn render(&self, sha256: &str, width: u32, original: &[u8]) -> Result<Vec<u8>> {
        let image = image::load_from_memory(original).context("decoding the stored page image")?;
        let target = width.min(image.width()).max(1);
        let height =
            ((image.height() as u64 * target as u64) / image.width().max(1) as u64).max(1) as u32;
        // Grey pages stay grey: a third of the bytes of RGB at the same quality.
        let resized = if image.color().has_color() {
            image::DynamicImage::ImageRgb8(image::imageops::resize(
                &image.to_rgb8(),
                target,
                height,
                image::imageops::FilterType::Triangle,
            ))
        } else {
            image::DynamicImage::ImageLuma8(image::imageops::resize(
                &image.to_luma8(),
                target,
                height,
                image::imageops::FilterType::Triangle,
            ))
        };
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
            .encode_image(&resized)
            .context("encoding the page image")?;
        std::fs::create_dir_all(&self.dir)?;
        let path = self.path(sha256, width);
        let temp = path.with_extension("tmp");
        std::fs::write(&temp, &jpeg)?;
        std::fs::rename(&temp, &path)?;
        Ok(jpeg)
    }

    fn path(&self, sha256: &str, width: u32) -> PathBuf {
        self.dir.join(format!("{sha256}-{width}.jpg"))
    }
}
