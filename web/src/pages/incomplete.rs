//! The dossiers that miss a piece of their checklist, or need a look: the
//! list archivists work through before the paper goes back to the shelves.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use maud::{Markup, html};

use super::{Reply, encode, layout, page_response};
use crate::i18n::{Lang, kind as kind_label, t};
use crate::{App, Viewer};

/// Dossiers listed at most; the search's `complete:no` filter finds the rest.
const LISTED: usize = 200;

pub(super) fn routes() -> Router<Arc<App>> {
    Router::new().route("/incomplete", get(incomplete))
}

async fn incomplete(State(app): State<Arc<App>>, viewer: Viewer) -> Reply {
    let lang = viewer.lang;
    app.log(&viewer, "search", "complete:no OR complete:doubtful")
        .await?;
    let options = index::SearchOptions {
        limit: LISTED,
        group: true,
        ..Default::default()
    };
    let found = app
        .blocking(move |app| {
            let _ = app.index.reload();
            app.index
                .search("complete:no OR complete:doubtful", &options)
        })
        .await
        .map_err(|e| viewer.internal(e))?;
    let mut rows = Vec::new();
    for group in found.groups.unwrap_or_default() {
        if let Ok(Some((_, manifest))) = app.store.manifest(&group.dossier).await
            && let Some(check) = manifest.completeness
        {
            rows.push((manifest.dossier, manifest.metadata, check));
        }
    }
    // Missing pieces first, then the doubtful; by identifier within each.
    rows.sort_by(|a, b| (&b.2.status, &a.0).cmp(&(&a.2.status, &b.0)));
    let body = html! {
        h1 { (t(lang, "incomplete-dossiers")) " (" (rows.len()) ")" }
        p.muted { (t(lang, "incomplete-intro")) }
        table.list {
            thead { tr { th { (t(lang, "dossier")) } th { (t(lang, "field-name")) } th { (t(lang, "completeness")) } } }
            tbody {
                @for (id, metadata, check) in &rows {
                    tr {
                        td { a href=(format!("/dossiers/{}", encode(id))) { (id) } }
                        td { (metadata.get("name").and_then(|v| v.as_str()).unwrap_or("")) }
                        td { (badge(lang, check)) }
                    }
                }
            }
        }
    };
    Ok(page_response(
        StatusCode::OK,
        layout(
            lang,
            Some(&viewer),
            t(lang, "incomplete-dossiers"),
            "/incomplete",
            body,
        ),
    ))
}

/// A dossier's completeness at a glance: its status, then what is missing,
/// out of date or in doubt, kinds in the reader's language.
pub(super) fn badge(lang: Lang, check: &store::manifest::Completeness) -> Markup {
    let status = match check.status.as_str() {
        "complete" => "yes",
        "incomplete" => "no",
        _ => "doubtful",
    };
    html! {
        span class=(format!("badge complete-{status}")) { (t(lang, &format!("complete-{status}"))) }
        @if !check.missing.is_empty() {
            " " span { (t(lang, "missing")) " : " (check.missing.iter().map(|k| kind_label(lang, k)).collect::<Vec<_>>().join(", ")) }
        }
        @for expired in &check.expired {
            @let (kind, date) = expired.split_once(' ').unwrap_or((expired, ""));
            " " span { (t(lang, "expired")) " : " (kind_label(lang, kind)) " " (date) }
        }
        @for doubt in &check.doubtful {
            " " span.muted { (t(lang, "doubtful")) " : " (doubt) }
        }
    }
}
