//! The handlers and their HTML: sign-in, search, dossier, page viewer,
//! downloads, verification, access log and accounts.
//!
//! HTML is built with maud, which escapes every value it is given; the only
//! pre-escaped strings are the index's snippets (escaped by tantivy, with
//! `<b>` around hits) and markup built here from escaped parts.

use std::sync::Arc;
use std::time::Instant;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;

use crate::i18n::{KINDS, Lang, kind as kind_label, t};
use crate::session::{self, LANG_COOKIE, LOGIN_COOKIE};
use crate::users::Role;
use crate::{App, Viewer, images, lang_of};

type Reply = Result<Response, Response>;

const STYLE: &str = include_str!("style.css");

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

pub fn forbidden(viewer: &Viewer) -> Response {
    let lang = viewer.lang;
    message(
        Some(viewer),
        lang,
        StatusCode::FORBIDDEN,
        t(lang, "forbidden"),
        t(lang, "forbidden-text"),
    )
}

fn not_found_page(viewer: &Viewer) -> Response {
    let lang = viewer.lang;
    message(
        Some(viewer),
        lang,
        StatusCode::NOT_FOUND,
        t(lang, "not-found"),
        t(lang, "not-found-text"),
    )
}

fn failure(viewer: &Viewer, error: impl std::fmt::Display) -> Response {
    tracing::error!("{error}");
    let lang = viewer.lang;
    message(
        Some(viewer),
        lang,
        StatusCode::INTERNAL_SERVER_ERROR,
        t(lang, "error"),
        &error.to_string(),
    )
}

pub async fn not_found(viewer: Viewer) -> Response {
    not_found_page(&viewer)
}

pub async fn style() -> Response {
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

/// Dossier identifiers as batches name them; anything else never reaches the store.
fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id != "."
        && id != ".."
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

// ---------------------------------------------------------------- sign-in

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

pub async fn login_form(
    State(app): State<Arc<App>>,
    parts: axum::http::request::Parts,
    Query(query): Query<LoginQuery>,
) -> Response {
    let lang = lang_of(&parts);
    let existing = crate::cookies(&parts)
        .and_then(|c| session::cookie(c, LOGIN_COOKIE))
        .filter(|v| v.len() == 64)
        .map(str::to_owned);
    let token = existing.unwrap_or_else(session::random_token);
    let next = query.next.unwrap_or_else(|| "/".into());
    login_page(&app, lang, &token, local_path(&next), None, StatusCode::OK)
}

fn login_page(
    app: &App,
    lang: Lang,
    token: &str,
    next: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let here = format!("/login?next={}", encode(next));
    let markup = layout(
        lang,
        None,
        t(lang, "sign-in"),
        &here,
        html! {
            section.signin {
                h1 { (t(lang, "sign-in")) }
                p.muted { (t(lang, "sign-in-intro")) }
                @if let Some(error) = error {
                    p.error role="alert" { (error) }
                }
                form method="post" action="/login" {
                    input type="hidden" name="csrf" value=(token);
                    input type="hidden" name="next" value=(next);
                    label for="user" { (t(lang, "user")) }
                    input #user type="text" name="user" autocomplete="username" required autofocus;
                    label for="password" { (t(lang, "password")) }
                    input #password type="password" name="password" autocomplete="current-password" required;
                    button.primary type="submit" { (t(lang, "sign-in-button")) }
                }
            }
        },
    );
    let mut response = page_response(status, markup);
    if let Ok(value) = app
        .cookies
        .set(LOGIN_COOKIE, token, std::time::Duration::from_secs(3600))
        .parse()
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[derive(Deserialize)]
pub struct LoginForm {
    user: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub async fn login(
    State(app): State<Arc<App>>,
    parts: axum::http::request::Parts,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = lang_of(&parts);
    let address = crate::address(&parts);
    let cookie_token = crate::cookies(&parts)
        .and_then(|c| session::cookie(c, LOGIN_COOKIE))
        .map(str::to_owned);
    let next = local_path(form.next.as_deref().unwrap_or("/")).to_owned();
    // Double submit: the form's token must be the one in the cookie we set.
    // No cookie at all is almost always a browser that would not send a
    // `Secure` cookie over plain HTTP: say so, or the archivist is only sent
    // back to the form with no word why.
    let refused = match cookie_token.as_deref() {
        None if app.cookies.secure => Some("cookie-not-returned"),
        Some(c) if session::same(c, &form.csrf) => None,
        _ => Some("expired-form"),
    };
    if let Some(reason) = refused {
        if reason == "cookie-not-returned" {
            tracing::warn!(
                "a sign-in from {address} came back without its cookie: \
                 is the viewer reached over plain HTTP?"
            );
        }
        let token = session::random_token();
        return login_page(
            &app,
            lang,
            &token,
            &next,
            Some(t(lang, reason)),
            StatusCode::FORBIDDEN,
        );
    }
    // The account's epoch is part of the pair: an administrator's `user
    // logout` lifts a delay. Unknown names count under epoch 0.
    let epoch = app
        .users
        .get(&form.user)
        .ok()
        .flatten()
        .map_or(0, |u| u.epoch);
    let attempt = match app.throttle.attempt(&form.user, epoch, &address) {
        Ok(attempt) => attempt,
        Err(wait) => {
            let _ = app
                .access
                .record(&form.user, "sign-in-refused", "too many attempts", &address);
            let mut page = login_page(
                &app,
                lang,
                &form.csrf,
                &next,
                Some(t(lang, "too-many")),
                StatusCode::TOO_MANY_REQUESTS,
            );
            if let Ok(value) = wait.as_secs().max(1).to_string().parse() {
                page.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return page;
        }
    };
    let users = app.users.clone();
    let (name, password) = (form.user.clone(), form.password);
    // argon2 is meant to be slow: keep it off the async workers.
    let user = tokio::task::spawn_blocking(move || users.authenticate(&name, &password)).await;
    match user {
        Ok(Ok(Some(user))) => {
            attempt.succeeded();
            let token = app.sessions.start(&user.name, user.role, user.epoch);
            let _ = app.access.record(&user.name, "sign-in", "", &address);
            let mut response = Redirect::to(&next).into_response();
            let headers = response.headers_mut();
            if let Ok(value) = app.cookies.session(&token).parse() {
                headers.append(header::SET_COOKIE, value);
            }
            if let Ok(value) = app.cookies.clear(LOGIN_COOKIE).parse() {
                headers.append(header::SET_COOKIE, value);
            }
            response
        }
        Ok(Ok(None)) => {
            drop(attempt);
            app.metrics
                .sign_in_failures
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let _ = app
                .access
                .record(&form.user, "sign-in-failed", "", &address);
            login_page(
                &app,
                lang,
                &form.csrf,
                &next,
                Some(t(lang, "bad-login")),
                StatusCode::UNAUTHORIZED,
            )
        }
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

fn check_csrf(viewer: &Viewer, token: &str) -> Result<(), Response> {
    if session::same(&viewer.csrf, token) {
        Ok(())
    } else {
        Err((
            StatusCode::FORBIDDEN,
            "this form has expired: reload the page",
        )
            .into_response())
    }
}

pub async fn logout(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    viewer: Viewer,
    Form(form): Form<CsrfForm>,
) -> Reply {
    check_csrf(&viewer, &form.csrf)?;
    if let Some(token) = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| session::cookie(c, session::COOKIE))
    {
        app.sessions.end(token);
    }
    app.log(&viewer, "sign-out", "")?;
    let mut response = Redirect::to("/login").into_response();
    if let Ok(value) = app.cookies.clear(session::COOKIE).parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct LangQuery {
    to: String,
    back: Option<String>,
}

pub async fn switch_lang(State(app): State<Arc<App>>, Query(query): Query<LangQuery>) -> Response {
    let lang = Lang::parse(&query.to).unwrap_or(Lang::Fr);
    let back = local_path(query.back.as_deref().unwrap_or("/")).to_owned();
    let mut response = Redirect::to(&back).into_response();
    let cookie = app.cookies.set(
        LANG_COOKIE,
        lang.code(),
        std::time::Duration::from_secs(365 * 86_400),
    );
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

// ---------------------------------------------------------------- search

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    /// Page language: `fra` or `eng`.
    #[serde(default)]
    doclang: String,
    #[serde(default)]
    year: String,
    limit: Option<usize>,
}

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
        parts.retain(|p| !p.is_empty());
        parts.join(" ")
    }

    fn url(&self, change: impl FnOnce(&mut SearchQuery)) -> String {
        let mut next = SearchQuery {
            q: self.q.clone(),
            kind: self.kind.clone(),
            doclang: self.doclang.clone(),
            year: self.year.clone(),
            limit: None,
        };
        change(&mut next);
        let mut url = format!("/?q={}", encode(&next.q));
        for (name, value) in [
            ("kind", &next.kind),
            ("doclang", &next.doclang),
            ("year", &next.year),
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

pub async fn search(
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
        app.log(&viewer, "search", &full)?;
        let _ = app.index.reload();
        let started = Instant::now();
        let options = index::SearchOptions {
            limit,
            ..Default::default()
        };
        let results = app.index.search(&full, &options);
        app.metrics.search(started.elapsed());
        Some(results)
    };
    let recent = if results.is_none() {
        app.store
            .dossiers()
            .await
            .map_err(|e| failure(&viewer, e))?
    } else {
        Vec::new()
    };
    let years: Vec<String> = match &results {
        Some(Ok(r)) => r.facets.year.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let body = html! {
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
        @match &results {
            None => {
                section {
                    h2 { (t(lang, "recent")) " (" (recent.len()) ")" }
                    ul.dossier-list {
                        @for id in recent.iter().take(200) {
                            li { a href=(format!("/dossiers/{}", encode(id))) { (id) } }
                        }
                    }
                }
            }
            Some(Err(e)) => {
                p.error role="alert" { (e) }
            }
            Some(Ok(found)) => {
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
                            @for y in &years {
                                li {
                                    a href=(query.url(|q| q.year = y.clone())) class=@if query.year == *y { "on" } { (y) }
                                    " " span.count { (found.facets.year[y]) }
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
                                        a.title href=(format!("/dossiers/{}/pages/{}?q={}", encode(&hit.dossier), hit.page, encode(&query.full()))) {
                                            (hit.dossier) " · " (t(lang, "page")) " " (hit.page)
                                        }
                                        span.tag { (kind_label(lang, &hit.kind)) }
                                        span.tag.soft { (t(lang, if hit.lang == "eng" { "lang-eng" } else { "lang-fra" })) }
                                    }
                                    // The index escapes the text and marks hits with <b>.
                                    p.snippet { (PreEscaped(&hit.snippet)) }
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
    };
    Ok(page_response(
        StatusCode::OK,
        layout(lang, Some(&viewer), t(lang, "search"), &here, body),
    ))
}

// ---------------------------------------------------------------- dossier

async fn manifest(
    app: &App,
    viewer: &Viewer,
    id: &str,
) -> Result<(store::Digest, store::Manifest), Response> {
    if !valid_id(id) {
        return Err(not_found_page(viewer));
    }
    match app.store.manifest(id).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(not_found_page(viewer)),
        Err(e) => Err(failure(viewer, e)),
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

pub async fn dossier(State(app): State<Arc<App>>, viewer: Viewer, Path(id): Path<String>) -> Reply {
    let lang = viewer.lang;
    let (digest, m) = manifest(&app, &viewer, &id).await?;
    app.log(&viewer, "view-dossier", &id)?;
    let base = format!("/dossiers/{}", encode(&id));
    let body = html! {
        nav.crumbs { a href="/" { (t(lang, "search")) } " › " (id) }
        div.dossier-head {
            h1 { (t(lang, "dossier")) " " (m.dossier) }
            @if let Some(name) = m.metadata.get("name") {
                p.lead { (value_text(name)) }
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
                            span.tag { (kind_label(lang, index::classify::kind(&page.text))) }
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

fn bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
    } else {
        format!("{} KiB", n.div_ceil(1024))
    }
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

// ---------------------------------------------------------------- page viewer

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    q: String,
}

#[derive(Deserialize)]
struct Words {
    words: Vec<Word>,
}

#[derive(Deserialize)]
struct Word {
    text: String,
    bbox: [u32; 4],
}

/// What marks the query's matches on a page: the index's own analysis, so a
/// word is marked on the scan and in the text exactly when it made the page match.
fn highlighter(app: &App, query: &str) -> Option<index::Highlighter> {
    if query.trim().is_empty() {
        return None;
    }
    app.index.highlighter(query).ok().filter(|h| !h.is_empty())
}

pub async fn page(
    State(app): State<Arc<App>>,
    viewer: Viewer,
    Path((id, n)): Path<(String, usize)>,
    Query(query): Query<PageQuery>,
) -> Reply {
    let lang = viewer.lang;
    let (_, m) = manifest(&app, &viewer, &id).await?;
    let Some(page) = m.pages.iter().find(|p| p.number == n) else {
        return Err(not_found_page(&viewer));
    };
    app.log(&viewer, "view-page", &format!("{id} page {n}"))?;
    let words: Vec<Word> = match &page.words {
        Some(object) => app
            .store
            .get_json::<Words>(&object.sha256)
            .await
            .map(|w| w.words)
            .map_err(|e| failure(&viewer, e))?,
        None => Vec::new(),
    };
    let highlighter = highlighter(&app, &query.q);
    let hits: Vec<&Word> = match &highlighter {
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
    let mut parts = Vec::with_capacity(spans.len() * 2 + 1);
    let mut at = 0;
    for span in spans {
        parts.push((&line[at..span.start], false));
        parts.push((&line[span.clone()], true));
        at = span.end;
    }
    parts.push((&line[at..], false));
    parts.retain(|(part, _)| !part.is_empty());
    parts
}

#[derive(Deserialize)]
pub struct ImageQuery {
    w: Option<u32>,
}

pub async fn page_image(
    State(app): State<Arc<App>>,
    viewer: Viewer,
    Path((id, n)): Path<(String, usize)>,
    Query(query): Query<ImageQuery>,
) -> Reply {
    let width = match query.w.unwrap_or(images::SCREEN) {
        w if w == images::THUMB || w == images::SCREEN => w,
        _ => return Err((StatusCode::BAD_REQUEST, "unsupported width").into_response()),
    };
    let (_, m) = manifest(&app, &viewer, &id).await?;
    let Some(page) = m.pages.iter().find(|p| p.number == n) else {
        return Err(not_found_page(&viewer));
    };
    let sha = page.image.sha256.hex();
    let jpeg = match app.images.cached(&sha, width) {
        Some(jpeg) => cached_image(&app, jpeg),
        None => {
            let _turn = app.images.turn(&sha, width).await.map_err(|_| busy())?;
            // The render before ours, of the same page, may have made it.
            if let Some(jpeg) = app.images.cached(&sha, width) {
                return Ok(image_response(cached_image(&app, jpeg)));
            }
            let original = app
                .store
                .get(&page.image.sha256)
                .await
                .map_err(|e| failure(&viewer, e))?;
            let app2 = app.clone();
            let rendered =
                tokio::task::spawn_blocking(move || app2.images.render(&sha, width, &original))
                    .await
                    .map_err(|e| failure(&viewer, e))?
                    .map_err(|e| failure(&viewer, format!("{e:#}")))?;
            app.metrics
                .derivatives_rendered
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            rendered
        }
    };
    Ok(image_response(jpeg))
}

fn cached_image(app: &App, jpeg: Vec<u8>) -> Vec<u8> {
    app.metrics
        .derivatives_cached
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    jpeg
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

// ---------------------------------------------------------------- downloads

fn attachment(bytes: Vec<u8>, mime: &str, name: &str) -> Response {
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

pub async fn download(
    State(app): State<Arc<App>>,
    viewer: Viewer,
    Path((id, what)): Path<(String, String)>,
) -> Reply {
    viewer.require(&app, Role::Operator, &format!("{id} {what}"))?;
    let (_, m) = manifest(&app, &viewer, &id).await?;
    let (object, mime, ext) = match what.as_str() {
        "pdf" => (Some(&m.pdf), "application/pdf", "pdf"),
        "text" => (Some(&m.text), "text/plain; charset=utf-8", "txt"),
        "hocr" => (m.hocr.as_ref(), "application/xhtml+xml", "hocr.html"),
        "alto" => (m.alto.as_ref(), "application/xml", "alto.xml"),
        _ => (None, "", ""),
    };
    let Some(object) = object else {
        return Err(not_found_page(&viewer));
    };
    app.log(&viewer, "download", &format!("{id} {what}"))?;
    // Store::get re-hashes: a corrupt object is never served.
    let bytes = app
        .store
        .get(&object.sha256)
        .await
        .map_err(|e| failure(&viewer, e))?;
    Ok(attachment(
        bytes,
        mime,
        &format!("{}.{ext}", file_name(&id)),
    ))
}

pub async fn source(
    State(app): State<Arc<App>>,
    viewer: Viewer,
    Path((id, n)): Path<(String, usize)>,
) -> Reply {
    let (_, m) = manifest(&app, &viewer, &id).await?;
    let Some(source) = n.checked_sub(1).and_then(|i| m.sources.get(i)) else {
        return Err(not_found_page(&viewer));
    };
    app.log(
        &viewer,
        "download",
        &format!("{id} original {}", source.path),
    )?;
    let bytes = app
        .store
        .get(&source.sha256)
        .await
        .map_err(|e| failure(&viewer, e))?;
    let mime = if source.mime.is_empty() {
        "application/octet-stream"
    } else {
        &source.mime
    };
    Ok(attachment(bytes, mime, &file_name(&source.path)))
}

// ---------------------------------------------------------------- audit

pub async fn verify(
    State(app): State<Arc<App>>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Reply {
    check_csrf(&viewer, &form.csrf)?;
    viewer.require(&app, Role::Auditor, &format!("verify {id}"))?;
    let lang = viewer.lang;
    manifest(&app, &viewer, &id).await?;
    let report = store::verify::verify(&app.store, std::slice::from_ref(&id))
        .await
        .map_err(|e| failure(&viewer, e))?;
    let outcome = if report.problems.is_empty() {
        "intact"
    } else {
        "problems"
    };
    app.log(
        &viewer,
        "verify",
        &format!("{id}: {outcome}, {} objects", report.checked),
    )?;
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

pub async fn access_log(State(app): State<Arc<App>>, viewer: Viewer) -> Reply {
    viewer.require(&app, Role::Auditor, "access log")?;
    let lang = viewer.lang;
    app.log(&viewer, "view-access-log", "")?;
    let (entries, broken) = app
        .access
        .check()
        .map_err(|e| failure(&viewer, format!("{e:#}")))?;
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

pub async fn users(State(app): State<Arc<App>>, viewer: Viewer) -> Reply {
    viewer.require(&app, Role::Admin, "accounts")?;
    let lang = viewer.lang;
    let list = app
        .users
        .list()
        .map_err(|e| failure(&viewer, format!("{e:#}")))?;
    let body = html! {
        h1 { (t(lang, "users")) }
        table.list {
            thead { tr { th { (t(lang, "user")) } th { (t(lang, "role")) } th { (t(lang, "status")) } th { (t(lang, "created")) } } }
            tbody {
                @for u in &list {
                    tr {
                        td { (u.name) }
                        td { (role_label(lang, u.role)) }
                        td { (t(lang, if u.disabled { "disabled" } else { "active" })) }
                        td { (u.created) }
                    }
                }
            }
        }
        p.muted { (t(lang, "users-help")) }
    };
    Ok(page_response(
        StatusCode::OK,
        layout(lang, Some(&viewer), t(lang, "users"), "/admin/users", body),
    ))
}

/// A logged value as an auditor sees it: records written before fields were
/// cleaned may still hold control or bidirectional characters.
fn shown(text: &str) -> String {
    crate::access::clean(text, usize::MAX)
}
