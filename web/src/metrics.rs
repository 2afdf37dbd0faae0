//! Prometheus metrics of the viewer, served on their own address (`serve --metrics ADDR`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::routing::get;

use crate::App;

#[derive(Debug, Default)]
pub struct Metrics {
    /// Answers by status class: 2xx, 3xx, 4xx, 5xx.
    by_class: [AtomicU64; 4],
    micros: AtomicU64,
    pub searches: AtomicU64,
    pub search_micros: AtomicU64,
    pub sign_in_failures: AtomicU64,
    pub derivatives_rendered: AtomicU64,
    pub derivatives_cached: AtomicU64,
}

impl Metrics {
    pub fn request(&self, status: StatusCode, took: Duration) {
        let class = (status.as_u16() / 100).clamp(2, 5) as usize - 2;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
        self.micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn search(&self, took: Duration) {
        self.searches.fetch_add(1, Ordering::Relaxed);
        self.search_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }
}

/// The viewer's metrics in the text exposition format.
pub fn render(app: &App) -> String {
    let m = &app.metrics;
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64;
    let seconds = |a: &AtomicU64| get(a) / 1e6;
    let classes: Vec<(String, f64)> = ["2xx", "3xx", "4xx", "5xx"]
        .iter()
        .zip(&m.by_class)
        .map(|(class, n)| (format!("{{class=\"{class}\"}}"), get(n)))
        .collect();
    let mut out = Exposition::default();
    out.family(
        "dossier_http_requests_total",
        "counter",
        "Answers given, by status class.",
        &classes,
    )
    .one(
        "dossier_http_request_seconds_total",
        "counter",
        "Time spent answering.",
        seconds(&m.micros),
    )
    .one(
        "dossier_searches_total",
        "counter",
        "Searches run.",
        get(&m.searches),
    )
    .one(
        "dossier_search_seconds_total",
        "counter",
        "Time spent searching.",
        seconds(&m.search_micros),
    )
    .one(
        "dossier_sign_in_failures_total",
        "counter",
        "Refused sign-ins.",
        get(&m.sign_in_failures),
    )
    .family(
        "dossier_page_images_total",
        "counter",
        "Screen-size page images, by whether they came from the cache.",
        &[
            ("{cache=\"miss\"}".into(), get(&m.derivatives_rendered)),
            ("{cache=\"hit\"}".into(), get(&m.derivatives_cached)),
        ],
    )
    .one(
        "dossier_sessions",
        "gauge",
        "Live sessions.",
        app.sessions.count() as f64,
    )
    .one(
        "dossier_index_pages",
        "gauge",
        "Pages in the search index.",
        app.index.len() as f64,
    );
    out.finish()
}

/// Prometheus's text exposition format, one metric family at a time.
#[derive(Debug, Default)]
pub struct Exposition(String);

impl Exposition {
    /// A family: its `# HELP` and `# TYPE` lines, then one sample per
    /// `(labels, value)`, labels written as `{key="value"}` or empty.
    pub fn family(
        &mut self,
        name: &str,
        kind: &str,
        help: &str,
        samples: &[(String, f64)],
    ) -> &mut Self {
        self.0
            .push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (labels, value) in samples {
            self.0.push_str(&format!("{name}{labels} {value}\n"));
        }
        self
    }

    /// A family of one unlabelled sample.
    pub fn one(&mut self, name: &str, kind: &str, help: &str, value: f64) -> &mut Self {
        self.family(name, kind, help, &[(String::new(), value)])
    }

    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.0)
    }
}

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
            async move { ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(())
}
