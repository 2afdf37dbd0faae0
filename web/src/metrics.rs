//! Prometheus metrics of the viewer, served on their own address (`serve --metrics ADDR`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::routing::get;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::App;

/// Label sets, as `[(name, value)]`.
pub type Labels = Vec<(String, String)>;

/// The viewer's counters and gauges, in a `prometheus-client` registry.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Answers by status class: 2xx, 3xx, 4xx, 5xx.
    requests: Family<Labels, Counter>,
    request_seconds: Counter<f64, AtomicU64>,
    searches: Counter,
    search_seconds: Counter<f64, AtomicU64>,
    sign_in_failures: Counter,
    /// Screen-size page images, by `cache`: `hit` or `miss`.
    page_images: Family<Labels, Counter>,
    sessions: Gauge,
    index_pages: Gauge,
    /// Seconds since the index last held the whole ledger; -1: not yet.
    index_lag: Gauge<f64, AtomicU64>,
    index_behind: Gauge,
}

/// One label (the viewer's and the hot folder's series have one each).
pub fn label(name: &str, value: &str) -> Labels {
    vec![(name.to_owned(), value.to_owned())]
}

impl Default for Metrics {
    fn default() -> Self {
        let mut metrics = Metrics {
            registry: Registry::default(),
            requests: Family::default(),
            request_seconds: Counter::default(),
            searches: Counter::default(),
            search_seconds: Counter::default(),
            sign_in_failures: Counter::default(),
            page_images: Family::default(),
            sessions: Gauge::default(),
            index_pages: Gauge::default(),
            index_lag: Gauge::default(),
            index_behind: Gauge::default(),
        };
        // Every series is there from the start, at 0, so that rates work.
        for class in ["2xx", "3xx", "4xx", "5xx"] {
            let _ = metrics.requests.get_or_create(&label("class", class));
        }
        for cache in ["hit", "miss"] {
            let _ = metrics.page_images.get_or_create(&label("cache", cache));
        }
        let r = &mut metrics.registry;
        r.register(
            "dossier_http_requests",
            "Answers given, by status class",
            metrics.requests.clone(),
        );
        r.register(
            "dossier_http_request_seconds",
            "Time spent answering",
            metrics.request_seconds.clone(),
        );
        r.register("dossier_searches", "Searches run", metrics.searches.clone());
        r.register(
            "dossier_search_seconds",
            "Time spent searching",
            metrics.search_seconds.clone(),
        );
        r.register(
            "dossier_sign_in_failures",
            "Refused sign-ins",
            metrics.sign_in_failures.clone(),
        );
        r.register(
            "dossier_page_images",
            "Screen-size page images, by whether they came from the cache",
            metrics.page_images.clone(),
        );
        r.register(
            "dossier_sessions",
            "Live sessions",
            metrics.sessions.clone(),
        );
        r.register(
            "dossier_index_pages",
            "Pages in the search index",
            metrics.index_pages.clone(),
        );
        r.register(
            "dossier_index_lag_seconds",
            "Seconds since the index last held everything the ledger says (-1: not yet)",
            metrics.index_lag.clone(),
        );
        r.register(
            "dossier_index_ledger_records_behind",
            "Ledger records the index has not applied yet",
            metrics.index_behind.clone(),
        );
        metrics
    }
}

impl Metrics {
    pub fn request(&self, status: StatusCode, took: Duration) {
        let class = match status.as_u16() / 100 {
            ..=2 => "2xx",
            3 => "3xx",
            4 => "4xx",
            _ => "5xx",
        };
        self.requests.get_or_create(&label("class", class)).inc();
        self.request_seconds.inc_by(took.as_secs_f64());
    }

    pub fn search(&self, took: Duration) {
        self.searches.inc();
        self.search_seconds.inc_by(took.as_secs_f64());
    }

    pub fn sign_in_failed(&self) {
        self.sign_in_failures.inc();
    }

    /// A page image served, from the cache or rendered for the request.
    pub fn page_image(&self, cached: bool) {
        let cache = if cached { "hit" } else { "miss" };
        self.page_images.get_or_create(&label("cache", cache)).inc();
    }
}

/// The viewer's metrics in the OpenMetrics text format.
pub fn render(app: &App) -> String {
    let m = &app.metrics;
    m.sessions.set(app.sessions.count() as i64);
    m.index_pages.set(app.index.len() as i64);
    let (lag, behind) = app.follow.lag();
    m.index_lag.set(lag.map_or(-1.0, |d| d.as_secs_f64()));
    m.index_behind.set(behind as i64);
    encode(&m.registry)
}

/// A registry in the OpenMetrics text format.
pub fn encode(registry: &Registry) -> String {
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, registry)
        .expect("writing to a String does not fail");
    out
}

/// What the text is: OpenMetrics, which Prometheus reads.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Serves `GET /metrics` on `addr` with what `render` returns, without
/// sign-in (keep the address internal), and says on stderr where: with port
/// 0 the system picks one.
pub async fn serve_metrics(
    addr: SocketAddr,
    render: impl Fn() -> String + Send + Sync + 'static,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr} for metrics"))?;
    eprintln!("Metrics on http://{}/metrics", listener.local_addr()?);
    let render = Arc::new(render);
    let router = Router::new().route(
        "/metrics",
        get(move || {
            let text = render();
            async move { ([(header::CONTENT_TYPE, CONTENT_TYPE)], text) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_series_is_there_from_the_start_in_openmetrics_text() {
        let metrics = Metrics::default();
        metrics.request(StatusCode::NOT_FOUND, Duration::from_millis(250));
        metrics.page_image(true);
        let text = encode(&metrics.registry);
        for line in [
            "# TYPE dossier_http_requests counter",
            "dossier_http_requests_total{class=\"2xx\"} 0",
            "dossier_http_requests_total{class=\"4xx\"} 1",
            "dossier_http_request_seconds_total 0.25",
            "dossier_page_images_total{cache=\"hit\"} 1",
            "dossier_page_images_total{cache=\"miss\"} 0",
            "dossier_sessions 0",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line} in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
