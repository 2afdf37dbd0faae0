//! The operator's list of candidates: which dossier identifiers a stack's
//! cover sheets may name, and each candidate's details (name, corps, ...),
//! which become the dossier's metadata as `dossier.toml` would give them.
//!
//! `dossier sheets --list FILE` reads it from a CSV (a header row; a
//! `dossier` column) or a TOML file (a table per identifier), prints the
//! cover sheets, and keeps it in the archive folder for the ingests after.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

/// Details by dossier identifier.
pub type Candidates = BTreeMap<String, Map<String, Value>>;

/// Where the archive folder keeps the list.
pub const FILE: &str = "candidates.json";

/// Reads a list from CSV or TOML (by its extension); the reason when it cannot be used.
pub fn read_list(path: &Path) -> Result<Candidates, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let list = match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => from_toml(&text)?,
        _ => from_csv(&text)?,
    };
    for id in list.keys() {
        if !store::manifest::valid_dossier_id(id) {
            return Err(format!(
                "{id:?} is not a dossier identifier: use letters, digits, '-', '_' and '.', at most 64 characters"
            ));
        }
    }
    Ok(list)
}

/// `[INT-2026-00001]` tables of details.
fn from_toml(text: &str) -> Result<Candidates, String> {
    let table = crate::batch::parse_toml(text)?;
    table
        .into_iter()
        .map(|(id, details)| match details {
            Value::Object(details) => Ok((id, details)),
            _ => Err(format!("{id}: expected a table of the candidate's details")),
        })
        .collect()
}

/// A header row naming the columns, one of them `dossier`.
fn from_csv(text: &str) -> Result<Candidates, String> {
    let mut reader = csv_reader(text);
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let id_column = headers
        .iter()
        .position(|h| h.eq_ignore_ascii_case("dossier"))
        .ok_or("the header row has no `dossier` column")?;
    let mut list = Candidates::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("row {}: {e}", line + 2))?;
        let id = record.get(id_column).unwrap_or_default().to_owned();
        let details = headers
            .iter()
            .zip(record.iter())
            .enumerate()
            .filter(|(column, (_, value))| *column != id_column && !value.is_empty())
            .map(|(_, (key, value))| (key.to_owned(), Value::String(value.to_owned())))
            .collect();
        list.insert(id, details);
    }
    Ok(list)
}

/// A CSV reader for a file people wrote: the header row first, fields
/// trimmed, `;` or `,` between them as the header row has it (spreadsheets
/// in French locales write `;`).
pub(crate) fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes())
}

/// The list the archive folder keeps, if any.
pub fn load(archive: &Path) -> Result<Option<Candidates>, String> {
    let path = archive.join(FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Adds `list` to the archive folder's (a candidate listed again gets the
/// new details); returns the whole list.
pub fn remember(archive: &Path, list: &Candidates) -> Result<Candidates, String> {
    let mut all = load(archive)?.unwrap_or_default();
    all.extend(list.iter().map(|(k, v)| (k.clone(), v.clone())));
    let bytes = serde_json::to_vec_pretty(&all).map_err(|e| e.to_string())?;
    store::files::write_private(&archive.join(FILE), &bytes).map_err(|e| e.to_string())?;
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_from_a_spreadsheet_or_a_toml_file() {
        let csv = "Dossier;name;corps\nINT-2026-00001; NGONO Marie ;Enseignants\nINT-2026-00002;FOUDA Paul;\n";
        let list = from_csv(csv).unwrap();
        assert_eq!(list["INT-2026-00001"]["name"], "NGONO Marie");
        assert_eq!(list["INT-2026-00002"].len(), 1);
        let toml = "[INT-2026-00003]\nname = \"ABENA Luc\"\ncorps = \"Médecins\"\n";
        assert_eq!(
            from_toml(toml).unwrap()["INT-2026-00003"]["corps"],
            "Médecins"
        );
        assert!(from_csv("name\nX\n").unwrap_err().contains("dossier"));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list.csv");
        std::fs::write(&path, "dossier,name\nbad id,X\n").unwrap();
        assert!(
            read_list(&path)
                .unwrap_err()
                .contains("not a dossier identifier")
        );

        assert_eq!(load(dir.path()).unwrap(), None);
        remember(dir.path(), &list).unwrap();
        let all = remember(dir.path(), &from_toml(toml).unwrap()).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(load(dir.path()).unwrap().unwrap(), all);
    }
}
