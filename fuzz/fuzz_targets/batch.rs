//! Fuzz target: the batch reader's parsing of names and metadata.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    // Metadata files (dossier.toml, batch.toml) as the reader parses them.
    let _ = ingest::batch::parse_toml(&text);
    // Names: identifier checks and natural order must hold for any pair.
    let (a, b) = text.split_at(text.char_indices().nth(text.chars().count() / 2).map_or(0, |(i, _)| i));
    let _ = ingest::batch::valid_id(a);
    let forward = ingest::natural::cmp(a, b);
    let backward = ingest::natural::cmp(b, a);
    assert_eq!(forward, backward.reverse(), "natural order must be antisymmetric: {a:?} {b:?}");
    assert_eq!(ingest::natural::cmp(a, a), std::cmp::Ordering::Equal);
});
