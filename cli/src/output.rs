//! Printing results: one JSON document with `--json`, text for people otherwise.

use std::io::IsTerminal;

use serde::Serialize;

/// Prints `value` as the single JSON document of this run.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A snippet for a terminal: the matches bold (or `*…*` when not a
/// terminal), lines joined.
pub fn snippet(excerpt: &index::Snippet) -> String {
    let (on, off) = if std::io::stdout().is_terminal() {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("*", "*")
    };
    let mut text = String::with_capacity(excerpt.text.len() + 8);
    for (part, matched) in excerpt.parts() {
        if matched {
            text.push_str(&format!("{on}{part}{off}"));
        } else {
            text.push_str(part);
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Bytes for people, in binary units ("1.2 MiB"), as the viewer shows them.
pub fn bytes(n: u64) -> String {
    bytesize::ByteSize::b(n).display().iec().to_string()
}
