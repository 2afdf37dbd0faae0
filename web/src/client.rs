//! The address of the person behind a request, also behind a reverse proxy.
//!
//! Sign-in throttling and the access log key on it. Behind the reverse proxy
//! the README recommends, every connection comes from the proxy: keyed on
//! that, one person's wrong passwords would slow everyone down, and the log
//! would name the proxy for every access. The proxy says whom it forwards
//! for in `X-Forwarded-For`, but a client writes that header too. So it is
//! read only when the connection comes from a proxy named with
//! `serve --trusted-proxy`, and from the right: each proxy appends the
//! address it saw, so the rightmost entry that is not one of our own proxies
//! is the last one a proxy of ours vouched for. What a client wrote to the
//! left of it is ignored.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::request::Parts;

/// At most this many `X-Forwarded-For` entries are looked at: a header
/// padded with thousands costs no more than a real chain of proxies.
const MAX_HOPS: usize = 16;

/// The reverse proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpAddr>);

impl TrustedProxies {
    pub fn new(addresses: Vec<IpAddr>) -> TrustedProxies {
        TrustedProxies(addresses)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.contains(&address.to_canonical())
    }

    /// The client's address for a request, as text for the log ("local" when
    /// the server was not given its peers' addresses, as in unit tests).
    pub fn client(&self, parts: &Parts) -> String {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        match peer {
            Some(peer) => self.behind(peer, &parts.headers).to_string(),
            None => "local".to_owned(),
        }
    }

    /// Whom `peer` speaks for: itself, unless it is a trusted proxy that
    /// says whom it forwards for.
    fn behind(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        // Several headers count as one list, in order (RFC 9110, 5.3).
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect();
        let mut nearest = peer;
        for entry in entries.iter().rev().take(MAX_HOPS) {
            let Ok(address) = entry.trim().parse::<IpAddr>() else {
                // Not an address: nothing to its left can be believed either.
                return nearest;
            };
            let address = address.to_canonical();
            if !self.trusts(address) {
                return address;
            }
            nearest = address;
        }
        nearest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_itself_whatever_it_writes() {
        let proxies = TrustedProxies::new(vec![ip("10.0.0.5")]);
        let forged = headers(&["10.0.0.5, 192.0.2.1"]);
        assert_eq!(
            proxies.behind(ip("203.0.113.7"), &forged),
            ip("203.0.113.7")
        );
        let nobody = TrustedProxies::default();
        assert_eq!(nobody.behind(ip("10.0.0.5"), &forged), ip("10.0.0.5"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_entry_is_the_client() {
        let proxies = TrustedProxies::new(vec![ip("127.0.0.1"), ip("10.0.0.5")]);
        // A client wrote 1.2.3.4 itself; the outer proxy 10.0.0.5 saw
        // 198.51.100.20, and the local proxy saw 10.0.0.5.
        let chain = headers(&["1.2.3.4, 198.51.100.20", "10.0.0.5"]);
        assert_eq!(proxies.behind(ip("127.0.0.1"), &chain), ip("198.51.100.20"));
    }

    #[test]
    fn a_trusted_proxy_without_a_usable_header_is_the_address_known() {
        let proxies = TrustedProxies::new(vec![ip("127.0.0.1")]);
        assert_eq!(
            proxies.behind(ip("127.0.0.1"), &headers(&[])),
            ip("127.0.0.1")
        );
        let garbage = headers(&["198.51.100.20, not-an-address"]);
        assert_eq!(proxies.behind(ip("127.0.0.1"), &garbage), ip("127.0.0.1"));
    }

    #[test]
    fn an_ipv4_peer_seen_over_ipv6_is_the_same_proxy() {
        let proxies = TrustedProxies::new(vec![ip("127.0.0.1")]);
        let chain = headers(&["::ffff:198.51.100.20"]);
        assert_eq!(
            proxies.behind(ip("::ffff:127.0.0.1"), &chain),
            ip("198.51.100.20")
        );
    }
}
