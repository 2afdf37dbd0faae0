//! The search page: the query, its filters and facets, and the hits.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;

use super::{Reply, encode, layout, page_response};
use crate::i18n::{KINDS, Lang, kind as kind_label, t};
use crate::{App, Viewer};

pub(super) fn routes() -> Router<Arc<App>> {
    Router::new().route("/", get(search))
}

#[derive(Deserialize, Default)]
struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    /// Page language: `fra` or `eng`.
    #[serde(default)]
    doclang: String,
    #[serde(default)]
    year: String,
    /// Dossiers against their checklist: `yes`, `no` or `doubtful`.
    #[serde(default)]
    complete: String,
    limit: Option<usize>,
}

/// The values of the `complete` filter, as indexed.
const COMPLETENESS: &[&str] = &["no", "doubtful", "yes"];

impl SearchQuery {
    /// The index query: the words typed plus the filters chosen.
    fn full(&self) -> String {
        let mut parts = vec![self.q.trim().to_owned()];
        if KINDS.contains(&self.kind.as_str()) {
            parts.push(format!("kind:{}", self.kind));
        }
        if matches!(self.doclang.as_str(), "fra" | "eng") {
            parts.push(format!("lang:{}", self.doclang));
        }
        if self.year.len() == 4 && self.year.chars().all(|c| c.is_ascii_digit()) {
            parts.push(format!("scanned:[{0}-01-01 TO {0}-12-31]", self.year));
        }
        if COMPLETENESS.contains(&self.complete.as_str()) {
            parts.push(format!("complete:{}", self.complete));
        }
        parts.retain(|p| !p.is_empty());
        parts.join(" ")
    }

    fn url(&self, change: impl FnOnce(&mut SearchQuery)) -> String {
        let mut next = SearchQuery {
            q: self.q.clone(),
            kind: self.kind.clone(),
            doclang: self.doclang.clone(),
            year: self.year.clone(),
            complete: self.complete.clone(),
            limit: None,
        };
        change(&mut next);
        let mut url = format!("/?q={}", encode(&next.q));
        for (name, value) in [
            ("kind", &next.kind),
            ("doclang", &next.doclang),
            ("year", &next.year),
            ("complete", &next.complete),
        ] {
            if !value.is_empty() {
                url.push_str(&format!("&{name}={}", encode(value)));
            }
        }
        if let Some(limit) = next.limit {
            url.push_str(&format!("&limit={limit}"));
        }
        url
    }
}

async fn search(
    State(app): State<Arc<App>>,
    viewer: Viewer,
    Query(query): Query<SearchQuery>,
) -> Reply {
    let lang = viewer.lang;
    let full = query.full();
    let limit = query.limit.unwrap_or(20).clamp(1, 500);
    let here = query.url(|q| q.limit = query.limit);
    let results = if full.is_empty() {
        None
    } else {
        app.log(&viewer, "search", &full).await?;
        let started = Instant::now();
        let options = index::SearchOptions {
            limit,
            ..Default::default()
        };
        let query = full.clone();
        // Another process (an ingest) commits to the index: reload first.
        let results = app
            .blocking(move |app| {
                let _ = app.index.reload();
                app.index.search(&query, &options)
            })
            .await;
        app.metrics.search(started.elapsed());
        Some(results)
    };
    let recent = if results.is_none() {
        app.store.dossiers().await.map_err(|e| viewer.internal(e))?
    } else {
        Vec::new()
    };
    let body = html! {
        (search_form(lang, &query))
        @match &results {
            None => (recent_list(lang, &recent)),
            Some(Err(e)) => p.error role="alert" { (e) },
            Some(Ok(found)) => (results_view(lang, &query, found, limit)),
        }
        (freshness(lang, &app))
    };
    Ok(page_response(
        StatusCode::OK,
        layout(lang, Some(&viewer), t(lang, "search"), &here, body),
    ))
}

/// The search box and its filters, filled in as the query has them.
fn search_form(lang: Lang, query: &SearchQuery) -> Markup {
    html! {
    form.search method="get" action="/" role="search" {
        div.searchbar {
            input type="search" name="q" value=(query.q) placeholder=(t(lang, "search-placeholder")) aria-label=(t(lang, "search")) autofocus;
            button.primary type="submit" { (t(lang, "search")) }
        }
        div.filters {
            label {
                (t(lang, "kind"))
                select name="kind" {
                    option value="" { (t(lang, "any")) }
                    @for k in KINDS {
                        option value=(k) selected[query.kind == *k] { (kind_label(lang, k)) }
                    }
                }
            }
            label {
                (t(lang, "language"))
                select name="doclang" {
                    option value="" { (t(lang, "any")) }
                    option value="fra" selected[query.doclang == "fra"] { (t(lang, "lang-fra")) }
                    option value="eng" selected[query.doclang == "eng"] { (t(lang, "lang-eng")) }
                }
            }
            label {
                (t(lang, "year"))
                input type="text" name="year" value=(query.year) inputmode="numeric" pattern="[0-9]{4}" size="5" placeholder=(t(lang, "year-placeholder"));
            }
        }
        p.help { (t(lang, "search-help")) }
    }
    }
}

/// Before any search: the archive's dossiers (the first 200).
fn recent_list(lang: Lang, recent: &[String]) -> Markup {
    html! {
        section {
            h2 { (t(lang, "recent")) " (" (recent.len()) ")" }
            ul.dossier-list {
                @for id in recent.iter().take(200) {
                    li { a href=(format!("/dossiers/{}", encode(id))) { (id) } }
                }
            }
        }
    }
}

/// The hits, with the facets that narrow them.
/// How recent the index is: what every station stored until how long ago.
fn freshness(lang: Lang, app: &App) -> Markup {
    let (lag, behind) = app.follow.lag();
    html! {
        p.muted.freshness #index-freshness {
            @match lag {
                Some(lag) if behind == 0 => {
                    (t(lang, "index-current").replace("{s}", &lag.as_secs().to_string()))
                },
                Some(lag) => {
                    (t(lang, "index-behind").replace("{n}", &behind.to_string()).replace("{s}", &lag.as_secs().to_string()))
                },
                None => (t(lang, "index-unknown")),
            }
        }
    }
}

fn results_view(lang: Lang, query: &SearchQuery, found: &index::Results, limit: usize) -> Markup {
    // Each hit's link carries the query, for the page viewer's marks.
    let marked = encode(&query.full());
    html! {
        div.results-layout {
            aside.facets hidden[found.total == 0] {
                h2 { (t(lang, "kind")) }
                ul {
                    @for (k, n) in &found.facets.kind {
                        li {
                            a href=(query.url(|q| q.kind = k.clone())) class=@if query.kind == *k { "on" } { (kind_label(lang, k)) }
                            " " span.count { (n) }
                        }
                    }
                }
                h2 { (t(lang, "year")) }
                ul {
                    @for (y, n) in &found.facets.year {
                        li {
                            a href=(query.url(|q| q.year = y.clone())) class=@if query.year == *y { "on" } { (y) }
                            " " span.count { (n) }
                        }
                    }
                }
                @if !found.facets.complete.is_empty() {
                    h2 { (t(lang, "completeness")) }
                    ul {
                        @for c in COMPLETENESS {
                            @if let Some(n) = found.facets.complete.get(*c) {
                                li {
                                    a href=(query.url(|q| q.complete = (*c).to_owned())) class=@if query.complete == *c { "on" } { (t(lang, &format!("complete-{c}"))) }
                                    " " span.count { (n) }
                                }
                            }
                        }
                    }
                }
            }
            section.results {
                p.total { strong { (found.total) } " " (t(lang, "results")) }
                @if found.hits.is_empty() {
                    p.muted { (t(lang, "no-results")) }
                }
                ol.hits {
                    @for hit in &found.hits {
                        li.hit {
                            div.hit-head {
                                a.title href=(format!("/dossiers/{}/pages/{}?q={}", encode(&hit.dossier), hit.page, marked)) {
                                    (hit.dossier) " · " (t(lang, "page")) " " (hit.page)
                                }
                                span.tag { (kind_label(lang, &hit.kind)) }
                                span.tag.soft { (t(lang, if hit.lang == "eng" { "lang-eng" } else { "lang-fra" })) }
                            }
                            p.snippet {
                                @for (part, matched) in hit.excerpt.parts() {
                                    @if matched { b { (part) } } @else { (part) }
                                }
                            }
                            a.small href=(format!("/dossiers/{}", encode(&hit.dossier))) { (t(lang, "dossier")) " " (hit.dossier) }
                        }
                    }
                }
                @if found.total > found.hits.len() {
                    a.more href=(query.url(|q| q.limit = Some(limit + 20))) { (t(lang, "more")) }
                }
            }
        }
    }
}
