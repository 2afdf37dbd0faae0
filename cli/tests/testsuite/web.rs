//! The web viewer as `dossier serve` runs it: security over raw HTTP (so no
//! client tidies a hostile path away), and archivists' work in headless Chromium.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use testkit::Running;

use crate::util::{command, dossier_with_input};

/// `dossier ARGS`, which must succeed, with `stdin` as its input if given.
fn run(archive: &Path, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let out = dossier_with_input(archive, args, stdin.unwrap_or_default());
    assert!(
        out.status.success(),
        "dossier {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

const HOSTILE_NAME: &str = "<script>alert('name')</script> Ngono";

/// A batch with one dossier whose metadata and page text carry markup.
fn hostile_batch(dir: &Path) -> PathBuf {
    let batch = dir.join("hostile");
    let dossier = batch.join("INT-2026-09999");
    std::fs::create_dir_all(&dossier).unwrap();
    std::fs::write(
        dossier.join("dossier.toml"),
        format!("name = \"{HOSTILE_NAME}\"\ncorps = \"infirmiers\"\n"),
    )
    .unwrap();
    crate::util::print_page(
        &dossier.join("001.png"),
        "NOTE DE SERVICE",
        &[
            "Observation : <script>alert(1)</script> pour la naissance",
            "Balise <img src=x onerror=alert(2)> relevée par le scanner",
        ],
        7,
    );
    batch
}

/// French OCR text as Tesseract writes it (curly apostrophes, guillemets,
/// ligatures, non-breaking spaces), pages separated by form feeds.
const FRENCH_OCR: &str = include_str!("../../../testkit/data/french-ocr.txt");

/// A batch with one dossier of two pages printed from the French OCR corpus.
fn french_batch(dir: &Path) -> PathBuf {
    use samples::documents::{Block, Document, Style};
    use samples::render;
    let batch = dir.join("french");
    let dossier = batch.join("INT-2026-09998");
    std::fs::create_dir_all(&dossier).unwrap();
    let families = render::load_families(&render::font_dir()).unwrap();
    let style = crate::util::clean_style();
    let mut rng = samples::rng::Rng::new(11);
    for (i, page) in FRENCH_OCR.split('\u{c}').take(2).enumerate() {
        let doc = Document {
            kind: "other",
            lang: "fra",
            blocks: page
                .trim()
                .lines()
                .map(|line| Block {
                    style: Style::Line,
                    text: line.to_owned(),
                })
                .collect(),
        };
        let (grey, _) = render::render(&doc, &families[0], &style, &mut rng);
        grey.save(dossier.join(format!("{:03}.png", i + 1)))
            .unwrap();
    }
    batch
}

/// One archive for the whole test binary: the sample batch, the hostile
/// dossier, and three accounts.
fn archive() -> &'static Path {
    static ARCHIVE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = ARCHIVE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("archive");
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/batch");
        let hostile = hostile_batch(dir.path());
        let french = french_batch(dir.path());
        run(
            &archive,
            &[
                "ingest",
                samples.to_str().unwrap(),
                hostile.to_str().unwrap(),
                french.to_str().unwrap(),
            ],
            None,
        );
        for (name, role) in [
            ("amina", "auditor"),
            ("paul", "archivist"),
            ("root", "admin"),
        ] {
            run(
                &archive,
                &["user", "add", name, "--role", role, "--password-stdin"],
                Some(&format!("{name}-long-password\n")),
            );
        }
        (dir, archive)
    });
    path
}

struct Server {
    addr: SocketAddr,
    metrics: SocketAddr,
    _child: Running,
}

/// Starts `dossier serve` on ports the system picks, read back from what it prints.
fn serve() -> Server {
    serve_with(&[])
}

fn serve_with(options: &[&str]) -> Server {
    serve_archive(archive(), options)
}

fn serve_archive(archive: &Path, options: &[&str]) -> Server {
    let (child, addrs) = testkit::spawn_announcing(
        command()
            .args(["serve", "--addr", "127.0.0.1:0", "--metrics", "127.0.0.1:0"])
            .args(options)
            .arg("--archive")
            .arg(archive)
            .stdout(Stdio::null()),
        &["Serving the archive", "Metrics on"],
    );
    Server {
        addr: addrs[0],
        metrics: addrs[1],
        _child: child,
    }
}

/// An answer: status, headers (names lower-cased), body.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// One HTTP/1.1 request, written byte for byte as given.
fn http(addr: SocketAddr, method: &str, path: &str, cookie: &str, body: &str) -> Answer {
    http_with(addr, method, path, cookie, body, "")
}

/// [`http`], with `headers` (complete lines, each ending in CRLF) added.
fn http_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    cookie: &str,
    body: &str,
    headers: &str,
) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    request.push_str(headers);
    if !cookie.is_empty() {
        request.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if method == "POST" {
        request.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap().trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}

fn form_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

/// Signs in; returns the session cookie (`dossier_session=...`) and the CSRF token of its forms.
fn sign_in(addr: SocketAddr, user: &str, password: &str) -> Result<(String, String), Answer> {
    sign_in_with(addr, user, password, "")
}

/// [`sign_in`], the sign-in requests carrying `headers` (as [`http_with`]).
fn sign_in_with(
    addr: SocketAddr,
    user: &str,
    password: &str,
    headers: &str,
) -> Result<(String, String), Answer> {
    let form = http_with(addr, "GET", "/login", "", "", headers);
    let login_cookie = cookie_pair(form.cookies()[0]);
    let token = form_value(&form.body, "csrf");
    let answer = http_with(
        addr,
        "POST",
        "/login",
        &login_cookie,
        &format!("user={user}&password={password}&csrf={token}&next=%2F"),
        headers,
    );
    if answer.status != 303 {
        return Err(answer);
    }
    let session = answer
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("dossier_session="))
        .map(cookie_pair)
        .unwrap();
    let home = http(addr, "GET", "/", &session, "");
    Ok((session, form_value(&home.body, "csrf")))
}

const PROTECTED_GETS: &[&str] = &[
    "/",
    "/?q=naissance",
    "/dossiers/INT-2026-00001",
    "/dossiers/INT-2026-00001/pages/1",
    "/dossiers/INT-2026-00001/pages/1/image?w=320",
    "/dossiers/INT-2026-00001/files/pdf",
    "/dossiers/INT-2026-00001/files/alto",
    "/dossiers/INT-2026-00001/sources/1",
    "/audit/access",
    "/admin/users",
    "/no/such/route",
];

#[test]
fn every_route_needs_a_session_and_a_tampered_cookie_is_none() {
    let server = serve();
    let (session, _) = sign_in(server.addr, "paul", "paul-long-password").unwrap();
    let value = session.trim_start_matches("dossier_session=");
    let mut flipped = value.to_owned();
    let last = if value.ends_with('0') { "1" } else { "0" };
    flipped.replace_range(value.len() - 1.., last);
    for cookie in [
        String::new(),
        format!("dossier_session={flipped}"),
        "dossier_session=".into(),
        format!("dossier_session={value}x"),
    ] {
        for path in PROTECTED_GETS {
            let answer = http(server.addr, "GET", path, &cookie, "");
            assert_eq!(answer.status, 303, "GET {path} with '{cookie}'");
            assert!(
                answer
                    .header("location")
                    .unwrap()
                    .starts_with("/login?next=")
            );
            assert!(
                !answer.body.contains("INT-2026"),
                "GET {path} leaked: {}",
                answer.body
            );
        }
        for path in ["/logout", "/dossiers/INT-2026-00001/verify"] {
            let answer = http(server.addr, "POST", path, &cookie, "csrf=x");
            assert_eq!(answer.status, 401, "POST {path} with '{cookie}'");
        }
    }
    // The real cookie works, and is set the way it should be.
    assert_eq!(http(server.addr, "GET", "/", &session, "").status, 200);
    let image = "/dossiers/INT-2026-00001/pages/1/image?w=320";
    assert_eq!(http(server.addr, "GET", image, &session, "").status, 200);
    assert!(logged("paul").contains(&("view-image".to_owned(), "127.0.0.1".to_owned())));
    // Every refused request is in the access log, under no user.
    let refused = logged("")
        .iter()
        .filter(|(action, _)| action == "unauthenticated")
        .count();
    assert_eq!(refused, 4 * (PROTECTED_GETS.len() + 2));
}

#[test]
fn session_cookies_are_secure_and_sign_in_is_protected() {
    let server = serve();
    let form = http(server.addr, "GET", "/login", "", "");
    assert_eq!(form.status, 200);
    let login_cookie = cookie_pair(form.cookies()[0]);
    let token = form_value(&form.body, "csrf");
    // Without the form's cookie (a cross-site post), sign-in is refused.
    let forged = http(
        server.addr,
        "POST",
        "/login",
        "",
        &format!("user=paul&password=paul-long-password&csrf={token}"),
    );
    assert_eq!(forged.status, 403);
    // No cookie at all is what a browser on plain HTTP sends: the page says why.
    assert!(
        forged.body.contains("HTTPS") && forged.body.contains("--insecure-cookies"),
        "{}",
        forged.body
    );
    let ok = http(
        server.addr,
        "POST",
        "/login",
        &login_cookie,
        &format!("user=paul&password=paul-long-password&csrf={token}&next=%2F%2Fevil.example"),
    );
    assert_eq!(ok.status, 303);
    assert_eq!(ok.header("location"), Some("/"), "no open redirect");
    for back in [
        "/%0D%0ASet-Cookie:%20x=1",
        "https://evil.example/",
        "/%5Cevil.example",
    ] {
        let switched = http(
            server.addr,
            "GET",
            &format!("/lang?to=en&back={back}"),
            "",
            "",
        );
        assert_eq!(switched.status, 303, "{back}");
        assert_eq!(switched.header("location"), Some("/"), "{back}");
    }
    let set = ok
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("dossier_session="))
        .unwrap();
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Max-Age=",
        "Path=/",
    ] {
        assert!(set.contains(attribute), "{set} lacks {attribute}");
    }
    let csp = form.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));

    // Wrong passwords: five tries, then the sixth is refused even if right.
    for _ in 0..5 {
        let wrong = sign_in(server.addr, "amina", "not-her-password").unwrap_err();
        assert_eq!(wrong.status, 401);
        assert!(
            !wrong
                .cookies()
                .iter()
                .any(|c| c.starts_with("dossier_session="))
        );
    }
    let limited = sign_in(server.addr, "amina", "amina-long-password").unwrap_err();
    assert_eq!(limited.status, 429);
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    // Only this account from this address waits: another account behind the
    // same address (a reverse proxy) signs in.
    sign_in(server.addr, "root", "root-long-password").unwrap();
    // An administrator lifts the delay (and ends the account's sessions).
    run(archive(), &["user", "logout", "amina"], None);
    sign_in(server.addr, "amina", "amina-long-password").unwrap();
}

#[test]
fn parallel_wrong_passwords_are_counted_before_they_are_checked() {
    let server = serve();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..30)
            .map(|_| {
                scope.spawn(|| {
                    sign_in(server.addr, "paul", "not-his-password")
                        .unwrap_err()
                        .status
                })
            })
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let checked = statuses.iter().filter(|&&s| s == 401).count();
    let refused = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!((checked, refused), (5, 25), "{statuses:?}");
}

/// The access log's records for `user`, as (action, address) pairs.
fn logged(user: &str) -> Vec<(String, String)> {
    let log = std::fs::read_to_string(archive().join("access.log")).unwrap();
    log.lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|entry| entry["user"] == user)
        .map(|entry| {
            let field = |name: &str| entry[name].as_str().unwrap().to_owned();
            (field("action"), field("address"))
        })
        .collect()
}

#[test]
fn behind_a_trusted_proxy_each_client_is_throttled_and_logged_apart() {
    let server = serve_with(&["--trusted-proxy", "127.0.0.1"]);
    // The proxy appends the address it saw; what the client wrote before it
    // (1.2.3.4) is the client's word only.
    let forwarded = |client: &str| format!("X-Forwarded-For: 1.2.3.4, {client}\r\n");
    let outside = forwarded("198.51.100.20");
    let statuses: Vec<u16> = (0..6)
        .map(|_| {
            sign_in_with(server.addr, "paul", "not-his-password", &outside)
                .unwrap_err()
                .status
        })
        .collect();
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
    // The archivist behind the same proxy, at her own address, is not slowed.
    let desk = forwarded("198.51.100.21");
    sign_in_with(server.addr, "paul", "paul-long-password", &desk).unwrap();
    let records = logged("paul");
    let from = |action: &str, address: &str| {
        records
            .iter()
            .filter(|(a, b)| a == action && b == address)
            .count()
    };
    assert_eq!(from("sign-in-failed", "198.51.100.20"), 5, "{records:?}");
    assert_eq!(from("sign-in-refused", "198.51.100.20"), 1, "{records:?}");
    assert_eq!(from("sign-in", "198.51.100.21"), 1, "{records:?}");
    assert!(records.iter().all(|(_, address)| address != "1.2.3.4"));

    // A viewer trusting no proxy believes no header.
    let direct = serve();
    let spoofed = "X-Forwarded-For: 203.0.113.9\r\n";
    sign_in_with(direct.addr, "amina", "not-her-password", spoofed).unwrap_err();
    assert_eq!(
        logged("amina"),
        [("sign-in-failed".to_owned(), "127.0.0.1".to_owned())]
    );
}

#[test]
fn insecure_cookies_are_only_for_those_who_ask() {
    let server = serve_with(&["--insecure-cookies"]);
    let (session, _) = sign_in(server.addr, "paul", "paul-long-password").unwrap();
    assert_eq!(http(server.addr, "GET", "/", &session, "").status, 200);
    let form = http(server.addr, "GET", "/login", "", "");
    for cookie in form.cookies() {
        assert!(!cookie.contains("Secure"), "{cookie}");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
    }
    // A cookie that did not come back is then an expired form, not HTTP.
    let token = form_value(&form.body, "csrf");
    let posted = http(
        server.addr,
        "POST",
        "/login",
        "",
        &format!("user=paul&password=x&csrf={token}"),
    );
    assert_eq!(posted.status, 403);
    assert!(!posted.body.contains("--insecure-cookies"));
}

#[test]
fn forms_need_their_csrf_token() {
    let server = serve();
    let (session, csrf) = sign_in(server.addr, "amina", "amina-long-password").unwrap();
    let verify = "/dossiers/INT-2026-00001/verify";
    assert_eq!(
        http(server.addr, "POST", verify, &session, "csrf=wrong").status,
        403
    );
    assert_eq!(http(server.addr, "POST", verify, &session, "").status, 422);
    let ok = http(
        server.addr,
        "POST",
        verify,
        &session,
        &format!("csrf={csrf}"),
    );
    assert_eq!(ok.status, 200);
    assert!(ok.body.contains("verify-result"), "{}", ok.body);
    assert_eq!(
        http(server.addr, "POST", "/logout", &session, "csrf=nope").status,
        403
    );
    let out = http(
        server.addr,
        "POST",
        "/logout",
        &session,
        &format!("csrf={csrf}"),
    );
    assert_eq!(out.status, 303);
    assert_eq!(
        http(server.addr, "GET", "/", &session, "").status,
        303,
        "signed out"
    );
    let actions: Vec<String> = logged("amina").into_iter().map(|(a, _)| a).collect();
    let refused = actions.iter().filter(|a| *a == "csrf-refused").count();
    assert_eq!(refused, 2, "{actions:?}");
}

#[test]
fn roles_limit_what_each_account_reaches() {
    let server = serve();
    let (archivist, csrf) = sign_in(server.addr, "paul", "paul-long-password").unwrap();
    assert_eq!(
        http(server.addr, "GET", "/admin/users", &archivist, "").status,
        403
    );
    assert_eq!(
        http(server.addr, "GET", "/audit/access", &archivist, "").status,
        403
    );
    let verify = http(
        server.addr,
        "POST",
        "/dossiers/INT-2026-00001/verify",
        &archivist,
        &format!("csrf={csrf}"),
    );
    assert_eq!(verify.status, 403);
    assert_eq!(
        http(
            server.addr,
            "GET",
            "/dossiers/INT-2026-00001",
            &archivist,
            ""
        )
        .status,
        200
    );

    let (auditor, _) = sign_in(server.addr, "amina", "amina-long-password").unwrap();
    assert_eq!(
        http(server.addr, "GET", "/admin/users", &auditor, "").status,
        403
    );
    let log = http(server.addr, "GET", "/audit/access", &auditor, "");
    assert_eq!(log.status, 200);
    // Paul's refusals are in the log the auditor reads.
    assert!(
        log.body.contains("accès refusé") && log.body.contains("verify INT-2026-00001"),
        "{}",
        log.body
    );
    let (admin, _) = sign_in(server.addr, "root", "root-long-password").unwrap();
    let users = http(server.addr, "GET", "/admin/users", &admin, "");
    assert_eq!(users.status, 200);
    assert!(users.body.contains("paul") && !users.body.contains("argon2"));

    // A disabled account loses its open session at the next request, and
    // enabling it again revives none.
    run(archive(), &["user", "disable", "paul"], None);
    assert_eq!(http(server.addr, "GET", "/", &archivist, "").status, 303);
    run(archive(), &["user", "enable", "paul"], None);
    assert_eq!(http(server.addr, "GET", "/", &archivist, "").status, 303);
    // A new password ends the sessions opened with the old one.
    let (archivist, _) = sign_in(server.addr, "paul", "paul-long-password").unwrap();
    assert_eq!(http(server.addr, "GET", "/", &archivist, "").status, 200);
    run(
        archive(),
        &["user", "passwd", "paul", "--password-stdin"],
        Some("paul-new-long-password\n"),
    );
    assert_eq!(http(server.addr, "GET", "/", &archivist, "").status, 303);
    // `user logout` signs an account out everywhere; others stay signed in.
    let (archivist, _) = sign_in(server.addr, "paul", "paul-new-long-password").unwrap();
    run(archive(), &["user", "logout", "paul"], None);
    assert_eq!(http(server.addr, "GET", "/", &archivist, "").status, 303);
    assert_eq!(http(server.addr, "GET", "/", &auditor, "").status, 200);
}

#[test]
fn markup_in_ocr_text_and_metadata_is_shown_as_text() {
    let server = serve();
    let (session, _) = sign_in(server.addr, "paul", "paul-long-password").unwrap();
    let dossier = http(server.addr, "GET", "/dossiers/INT-2026-09999", &session, "");
    assert_eq!(dossier.status, 200);
    assert!(
        dossier
            .body
            .contains("&lt;script&gt;alert('name')&lt;/script&gt; Ngono")
    );
    let page = http(
        server.addr,
        "GET",
        "/dossiers/INT-2026-09999/pages/1?q=naissance",
        &session,
        "",
    );
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("&lt;script&gt;"),
        "the OCR text shows the tag: {}",
        page.body
    );
    let hits = http(
        server.addr,
        "GET",
        "/?q=observation+naissance",
        &session,
        "",
    );
    assert!(hits.body.contains("INT-2026-09999"), "{}", hits.body);
    for body in [&dossier.body, &page.body, &hits.body] {
        assert!(!body.contains("<script"), "markup reached the page: {body}");
        assert!(
            !body.contains("<img src=x"),
            "markup reached the page: {body}"
        );
    }
}

#[test]
fn hostile_and_french_queries_are_answered_and_the_server_lives_on() {
    let server = serve();
    let (session, _) = sign_in(server.addr, "paul", "paul-long-password").unwrap();
    let deep = format!("{}ngono{}", "%28".repeat(3000), "%29".repeat(3000));
    for path in [
        format!("/?q={deep}"),
        format!("/dossiers/INT-2026-00001/pages/1?q={deep}"),
        "/?q=d%E2%80%99int%C3%A9gration~1".to_owned(),
        "/?q=%C2%AB+naissance~1+%C2%BB".to_owned(),
        "/dossiers/INT-2026-00001/pages/1?q=naissance~1".to_owned(),
    ] {
        let answer = http(server.addr, "GET", &path, &session, "");
        assert_eq!(
            answer.status,
            200,
            "{}: {}",
            &path[..40.min(path.len())],
            answer.body
        );
    }
    let page = http(
        server.addr,
        "GET",
        "/dossiers/INT-2026-00001/pages/1?q=naissance~1",
        &session,
        "",
    );
    assert!(page.body.contains("<mark>"), "a fuzzy hit is marked");
    assert_eq!(http(server.addr, "GET", "/", &session, "").status, 200);

    // French OCR text: the CLI and the viewer find, mark and show it.
    for query in [
        "amina~1",
        "extrait~1",
        "intéressée~1",
        "certifie",
        "état civil",
    ] {
        let out = run(archive(), &["search", query, "--json"], None);
        let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let hits = found["hits"].as_array().unwrap();
        assert!(
            hits.iter().any(|h| h["dossier"] == "INT-2026-09998"
                && h["snippet"].as_str().unwrap().contains("<b>")),
            "{query}: {found}"
        );
        let path = format!("/?q={}", encode(query));
        let answer = http(server.addr, "GET", &path, &session, "");
        assert!(answer.body.contains("INT-2026-09998"), "{query}");
        let path = format!("/dossiers/INT-2026-09998/pages/1?q={}", encode(query));
        let answer = http(server.addr, "GET", &path, &session, "");
        if query != "extrait~1" && query != "certifie" {
            assert!(answer.body.contains("<mark>"), "{query}: {}", answer.body);
        }
    }
}

/// Percent-encodes a query for a URL.
fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[test]
fn no_path_leaves_the_archive() {
    let server = serve();
    let (session, _) = sign_in(server.addr, "root", "root-long-password").unwrap();
    for path in [
        "/dossiers/../users.json",
        "/dossiers/..%2Fusers.json",
        "/dossiers/..%2F..%2Fetc%2Fpasswd",
        "/dossiers/%2E%2E/pages/1",
        "/dossiers/INT-2026-00001/sources/0",
        "/dossiers/INT-2026-00001/sources/..%2F..%2Fusers.json",
        "/dossiers/INT-2026-00001/files/..%2Fusers.json",
        "/dossiers/INT-2026-00001/pages/1/image?w=5000",
        "/static/../users.json",
        "/static/..%2F..%2Fusers.json",
        "/dossiers/INT-2026-00001/pages/99",
    ] {
        let answer = http(server.addr, "GET", path, &session, "");
        assert!(
            matches!(answer.status, 400 | 404),
            "GET {path}: {} {}",
            answer.status,
            answer.body
        );
        assert!(
            !answer.body.contains("argon2") && !answer.body.contains("root:"),
            "{path}"
        );
    }
}

#[test]
fn metrics_count_what_the_viewer_did() {
    let server = serve();
    let (session, _) = sign_in(server.addr, "paul", "paul-long-password").unwrap();
    http(server.addr, "GET", "/?q=naissance", &session, "");
    let metrics = http(server.metrics, "GET", "/metrics", "", "");
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.body.contains("dossier_searches_total 1"),
        "{}",
        metrics.body
    );
    assert!(
        metrics.body.contains("dossier_index_pages 18"),
        "{}",
        metrics.body
    );
    assert!(
        metrics.body.contains("dossier_sessions 1"),
        "{}",
        metrics.body
    );
}

/// A Chromium session through ChromeDriver, in French, downloading into `downloads`.
async fn browser(driver_url: &str, downloads: &Path) -> fantoccini::Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1366,900", "--lang=fr-FR"],
            "prefs": {
                "download.default_directory": downloads,
                "download.prompt_for_download": false,
            },
        }),
    );
    fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(driver_url)
        .await
        .expect("a Chromium session")
}

/// Signs in through the form, as a person does.
async fn browser_sign_in(browser: &fantoccini::Client, base: &str, user: &str, password: &str) {
    use fantoccini::Locator;
    browser.goto(&format!("{base}/login")).await.unwrap();
    let field = browser.find(Locator::Id("user")).await.unwrap();
    field.send_keys(user).await.unwrap();
    let field = browser.find(Locator::Id("password")).await.unwrap();
    field.send_keys(password).await.unwrap();
    let button = browser.find(Locator::Css("button.primary")).await.unwrap();
    button.click().await.unwrap();
    browser
        .wait()
        .for_element(Locator::Css("form.search"))
        .await
        .unwrap();
}

/// ChromeDriver on a free port, killed when dropped.
fn chromedriver() -> (Running, String) {
    let port = testkit::free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is not installed: run scripts/setup (Debian chromium-driver)");
    let child = Running(child);
    testkit::wait_for(([127, 0, 0, 1], port).into(), Duration::from_secs(120));
    (child, format!("http://127.0.0.1:{port}"))
}

/// Saves what the browser shows as `name` among the screenshots.
async fn screenshot(browser: &fantoccini::Client, name: &str) {
    let png = browser.screenshot().await.unwrap();
    std::fs::write(screenshots().join(name), png).unwrap();
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archivist_signs_in_searches_sees_the_hit_and_downloads_the_pdf() {
    use fantoccini::Locator;
    let server = serve();
    let (_driver, driver_url) = chromedriver();
    let downloads = tempfile::tempdir().unwrap();
    let browser = browser(&driver_url, downloads.path()).await;
    // localhost, not 127.0.0.1: Chromium keeps Secure cookies for it over plain HTTP.
    let base = format!("http://localhost:{}", server.addr.port());
    let shots = screenshots();
    let shot = |name: &'static str| {
        let browser = browser.clone();
        let path = shots.join(name);
        async move {
            let png = browser.screenshot().await.unwrap();
            std::fs::write(path, png).unwrap();
        }
    };

    // Any page sends a stranger to sign in, in French.
    browser.goto(&format!("{base}/?q=naissance")).await.unwrap();
    assert!(
        browser
            .current_url()
            .await
            .unwrap()
            .path()
            .starts_with("/login")
    );
    assert_eq!(
        browser
            .find(Locator::Css("html"))
            .await
            .unwrap()
            .attr("lang")
            .await
            .unwrap()
            .as_deref(),
        Some("fr")
    );
    shot("01-sign-in.png").await;
    browser
        .find(Locator::Id("user"))
        .await
        .unwrap()
        .send_keys("amina")
        .await
        .unwrap();
    browser
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("amina-long-password")
        .await
        .unwrap();
    browser
        .find(Locator::Css("button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Back where she was going: the results, hits in bold, facets beside.
    // (A click returns before the next page loads: wait for what it shows.)
    browser
        .wait()
        .for_element(Locator::Css("li.hit"))
        .await
        .unwrap();
    let hits = browser.find_all(Locator::Css("li.hit")).await.unwrap();
    assert!(hits.len() >= 3, "{} hits", hits.len());
    let marked = browser.find_all(Locator::Css("p.snippet b")).await.unwrap();
    assert!(!marked.is_empty());
    assert!(
        marked[0]
            .text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("naissance")
    );
    shot("02-results.png").await;

    // Open the first hit: the scan with the hits boxed, the text beside.
    browser
        .find(Locator::Css("li.hit a.title"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("#scan"))
        .await
        .unwrap();
    let loaded = browser
        .execute(
            "const i = document.getElementById('scan'); return i.complete && i.naturalWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        loaded.as_u64().unwrap_or(0) > 1000,
        "the page image loads: {loaded}"
    );
    let boxes = browser.find_all(Locator::Css(".sheet .box")).await.unwrap();
    assert!(!boxes.is_empty(), "the hit is highlighted on the scan");
    let (_, _, w, h) = boxes[0].rectangle().await.unwrap();
    assert!(w > 10.0 && h > 5.0, "a visible box: {w} x {h}");
    let marks = browser
        .find_all(Locator::Css(".page-text mark"))
        .await
        .unwrap();
    assert!(!marks.is_empty(), "and in the text");
    shot("03-page.png").await;

    // The dossier, its pages and downloads; the PDF arrives whole.
    browser
        .goto(&format!("{base}/dossiers/INT-2026-00001"))
        .await
        .unwrap();
    let cards = browser
        .find_all(Locator::Css("li.page-card"))
        .await
        .unwrap();
    assert_eq!(cards.len(), 5);
    shot("04-dossier.png").await;
    browser
        .execute(
            "document.querySelector('ol.pages').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("li.page-card img"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    shot("04b-dossier-pages.png").await;
    browser
        .find(Locator::Css("a[href$='/files/pdf']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let pdf = downloads.path().join("INT-2026-00001.pdf");
    let started = Instant::now();
    while !pdf.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no PDF downloaded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");

    // An auditor verifies the dossier from its page.
    browser
        .find(Locator::Css("form[action$='/verify'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let result = browser
        .wait()
        .for_element(Locator::Id("verify-result"))
        .await
        .unwrap();
    assert_eq!(result.attr("class").await.unwrap().as_deref(), Some("ok"));
    shot("05-verified.png").await;

    // English, everywhere, once switched.
    browser
        .find(Locator::Css("a.lang"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("html[lang='en']"))
        .await
        .unwrap();
    assert_eq!(
        browser
            .find(Locator::Css("html"))
            .await
            .unwrap()
            .attr("lang")
            .await
            .unwrap()
            .as_deref(),
        Some("en")
    );
    browser
        .goto(&format!("{base}/?q=naissance&kind=birth-certificate"))
        .await
        .unwrap();
    assert_eq!(
        browser
            .find_all(Locator::Css("li.hit"))
            .await
            .unwrap()
            .len(),
        // Three in the sample batch, one in the French OCR dossier.
        4
    );
    let button = browser
        .find(Locator::Css("form.search button"))
        .await
        .unwrap();
    assert_eq!(button.text().await.unwrap(), "Search");
    shot("06-results-en.png").await;
    browser.goto(&format!("{base}/audit/access")).await.unwrap();
    let rows = browser
        .find_all(Locator::Css("table.list tbody tr"))
        .await
        .unwrap();
    assert!(
        rows.len() >= 5,
        "searches, views, download and verify are logged"
    );
    shot("07-access-log.png").await;

    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archivist_corrects_a_misread_name_and_finds_the_dossier_by_it() {
    use crate::corrections::{MISREAD, misread_archive};
    use fantoccini::{Locator, key::Key};
    let dir = tempfile::tempdir().unwrap();
    let archive = misread_archive(dir.path());
    for (name, role) in [
        ("paul", "archivist"),
        ("olga", "operator"),
        ("amina", "auditor"),
    ] {
        run(
            &archive,
            &["user", "add", name, "--role", role, "--password-stdin"],
            Some(&format!("{name}-long-password\n")),
        );
    }
    // Every word under 99 is doubtful here: the page is in the review queue.
    let server = serve_archive(&archive, &["--review-below", "99"]);
    let (_driver, driver_url) = chromedriver();
    let downloads = tempfile::tempdir().unwrap();
    let browser = browser(&driver_url, downloads.path()).await;
    let base = format!("http://localhost:{}", server.addr.port());
    browser_sign_in(&browser, &base, "paul", "paul-long-password").await;

    // The review queue lists the page, and the birth place not in its text.
    browser.goto(&format!("{base}/review")).await.unwrap();
    let rows = browser
        .find_all(Locator::Css("#review-pages tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let unmatched = browser
        .find(Locator::Css("#review-unmatched tbody"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(unmatched.contains(MISREAD), "{unmatched}");
    screenshot(&browser, "09-review.png").await;

    // From the page viewer to its correction form.
    browser
        .goto(&format!("{base}/dossiers/{MISREAD}/pages/1"))
        .await
        .unwrap();
    browser
        .find(Locator::Css("a[href$='/pages/1/correct']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("form.line-edit"))
        .await
        .unwrap();
    // The line that says MBARQA, boxed on the scan once chosen.
    let line = browser
        .execute(
            "return [...document.querySelectorAll('form.line-edit')]\
               .find(f => f.querySelector('input[name=new]').value.includes('MBARQA')).id;",
            vec![],
        )
        .await
        .unwrap();
    let line = line.as_str().expect("a line reads MBARQA").to_owned();
    let show = format!("#{line} label a");
    browser
        .find(Locator::Css(&show))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(&format!("form.selected#{line}")))
        .await
        .unwrap();
    let boxes = browser
        .find_all(Locator::Css(".sheet rect.box"))
        .await
        .unwrap();
    assert!(!boxes.is_empty(), "the line is boxed on the scan");
    screenshot(&browser, "10-correct-form.png").await;

    let input = browser
        .find(Locator::Css(&format!("#{line} input[name=new]")))
        .await
        .unwrap();
    let old = input.prop("value").await.unwrap().unwrap();
    input.clear().await.unwrap();
    input
        .send_keys(&format!(
            "{}{}",
            old.replace("MBARQA", "MBARGA"),
            Key::Enter
        ))
        .await
        .unwrap();
    let result = browser
        .wait()
        .for_element(Locator::Id("correct-result"))
        .await
        .unwrap();
    assert_eq!(result.attr("class").await.unwrap().as_deref(), Some("ok"));
    assert!(result.text().await.unwrap().contains('2'), "version 2");
    screenshot(&browser, "11-corrected.png").await;

    // Search finds the dossier by the corrected name, at once.
    browser.goto(&format!("{base}/?q=mbarga")).await.unwrap();
    let hits = browser.find_all(Locator::Css("li.hit")).await.unwrap();
    assert_eq!(hits.len(), 1);
    screenshot(&browser, "12-found.png").await;

    // The dossier's history: two versions, the word struck out and written in.
    browser
        .goto(&format!("{base}/dossiers/{MISREAD}"))
        .await
        .unwrap();
    let versions = browser
        .find_all(Locator::Css("#history ol.versions > li"))
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);
    let added = browser.find(Locator::Css("#history ins")).await.unwrap();
    assert_eq!(added.text().await.unwrap(), "MBARGA");
    let removed = browser.find(Locator::Css("#history del")).await.unwrap();
    assert_eq!(removed.text().await.unwrap(), "MBARQA");
    browser
        .execute(
            "document.getElementById('history').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&browser, "13-history.png").await;
    browser.close().await.unwrap();

    // The archive says it: the PDF's text layer, the ALTO, both versions' PDFs.
    let shown = crate::util::json(&crate::util::dossier(
        &archive,
        &["show", MISREAD, "--json"],
    ));
    let object = |what: &str| {
        archive
            .join("objects")
            .join(shown[what]["key"].as_str().unwrap())
    };
    let text = Command::new("pdftotext")
        .arg(object("pdf"))
        .arg("-")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("MBARGA"));
    let alto = std::fs::read_to_string(object("alto")).unwrap();
    assert!(alto.contains("CONTENT=\"MBARGA\""), "the ALTO says it");
    assert_eq!(shown["correction"]["by"], "paul");
    let (session, _) = sign_in(server.addr, "paul", "paul-long-password").unwrap();
    let first = http(
        server.addr,
        "GET",
        &format!("/dossiers/{MISREAD}/versions/1/pdf"),
        &session,
        "",
    );
    assert_eq!(first.status, 200);
    assert!(first.body.starts_with("%PDF-"));

    // Operators and auditors do not correct; each refusal is logged.
    for user in ["olga", "amina"] {
        let (session, csrf) = sign_in(server.addr, user, &format!("{user}-long-password")).unwrap();
        let path = format!("/dossiers/{MISREAD}/pages/1/correct");
        assert_eq!(http(server.addr, "GET", &path, &session, "").status, 403);
        let body = format!("csrf={csrf}&line=1&old=x&new=y");
        assert_eq!(
            http(server.addr, "POST", &path, &session, &body).status,
            403
        );
    }
    let (session, _) = sign_in(server.addr, "amina", "amina-long-password").unwrap();
    let log = http(server.addr, "GET", "/audit/access", &session, "");
    assert!(
        log.body.contains("MBARQA") && log.body.contains("MBARGA"),
        "the correction is in the access log, old and new"
    );
    let refusals = log.body.matches("accès refusé").count();
    assert!(refusals >= 4, "and the refusals: {refusals}\n{}", log.body);
}
