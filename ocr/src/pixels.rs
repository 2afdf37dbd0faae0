//! Page-size pixel buffers, all sized as leptonica sizes its own.
//!
//! A worker's page passes through several full-size buffers: decoded,
//! straightened, grey, the TIFF handed to Tesseract, then leptonica's image
//! and Tesseract's copies of it. Left to themselves these come in three sizes
//! a few kilobytes apart (leptonica pads each row to 32 bits, our buffers do
//! not), so the hole one leaves in the heap is often just too small for the
//! next, and the heap grows by a page instead. Giving every such buffer
//! leptonica's capacity makes any hole fit any page of that size.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The largest [`capacity`] handed out so far in this process.
static LARGEST: AtomicUsize = AtomicUsize::new(0);

/// Room for a file of `len` bytes that is about to be decoded into pages:
/// a page's worth if it is smaller, so that its hole fits the next page and
/// a page's hole fits the next file. The room beyond `len` is never written,
/// so a page far larger than the rest costs later files address space, not
/// memory.
pub fn file_capacity(len: usize) -> usize {
    len.max(LARGEST.load(Ordering::Relaxed))
}

/// Bytes leptonica allocates for an image of this size at `channels` bytes a
/// pixel: rows padded to a multiple of 4 bytes.
pub fn capacity(width: u32, height: u32, channels: usize) -> usize {
    (width as usize * channels).div_ceil(4) * 4 * height as usize
}

/// An empty buffer with room for a `width` x `height` page at `channels` bytes a pixel.
pub fn buffer(width: u32, height: u32, channels: usize) -> Vec<u8> {
    let capacity = capacity(width, height, channels);
    LARGEST.fetch_max(capacity, Ordering::Relaxed);
    Vec::with_capacity(capacity)
}

/// A buffer of the page's exact length, zeroed, with [`capacity`] room.
pub fn zeroed(width: u32, height: u32, channels: usize) -> Vec<u8> {
    let mut buffer = buffer(width, height, channels);
    buffer.resize(width as usize * height as usize * channels, 0);
    buffer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_padded_to_32_bits_as_leptonica_pads_them() {
        // An A4 page at 300 dpi, as leptonica's pixCreate allocated it (heaptrack).
        assert_eq!(capacity(2481, 3506, 1), 8_708_904);
        assert_eq!(capacity(2480, 3508, 1), 2480 * 3508);
        assert_eq!(capacity(5, 2, 3), 16 * 2);
    }

    #[test]
    fn a_zeroed_buffer_is_the_page_long_with_the_padded_room() {
        let b = zeroed(2481, 10, 1);
        assert_eq!(b.len(), 24_810);
        assert!(b.capacity() >= 24_840);
        assert!(b.iter().all(|&v| v == 0));
    }

    #[test]
    fn a_file_smaller_than_a_page_gets_a_page_s_room() {
        let page = buffer(2481, 3506, 1);
        assert!(page.capacity() >= 8_708_904);
        assert!(file_capacity(3_500_000) >= 8_708_904);
        // Larger than any page another test in this process could have made.
        assert_eq!(
            file_capacity(1 << 40),
            1 << 40,
            "a larger file, its own size"
        );
    }
}
