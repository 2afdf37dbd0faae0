//! The page viewer: the scan with the query's matches boxed on it, the
//! page's text with them marked, and the scan's screen-size images.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;

use super::{Reply, encode, layout, manifest, page_response, short};
use crate::i18n::t;
use crate::{App, Viewer, images};

pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/dossiers/{id}/pages/{n}", get(page))
        .route("/dossiers/{id}/pages/{n}/image", get(page_image))
}

#[derive(Deserialize, Default)]
struct PageQuery {
    #[serde(default)]
    q: String,
}

/// What marks the query's matches on a page: the index's own analysis, so a
/// word is marked on the scan and in the text exactly when it made the page match.
fn highlighter(app: &App, query: &str) -> Option<index::Highlighter> {
    if query.trim().is_empty() {
        return None;
    }
    app.index.highlighter(query).ok().filter(|h| !h.is_empty())
}

async fn page(
    State(app): State<Arc<App>>,
    viewer: Viewer,
    Path((id, n)): Path<(String, usize)>,
    Query(query): Query<PageQuery>,
) -> Reply {
    let lang = viewer.lang;
    let (_, m) = manifest(&app, &viewer, &id).await?;
    let Some(page) = m.pages.iter().find(|p| p.number == n) else {
        return Err(viewer.not_found());
    };
    app.log(&viewer, "view-page", &format!("{id} page {n}"))
        .await?;
    let words: Vec<store::words::Word> = match &page.words {
        Some(object) => app
            .store
            .get_json::<store::words::PageWords>(&object.sha256)
            .await
            .map(|w| w.words)
            .map_err(|e| viewer.internal(e))?,
        None => Vec::new(),
    };
    let highlighter = highlighter(&app, &query.q);
    let hits: Vec<&store::words::Word> = match &highlighter {
        Some(h) => words.iter().filter(|w| h.matches_word(&w.text)).collect(),
        None => Vec::new(),
    };
    let base = format!("/dossiers/{}", encode(&id));
    let keep_q = if query.q.is_empty() {
        String::new()
    } else {
        format!("?q={}", encode(&query.q))
    };
    let (w, h) = (page.width.max(1) as f64, page.height.max(1) as f64);
    let body = html! {
        nav.crumbs {
            a href="/" { (t(lang, "search")) } " › "
            a href=(base) { (id) } " › "
            (t(lang, "page")) " " (n)
        }
        div.page-tools {
            @if n > 1 {
                a.button href=(format!("{base}/pages/{}{keep_q}", n - 1)) rel="prev" { "← " (t(lang, "previous")) }
            }
            span.position { (t(lang, "page")) " " (n) " / " (m.pages.len()) }
            @if n < m.pages.len() {
                a.button href=(format!("{base}/pages/{}{keep_q}", n + 1)) rel="next" { (t(lang, "next")) " →" }
            }
            @if !query.q.is_empty() {
                span.hits-count { strong #hit-count { (hits.len()) } " " (t(lang, "hits-on-page")) " · « " (query.q) " »" }
                a href=(format!("/?q={}", encode(&query.q))) { (t(lang, "back-results")) }
            }
            a href=(base) { (t(lang, "back-dossier")) }
            @if viewer.role.can_correct() && app.corrections.is_some() && page.words.is_some() {
                a.button href=(format!("{base}/pages/{n}/correct")) { (t(lang, "correct-text")) }
            }
        }
        div.viewer {
            figure.scan {
                div.sheet {
                    img #scan src=(format!("{base}/pages/{n}/image?w={}", images::SCREEN)) alt=(format!("{} {}", t(lang, "page"), n)) width=(images::SCREEN) height=((h * images::SCREEN as f64 / w) as u32);
                    // Boxes in page pixels: SVG attributes, not inline styles, which the CSP forbids.
                    svg.overlay viewBox=(format!("0 0 {} {}", page.width, page.height)) preserveAspectRatio="none" aria-hidden="true" {
                        @for word in &hits {
                            rect.box x=(word.bbox[0]) y=(word.bbox[1]) width=(word.bbox[2]) height=(word.bbox[3]) rx="4" {}
                        }
                    }
                }
                figcaption.muted {
                    (t(lang, "hash")) " " code title=(page.image.sha256.hex()) { (short(&page.image.sha256.hex())) "…" }
                    " · " (t(lang, "confidence")) " " (format!("{:.0}", page.confidence))
                    " · " (t(lang, "skew")) " " (format!("{:.2}°", page.skew_degrees))
                }
            }
            section.page-text {
                h2 { (t(lang, "page-text")) }
                div.text { (marked_text(&page.text, highlighter.as_ref())) }
            }
        }
    };
    let here = format!("{base}/pages/{n}{keep_q}");
    Ok(page_response(
        StatusCode::OK,
        layout(
            lang,
            Some(&viewer),
            &format!("{id} · {} {n}", t(lang, "page")),
            &here,
            body,
        ),
    ))
}

/// The page text, escaped, a paragraph per line, with the matches in `<mark>`.
fn marked_text(text: &str, highlighter: Option<&index::Highlighter>) -> Markup {
    html! {
        @for line in text.lines() {
            p {
                @for (part, matched) in segments(line, highlighter) {
                    @if matched { mark { (part) } } @else { (part) }
                }
            }
        }
    }
}

/// `line` cut at the edges of its matches: each part, and whether it matched.
fn segments<'a>(line: &'a str, highlighter: Option<&index::Highlighter>) -> Vec<(&'a str, bool)> {
    let spans = highlighter.map(|h| h.spans(line)).unwrap_or_default();
    index::highlight::cut(line, &spans)
}

#[derive(Deserialize)]
struct ImageQuery {
    w: Option<u32>,
}

async fn page_image(
    State(app): State<Arc<App>>,
    viewer: Viewer,
    Path((id, n)): Path<(String, usize)>,
    Query(query): Query<ImageQuery>,
) -> Reply {
    let width = match query.w.unwrap_or(images::SCREEN) {
        w if w == images::THUMB || w == images::SCREEN => w,
        _ => {
            let unsupported = (StatusCode::BAD_REQUEST, "unsupported width");
            return Err(viewer.answer(unsupported.into_response()));
        }
    };
    let (_, m) = manifest(&app, &viewer, &id).await?;
    let Some(page) = m.pages.iter().find(|p| p.number == n) else {
        return Err(viewer.not_found());
    };
    // A thumbnail is a look at the candidate's document too.
    app.log(&viewer, "view-image", &format!("{id} page {n} w={width}"))
        .await?;
    let sha = page.image.sha256.hex();
    if let Some(jpeg) = cached(&app, &sha, width).await {
        return Ok(image_response(jpeg));
    }
    let _turn = app
        .images
        .turn(&sha, width)
        .await
        .map_err(|_| viewer.answer(busy()))?;
    // The render before ours, of the same page, may have made it.
    if let Some(jpeg) = cached(&app, &sha, width).await {
        return Ok(image_response(jpeg));
    }
    let original = app
        .store
        .get(&page.image.sha256)
        .await
        .map_err(|e| viewer.internal(e))?;
    let rendered = app
        .blocking(move |app| app.images.render(&sha, width, &original))
        .await
        .map_err(|e| viewer.internal(e))?;
    app.metrics.page_image(false);
    Ok(image_response(rendered))
}

/// The derivative from the cache, read off the async workers, and counted.
async fn cached(app: &Arc<App>, sha: &str, width: u32) -> Option<Vec<u8>> {
    let sha = sha.to_owned();
    let jpeg = app
        .blocking(move |app| app.images.cached(&sha, width))
        .await?;
    app.metrics.page_image(true);
    Some(jpeg)
}

/// A page image; like every page, not kept by the browser after sign-out.
fn image_response(jpeg: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        jpeg,
    )
        .into_response()
}

/// Too many page images are being made: the browser may ask again shortly.
fn busy() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "2")],
        "busy making page images: try again in a moment",
    )
        .into_response()
}
