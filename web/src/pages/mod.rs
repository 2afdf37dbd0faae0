//! The viewer's pages, one module per area, each with its routes beside its
//! handlers: sign-in, search, dossier (and its downloads), the page viewer,
//! audit (verification, the access log) and accounts. This module holds what
//! they share: the layout, the error pages and [`Failure`], and small helpers.
//!
//! HTML is built with maud, which escapes every value it is given; nothing
//! is pre-escaped (the index's snippets come as text and matched ranges).

mod accounts;
mod audit;
mod correct;
mod dossier;
mod incomplete;
mod review;
mod search;
mod signin;
mod viewer;

use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use crate::i18n::{Lang, t};
use crate::session;
use crate::users::Role;
use crate::{App, Viewer};

/// What a handler answers: a page, or the [`Failure`] that stopped it.
type Reply = Result<Response, Failure>;

const STYLE: &str = include_str!("style.css");

/// Every page's route, and the answer to any other path.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/static/style.css", get(style))
        .merge(signin::routes())
        .merge(search::routes())
        .merge(dossier::routes())
        .merge(incomplete::routes())
        .merge(review::routes())
        .merge(viewer::routes())
        .merge(correct::routes())
        .merge(audit::routes())
        .merge(accounts::routes())
        .fallback(not_found)
}

/// Why a page cannot be shown, as the viewer sees it: each sets its status
/// and says it in the viewer's language. An internal error is logged with a
/// reference that the page gives, never with its text, which may name files,
/// keys or the store's internals.
#[derive(Debug)]
pub struct Failure {
    viewer: Viewer,
    kind: FailureKind,
}

#[derive(Debug)]
enum FailureKind {
    NotFound,
    Forbidden,
    /// Logged under this reference.
    Internal {
        reference: String,
    },
    /// An answer already made: a form that expired, a request refused
    /// before any page (the access log cannot be written, page images busy).
    Answer(Response),
}

impl Viewer {
    pub(crate) fn not_found(&self) -> Failure {
        self.failure(FailureKind::NotFound)
    }

    pub(crate) fn forbidden(&self) -> Failure {
        self.failure(FailureKind::Forbidden)
    }

    /// An error the viewer cannot act on: logged with a reference, shown only by it.
    pub(crate) fn internal(&self, error: impl std::fmt::Display) -> Failure {
        let reference = crate::reference();
        tracing::error!(reference = %reference, user = %self.user, "{error:#}");
        self.failure(FailureKind::Internal { reference })
    }

    /// A ready answer, kept as it is.
    pub(crate) fn answer(&self, response: Response) -> Failure {
        self.failure(FailureKind::Answer(response))
    }

    fn failure(&self, kind: FailureKind) -> Failure {
        Failure {
            viewer: self.clone(),
            kind,
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let viewer = &self.viewer;
        let lang = viewer.lang;
        let (status, title, text) = match self.kind {
            FailureKind::Answer(response) => return response,
            FailureKind::NotFound => (
                StatusCode::NOT_FOUND,
                t(lang, "not-found"),
                t(lang, "not-found-text").to_owned(),
            ),
            FailureKind::Forbidden => (
                StatusCode::FORBIDDEN,
                t(lang, "forbidden"),
                t(lang, "forbidden-text").to_owned(),
            ),
            FailureKind::Internal { reference } => (
                StatusCode::INTERNAL_SERVER_ERROR,
                t(lang, "error"),
                format!("{} {reference}", t(lang, "error-text")),
            ),
        };
        message(Some(viewer), lang, status, title, &text)
    }
}

// ---------------------------------------------------------------- layout

fn layout(lang: Lang, viewer: Option<&Viewer>, title: &str, here: &str, body: Markup) -> Markup {
    let switch = format!("/lang?to={}&back={}", lang.other().code(), encode(here));
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (t(lang, "app")) }
                link rel="stylesheet" href="/static/style.css";
            }
            body {
                header.top {
                    a.brand href="/" {
                        span.seal { "M" }
                        span {
                            strong { (t(lang, "app")) }
                            small { (t(lang, "ministry")) }
                        }
                    }
                    nav {
                        @if let Some(v) = viewer {
                            a href="/" { (t(lang, "search")) }
                            a href="/incomplete" { (t(lang, "incomplete-dossiers")) }
                            a href="/review" { (t(lang, "review")) }
                            @if v.role.can_audit() {
                                a href="/audit/access" { (t(lang, "access-log")) }
                            }
                            @if v.role == Role::Admin {
                                a href="/admin/users" { (t(lang, "users")) }
                            }
                            span.who {
                                (t(lang, "signed-in-as")) " " strong { (v.user) }
                                " · " (role_label(lang, v.role))
                            }
                            form.inline method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(v.csrf);
                                button.link type="submit" { (t(lang, "sign-out")) }
                            }
                        }
                        a.lang href=(switch) lang=(lang.other().code()) { (t(lang, "switch")) }
                    }
                }
                main { (body) }
            }
        }
    }
}

fn role_label(lang: Lang, role: Role) -> &'static str {
    match role {
        Role::Operator => t(lang, "role-operator"),
        Role::Archivist => t(lang, "role-archivist"),
        Role::Auditor => t(lang, "role-auditor"),
        Role::Admin => t(lang, "role-admin"),
    }
}

fn page_response(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.into_string(),
    )
        .into_response()
}

fn message(
    viewer: Option<&Viewer>,
    lang: Lang,
    status: StatusCode,
    title: &str,
    text: &str,
) -> Response {
    page_response(
        status,
        layout(
            lang,
            viewer,
            title,
            "/",
            html! {
                section.notice {
                    h1 { (title) }
                    p { (text) }
                    p { a href="/" { (t(lang, "search")) } }
                }
            },
        ),
    )
}

async fn not_found(viewer: Viewer) -> Failure {
    viewer.not_found()
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

/// Percent-encodes a string for a query parameter.
pub fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, URL_COMPONENT).to_string()
}

/// What a query-string value or path segment keeps unescaped (RFC 3986's unreserved).
const URL_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Only paths on this site: `/x`, never `//host` or `/\host`.
fn local_path(next: &str) -> &str {
    // Visible ASCII only: nothing can break out of the `Location` header.
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.bytes().all(|b| b.is_ascii_graphic());
    if ok { next } else { "/" }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `Ok` if the form carries the session's CSRF token; a logged refusal
/// otherwise (`what` names the form), as a cross-site form would be.
async fn check_csrf(
    app: &Arc<App>,
    viewer: &Viewer,
    token: &str,
    what: &str,
) -> Result<(), Failure> {
    if session::same(&viewer.csrf, token) {
        return Ok(());
    }
    app.log(viewer, "csrf-refused", what).await?;
    let expired = (
        StatusCode::FORBIDDEN,
        "this form has expired: reload the page",
    );
    Err(viewer.answer(expired.into_response()))
}

/// The dossier's current manifest; an identifier no batch could give never reaches the store.
async fn manifest(
    app: &App,
    viewer: &Viewer,
    id: &str,
) -> Result<(store::Digest, store::Manifest), Failure> {
    if !store::manifest::valid_dossier_id(id) {
        return Err(viewer.not_found());
    }
    match app.store.manifest(id).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(viewer.not_found()),
        Err(e) => Err(viewer.internal(e)),
    }
}

/// A translated name for a data key (`field-name`, `act-search`), or the key itself.
fn label_or(lang: Lang, prefix: &str, key: &str) -> String {
    crate::i18n::lookup(lang, &format!("{prefix}{key}"))
        .map_or_else(|| key.to_owned(), str::to_owned)
}

fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn short(hex: &str) -> &str {
    &hex[..hex.len().min(12)]
}

/// Bytes for people, in binary units ("1.2 MiB"), as the CLI prints them.
fn bytes(n: u64) -> String {
    bytesize::ByteSize::b(n).display().iec().to_string()
}

/// The last component of a batch path, for download names.
fn file_name(path: &str) -> String {
    path.rsplit('/')
        .next()
        .unwrap_or(path)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect()
}
