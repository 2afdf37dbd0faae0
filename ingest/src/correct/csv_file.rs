//! Corrections in bulk: a CSV with a header row naming `dossier`, `page`,
//! `from` and `to` (`page` may be left empty: every page of the dossier).

use super::{Edit, Request};
use crate::candidates::csv_reader;

/// The requests a CSV asks for, one per dossier, in the order dossiers first
/// appear; each row an edit of its dossier.
pub fn from_csv(text: &str, by: &str) -> Result<Vec<Request>, String> {
    let mut reader = csv_reader(text);
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("the header row has no `{name}` column"))
    };
    let (dossier, page, from, to) = (
        column("dossier")?,
        column("page")?,
        column("from")?,
        column("to")?,
    );
    let mut requests: Vec<Request> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = record.map_err(|e| format!("row {row}: {e}"))?;
        let field = |n: usize| record.get(n).unwrap_or_default().to_owned();
        let page = match field(page).as_str() {
            "" => None,
            n => Some(
                n.parse::<usize>()
                    .map_err(|_| format!("row {row}: page '{n}' is not a number"))?,
            ),
        };
        if field(from).is_empty() {
            return Err(format!("row {row}: `from` is empty"));
        }
        let edit = Edit::Replace {
            page,
            from: field(from),
            to: field(to),
        };
        let id = field(dossier);
        match requests.iter_mut().find(|r| r.dossier == id) {
            Some(request) => request.edits.push(edit),
            None => requests.push(Request {
                dossier: id,
                by: by.to_owned(),
                edits: vec![edit],
            }),
        }
    }
    Ok(requests)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_grouped_by_dossier_in_order() {
        let text = "dossier;page;from;to\nB;2;NG0NO;NGONO\nA;;Mbarqa;Mbarga\nB;;Yaounde;Yaoundé\n";
        let requests = from_csv(text, "cli:ngo").unwrap();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].dossier, "B");
        assert_eq!(requests[0].edits.len(), 2);
        assert_eq!(
            requests[0].edits[0],
            Edit::Replace {
                page: Some(2),
                from: "NG0NO".into(),
                to: "NGONO".into()
            }
        );
        assert_eq!(requests[1].by, "cli:ngo");
    }

    #[test]
    fn a_bad_page_names_its_row() {
        let error = from_csv("dossier,page,from,to\nA,two,x,y\n", "me")
            .err()
            .unwrap();
        assert!(error.contains("row 2"), "{error}");
    }
}
