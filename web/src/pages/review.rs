//! The review queue: pages whose OCR confidence is low, worst first, with
//! their doubtful words, and dossiers whose candidate's details are not in
//! their text; each a link to correct it.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use maud::html;
use serde::Deserialize;
use store::words::PageWords;

use super::{Reply, encode, label_or, layout, page_response};
use crate::i18n::{KINDS, kind as kind_label, t};
use crate::{App, Viewer};

/// Pages listed at most: the filters narrow the rest.
const LISTED: usize = 50;
/// Doubtful words shown per page.
const WORDS_SHOWN: usize = 12;

pub(super) fn routes() -> Router<Arc<App>> {
    Router::new().route("/review", get(review))
}

#[derive(Deserialize, Default)]
struct Filters {
    #[serde(default)]
    batch: String,
    #[serde(default)]
    dossier: String,
    #[serde(default)]
    kind: String,
}

/// A listed page with its doubtful words.
struct Row {
    page: index::ReviewPage,
    words: Vec<String>,
}

async fn review(
    State(app): State<Arc<App>>,
    viewer: Viewer,
    Query(filters): Query<Filters>,
) -> Reply {
    let lang = viewer.lang;
    let described = format!(
        "review batch={} dossier={} kind={}",
        filters.batch, filters.dossier, filters.kind
    );
    app.log(&viewer, "search", &crate::access::clean(&described, 300))
        .await?;
    let filter = index::ReviewFilter {
        below: app.review_below,
        batch: Some(filters.batch.trim().to_owned()),
        dossier: Some(filters.dossier.trim().to_owned()),
        kind: KINDS
            .contains(&filters.kind.as_str())
            .then(|| filters.kind.clone()),
        limit: LISTED,
    };
    let found = app
        .blocking(move |app| {
            let _ = app.index.reload();
            app.index.review(&filter)
        })
        .await
        .map_err(|e| viewer.internal(e))?;
    let mut rows = Vec::with_capacity(found.pages.len());
    // Several pages of one dossier share its manifest: read once.
    let mut manifests = std::collections::HashMap::new();
    for page in found.pages {
        if !manifests.contains_key(&page.dossier) {
            let manifest = app.store.manifest(&page.dossier).await.ok().flatten();
            manifests.insert(page.dossier.clone(), manifest.map(|(_, m)| m));
        }
        let manifest = manifests[&page.dossier].as_ref();
        let words = match manifest {
            Some(manifest) => doubtful_words(&app, manifest, page.page).await,
            None => Vec::new(),
        };
        rows.push(Row { page, words });
    }
    let correct = viewer.role.can_correct() && app.corrections.is_some();
    let body = html! {
        h1 { (t(lang, "review")) }
        p.muted { (t(lang, "review-intro")) " " (app.review_below) "." }
        form.search method="get" action="/review" {
            div.filters {
                label { (t(lang, "batch")) input type="text" name="batch" value=(filters.batch); }
                label { (t(lang, "dossier")) input type="text" name="dossier" value=(filters.dossier); }
                label {
                    (t(lang, "kind"))
                    select name="kind" {
                        option value="" { (t(lang, "any")) }
                        @for k in KINDS {
                            option value=(k) selected[filters.kind == *k] { (kind_label(lang, k)) }
                        }
                    }
                }
                button type="submit" { (t(lang, "filter")) }
            }
        }
        h2 { (t(lang, "review-pages")) " (" (found.total) ")" }
        table.list #review-pages {
            thead { tr { th { (t(lang, "dossier")) } th { (t(lang, "page")) } th { (t(lang, "kind")) } th { (t(lang, "confidence")) } th { (t(lang, "doubtful-words")) } th {} } }
            tbody {
                @for row in &rows {
                    @let base = format!("/dossiers/{}/pages/{}", encode(&row.page.dossier), row.page.page);
                    tr {
                        td { a href=(format!("/dossiers/{}", encode(&row.page.dossier))) { (row.page.dossier) } }
                        td { a href=(base) { (row.page.page) } }
                        td { (kind_label(lang, &row.page.kind)) }
                        td { (format!("{:.0}", row.page.confidence)) }
                        td.words { @for w in &row.words { span.tag.soft { (w) } " " } }
                        td { @if correct { a.button href=(format!("{base}/correct")) { (t(lang, "correct-text")) } } }
                    }
                }
            }
        }
        @if !found.unmatched.is_empty() {
            h2 { (t(lang, "review-unmatched")) " (" (found.unmatched.len()) ")" }
            table.list #review-unmatched {
                thead { tr { th { (t(lang, "dossier")) } th { (t(lang, "review-not-found")) } } }
                tbody {
                    @for u in &found.unmatched {
                        tr {
                            td { a href=(format!("/dossiers/{}", encode(&u.dossier))) { (u.dossier) } }
                            td { @for f in &u.fields { span.tag.soft { (label_or(lang, "field-", f)) } " " } }
                        }
                    }
                }
            }
        }
    };
    Ok(page_response(
        StatusCode::OK,
        layout(lang, Some(&viewer), t(lang, "review"), "/review", body),
    ))
}

/// The page's words read with low confidence, worst first; none if its
/// words cannot be read (the page itself then says why).
async fn doubtful_words(app: &App, manifest: &store::Manifest, page: u64) -> Vec<String> {
    let words = manifest
        .pages
        .iter()
        .find(|p| p.number as u64 == page)
        .and_then(|p| p.words.as_ref());
    let Some(object) = words else {
        return Vec::new();
    };
    let Ok(words) = app.store.get_json::<PageWords>(&object.sha256).await else {
        return Vec::new();
    };
    let mut low: Vec<_> = words
        .words
        .into_iter()
        .filter(|w| w.confidence < app.review_below)
        .collect();
    low.sort_by(|a, b| a.confidence.total_cmp(&b.confidence));
    low.into_iter().take(WORDS_SHOWN).map(|w| w.text).collect()
}
