//! Real servers for tests and benchmarks, all on 127.0.0.1: an S3 server
//! (s3s-fs, in this process), moto for Object Lock, and a proxy that injects
//! the faults real networks and real object stores produce.
//!
//! `DOSSIER_TEST_S3_ENDPOINT` (with `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`)
//! points [`S3Server::start`] at any other S3 endpoint instead, so the same
//! suite runs against MinIO, Garage, Ceph or a cloud bucket.

mod proxy;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_sdk_s3::config::{Credentials, Region, SharedCredentialsProvider};

pub use proxy::{BodyFault, Fault, FaultProxy};

/// Where an S3 server listens and how to sign requests to it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: String,
    pub access_key: String,
    pub secret_key: String,
}

impl Endpoint {
    /// The environment a `dossier` process needs to reach this endpoint.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.url.clone()),
            ("AWS_ACCESS_KEY_ID", self.access_key.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_key.clone()),
            ("AWS_REGION", "us-east-1".into()),
            ("DOSSIER_S3_PATH_STYLE", "1".into()),
            // Keep a developer's ~/.aws out of the tests.
            ("AWS_CONFIG_FILE", "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
        ]
    }

    /// The same endpoint seen through another address (a proxy's).
    pub fn via(&self, url: String) -> Endpoint {
        Endpoint {
            url,
            ..self.clone()
        }
    }

    /// The SDK configuration reaching this endpoint (no environment involved).
    pub fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&self.url)
            .region(Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                &self.access_key,
                &self.secret_key,
                None,
                None,
                "testkit",
            )))
            .build()
    }

    /// An S3 client for this endpoint, for checks the archive itself never makes.
    pub fn client(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk_config())
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// Creates a bucket with a fresh name (with Object Lock if `lock`) and returns the name.
    pub async fn create_bucket(&self, lock: bool) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "dossier-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut request = self.client().create_bucket().bucket(&name);
        if lock {
            request = request.object_lock_enabled_for_bucket(true);
        }
        request
            .send()
            .await
            .unwrap_or_else(|e| panic!("creating bucket {name} at {}: {e:?}", self.url));
        name
    }

    /// [`Endpoint::create_bucket`] for code outside any async runtime.
    pub fn create_bucket_blocking(&self, lock: bool) -> String {
        block_on(self.create_bucket(lock))
    }
}

/// Runs a future to completion on a runtime of its own.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

/// An S3 server for one test: s3s-fs on a fresh folder, served over HTTP on
/// 127.0.0.1 by a runtime of its own (so it keeps answering while the test
/// blocks on a child process).
#[derive(Debug)]
pub struct S3Server {
    pub endpoint: Endpoint,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

impl S3Server {
    /// Starts s3s-fs, or uses `DOSSIER_TEST_S3_ENDPOINT` if it is set.
    pub fn start() -> S3Server {
        if let Ok(url) = std::env::var("DOSSIER_TEST_S3_ENDPOINT") {
            let var = |name: &str| {
                std::env::var(name)
                    .unwrap_or_else(|_| panic!("DOSSIER_TEST_S3_ENDPOINT needs {name} too"))
            };
            return S3Server {
                endpoint: Endpoint {
                    url,
                    access_key: var("AWS_ACCESS_KEY_ID"),
                    secret_key: var("AWS_SECRET_ACCESS_KEY"),
                },
                stop: None,
                thread: None,
                _dir: None,
            };
        }
        Self::start_local()
    }

    /// Always s3s-fs, whatever the environment says.
    pub fn start_local() -> S3Server {
        use hyper_util::rt::{TokioExecutor, TokioIo};
        use s3s::auth::SimpleAuth;
        use s3s::service::S3ServiceBuilder;

        let dir = tempfile::tempdir().expect("a temporary folder");
        let (access_key, secret_key) = ("dossier-test-key", "dossier-test-secret");
        let fs = s3s_fs::FileSystem::new(dir.path()).expect("s3s-fs on a fresh folder");
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(access_key, secret_key));
        let service = builder.build();
        // s3s-fs checks If-Match and If-None-Match, then writes: two
        // conditional PUTs of one key at once can both pass. The servers a
        // data center runs (AWS, MinIO, Ceph RGW) decide and write as one
        // step, which the ledger's compare-and-set relies on; conditional
        // PUTs here take turns, so that stations racing for the ledger's head
        // meet the same answer they would there.
        let turns = Arc::new(tokio::sync::Mutex::new(()));
        let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
            let (service, turns) = (service.clone(), turns.clone());
            async move {
                let headers = request.headers();
                let conditional = request.method() == hyper::Method::PUT
                    && (headers.contains_key("if-match") || headers.contains_key("if-none-match"));
                let _turn = match conditional {
                    true => Some(turns.lock().await),
                    false => None,
                };
                hyper::service::Service::call(&service, request).await
            }
        });

        let listener = TcpListener::bind("127.0.0.1:0").expect("a port on 127.0.0.1");
        let addr = listener.local_addr().expect("the listener's address");
        let http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        let (stop, thread) = serve_in_thread(listener, move |socket| {
            let conn = http
                .serve_connection(TokioIo::new(socket), service.clone())
                .into_owned();
            async move {
                let _ = conn.await;
            }
        });
        S3Server {
            endpoint: Endpoint {
                url: format!("http://{addr}"),
                access_key: access_key.into(),
                secret_key: secret_key.into(),
            },
            stop: Some(stop),
            thread: Some(thread),
            _dir: Some(dir),
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// moto's S3 server, the one server within reach here that enforces Object
/// Lock (it refuses to delete a retained or held version). A child process,
/// killed on drop. Installed by `scripts/setup` (`pip install moto[server]`).
#[derive(Debug)]
pub struct Moto {
    pub endpoint: Endpoint,
    _child: Running,
}

impl Moto {
    pub fn start() -> Moto {
        let port = free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server is not installed: run scripts/setup (pip install 'moto[server]')");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        wait_for(addr, Duration::from_secs(120));
        Moto {
            endpoint: Endpoint {
                url: format!("http://{addr}"),
                access_key: "moto-key".into(),
                secret_key: "moto-secret".into(),
            },
            _child: Running(child),
        }
    }
}

/// A child process, killed when dropped.
#[derive(Debug)]
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `command` and waits until, for each of `announcements`, it has
/// written a line starting so on stderr and naming an `http://HOST:PORT`
/// address; returns the child and those addresses in order. Servers started
/// on port 0 this way never race other tests for a port. A thread keeps
/// draining stderr, so the child never writes into a closed pipe.
pub fn spawn_announcing(
    command: &mut Command,
    announcements: &[&str],
) -> (Running, Vec<SocketAddr>) {
    use std::io::BufRead;
    let mut child = command
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let stderr = child.stderr.take().expect("a piped stderr");
    let child = Running(child);
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines_tx.send(line);
        }
    });
    let mut found: Vec<Option<SocketAddr>> = vec![None; announcements.len()];
    let mut said = String::new();
    while found.iter().any(Option::is_none) {
        let Ok(line) = lines.recv_timeout(Duration::from_secs(120)) else {
            panic!("{command:?} did not announce {announcements:?}: {said}");
        };
        said.push_str(&line);
        said.push('\n');
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|a| a.parse().ok());
        if let Some(i) = announcements.iter().position(|a| line.starts_with(a)) {
            found[i] = found[i].or(addr);
        }
    }
    (child, found.into_iter().flatten().collect())
}

/// Accepts connections on `listener` on a thread with a runtime of its own
/// (so it keeps answering while a test blocks), handing each to `serve`,
/// until the returned sender fires or is dropped.
pub(crate) fn serve_in_thread<F, Fut>(
    listener: TcpListener,
    serve: F,
) -> (
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
)
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    listener
        .set_nonblocking(true)
        .expect("a non-blocking listener");
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        if let Ok((socket, _)) = accepted {
                            tokio::spawn(serve(socket));
                        }
                    }
                    _ = &mut stopped => break,
                }
            }
        });
    });
    (stop, thread)
}

/// Deterministic bytes that differ from one seed to the next, for objects in tests and benchmarks.
pub fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// A port nothing listens on now (for tools that cannot be started on port 0).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// Waits until something accepts connections on `addr`.
pub fn wait_for(addr: SocketAddr, limit: Duration) {
    let start = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            start.elapsed() < limit,
            "nothing listens on {addr} after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
