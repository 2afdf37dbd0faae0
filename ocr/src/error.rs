//! The one error type of the OCR crate.

/// What went wrong while decoding or reading a page.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not an image format we read, or are damaged.
    #[error("{0}")]
    Decode(String),
    /// The image is larger than the configured limits; nothing was allocated for it.
    #[error("image of {width} x {height} pixels exceeds the limit of {limit}")]
    TooLarge {
        width: u64,
        height: u64,
        limit: String,
    },
    /// A page index past the end of a multi-page file.
    #[error("page {index} does not exist (the file has {count})")]
    NoSuchPage { index: usize, count: usize },
    /// Tesseract could not be started or failed on a page.
    #[error("tesseract: {0}")]
    Tesseract(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<image::ImageError> for Error {
    fn from(e: image::ImageError) -> Self {
        Error::Decode(e.to_string())
    }
}

impl From<tiff::TiffError> for Error {
    fn from(e: tiff::TiffError) -> Self {
        Error::Decode(format!("TIFF: {e}"))
    }
}
