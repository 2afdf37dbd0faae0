//! The web viewer (`dossier serve`): server-rendered pages for archivists and
//! auditors over the archive's store and index.
//!
//! Every route but the sign-in page and the style sheet needs a session. The
//! viewer reads the store and the index and writes only its own files in the
//! archive folder: `users.json`, `access.log` and cached page derivatives;
//! archivists' corrections go through the [`corrections::Corrections`] door
//! that `dossier serve` hands it. It must never know how pages were read or
//! how the archive was written.

// Handlers fail with the response to send; it is built once per request, so
// boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

mod access;
pub mod client;
pub mod corrections;
pub mod follow;
mod i18n;
mod images;
pub mod metrics;
mod pages;
mod session;
mod throttle;
pub mod users;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

pub use access::{AccessLog, Entry};
pub use i18n::Lang;
pub use users::{Role, Users};

/// The confidence under which a word is doubtful, unless `serve --review-below` says.
pub const DEFAULT_REVIEW_BELOW: f32 = 80.0;

/// Everything the handlers share.
pub struct App {
    pub store: store::Store,
    pub index: Arc<index::Index>,
    pub root: PathBuf,
    users: Users,
    sessions: session::Sessions,
    throttle: throttle::Throttle,
    access: AccessLog,
    images: images::Derivatives,
    metrics: metrics::Metrics,
    cookies: session::CookiePolicy,
    /// Makes corrections; `None`: the viewer only reads.
    corrections: Option<Arc<dyn corrections::Corrections>>,
    /// How far the index is behind the ledger, as `serve`'s follower says.
    follow: Arc<follow::IndexFollow>,
    /// Words read with less confidence than this (0 to 100) are doubtful:
    /// boxed for correction, and their pages in the review queue.
    review_below: f32,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    proxies: client::TrustedProxies,
}

impl App {
    /// The viewer of the archive at `root`, over its store and index.
    pub fn new(root: &Path, store: store::Store, index: Arc<index::Index>) -> Result<App> {
        Ok(App {
            store,
            index,
            root: root.to_owned(),
            users: Users::new(root),
            sessions: session::Sessions::default(),
            throttle: throttle::Throttle::default(),
            access: AccessLog::open(root)?,
            images: images::Derivatives::new(
                root.join("derivatives"),
                std::thread::available_parallelism().map_or(2, usize::from),
            ),
            metrics: metrics::Metrics::default(),
            cookies: session::CookiePolicy::default(),
            corrections: None,
            follow: Arc::default(),
            review_below: DEFAULT_REVIEW_BELOW,
            proxies: client::TrustedProxies::default(),
        })
    }

    /// Where `serve`'s follower says how far the index is behind the ledger.
    pub fn with_follow(mut self, follow: Arc<follow::IndexFollow>) -> App {
        self.follow = follow;
        self
    }

    /// Words read with less confidence than `below` are doubtful.
    pub fn with_review_below(mut self, below: f32) -> App {
        self.review_below = below;
        self
    }

    /// Requests from these reverse proxies are taken to come from the
    /// address their `X-Forwarded-For` names (see [`client`]).
    pub fn with_trusted_proxies(mut self, proxies: client::TrustedProxies) -> App {
        self.proxies = proxies;
        self
    }

    /// Archivists and admins may correct OCR text through `corrections`.
    pub fn with_corrections(mut self, corrections: Arc<dyn corrections::Corrections>) -> App {
        self.corrections = Some(corrections);
        self
    }

    /// Cookies without `Secure`, for a closed network with no TLS: they then
    /// travel in clear text, so anyone on that network can take a session.
    pub fn with_insecure_cookies(mut self) -> App {
        tracing::warn!(
            "cookies without Secure: sessions travel in clear text over plain HTTP; \
             use this only on a closed network, and HTTPS everywhere else"
        );
        self.cookies = session::CookiePolicy { secure: false };
        self
    }

    /// Records an access; a log that cannot be written stops the request
    /// rather than let an access go unrecorded.
    async fn log(
        self: &Arc<Self>,
        viewer: &Viewer,
        action: &str,
        target: &str,
    ) -> Result<(), pages::Failure> {
        let recorded = self
            .record(&viewer.user, action, target, &viewer.address)
            .await;
        recorded.map_err(|e| {
            tracing::error!("access log: {e:#}");
            let refused = (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the access log cannot be written",
            );
            viewer.answer(refused.into_response())
        })
    }

    /// Appends to the access log off the async workers: each entry is synced
    /// to disk under the log's lock.
    async fn record(
        self: &Arc<Self>,
        user: &str,
        action: &str,
        target: &str,
        address: &str,
    ) -> Result<()> {
        let entry = [user, action, target, address].map(str::to_owned);
        let [user, action, target, address] = entry;
        self.blocking(move |app| app.access.record(&user, &action, &target, &address))
            .await
    }

    /// Runs work that blocks (tantivy, files read or synced under a lock) on
    /// the blocking pool, never on the async workers that serve requests. A
    /// panic there is raised again here, for the panic layer to answer.
    async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&App) -> T + Send + 'static,
    ) -> T {
        let app = self.clone();
        match tokio::task::spawn_blocking(move || work(&app)).await {
            Ok(value) => value,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
}

/// The routes, for `serve` and for tests that call the app without a socket.
pub fn router(app: Arc<App>) -> Router {
    pages::routes()
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .layer(axum::middleware::from_fn_with_state(app.clone(), headers))
        .with_state(app)
}

/// Serves until the process ends; metrics on their own address if asked.
pub async fn serve(app: App, addr: SocketAddr, metrics_addr: Option<SocketAddr>) -> Result<()> {
    let app = Arc::new(app);
    if let Some(metrics_addr) = metrics_addr {
        let app = app.clone();
        metrics::serve_metrics(metrics_addr, move || metrics::render(&app)).await?;
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    eprintln!(
        "Serving the archive {} on http://{}",
        app.root.display(),
        listener.local_addr()?
    );
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}

/// The answer to a request whose handler panicked: a 500 page naming a
/// request id that the log line carries too, so one bad page or query never
/// takes the connection, let alone the process, with it.
fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let reason = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown");
    internal_error(format_args!("a handler panicked: {reason}"))
}

/// A short random reference for an error, given to the person who met it
/// and written in the log beside the error itself.
fn reference() -> String {
    let mut id = [0u8; 8];
    match getrandom::fill(&mut id) {
        Ok(()) => hex::encode(id),
        Err(_) => "unknown".to_owned(),
    }
}

/// A 500 answer for a request with no page to show it in (no session yet, or
/// a panic): the error is logged under a reference, and only the reference is sent.
fn internal_error(error: impl std::fmt::Display) -> Response {
    let id = reference();
    tracing::error!(request_id = %id, "{error:#}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        format!(
            "Erreur interne : la demande n'a pas abouti (référence {id}).\n\
             Internal error: the request failed (reference {id}).\n"
        ),
    )
        .into_response()
}

/// Headers every answer carries: no framing, no sniffing, only our own
/// scripts and styles, and nothing kept by shared caches.
async fn headers(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let started = std::time::Instant::now();
    let mut response = next.run(request).await;
    app.metrics.request(response.status(), started.elapsed());
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The signed-in user making a request.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: String,
    pub role: Role,
    pub csrf: String,
    pub lang: Lang,
    pub address: String,
}

impl Viewer {
    /// `Ok` if the viewer's role is at least `role`; a logged refusal otherwise.
    async fn require(&self, app: &Arc<App>, role: Role, what: &str) -> Result<(), pages::Failure> {
        if self.role >= role {
            return Ok(());
        }
        app.log(self, "denied", what).await?;
        Err(self.forbidden())
    }
}

/// The language asked for by cookie; French by default.
fn lang_of(parts: &Parts) -> Lang {
    cookies(parts)
        .and_then(|c| session::cookie(c, session::LANG_COOKIE))
        .and_then(Lang::parse)
        .unwrap_or(Lang::Fr)
}

fn cookies(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
}

/// Whether the session's account is still enabled, with the same role and at
/// the same epoch. `users.json` is read on every request, off the async
/// workers, so that `dossier user` in another process takes effect at once.
async fn still_valid(app: &Arc<App>, session: &session::Session) -> bool {
    let name = session.user.clone();
    let user = app.blocking(move |app| app.users.get(&name)).await;
    matches!(user, Ok(Some(user))
        if !user.disabled && user.role == session.role && user.epoch == session.epoch)
}

impl FromRequestParts<Arc<App>> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Viewer, Response> {
        let session = cookies(parts)
            .and_then(|c| session::cookie(c, session::COOKIE))
            .and_then(|token| app.sessions.get(token));
        // An account disabled, given a new password or role, or signed out
        // everywhere (by `dossier user`, in another process) loses its
        // sessions at its next request.
        let session = match session {
            Some(session) if still_valid(app, &session).await => Some(session),
            _ => None,
        };
        match session {
            Some(session) => Ok(Viewer {
                user: session.user,
                role: session.role,
                csrf: session.csrf,
                lang: lang_of(parts),
                address: app.proxies.client(parts),
            }),
            None => Err(unauthenticated(parts, app).await),
        }
    }
}

/// The answer to a request without a valid session, logged with what it
/// asked for: pages send people to sign in and back; anything else is
/// refused outright.
async fn unauthenticated(parts: &Parts, app: &Arc<App>) -> Response {
    let here = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let what = format!("{} {here}", parts.method);
    let _ = app
        .record("", "unauthenticated", &what, &app.proxies.client(parts))
        .await;
    match parts.method {
        Method::GET => {
            let next = pages::encode(here);
            Redirect::to(&format!("/login?next={next}")).into_response()
        }
        _ => (StatusCode::UNAUTHORIZED, "sign in first").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_answers_500_with_a_reference() {
        async fn boom() -> &'static str {
            panic!("bad data")
        }
        let router = Router::new()
            .route("/", get(boom))
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked));
        let request = axum::http::Request::get("/")
            .body(axum::body::Body::empty())
            .unwrap();
        let response = router.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8_lossy(&body);
        assert!(
            body.contains("reference ") && body.contains("référence "),
            "{body}"
        );
    }
}
