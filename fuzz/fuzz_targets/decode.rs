//! Fuzz target: any bytes through the decoder entry points (PNG, JPEG, TIFF, PDF).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    // Small limits keep each run fast; the checks are the same as with the defaults.
    let limits = ocr::Limits { max_side: 3000, max_pixels: 4_000_000, max_pages: 50 };
    if let Ok(pages) = ocr::page_count(bytes, &limits) {
        for index in 0..pages.min(3) {
            if let Ok(scan) = ocr::decode_page(bytes, index, &limits) {
                let _ = ocr::preprocess(scan, 300.0);
            }
        }
    }
    let _ = ocr::decode_page(bytes, 7, &limits);
});
