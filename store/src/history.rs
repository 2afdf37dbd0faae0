//! A dossier's history: each of its versions (the first ingest, re-scans,
//! corrections) with who made it, when, and what changed, as `show
//! --history` and the viewer both tell it.

use serde::Serialize;

use crate::manifest::{Change, Manifest, ObjectRef};
use crate::{Digest, Result, Store};

/// One version of a dossier.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    /// Counted from 1, the first ingest.
    pub version: usize,
    pub manifest: Digest,
    pub stored_at: String,
    /// `ingest` (the first), `re-scan` or `correction`.
    pub made_by: &'static str,
    /// The correction's author, or the batch's operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The batch's name (`batch.toml`'s `name`), for an ingest or a re-scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
    pub pdf: ObjectRef,
    /// What a correction changed, line by line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// The version the dossier's ref names now.
    pub current: bool,
}

impl Store {
    /// A dossier's versions, oldest first; empty for a dossier not archived.
    pub async fn history(&self, dossier: &str) -> Result<Vec<Version>> {
        Ok(told(self.versions(dossier).await?))
    }

    /// [`Store::history`] from the current manifest, already read.
    pub async fn history_from(&self, digest: Digest, manifest: Manifest) -> Result<Vec<Version>> {
        Ok(told(self.versions_from(digest, manifest).await?))
    }
}

/// Versions, newest first as [`Store::versions`] gives them, told oldest first.
fn told(mut versions: Vec<(Digest, Manifest)>) -> Vec<Version> {
    versions.reverse();
    let count = versions.len();
    versions
        .into_iter()
        .enumerate()
        .map(|(i, (digest, manifest))| version(i + 1, i + 1 == count, digest, manifest))
        .collect()
}

fn version(number: usize, current: bool, digest: Digest, manifest: Manifest) -> Version {
    let field = |key: &str| {
        let value = manifest.batch.get(key).and_then(serde_json::Value::as_str);
        value.map(str::to_owned)
    };
    let (made_by, by, changes) = match manifest.correction {
        Some(c) => ("correction", Some(c.by), c.changes),
        None if number == 1 => ("ingest", field("operator"), Vec::new()),
        None => ("re-scan", field("operator"), Vec::new()),
    };
    Version {
        version: number,
        manifest: digest,
        stored_at: manifest.stored_at,
        made_by,
        by,
        batch: (made_by != "correction").then(|| field("name")).flatten(),
        pdf: manifest.pdf,
        changes,
        current,
    }
}

/// A part of a word diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Diff<'a> {
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

/// The words of `old` and `new`, with what was removed and added, in order
/// (a longest common subsequence of words; lines are short).
pub fn word_diff<'a>(old: &'a str, new: &'a str) -> Vec<Diff<'a>> {
    let a: Vec<&str> = old.split_whitespace().collect();
    let b: Vec<&str> = new.split_whitespace().collect();
    // common[i][j]: longest common run of a[i..] and b[j..].
    let mut common = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            common[i][j] = if a[i] == b[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            out.push(Diff::Same(a[i]));
            (i, j) = (i + 1, j + 1);
        } else if common[i + 1][j] >= common[i][j + 1] {
            out.push(Diff::Removed(a[i]));
            i += 1;
        } else {
            out.push(Diff::Added(b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|w| Diff::Removed(w)));
    out.extend(b[j..].iter().map(|w| Diff::Added(w)));
    out
}

/// A word diff in one line of text: `Madame [-NG0NO-] {+NGONO+} Awa`.
pub fn diff_line(old: &str, new: &str) -> String {
    let parts: Vec<String> = word_diff(old, new)
        .into_iter()
        .map(|d| match d {
            Diff::Same(w) => w.to_owned(),
            Diff::Removed(w) => format!("[-{w}-]"),
            Diff::Added(w) => format!("{{+{w}+}}"),
        })
        .collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misread_name_shows_as_one_word_out_and_one_in() {
        assert_eq!(
            diff_line("Madame NG0NO Awa", "Madame NGONO Awa"),
            "Madame [-NG0NO-] {+NGONO+} Awa"
        );
        assert_eq!(diff_line("née à", "née à Mbarga"), "née à {+Mbarga+}");
        assert_eq!(diff_line("a b", ""), "[-a-] [-b-]");
    }
}
