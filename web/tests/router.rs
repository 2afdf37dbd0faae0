//! The viewer's routes called without a socket (`tower::ServiceExt::oneshot`):
//! sign-in, redirects, refusals and error pages, where a browser adds nothing.
//! The browser and raw-HTTP tests are in `cli/tests/testsuite/web.rs`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use http_body_util::BodyExt;
use tower::ServiceExt;

struct Viewer {
    _dir: tempfile::TempDir,
    router: axum::Router,
    store: store::Store,
}

fn viewer() -> Viewer {
    let dir = tempfile::tempdir().unwrap();
    let store = store::Store::local(dir.path());
    let index = Arc::new(index::Index::open_or_create(&dir.path().join("index")).unwrap());
    let users = dossier_web::Users::new(dir.path());
    users
        .add(
            "amina",
            dossier_web::Role::Archivist,
            "a long enough password",
        )
        .unwrap();
    let app = dossier_web::App::new(dir.path(), store.clone(), index).unwrap();
    Viewer {
        _dir: dir,
        router: dossier_web::router(Arc::new(app)),
        store,
    }
}

async fn send(viewer: &Viewer, request: Request<Body>) -> Response {
    viewer.router.clone().oneshot(request).await.unwrap()
}

async fn text(response: Response) -> String {
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

/// `NAME=VALUE` of a cookie the response sets.
fn set_cookie(response: &Response, name: &str) -> String {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie"))
        .to_owned()
}

/// Signs in as the archivist; returns the session cookie.
async fn sign_in(viewer: &Viewer) -> String {
    let form = send(viewer, Request::get("/login").body(Body::empty()).unwrap()).await;
    let login = set_cookie(&form, "dossier_login");
    let token = login.split('=').nth(1).unwrap().to_owned();
    let body = format!("user=amina&password=a+long+enough+password&csrf={token}&next=%2F");
    let request = Request::post("/login")
        .header(header::COOKIE, &login)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let signed_in = send(viewer, request).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    set_cookie(&signed_in, "dossier_session")
}

fn get(path: &str, session: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, session)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn without_a_session_pages_send_to_sign_in_and_forms_are_refused() {
    let viewer = viewer();
    let page = send(
        &viewer,
        Request::get("/dossiers/INT-1?x=1")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    let location = page.headers()[header::LOCATION].to_str().unwrap();
    assert_eq!(location, "/login?next=%2Fdossiers%2FINT-1%3Fx%3D1");

    let logout = Request::post("/logout").body(Body::from("csrf=x")).unwrap();
    assert_eq!(
        send(&viewer, logout).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let style = send(
        &viewer,
        Request::get("/static/style.css")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(style.status(), StatusCode::OK);
    assert_eq!(style.headers()[header::X_FRAME_OPTIONS], "DENY");
}

#[tokio::test]
async fn an_internal_error_gives_a_reference_and_hides_its_text() {
    let viewer = viewer();
    let session = sign_in(&viewer).await;
    // A dossier whose manifest is not in the store.
    let missing = store::sha256(b"a manifest that was never stored");
    viewer
        .store
        .set_dossier_ref("INT-1", &missing)
        .await
        .unwrap();

    let page = send(&viewer, get("/dossiers/INT-1", &session)).await;
    assert_eq!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let html = text(page).await;
    assert!(
        html.contains("référence") || html.contains("reference"),
        "{html}"
    );
    assert!(
        !html.contains(&missing.hex()[..12]),
        "the store's error leaked: {html}"
    );
    assert!(!html.contains("missing"), "{html}");
}

#[tokio::test]
async fn unknown_dossiers_and_paths_are_pages_not_errors() {
    let viewer = viewer();
    let session = sign_in(&viewer).await;
    for path in ["/dossiers/INT-404", "/dossiers/..", "/no/such/page"] {
        let page = send(&viewer, get(path, &session)).await;
        assert_eq!(page.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(text(page).await.contains("<html"), "{path}");
    }
}

#[tokio::test]
async fn an_archivist_is_refused_what_auditors_and_admins_reach() {
    let viewer = viewer();
    let session = sign_in(&viewer).await;
    for path in ["/audit/access", "/admin/users"] {
        let page = send(&viewer, get(path, &session)).await;
        assert_eq!(page.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let search = send(&viewer, get("/?q=naissance", &session)).await;
    assert_eq!(search.status(), StatusCode::OK);
}
