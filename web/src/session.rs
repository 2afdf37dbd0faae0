//! Sessions, cookies and CSRF tokens.
//!
//! A session is a random 256-bit token the server keeps in memory; the cookie
//! carries only the token, so a tampered cookie names no session. Sessions end
//! after 30 idle minutes or 12 hours, whichever comes first, and on sign-out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::users::Role;

pub const COOKIE: &str = "dossier_session";
/// The sign-in form's CSRF token, before there is a session (double submit).
pub const LOGIN_COOKIE: &str = "dossier_login";
pub const LANG_COOKIE: &str = "dossier_lang";

const IDLE: Duration = Duration::from_secs(30 * 60);
const LIFETIME: Duration = Duration::from_secs(12 * 3600);

#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    pub role: Role,
    /// Every form of the session carries this token back.
    pub csrf: String,
    /// The account's [`epoch`](crate::users::User::epoch) at sign-in.
    pub epoch: u64,
    started: Instant,
    seen: Instant,
}

#[derive(Debug, Default)]
pub struct Sessions {
    live: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Starts a session; returns its token.
    pub fn start(&self, user: &str, role: Role, epoch: u64) -> String {
        let token = random_token();
        let now = Instant::now();
        let session = Session {
            user: user.to_owned(),
            role,
            csrf: random_token(),
            epoch,
            started: now,
            seen: now,
        };
        let mut live = self.live.lock().expect("not poisoned");
        live.retain(|_, s| alive(s, now));
        live.insert(token.clone(), session);
        token
    }

    /// The live session a token names, touched.
    pub fn get(&self, token: &str) -> Option<Session> {
        let now = Instant::now();
        let mut live = self.live.lock().expect("not poisoned");
        let session = live.get_mut(token)?;
        if !alive(session, now) {
            live.remove(token);
            return None;
        }
        session.seen = now;
        Some(session.clone())
    }

    pub fn end(&self, token: &str) {
        self.live.lock().expect("not poisoned").remove(token);
    }

    pub fn count(&self) -> usize {
        let now = Instant::now();
        self.live
            .lock()
            .expect("not poisoned")
            .values()
            .filter(|s| alive(s, now))
            .count()
    }
}

fn alive(session: &Session, now: Instant) -> bool {
    now.duration_since(session.seen) < IDLE && now.duration_since(session.started) < LIFETIME
}

/// 256 random bits, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the system's randomness");
    hex::encode(bytes)
}

/// A cookie's value from a `Cookie` header (parsed by the `cookie` crate;
/// pairs it cannot parse are skipped).
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    cookie::Cookie::split_parse(header)
        .filter_map(Result::ok)
        .find(|c| c.name_raw() == Some(name))
        .and_then(|c| c.value_raw())
}

/// How the viewer's cookies are written.
///
/// Secure by default: browsers then send them only over HTTPS or to
/// `localhost`. `insecure` drops the `Secure` attribute for a closed network
/// without TLS (`dossier serve --insecure-cookies`).
#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    pub secure: bool,
}

impl Default for CookiePolicy {
    fn default() -> Self {
        CookiePolicy { secure: true }
    }
}

impl CookiePolicy {
    /// A `Set-Cookie` value: HttpOnly, SameSite=Strict, for the whole site,
    /// and Secure unless the policy says otherwise.
    pub fn set(&self, name: &str, value: &str, max_age: Duration) -> String {
        let seconds = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
        cookie::Cookie::build((name, value))
            .path("/")
            .max_age(cookie::time::Duration::seconds(seconds))
            .secure(self.secure)
            .http_only(true)
            .same_site(cookie::SameSite::Strict)
            .build()
            .to_string()
    }

    pub fn session(&self, token: &str) -> String {
        self.set(COOKIE, token, LIFETIME)
    }

    pub fn clear(&self, name: &str) -> String {
        self.set(name, "", Duration::ZERO)
    }
}

/// Compares secrets in time independent of where they differ (`subtle`,
/// as the signature and password-hash crates use it).
pub fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_found_by_token_only() {
        let sessions = Sessions::default();
        let token = sessions.start("amina", Role::Archivist, 0);
        assert_eq!(token.len(), 64);
        assert_eq!(sessions.get(&token).unwrap().user, "amina");
        let mut tampered = token.clone();
        tampered.replace_range(0..1, if token.starts_with('a') { "b" } else { "a" });
        assert!(sessions.get(&tampered).is_none());
        sessions.end(&token);
        assert!(sessions.get(&token).is_none());
    }

    #[test]
    fn cookies_are_read_by_name() {
        let header = "a=1; dossier_session=abc; dossier_lang=en";
        assert_eq!(cookie(header, COOKIE), Some("abc"));
        assert_eq!(cookie(header, LANG_COOKIE), Some("en"));
        assert_eq!(cookie(header, "x"), None);
        assert_eq!(cookie("broken; dossier_lang=fr", LANG_COOKIE), Some("fr"));
        let set = CookiePolicy::default().session("abc");
        for part in [
            "dossier_session=abc",
            "Path=/",
            "Secure",
            "HttpOnly",
            "SameSite=Strict",
        ] {
            assert!(set.contains(part), "{set}");
        }
        let open = CookiePolicy { secure: false }.clear(LANG_COOKIE);
        assert!(
            open.contains("Max-Age=0") && !open.contains("Secure"),
            "{open}"
        );
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
