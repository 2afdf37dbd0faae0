//! A dossier's page (metadata, downloads, originals, its pages) and the
//! downloads themselves.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::html;

use super::{
    Reply, bytes, encode, file_name, label_or, layout, manifest, page_response, short, value_text,
};
use crate::i18n::{kind as kind_label, t};
use crate::users::Role;
use crate::{App, Viewer, images};

pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/dossiers/{id}", get(dossier))
        .route("/dossiers/{id}/files/{what}", get(download))
        .route("/dossiers/{id}/sources/{n}", get(source))
}

async fn dossier(State(app): State<Arc<App>>, viewer: Viewer, Path(id): Path<String>) -> Reply {
    let lang = viewer.lang;
    let (digest, m) = manifest(&app, &viewer, &id).await?;
    app.log(&viewer, "view-dossier", &id).await?;
    let versions = app
        .store
        .history_from(digest, m.clone())
        .await
        .map_err(|e| viewer.internal(e))?;
    let base = format!("/dossiers/{}", encode(&id));
    let body = html! {
        nav.crumbs { a href="/" { (t(lang, "search")) } " › " (id) }
        div.dossier-head {
            h1 { (t(lang, "dossier")) " " (m.dossier) }
            @if let Some(name) = m.metadata.get("name") {
                p.lead { (value_text(name)) }
            }
            @if let Some(check) = &m.completeness {
                p.completeness title=(check.checklist) { (super::incomplete::badge(lang, check)) }
            }
        }
        div.columns {
            section.card {
                h2 { (t(lang, "metadata")) }
                table.kv {
                    @for (key, value) in &m.metadata {
                        tr { th { (label_or(lang, "field-", key)) } td { (value_text(value)) } }
                    }
                    tr { th { (t(lang, "stored-at")) } td { (m.stored_at) } }
                    @for (key, value) in &m.batch {
                        tr { th { (t(lang, "batch")) " · " (label_or(lang, "field-", key)) } td { (value_text(value)) } }
                    }
                    tr { th { (t(lang, "manifest")) } td.hash title=(digest.hex()) { code { (digest.hex()) } } }
                }
            }
            section.card {
                h2 { (t(lang, "downloads")) }
                ul.downloads {
                    li { a href=(format!("{base}/files/pdf")) download { (t(lang, "pdf")) } " " span.muted { (bytes(m.pdf.bytes)) } }
                    li { a href=(format!("{base}/files/text")) download { (t(lang, "text")) } }
                    @if m.hocr.is_some() { li { a href=(format!("{base}/files/hocr")) download { (t(lang, "hocr")) } } }
                    @if m.alto.is_some() { li { a href=(format!("{base}/files/alto")) download { (t(lang, "alto")) } } }
                }
                h3 { (t(lang, "originals")) }
                ul.downloads {
                    @for (i, source) in m.sources.iter().enumerate() {
                        li {
                            a href=(format!("{base}/sources/{}", i + 1)) download { (file_name(&source.path)) }
                            " " span.muted { (bytes(source.bytes)) }
                            br;
                            code.hash title=(source.sha256.hex()) { (short(&source.sha256.hex())) "…" }
                        }
                    }
                }
                @if !m.rejected.is_empty() {
                    h3 { (t(lang, "rejected")) }
                    ul { @for r in &m.rejected { li { code { (r.path) } " — " (r.error) } } }
                }
                @if viewer.role.can_audit() {
                    form method="post" action=(format!("{base}/verify")) {
                        input type="hidden" name="csrf" value=(viewer.csrf);
                        button.primary type="submit" { (t(lang, "verify")) }
                    }
                }
            }
        }
        (super::correct::history(lang, &base, &versions))
        h2 { (t(lang, "pages")) " (" (m.pages.len()) ")" }
        ol.pages {
            @for page in &m.pages {
                li.page-card {
                    a href=(format!("{base}/pages/{}", page.number)) {
                        img src=(format!("{base}/pages/{}/image?w={}", page.number, images::THUMB)) alt=(format!("{} {}", t(lang, "page"), page.number)) loading="lazy" width=(images::THUMB) height=(thumb_height(page));
                    }
                    div.page-meta {
                        strong { (t(lang, "page")) " " (page.number) }
                        @if page.blank {
                            span.tag.soft { (t(lang, "blank")) }
                        } @else {
                            span.tag { (kind_label(lang, page.kind.as_deref().unwrap_or_else(|| index::classify::kind(&page.text)))) }
                        }
                        br;
                        span.muted { (t(lang, "confidence")) " " (format!("{:.0}", page.confidence)) " · " (t(lang, "skew")) " " (format!("{:.2}°", page.skew_degrees)) }
                        br;
                        code.hash title=(page.image.sha256.hex()) { (short(&page.image.sha256.hex())) "…" }
                    }
                }
            }
        }
    };
    Ok(page_response(
        StatusCode::OK,
        layout(lang, Some(&viewer), &id, &base, body),
    ))
}

fn thumb_height(page: &store::manifest::Page) -> u32 {
    (page.height as u64 * images::THUMB as u64 / page.width.max(1) as u64) as u32
}

pub(super) fn attachment(bytes: Vec<u8>, mime: &str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            // Always a download: an hOCR file opened in place would be HTML on our origin.
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

async fn download(
    State(app): State<Arc<App>>,
    viewer: Viewer,
    Path((id, what)): Path<(String, String)>,
) -> Reply {
    viewer
        .require(&app, Role::Operator, &format!("{id} {what}"))
        .await?;
    let (_, m) = manifest(&app, &viewer, &id).await?;
    let (object, mime, ext) = match what.as_str() {
        "pdf" => (Some(&m.pdf), "application/pdf", "pdf"),
        "text" => (Some(&m.text), "text/plain; charset=utf-8", "txt"),
        "hocr" => (m.hocr.as_ref(), "application/xhtml+xml", "hocr.html"),
        "alto" => (m.alto.as_ref(), "application/xml", "alto.xml"),
        _ => (None, "", ""),
    };
    let Some(object) = object else {
        return Err(viewer.not_found());
    };
    app.log(&viewer, "download", &format!("{id} {what}"))
        .await?;
    // Store::get re-hashes: a corrupt object is never served.
    let bytes = app
        .store
        .get(&object.sha256)
        .await
        .map_err(|e| viewer.internal(e))?;
    Ok(attachment(
        bytes,
        mime,
        &format!("{}.{ext}", file_name(&id)),
    ))
}

async fn source(
    State(app): State<Arc<App>>,
    viewer: Viewer,
    Path((id, n)): Path<(String, usize)>,
) -> Reply {
    let (_, m) = manifest(&app, &viewer, &id).await?;
    let Some(source) = n.checked_sub(1).and_then(|i| m.sources.get(i)) else {
        return Err(viewer.not_found());
    };
    app.log(
        &viewer,
        "download",
        &format!("{id} original {}", source.path),
    )
    .await?;
    let bytes = app
        .store
        .get(&source.sha256)
        .await
        .map_err(|e| viewer.internal(e))?;
    let mime = if source.mime.is_empty() {
        "application/octet-stream"
    } else {
        &source.mime
    };
    Ok(attachment(bytes, mime, &file_name(&source.path)))
}
