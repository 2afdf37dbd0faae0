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

/// Bytes for people.
pub fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}
