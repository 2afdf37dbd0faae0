//! Upload throughput and per-object latency of the store backends: local files
//! and S3 (s3s-fs on 127.0.0.1, or `DOSSIER_TEST_S3_ENDPOINT`), side by side.
//!
//! `cargo run --release -p dossier-benches --bin dossier-store-bench`

use std::sync::Arc;
use std::time::Instant;

use store::{Backend, S3, S3Options, sha256};

/// (label, object size, objects) per run.
const SIZES: &[(&str, usize, usize)] = &[
    ("64 KiB", 64 << 10, 400),
    ("1 MiB", 1 << 20, 96),
    ("8 MiB", 8 << 20, 12),
    ("32 MiB (multipart)", 32 << 20, 4),
];

fn objects(seed: u64, size: usize, count: usize) -> Vec<Vec<u8>> {
    (0..count as u64)
        .map(|i| testkit::content(seed << 32 | i, size))
        .collect()
}

/// Puts every object, `in_flight` at a time; returns (MB/s, p50 ms, p99 ms).
async fn run(backend: Arc<dyn Backend>, data: Vec<Vec<u8>>, in_flight: usize) -> (f64, f64, f64) {
    let total: usize = data.iter().map(Vec::len).sum();
    let started = Instant::now();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(in_flight));
    let mut tasks = tokio::task::JoinSet::new();
    for bytes in data {
        let (backend, permit) = (
            backend.clone(),
            semaphore.clone().acquire_owned().await.unwrap(),
        );
        tasks.spawn(async move {
            let t = Instant::now();
            let digest = sha256(&bytes);
            backend
                .put(&digest.key(), bytes.into(), &digest)
                .await
                .expect("put");
            drop(permit);
            t.elapsed().as_secs_f64() * 1000.0
        });
    }
    let mut latencies = Vec::new();
    while let Some(ms) = tasks.join_next().await {
        latencies.push(ms.unwrap());
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    (total as f64 / seconds / 1e6, at(0.5), at(0.99))
}

fn main() {
    let server = testkit::S3Server::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let local_dir = tempfile::tempdir().unwrap();
    println!("backend   objects              in flight     MB/s   p50 ms   p99 ms");
    for (seed, &(label, size, count)) in SIZES.iter().enumerate() {
        for in_flight in [1, 8] {
            let bucket = runtime.block_on(server.endpoint.create_bucket(false));
            let mut options = S3Options::from_url(&format!("s3://{bucket}")).unwrap();
            options.path_style = true;
            let s3: Arc<dyn Backend> =
                Arc::new(S3::from_config(&server.endpoint.sdk_config(), options));
            let local: Arc<dyn Backend> = Arc::new(store::Local::new(
                local_dir.path().join(format!("{seed}-{in_flight}")),
            ));
            for (name, backend) in [("local", local), ("s3", s3)] {
                let data = objects(seed as u64, size, count);
                let (mbps, p50, p99) = runtime.block_on(run(backend, data, in_flight));
                println!(
                    "{name:<9} {count:>4} x {label:<18} {in_flight:>2} {mbps:>13.1} {p50:>8.2} {p99:>8.2}"
                );
            }
        }
    }
}
