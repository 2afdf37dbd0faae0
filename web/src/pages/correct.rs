//! Correcting a page's text: the scan with the line being corrected and the
//! doubtful words boxed, and a plain form per line (no JavaScript needed);
//! a dossier's history of versions; the PDF of any version.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::{Form, Router};
use maud::{Markup, html};
use serde::Deserialize;
use store::history::{Diff, Version, word_diff};
use store::words::{PageWords, Word};

use super::{Reply, check_csrf, encode, file_name, layout, manifest, page_response, short};
use crate::access::clean;
use crate::corrections::{LineEdit, Refused};
use crate::i18n::{Lang, t};
use crate::users::Role;
use crate::{App, Viewer, images};

pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/dossiers/{id}/pages/{n}/correct",
            get(form_page).post(save),
        )
        .route("/dossiers/{id}/versions/{v}/pdf", get(version_pdf))
}

#[derive(Deserialize, Default)]
struct FormQuery {
    /// The line to box on the scan.
    line: Option<u32>,
    /// The version just saved, to say so.
    saved: Option<usize>,
}

#[derive(Deserialize)]
struct LineForm {
    csrf: String,
    line: u32,
    old: String,
    new: String,
}

/// What the page says above the lines: a version saved, or why not.
enum Notice {
    Saved(usize),
    Refused(String),
}

async fn form_page(
    State(app): State<Arc<App>>,
    viewer: Viewer,
    Path((id, n)): Path<(String, usize)>,
    Query(query): Query<FormQuery>,
) -> Reply {
    may_correct(&app, &viewer, &id, n).await?;
    let notice = query.saved.map(Notice::Saved);
    render(&app, &viewer, &id, n, query.line, notice, StatusCode::OK).await
}

async fn save(
    State(app): State<Arc<App>>,
    viewer: Viewer,
    Path((id, n)): Path<(String, usize)>,
    Form(form): Form<LineForm>,
) -> Reply {
    check_csrf(&app, &viewer, &form.csrf, "correct").await?;
    may_correct(&app, &viewer, &id, n).await?;
    let Some(corrections) = app.corrections.clone() else {
        return Err(viewer.forbidden());
    };
    let what = format!(
        "{id} page {n} line {}: «{}» → «{}»",
        form.line,
        clean(&form.old, 200),
        clean(&form.new, 200)
    );
    let edit = LineEdit {
        dossier: id.clone(),
        by: viewer.user.clone(),
        page: n,
        line: form.line,
        old: form.old,
        new: form.new,
    };
    let refusal = match corrections.correct(edit).await {
        Ok(version) => {
            app.log(&viewer, "correct", &format!("{what} (version {version})"))
                .await?;
            let back = format!(
                "/dossiers/{}/pages/{n}/correct?saved={version}&line={}#line-{}",
                encode(&id),
                form.line,
                form.line
            );
            return Ok(Redirect::to(&back).into_response());
        }
        Err(refusal) => refusal,
    };
    let (status, reason) = match refusal {
        Refused::NotFound => return Err(viewer.not_found()),
        Refused::Invalid(why) => (StatusCode::BAD_REQUEST, why),
        Refused::Changed(why) => (StatusCode::CONFLICT, why),
        Refused::Busy(why) => (StatusCode::SERVICE_UNAVAILABLE, why),
        Refused::Failed(error) => {
            app.log(&viewer, "correct-failed", &what).await?;
            return Err(viewer.internal(error));
        }
    };
    app.log(&viewer, "correct-refused", &format!("{what}: {reason}"))
        .await?;
    let notice = Some(Notice::Refused(reason));
    let mut reply = render(&app, &viewer, &id, n, Some(form.line), notice, status).await?;
    if status == StatusCode::SERVICE_UNAVAILABLE {
        reply
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("30"));
    }
    Ok(reply)
}

/// Archivists and admins correct, on a viewer that can write; anyone else
/// is refused, and the refusal logged.
async fn may_correct(
    app: &Arc<App>,
    viewer: &Viewer,
    id: &str,
    n: usize,
) -> Result<(), super::Failure> {
    if viewer.role.can_correct() && app.corrections.is_some() {
        return Ok(());
    }
    app.log(viewer, "denied", &format!("correct {id} page {n}"))
        .await?;
    Err(viewer.forbidden())
}

async fn render(
    app: &Arc<App>,
    viewer: &Viewer,
    id: &str,
    n: usize,
    line: Option<u32>,
    notice: Option<Notice>,
    status: StatusCode,
) -> Reply {
    let lang = viewer.lang;
    let (_, m) = manifest(app, viewer, id).await?;
    let Some(page) = m.pages.iter().find(|p| p.number == n) else {
        return Err(viewer.not_found());
    };
    app.log(viewer, "view-correct", &format!("{id} page {n}"))
        .await?;
    let words = match &page.words {
        Some(object) => app
            .store
            .get_json::<PageWords>(&object.sha256)
            .await
            .map_err(|e| viewer.internal(e))?,
        None => PageWords::default(),
    };
    let below = app.review_below;
    let boxed: Vec<&Word> = words
        .words
        .iter()
        .filter(|w| Some(w.line) == line || w.confidence < below)
        .collect();
    let base = format!("/dossiers/{}", encode(id));
    let here = format!("{base}/pages/{n}/correct");
    let (w, h) = (page.width.max(1) as f64, page.height.max(1) as f64);
    let body = html! {
        nav.crumbs {
            a href="/" { (t(lang, "search")) } " › "
            a href=(base) { (id) } " › "
            a href=(format!("{base}/pages/{n}")) { (t(lang, "page")) " " (n) } " › "
            (t(lang, "correct-text"))
        }
        h1 { (t(lang, "correct-text")) " · " (id) " · " (t(lang, "page")) " " (n) }
        @match &notice {
            Some(Notice::Saved(v)) => p.ok #correct-result { "✔ " (t(lang, "saved-version")) " " (v) },
            Some(Notice::Refused(why)) => p.error #correct-result { "✘ " (t(lang, "correct-refused")) " " (why) },
            None => {},
        }
        p.muted { (t(lang, "correct-help")) }
        div.viewer {
            figure.scan {
                div.sheet {
                    img #scan src=(format!("{base}/pages/{n}/image?w={}", images::SCREEN)) alt=(format!("{} {}", t(lang, "page"), n)) width=(images::SCREEN) height=((h * images::SCREEN as f64 / w) as u32);
                    svg.overlay viewBox=(format!("0 0 {} {}", page.width, page.height)) preserveAspectRatio="none" aria-hidden="true" {
                        @for word in &boxed {
                            @let class = if Some(word.line) == line { "box" } else { "box low" };
                            rect class=(class) x=(word.bbox[0]) y=(word.bbox[1]) width=(word.bbox[2]) height=(word.bbox[3]) rx="4" {}
                        }
                    }
                }
                figcaption.muted { (t(lang, "low-confidence-boxed")) " (< " (below) ")" }
            }
            section.page-text.lines {
                @for (number, text) in words.lines() {
                    (line_form(lang, viewer, &here, &words.words, (number, &text), line == Some(number), below))
                }
                @if words.words.is_empty() {
                    p.muted { (t(lang, "no-text")) }
                }
            }
        }
    };
    Ok(page_response(
        status,
        layout(
            lang,
            Some(viewer),
            &format!("{id} · {} {n}", t(lang, "correct-text")),
            &here,
            body,
        ),
    ))
}

/// One line: its doubtful words marked, and a form to rewrite it.
fn line_form(
    lang: Lang,
    viewer: &Viewer,
    here: &str,
    words: &[Word],
    (number, text): (u32, &str),
    selected: bool,
    below: f32,
) -> Markup {
    let doubtful = words
        .iter()
        .any(|w| w.line == number && w.confidence < below);
    let field = format!("new-{number}");
    html! {
        form.line-edit.selected[selected].doubtful[doubtful] method="post" action=(here) id=(format!("line-{number}")) {
            input type="hidden" name="csrf" value=(viewer.csrf);
            input type="hidden" name="line" value=(number);
            input type="hidden" name="old" value=(text);
            label for=(field) {
                a href=(format!("{here}?line={number}#line-{number}")) title=(t(lang, "show-on-scan")) { (t(lang, "line")) " " (number + 1) }
                @if doubtful {
                    " " span.tag.soft { (t(lang, "doubtful-words")) }
                }
            }
            div.line-row {
                input type="text" id=(field) name="new" value=(text) maxlength="2000" autocomplete="off" spellcheck="false";
                button type="submit" { (t(lang, "save")) }
            }
        }
    }
}

/// The dossier page's history: each version, who made it and when, its
/// PDF, and a correction's words struck out and written in.
pub(super) fn history(lang: Lang, base: &str, versions: &[Version]) -> Markup {
    html! {
        section.card.history #history {
            h2 { (t(lang, "history")) " (" (versions.len()) ")" }
            ol.versions reversed {
                @for v in versions.iter().rev() {
                    li {
                        strong { (t(lang, "version")) " " (v.version) }
                        " · " (t(lang, made_by_label(v.made_by)))
                        @if let Some(by) = &v.by { " · " (by) }
                        " · " span.muted { (v.stored_at) }
                        @if v.current { " " span.tag { (t(lang, "current")) } }
                        " · " a href=(format!("{base}/versions/{}/pdf", v.version)) download { (t(lang, "pdf")) }
                        " " code.hash title=(v.manifest.hex()) { (short(&v.manifest.hex())) "…" }
                        @if !v.changes.is_empty() {
                            ul.changes {
                                @for c in &v.changes {
                                    li {
                                        span.muted { (t(lang, "page")) " " (c.page) ", " (t(lang, "line")) " " (c.line + 1) " : " }
                                        (diff(&c.old, &c.new))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn made_by_label(made_by: &str) -> &'static str {
    match made_by {
        "correction" => "made-by-correction",
        "re-scan" => "made-by-re-scan",
        _ => "made-by-ingest",
    }
}

/// Words removed struck out, words added underlined.
fn diff(old: &str, new: &str) -> Markup {
    html! {
        @for part in word_diff(old, new) {
            @match part {
                Diff::Same(w) => { (w) " " },
                Diff::Removed(w) => { del { (w) } " " },
                Diff::Added(w) => { ins { (w) } " " },
            }
        }
    }
}

async fn version_pdf(
    State(app): State<Arc<App>>,
    viewer: Viewer,
    Path((id, v)): Path<(String, usize)>,
) -> Reply {
    viewer
        .require(&app, Role::Operator, &format!("{id} version {v} pdf"))
        .await?;
    let (digest, current) = manifest(&app, &viewer, &id).await?;
    let versions = app
        .store
        .versions_from(digest, current)
        .await
        .map_err(|e| viewer.internal(e))?;
    let Some((_, m)) = v
        .checked_sub(1)
        .and_then(|i| versions.len().checked_sub(i + 1))
        .and_then(|i| versions.get(i))
    else {
        return Err(viewer.not_found());
    };
    app.log(&viewer, "download", &format!("{id} version {v} pdf"))
        .await?;
    // Store::get re-hashes: a corrupt version is never served.
    let bytes = app
        .store
        .get(&m.pdf.sha256)
        .await
        .map_err(|e| viewer.internal(e))?;
    Ok(super::dossier::attachment(
        bytes,
        "application/pdf",
        &format!("{}-v{v}.pdf", file_name(&id)),
    ))
}
