//! Pixels in, text out: page decoding with limits, preprocessing and Tesseract OCR.
//!
//! This crate owns everything that looks at pixels: decoding a scanned file
//! into pages (checking pixel limits before allocating), finding and undoing
//! the skew of a page, spotting blank pages, and running Tesseract to get words
//! with their boxes and confidences.
//!
//! It is synchronous and CPU-only. It must never know about files on disk
//! (callers hand it bytes), tokio, storage or PDF.

pub mod background;
pub mod blank;
pub mod border;
pub mod decode;
pub mod deskew;
pub mod despeckle;
pub mod engine;
mod error;
pub mod orientation;
mod pdf_input;
pub mod pixels;
pub mod preprocess;
pub mod second_reading;

pub use decode::{Limits, Scan, decode_page, page_count};
pub use engine::{Engine, Orientation, Recognition, Word};
pub use error::{Error, Result};
pub use preprocess::{Preprocessed, preprocess, preprocess_flattened, preprocess_with};
