//! Prometheus metrics of the viewer, served on their own address (`serve --metrics ADDR`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

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

/// The text exposition format.
pub async fn render(State(app): State<Arc<App>>) -> impl IntoResponse {
    let m = &app.metrics;
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let mut out = String::new();
    out.push_str("# HELP dossier_http_requests_total Answers given, by status class.\n# TYPE dossier_http_requests_total counter\n");
    for (i, class) in ["2xx", "3xx", "4xx", "5xx"].iter().enumerate() {
        out.push_str(&format!(
            "dossier_http_requests_total{{class=\"{class}\"}} {}\n",
            get(&m.by_class[i])
        ));
    }
    let seconds = |a: &AtomicU64| get(a) as f64 / 1e6;
    out.push_str(&format!(
        "# HELP dossier_http_request_seconds_total Time spent answering.\n# TYPE dossier_http_request_seconds_total counter\ndossier_http_request_seconds_total {}\n",
        seconds(&m.micros)
    ));
    out.push_str(&format!(
        "# HELP dossier_searches_total Searches run.\n# TYPE dossier_searches_total counter\ndossier_searches_total {}\n",
        get(&m.searches)
    ));
    out.push_str(&format!(
        "# HELP dossier_search_seconds_total Time spent searching.\n# TYPE dossier_search_seconds_total counter\ndossier_search_seconds_total {}\n",
        seconds(&m.search_micros)
    ));
    out.push_str(&format!(
        "# HELP dossier_sign_in_failures_total Refused sign-ins.\n# TYPE dossier_sign_in_failures_total counter\ndossier_sign_in_failures_total {}\n",
        get(&m.sign_in_failures)
    ));
    out.push_str(&format!(
        "# HELP dossier_page_images_total Screen-size page images, by whether they came from the cache.\n# TYPE dossier_page_images_total counter\ndossier_page_images_total{{cache=\"miss\"}} {}\ndossier_page_images_total{{cache=\"hit\"}} {}\n",
        get(&m.derivatives_rendered),
        get(&m.derivatives_cached)
    ));
    out.push_str(&format!(
        "# HELP dossier_sessions Live sessions.\n# TYPE dossier_sessions gauge\ndossier_sessions {}\n",
        app.sessions.count()
    ));
    out.push_str(&format!(
        "# HELP dossier_index_pages Pages in the search index.\n# TYPE dossier_index_pages gauge\ndossier_index_pages {}\n",
        app.index.len()
    ));
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        out,
    )
}
