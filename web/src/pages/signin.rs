//! Signing in and out, and the language switch: the only pages reached
//! without a session.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::html;
use serde::Deserialize;

use super::{CsrfForm, Reply, check_csrf, encode, layout, local_path, page_response};
use crate::i18n::{Lang, t};
use crate::session::{self, LANG_COOKIE, LOGIN_COOKIE};
use crate::{App, Viewer, lang_of};

pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/lang", get(switch_lang))
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

async fn login_form(
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
struct LoginForm {
    user: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

async fn login(
    State(app): State<Arc<App>>,
    parts: axum::http::request::Parts,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = lang_of(&parts);
    let address = app.proxies.client(&parts);
    let next = local_path(form.next.as_deref().unwrap_or("/")).to_owned();
    let page = |reason: &str, status| {
        login_page(&app, lang, &form.csrf, &next, Some(t(lang, reason)), status)
    };
    if let Some(reason) = form_refused(&app, &parts, &form.csrf, &address) {
        let _ = app
            .record(&form.user, "csrf-refused", "sign-in", &address)
            .await;
        let token = session::random_token();
        let refused = Some(t(lang, reason));
        return login_page(&app, lang, &token, &next, refused, StatusCode::FORBIDDEN);
    }
    // The account's epoch is part of the pair: an administrator's `user
    // logout` lifts a delay. Unknown names count under epoch 0.
    let name = form.user.clone();
    let account = app.blocking(move |app| app.users.get(&name)).await;
    let epoch = account.ok().flatten().map_or(0, |u| u.epoch);
    let attempt = match app.throttle.attempt(&form.user, epoch, &address) {
        Ok(attempt) => attempt,
        Err(wait) => {
            let refused = "too many attempts";
            let _ = app
                .record(&form.user, "sign-in-refused", refused, &address)
                .await;
            let mut refused = page("too-many", StatusCode::TOO_MANY_REQUESTS);
            if let Ok(value) = wait.as_secs().max(1).to_string().parse() {
                refused.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return refused;
        }
    };
    let (name, password) = (form.user.clone(), form.password.clone());
    // argon2 is meant to be slow: off the async workers like all blocking work.
    let user = app
        .blocking(move |app| app.users.authenticate(&name, &password))
        .await;
    match user {
        Ok(Some(user)) => {
            attempt.succeeded();
            let _ = app.record(&user.name, "sign-in", "", &address).await;
            signed_in(&app, &user, &next)
        }
        Ok(None) => {
            drop(attempt);
            app.metrics.sign_in_failed();
            let _ = app.record(&form.user, "sign-in-failed", "", &address).await;
            page("bad-login", StatusCode::UNAUTHORIZED)
        }
        Err(e) => crate::internal_error(format_args!("{e:#}")),
    }
}

/// Why a sign-in form is refused before its password is looked at, if it
/// is. Double submit: the form's token must be the one in the cookie we set.
/// No cookie at all is almost always a browser that would not send a
/// `Secure` cookie over plain HTTP: say so, or the archivist is only sent
/// back to the form with no word why.
fn form_refused(
    app: &App,
    parts: &axum::http::request::Parts,
    csrf: &str,
    address: &str,
) -> Option<&'static str> {
    let cookie_token = crate::cookies(parts).and_then(|c| session::cookie(c, LOGIN_COOKIE));
    match cookie_token {
        None if app.cookies.secure => {
            tracing::warn!(
                "a sign-in from {address} came back without its cookie: \
                 is the viewer reached over plain HTTP?"
            );
            Some("cookie-not-returned")
        }
        Some(c) if session::same(c, csrf) => None,
        _ => Some("expired-form"),
    }
}

/// A new session for `user`, and back to where the sign-in was asked for.
fn signed_in(app: &App, user: &crate::users::User, next: &str) -> Response {
    let token = app.sessions.start(&user.name, user.role, user.epoch);
    let mut response = Redirect::to(next).into_response();
    let headers = response.headers_mut();
    for cookie in [app.cookies.session(&token), app.cookies.clear(LOGIN_COOKIE)] {
        if let Ok(value) = cookie.parse() {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

async fn logout(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    viewer: Viewer,
    Form(form): Form<CsrfForm>,
) -> Reply {
    check_csrf(&app, &viewer, &form.csrf, "sign-out").await?;
    if let Some(token) = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| session::cookie(c, session::COOKIE))
    {
        app.sessions.end(token);
    }
    app.log(&viewer, "sign-out", "").await?;
    let mut response = Redirect::to("/login").into_response();
    if let Ok(value) = app.cookies.clear(session::COOKIE).parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

#[derive(Deserialize)]
struct LangQuery {
    to: String,
    back: Option<String>,
}

async fn switch_lang(State(app): State<Arc<App>>, Query(query): Query<LangQuery>) -> Response {
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
