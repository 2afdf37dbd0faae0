//! What auditors reach: a dossier verified on demand, and the access log
//! with its hash chain checked.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::html;

use super::{
    CsrfForm, Reply, bytes, check_csrf, encode, label_or, layout, manifest, page_response,
};
use crate::i18n::t;
use crate::users::Role;
use crate::{App, Viewer};

pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/dossiers/{id}/verify", post(verify))
        .route("/audit/access", get(access_log))
}

async fn verify(
    State(app): State<Arc<App>>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Reply {
    check_csrf(&app, &viewer, &form.csrf, "verify").await?;
    viewer
        .require(&app, Role::Auditor, &format!("verify {id}"))
        .await?;
    let lang = viewer.lang;
    manifest(&app, &viewer, &id).await?;
    let report = store::verify::verify(&app.store, std::slice::from_ref(&id))
        .await
        .map_err(|e| viewer.internal(e))?;
    let outcome = if report.problems.is_empty() {
        "intact"
    } else {
        "problems"
    };
    app.log(
        &viewer,
        "verify",
        &format!("{id}: {outcome}, {} objects", report.checked),
    )
    .await?;
    let base = format!("/dossiers/{}", encode(&id));
    let body = html! {
        nav.crumbs { a href="/" { (t(lang, "search")) } " › " a href=(base) { (id) } " › " (t(lang, "verify")) }
        h1 { (t(lang, "verify")) " · " (id) }
        @if report.problems.is_empty() {
            p.ok #verify-result { "✔ " (t(lang, "verify-ok")) }
        } @else {
            p.error #verify-result { "✘ " (t(lang, "verify-bad")) " (" (report.problems.len()) ")" }
            table.list {
                @for p in &report.problems {
                    tr { td { code { (p.key) } } td { (format!("{:?}", p.kind)) } td { (p.detail) } }
                }
            }
        }
        p.muted { (report.checked) " " (t(lang, "checked")) " · " (bytes(report.bytes)) " · " (format!("{:.2} s", report.seconds)) }
        p { a href=(base) { (t(lang, "back-dossier")) } }
    };
    Ok(page_response(
        StatusCode::OK,
        layout(lang, Some(&viewer), t(lang, "verify"), &base, body),
    ))
}

async fn access_log(State(app): State<Arc<App>>, viewer: Viewer) -> Reply {
    viewer.require(&app, Role::Auditor, "access log").await?;
    let lang = viewer.lang;
    app.log(&viewer, "view-access-log", "").await?;
    let checked = app.blocking(|app| app.access.check()).await;
    let (entries, broken) = checked.map_err(|e| viewer.internal(e))?;
    let body = html! {
        h1 { (t(lang, "access-log")) }
        @match &broken {
            None => p.ok { "✔ " (t(lang, "chain-ok")) " (" (entries.len()) ")" },
            Some(why) => p.error { "✘ " (t(lang, "chain-bad")) ": " (why) },
        }
        table.list {
            thead { tr { th { "#" } th { (t(lang, "time")) } th { (t(lang, "user")) } th { (t(lang, "action")) } th { (t(lang, "target")) } th { (t(lang, "address")) } } }
            tbody {
                @for e in entries.iter().rev().take(500) {
                    tr { td { (e.seq) } td { (e.time) } td { (shown(&e.user)) } td { (label_or(lang, "act-", &e.action)) } td { (shown(&e.target)) } td { (shown(&e.address)) } }
                }
            }
        }
    };
    Ok(page_response(
        StatusCode::OK,
        layout(
            lang,
            Some(&viewer),
            t(lang, "access-log"),
            "/audit/access",
            body,
        ),
    ))
}

/// A logged value as an auditor sees it: records written before fields were
/// cleaned may still hold control or bidirectional characters.
fn shown(text: &str) -> String {
    crate::access::clean(text, usize::MAX)
}
