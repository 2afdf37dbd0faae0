//! A fault-injecting HTTP proxy to put between an S3 client and a real S3 server.
//!
//! Every `every`-th request meets the next fault of a cycle: a 503 SlowDown or
//! a 500 answered by the proxy, a connection dropped *after* the server
//! handled the request (so the client never learns that its PUT arrived), or a
//! stall longer than the client's patience. `set_down` turns the whole store
//! away, as an outage would. `damage_gets` spoils the bodies of GETs of one
//! key, every time: a flipped byte, a short body, or a connection cut mid-body.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use hyper_util::rt::{TokioExecutor, TokioIo};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One kind of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 503 SlowDown: the server asks the client to back off.
    SlowDown,
    /// 500 InternalError.
    Internal,
    /// The request reaches the server, then the connection drops before the answer.
    DropAfter,
    /// Nothing comes back for a long time, then the connection drops.
    Stall,
}

/// What happens to the body of every GET of a damaged key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFault {
    /// One byte flipped, the length and headers as the server sent them.
    Flip,
    /// Only the first half, with a Content-Length that says so.
    Truncate,
    /// The full Content-Length announced, half the bytes sent, then the
    /// connection closed.
    CutOff,
}

struct State {
    upstream: String,
    /// Keys (or parts of them) whose GET bodies are spoiled, and how.
    damaged: Mutex<Vec<(String, BodyFault)>>,
    every: u64,
    cycle: Vec<Fault>,
    stall: Duration,
    down: AtomicBool,
    requests: AtomicU64,
    faults: AtomicU64,
    /// Requests by HTTP method, to show what a run cost.
    methods: Mutex<BTreeMap<String, u64>>,
}

/// The proxy, listening on 127.0.0.1 until dropped.
#[derive(Debug)]
pub struct FaultProxy {
    pub url: String,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("upstream", &self.upstream)
            .finish()
    }
}

impl FaultProxy {
    /// Forwards to `upstream` (`http://host:port`), failing every `every`-th
    /// request (0: never) with the faults of `cycle` in turn.
    pub fn start(upstream: &str, every: u64, cycle: Vec<Fault>, stall: Duration) -> FaultProxy {
        let state = Arc::new(State {
            upstream: upstream.trim_end_matches('/').to_owned(),
            damaged: Mutex::default(),
            every,
            cycle,
            stall,
            down: AtomicBool::new(false),
            requests: AtomicU64::new(0),
            faults: AtomicU64::new(0),
            methods: Mutex::default(),
        });
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port on 127.0.0.1");
        let addr = listener.local_addr().expect("the listener's address");
        let shared = state.clone();
        let client: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let (stop, thread) = crate::serve_in_thread(listener, move |socket| {
            let (state, client) = (shared.clone(), client.clone());
            let service = hyper::service::service_fn(move |request| {
                handle(state.clone(), client.clone(), request)
            });
            async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            }
        });
        FaultProxy {
            url: format!("http://{addr}"),
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// While down, every request is answered 503 SlowDown.
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    /// Spoils the body of every GET whose path contains `key` from now on.
    pub fn damage_gets(&self, key: &str, fault: BodyFault) {
        let mut damaged = self.state.damaged.lock().expect("not poisoned");
        damaged.push((key.to_owned(), fault));
    }

    /// Requests seen so far by HTTP method (`GET`, `HEAD`, `PUT`, ...).
    pub fn methods(&self) -> BTreeMap<String, u64> {
        self.state.methods.lock().expect("not poisoned").clone()
    }

    /// Forgets the counts so far.
    pub fn reset_counts(&self) {
        self.state.methods.lock().expect("not poisoned").clear();
        self.state.requests.store(0, Ordering::SeqCst);
        self.state.faults.store(0, Ordering::SeqCst);
    }

    /// Requests seen and faults injected so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.state.requests.load(Ordering::SeqCst),
            self.state.faults.load(Ordering::SeqCst),
        )
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn handle(
    state: Arc<State>,
    client: Client<HttpConnector, Full<Bytes>>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, BoxError> {
    let n = state.requests.fetch_add(1, Ordering::SeqCst) + 1;
    *state
        .methods
        .lock()
        .expect("not poisoned")
        .entry(request.method().to_string())
        .or_default() += 1;
    let fault = if state.down.load(Ordering::SeqCst) {
        Some(Fault::SlowDown)
    } else if state.every > 0 && n.is_multiple_of(state.every) && !state.cycle.is_empty() {
        let turn = (n / state.every - 1) as usize % state.cycle.len();
        Some(state.cycle[turn])
    } else {
        None
    };
    let (parts, body) = request.into_parts();
    // Take the whole request first, as a server would before failing.
    let body = body.collect().await?.to_bytes();
    if fault.is_some() {
        state.faults.fetch_add(1, Ordering::SeqCst);
    }
    match fault {
        Some(Fault::SlowDown) => {
            return Ok(error(503, "SlowDown", "Please reduce your request rate."));
        }
        Some(Fault::Internal) => {
            return Ok(error(
                500,
                "InternalError",
                "We encountered an internal error.",
            ));
        }
        Some(Fault::Stall) => {
            tokio::time::sleep(state.stall).await;
            return Err("stalled".into());
        }
        Some(Fault::DropAfter) | None => {}
    }
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut forward = Request::builder()
        .method(parts.method.clone())
        .uri(format!("{}{path}", state.upstream));
    for (name, value) in &parts.headers {
        // The Host header stays the proxy's: the client signed it.
        if name != TRANSFER_ENCODING && name != CONTENT_LENGTH {
            forward = forward.header(name, value);
        }
    }
    let forward = forward
        .header(CONTENT_LENGTH, body.len())
        .body(Full::new(body))?;
    let answer = client.request(forward).await?;
    if fault == Some(Fault::DropAfter) {
        return Err("dropped after the server answered".into());
    }
    let (mut head, body) = answer.into_parts();
    let mut body = body.collect().await?.to_bytes();
    if parts.method != Method::HEAD {
        head.headers.remove(TRANSFER_ENCODING);
        head.headers.insert(CONTENT_LENGTH, body.len().into());
    }
    if parts.method == Method::GET && head.status.is_success() {
        let fault = state
            .damaged
            .lock()
            .expect("not poisoned")
            .iter()
            .find(|(key, _)| path.contains(key.as_str()))
            .map(|(_, fault)| *fault);
        if let Some(fault) = fault {
            state.faults.fetch_add(1, Ordering::SeqCst);
            body = spoil(body, fault);
            if fault == BodyFault::Truncate {
                head.headers.insert(CONTENT_LENGTH, body.len().into());
            }
        }
    }
    Ok(Response::from_parts(head, Full::new(body)))
}

/// The body as a damaged store or network would deliver it. For `CutOff`
/// the headers still announce the whole length: hyper closes the connection
/// when the body falls short of it.
fn spoil(body: Bytes, fault: BodyFault) -> Bytes {
    match fault {
        BodyFault::Flip => {
            let mut bytes = body.to_vec();
            if let Some(byte) = bytes.get_mut(body.len() / 2) {
                *byte ^= 0x01;
            }
            Bytes::from(bytes)
        }
        BodyFault::Truncate | BodyFault::CutOff => body.slice(..body.len() / 2),
    }
}

fn error(status: u16, code: &str, message: &str) -> Response<Full<Bytes>> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault-proxy</RequestId></Error>"
    );
    Response::builder()
        .status(StatusCode::from_u16(status).expect("a valid status"))
        .header("content-type", "application/xml")
        .body(Full::new(Bytes::from(body)))
        .expect("a valid response")
}
