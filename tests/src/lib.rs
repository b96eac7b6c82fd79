//! Test harness for the Kortvæg integration tests: the real `kortvaeg` binary, a real `redis-server`
//! and real Yjs clients (yrs over tokio-tungstenite), driven from `tests/tests/*.rs`.
//!
//! - [`Server`]: starts `target/debug/kortvaeg` (or `$KORTVAEG_BIN`) with `--port 0` on its own data
//!   directory, learns the port from its `listening on http://127.0.0.1:PORT` log line, keeps draining
//!   its output (the last lines go into every failure message), and can be killed (`kill9`), stopped
//!   gracefully (`stop`, SIGTERM) and started again on the same data directory and store (`restart`);
//!   [`Server::start_refused`] starts one that must exit at start, and returns its output.
//!   It also carries the HTTP helpers: [`Server::get`], [`Server::post_json`], [`Server::create_room`],
//!   [`Server::health`], [`Server::export_csv`], … each answering a [`Response`] or a parsed body.
//! - [`Redis`]: a throw-away `redis-server` on a free port with append-only persistence, which can be
//!   stopped and started again on the same port and directory (store-outage tests).
//! - [`YClient`]: a y-websocket client holding a `yrs::Doc`. A background task applies the server's
//!   sync messages, answers its sync step 1, tracks the other clients' awareness states and records
//!   the close frame. Tests *await conditions* ([`YClient::wait_for`], [`YClient::wait_cards`],
//!   [`YClient::closed`], [`YClient::barrier`], …), each with a deadline and a failure message that
//!   says what was awaited and what was there instead; there are no sleeps used as synchronisation.
//!
//! [`YClient::barrier`] is the ordering tool: it sends a sync step 1 and waits for the server's
//! answer. The server handles one connection's messages in order, so once the barrier returns the
//! server has handled everything this client sent before it (applied, refused or closed on it).
//!
//! [`YClient::settle`] is the same round trip for when the server may close the connection instead
//! (`None` = still open, `Some((code, reason))` = closed).
//!
//! Also: [`Fixture`] (a server with one room, and connections per [`Role`]), [`ClientOptions`]
//! (read buffer, message limit, a document to reconnect with), [`YClient::refused`] (how an
//! upgrade was refused: HTTP status or close code), offline edits ([`add_card_offline`],
//! [`set_meta_offline`]) for the reconnect-with-sync-step-2 cases, [`parse_csv`] / [`parse_xlsx`],
//! and [`eventually`] for state that can only be polled (HTTP, Redis).
//! [`recalc`]: LibreOffice recalculating an exported XLSX, and edits of its cells.
//!
//! Environment: `KORTVAEG_BIN` picks the server binary; `RUST_LOG` is passed on (default `info`,
//! needed for the `listening on` line); when a test panics the server's last output lines are
//! printed, unless `KORTVAEG_TEST_QUIET` is set.
//!
//! Every test starts its own server (and Redis when it needs one), so tests run in parallel.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{AwarenessUpdate, Message, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{
    Any, Doc, Map, MapPrelim, MapRef, ReadTxn, TextPrelim, Transact, TransactionMut, Update,
};

pub mod recalc;

pub use kortvaeg_shared::api::{
    Axis, Card, ErrorBody, Health, Role, RoomCreated, RoomInfo, SnapshotInfo, WallView,
};
pub use kortvaeg_shared::{analysis, projection, schema, screening, sheet, Template, Templates};

/// Default deadline for anything a test awaits.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// How long the server may take from spawn to its `listening on` line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How many output lines of a server are kept for failure messages.
const LOG_LINES: usize = 400;

/// The template most tests use: rows `asis-1`..`asis-8`, columns `borgerservice`, `voksenservice`, …
pub const AS_IS: &str = "kmd-sag-exit-as-is";

// ------------------------------------------------------------------------------------------------
// Paths and the server binary

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The `kortvaeg` binary under test: `$KORTVAEG_BIN`, else `kortvaeg` in this test binary's target
/// directory (`target/debug/kortvaeg`), built with `cargo build --bin kortvaeg` once if it is missing.
pub fn server_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("KORTVAEG_BIN") {
            let p = PathBuf::from(p);
            assert!(p.is_file(), "KORTVAEG_BIN={} is not a file", p.display());
            return p;
        }
        // The test executable is target/<profile>/deps/<name>-<hash>; the server is target/<profile>/kortvaeg.
        let from_exe = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent()?.parent().map(|d| d.join("kortvaeg")));
        let bin = from_exe
            .filter(|p| p.parent().is_some_and(|d| d.is_dir()))
            .unwrap_or_else(|| workspace_root().join("target/debug/kortvaeg"));
        if !bin.is_file() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            eprintln!(
                "{} is missing: running cargo build --bin kortvaeg",
                bin.display()
            );
            let status = Command::new(cargo)
                .args(["build", "--bin", "kortvaeg"])
                .current_dir(workspace_root())
                .status()
                .expect("running cargo build --bin kortvaeg");
            assert!(
                status.success(),
                "cargo build --bin kortvaeg failed: {status}"
            );
            assert!(
                bin.is_file(),
                "cargo build --bin kortvaeg did not produce {}",
                bin.display()
            );
        }
        bin
    })
    .clone()
}

/// A built-in template, as the server has it (from `shared/templates`).
pub fn template(id: &str) -> Template {
    Templates::built_in()
        .expect("built-in templates load")
        .get(id)
        .unwrap_or_else(|| panic!("no built-in template {id}"))
        .clone()
}

/// Milliseconds since the epoch, as the schema's `created_at`.
pub fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as f64
}

/// Polls `check` (every 25 ms) until it gives `Ok`, failing with `what` and the last `Err` after
/// `timeout`. For state that can only be observed by asking (HTTP, Redis); WebSocket state is
/// awaited with [`YClient`]'s notifications instead.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    try_eventually(timeout, check).await.unwrap_or_else(|last| {
        panic!("timed out after {timeout:?} waiting for {what}; last seen: {last}")
    })
}

/// [`eventually`] that returns the last `Err` on timeout instead of panicking.
pub async fn try_eventually<T, F, Fut>(timeout: Duration, mut check: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        match check().await {
            Ok(v) => return Ok(v),
            Err(last) => {
                if Instant::now() >= deadline {
                    return Err(last);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

// ------------------------------------------------------------------------------------------------
// Process output

#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<VecDeque<String>>>);

impl LogBuf {
    fn push(&self, line: String) {
        let mut l = self.0.lock().unwrap();
        if l.len() == LOG_LINES {
            l.pop_front();
        }
        l.push_back(line);
    }
    fn text(&self) -> String {
        let l = self.0.lock().unwrap();
        l.iter().map(String::as_str).collect::<Vec<_>>().join("\n")
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The port in a `listening on http://HOST:PORT` line.
fn listening_port(line: &str) -> Option<u16> {
    let line = strip_ansi(line);
    let rest = &line[line.find("listening on http://")? + "listening on http://".len()..];
    let authority: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '/' | ','))
        .collect();
    let port = &authority[authority.rfind(':')? + 1..];
    let digits: String = port.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Drains `stream` line by line into `log` on a thread; the first `listening on` line's port goes to `port_tx`.
fn drain<R: Read + Send + 'static>(
    stream: R,
    tag: &'static str,
    log: LogBuf,
    port_tx: Arc<Mutex<Option<tokio::sync::oneshot::Sender<u16>>>>,
) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf).trim_end().to_string();
                    if let Some(port) = listening_port(&line) {
                        if let Some(tx) = port_tx.lock().unwrap().take() {
                            let _ = tx.send(port);
                        }
                    }
                    log.push(format!("[{tag}] {line}"));
                }
            }
        }
        // Dropping the last sender (both streams ended) tells `start` the server died first.
        drop(port_tx);
    });
}

fn send_signal(child: &Child, signal: libc::c_int) {
    // SAFETY: kill(2) on the pid of a child we own and have not reaped yet.
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    assert_eq!(
        rc,
        0,
        "kill({}, {signal}) failed: {}",
        child.id(),
        std::io::Error::last_os_error()
    );
}

async fn wait_exit(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("waiting for a child") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// ------------------------------------------------------------------------------------------------
// Server

/// How to start a [`Server`]. `Default` = embedded store in a fresh temporary directory.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// The `--data-dir`; default: a temporary directory owned by the [`Server`].
    pub data_dir: Option<PathBuf>,
    /// `--redis-url`: Redis is the store.
    pub redis_url: Option<String>,
    /// `--public-url`.
    pub public_url: Option<String>,
    /// Further arguments.
    pub args: Vec<String>,
}

impl ServerOptions {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn redis(mut self, url: impl Into<String>) -> Self {
        self.redis_url = Some(url.into());
        self
    }
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into());
        self
    }
    pub fn arg(mut self, name: &str, value: impl ToString) -> Self {
        self.args.push(name.to_string());
        self.args.push(value.to_string());
        self
    }
    pub fn max_message_bytes(self, n: usize) -> Self {
        self.arg("--max-message-bytes", n)
    }
    pub fn unload_after_ms(self, ms: u64) -> Self {
        self.arg("--unload-after-ms", ms)
    }
}

/// A running `kortvaeg` process. Dropping it kills the process.
pub struct Server {
    child: Option<Child>,
    port: u16,
    opts: ServerOptions,
    data_dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    log: LogBuf,
    http: reqwest::Client,
}

impl Server {
    /// Starts the server and returns once it has logged that it listens.
    pub async fn start(opts: ServerOptions) -> Server {
        let mut server = Server::new(opts);
        server.spawn().await;
        server
    }

    /// A server not started yet: its data directory and HTTP client.
    fn new(opts: ServerOptions) -> Server {
        let (tmp, data_dir) = match &opts.data_dir {
            Some(d) => (None, d.clone()),
            None => {
                let tmp = tempfile::tempdir().expect("temporary data dir");
                let dir = tmp.path().join("data");
                (Some(tmp), dir)
            }
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("reqwest client");
        Server {
            child: None,
            port: 0,
            opts,
            data_dir,
            _tmp: tmp,
            log: LogBuf::default(),
            http,
        }
    }

    /// Starts with the embedded store and default options.
    pub async fn start_default() -> Server {
        Server::start(ServerOptions::default()).await
    }

    /// Starts a server that must refuse to start: returns its output once it has exited without
    /// listening (panics if it listens).
    pub async fn start_refused(opts: ServerOptions) -> String {
        let mut server = Server::new(opts);
        match server.try_spawn().await {
            Ok(()) => panic!(
                "kortvaeg started although it should not have; output:\n{}",
                server.logs()
            ),
            Err(output) => output,
        }
    }

    async fn spawn(&mut self) {
        if let Err(output) = self.try_spawn().await {
            panic!("kortvaeg exited without logging 'listening on http://127.0.0.1:PORT'; output:\n{output}");
        }
    }

    /// Spawns the process and waits for its `listening on` line; `Err(output)` if it exits first.
    async fn try_spawn(&mut self) -> Result<(), String> {
        assert!(self.child.is_none(), "server already running");
        let bin = server_binary();
        let mut cmd = Command::new(&bin);
        cmd.arg("--port")
            .arg("0")
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--data-dir")
            .arg(&self.data_dir);
        if let Some(url) = &self.opts.redis_url {
            cmd.arg("--redis-url").arg(url);
        }
        if let Some(url) = &self.opts.public_url {
            cmd.arg("--public-url").arg(url);
        }
        cmd.args(&self.opts.args);
        for var in [
            "PORT",
            "BIND",
            "DATA_DIR",
            "REDIS_URL",
            "PUBLIC_URL",
            "SPOOL_DIR",
        ] {
            cmd.env_remove(var);
        }
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "info");
        }
        cmd.env("NO_COLOR", "1");
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        self.log.push(format!(
            "---- started {} {:?} (pid {})",
            bin.display(),
            cmd.get_args().collect::<Vec<_>>(),
            child.id()
        ));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let tx = Arc::new(Mutex::new(Some(tx)));
        drain(
            child.stdout.take().unwrap(),
            "out",
            self.log.clone(),
            tx.clone(),
        );
        drain(child.stderr.take().unwrap(), "err", self.log.clone(), tx);
        match tokio::time::timeout(STARTUP_TIMEOUT, rx).await {
            Ok(Ok(port)) => {
                self.port = port;
                self.child = Some(child);
                Ok(())
            }
            Ok(Err(_)) => {
                let status = child.wait().ok();
                self.log.push(format!("---- exited: {status:?}"));
                Err(self.log.text())
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "kortvaeg did not log 'listening on http://127.0.0.1:PORT' within {STARTUP_TIMEOUT:?}; output:\n{}",
                    self.log.text()
                );
            }
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `ws://127.0.0.1:PORT/ws` — what the stock `WebsocketProvider` is given as its server URL.
    pub fn ws_base(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }

    /// The WebSocket URL of a room's document, with `?token=` when a token is given.
    pub fn ws_url(&self, room: &str, kind: DocKind, token: Option<&str>) -> String {
        let mut url = format!("{}/{room}", self.ws_base());
        if kind == DocKind::Control {
            url.push_str("/control");
        }
        if let Some(t) = token {
            url.push_str("?token=");
            url.push_str(t);
        }
        url
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The last lines the server printed (stdout and stderr), for failure messages.
    pub fn logs(&self) -> String {
        self.log.text()
    }

    /// Whether the process is still alive.
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(c) => c.try_wait().expect("try_wait").is_none(),
            None => false,
        }
    }

    /// SIGKILL: the process dies at once, nothing is flushed.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let status = child.wait().expect("waiting for the killed server");
            self.log.push(format!("---- killed with SIGKILL: {status}"));
        }
    }

    /// SIGTERM, then waits (up to 20 s) for the process to exit; returns its exit status.
    pub async fn stop(&mut self) -> ExitStatus {
        let mut child = self
            .child
            .take()
            .expect("stop(): the server is not running");
        send_signal(&child, libc::SIGTERM);
        match wait_exit(&mut child, Duration::from_secs(20)).await {
            Some(status) => {
                self.log
                    .push(format!("---- exited after SIGTERM: {status}"));
                status
            }
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "kortvaeg did not exit within 20 s of SIGTERM; output:\n{}",
                    self.log.text()
                );
            }
        }
    }

    /// Starts the server again on the same data directory and store (on a new port: reconnect
    /// clients with the new [`Server::ws_url`]). If it is still running it is stopped first (SIGTERM).
    pub async fn restart(&mut self) {
        if self.child.is_some() {
            self.stop().await;
        }
        self.spawn().await;
    }

    /// A shared HTTP client (20 s timeout per request).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends `req` (built on [`Server::http`] or a client of its own) and reads the whole answer;
    /// `what` names the request in failure messages.
    pub async fn send(&self, req: reqwest::RequestBuilder, what: &str) -> Response {
        let resp = req.send().await.unwrap_or_else(|e| {
            panic!(
                "{what}: request failed: {e}\nserver output:\n{}",
                self.logs()
            )
        });
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_else(|e| {
            panic!(
                "{what}: reading the body failed: {e}\nserver output:\n{}",
                self.logs()
            )
        });
        Response {
            what: what.to_string(),
            status,
            content_type,
            body,
        }
    }

    fn with_token(req: reqwest::RequestBuilder, token: Option<&str>) -> reqwest::RequestBuilder {
        match token {
            Some(t) => req.header(reqwest::header::AUTHORIZATION, format!("Bearer {t}")),
            None => req,
        }
    }

    /// `GET path` with `Authorization: Bearer token` when a token is given.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let req = Self::with_token(self.http.get(format!("{}{path}", self.url())), token);
        self.send(req, &format!("GET {path}")).await
    }

    /// `GET path`, expecting `200` and a JSON body.
    pub async fn get_json(&self, path: &str, token: Option<&str>) -> Value {
        let resp = self.get(path, token).await;
        resp.assert_status(200);
        resp.json()
    }

    /// `GET path` with a raw `Authorization` header value.
    pub async fn send_with_header(&self, path: &str, authorization: &str) -> Response {
        let req = self
            .http
            .get(format!("{}{path}", self.url()))
            .header(reqwest::header::AUTHORIZATION, authorization);
        self.send(req, &format!("GET {path} (Authorization: {authorization})"))
            .await
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let req = Self::with_token(self.http.post(format!("{}{path}", self.url())), token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(body).unwrap());
        self.send(req, &format!("POST {path} {body}")).await
    }

    /// `POST path` with a raw body and content type.
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) -> Response {
        let body = body.into();
        let what = format!("POST {path} {:?}", String::from_utf8_lossy(&body));
        let req = Self::with_token(self.http.post(format!("{}{path}", self.url())), token)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        self.send(req, &what).await
    }

    /// Any method on `path`, with a body and `Content-Type` when one is given, no token.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<Vec<u8>>,
    ) -> Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let body = body.into();
        let what = format!("{method} {path} ({content_type:?}, {} bytes)", body.len());
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url()))
            .body(body);
        if let Some(ct) = content_type {
            req = req.header(reqwest::header::CONTENT_TYPE, ct);
        }
        self.send(req, &what).await
    }

    /// `POST /api/rooms`, expecting `201`.
    pub async fn create_room(&self, title: &str, template: &str) -> RoomCreated {
        let resp = self
            .post_json(
                "/api/rooms",
                None,
                &serde_json::json!({"title": title, "template": template}),
            )
            .await;
        resp.assert_status(201);
        resp.parse()
    }

    /// A room from the [`AS_IS`] template.
    pub async fn new_room(&self) -> RoomCreated {
        self.create_room("Testværksted", AS_IS).await
    }

    /// `GET /api/rooms/{id}`, expecting `200`.
    pub async fn room_info(&self, room: &str, token: &str) -> RoomInfo {
        let resp = self.get(&format!("/api/rooms/{room}"), Some(token)).await;
        resp.assert_status(200);
        resp.parse()
    }

    /// `GET /healthz`, expecting `200`.
    pub async fn health(&self) -> Health {
        let resp = self.get("/healthz", None).await;
        resp.assert_status(200);
        resp.parse()
    }

    /// Polls `/healthz` until `pred` holds.
    pub async fn wait_health(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Health) -> bool,
    ) -> Health {
        let result = try_eventually(timeout, || async {
            let resp = self.get("/healthz", None).await;
            if resp.status != 200 {
                return Err(format!("HTTP {}: {}", resp.status, resp.text()));
            }
            let h: Health = serde_json::from_slice(&resp.body)
                .map_err(|e| format!("bad /healthz body {}: {e}", resp.text()))?;
            if pred(&h) {
                Ok(h)
            } else {
                Err(format!("{h:?}"))
            }
        })
        .await;
        result.unwrap_or_else(|last| {
            panic!(
                "timed out after {timeout:?} waiting for /healthz: {what}; last seen: {last}\nserver output:\n{}",
                self.logs()
            )
        })
    }

    /// `POST /api/rooms/{id}/snapshots`, expecting `201`.
    pub async fn take_snapshot(&self, room: &str, token: &str) -> SnapshotInfo {
        let resp = self
            .post_raw(
                &format!("/api/rooms/{room}/snapshots"),
                Some(token),
                "application/json",
                "{}",
            )
            .await;
        resp.assert_status(201);
        resp.parse()
    }

    /// `GET /api/rooms/{id}/snapshots`, expecting `200`.
    pub async fn snapshots(&self, room: &str, token: &str) -> Vec<SnapshotInfo> {
        let resp = self
            .get(&format!("/api/rooms/{room}/snapshots"), Some(token))
            .await;
        resp.assert_status(200);
        resp.parse()
    }

    /// `GET /api/rooms/{id}/snapshots/{seq}`, expecting `200`.
    pub async fn snapshot(&self, room: &str, seq: u64, token: &str) -> WallView {
        let resp = self
            .get(&format!("/api/rooms/{room}/snapshots/{seq}"), Some(token))
            .await;
        resp.assert_status(200);
        resp.parse()
    }

    /// The path of an export, with `?snapshot=` when given.
    pub fn export_path(room: &str, ext: &str, snapshot: Option<u64>) -> String {
        match snapshot {
            Some(seq) => format!("/api/rooms/{room}/export.{ext}?snapshot={seq}"),
            None => format!("/api/rooms/{room}/export.{ext}"),
        }
    }

    /// `GET /api/rooms/{id}/export.csv`, expecting `200`; the records, header row first.
    pub async fn export_csv(
        &self,
        room: &str,
        token: &str,
        snapshot: Option<u64>,
    ) -> Vec<Vec<String>> {
        let resp = self
            .get(&Self::export_path(room, "csv", snapshot), Some(token))
            .await;
        resp.assert_status(200);
        parse_csv(&resp.body)
    }

    /// `GET /api/rooms/{id}/export.xlsx`, expecting `200`; the card sheet's rows (`Kort`).
    pub async fn export_xlsx(
        &self,
        room: &str,
        token: &str,
        snapshot: Option<u64>,
    ) -> Vec<Vec<String>> {
        parse_xlsx(&self.export_xlsx_body(room, token, snapshot).await)
    }

    /// The XLSX export's bytes (asserting `200`).
    pub async fn export_xlsx_body(
        &self,
        room: &str,
        token: &str,
        snapshot: Option<u64>,
    ) -> Vec<u8> {
        let resp = self
            .get(&Self::export_path(room, "xlsx", snapshot), Some(token))
            .await;
        resp.assert_status(200);
        resp.body
    }

    /// `GET /api/rooms/{id}/sheet` (with `?snapshot=` when given), expecting `200`.
    pub async fn sheet(&self, room: &str, token: &str, snapshot: Option<u64>) -> analysis::Sheet {
        let path = match snapshot {
            Some(seq) => format!("/api/rooms/{room}/sheet?snapshot={seq}"),
            None => format!("/api/rooms/{room}/sheet"),
        };
        let resp = self.get(&path, Some(token)).await;
        resp.assert_status(200);
        resp.parse()
    }

    /// `POST /api/rooms/{id}/import` with a raw body (any status).
    pub async fn import(
        &self,
        room: &str,
        token: Option<&str>,
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) -> Response {
        let body = body.into();
        let path = format!("/api/rooms/{room}/import");
        let req = Self::with_token(self.http.post(format!("{}{path}", self.url())), token)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body.clone());
        let shown = if body.starts_with(b"PK") {
            format!("<{} bytes of XLSX>", body.len())
        } else {
            String::from_utf8_lossy(&body).chars().take(200).collect()
        };
        self.send(req, &format!("POST {path} {shown}")).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() && std::env::var_os("KORTVAEG_TEST_QUIET").is_none() {
            eprintln!(
                "---- kortvaeg output (last {LOG_LINES} lines) ----\n{}\n----",
                self.log.text()
            );
        }
    }
}

/// An HTTP answer, read whole.
#[derive(Debug, Clone)]
pub struct Response {
    /// The request, for failure messages.
    pub what: String,
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{}: HTTP {} body is not JSON ({e}): {:?}",
                self.what,
                self.status,
                self.text()
            )
        })
    }

    /// The body as `T` (panics with the body when it does not parse).
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{}: HTTP {} body does not parse as {}: {e}\nbody: {}",
                self.what,
                self.status,
                std::any::type_name::<T>(),
                self.text()
            )
        })
    }

    pub fn assert_status(&self, expected: u16) -> &Self {
        assert_eq!(
            self.status,
            expected,
            "{}: expected HTTP {expected}, got {} with body {:?}",
            self.what,
            self.status,
            self.text()
        );
        self
    }

    /// Asserts the status, `Content-Type: application/json` and a JSON `{"error": "<non-empty>"}`
    /// body; returns the message.
    pub fn assert_error(&self, expected: u16) -> String {
        self.assert_status(expected);
        let ct = self.content_type.as_deref().unwrap_or_default();
        assert!(
            ct.starts_with("application/json"),
            "{}: HTTP {} error has Content-Type {ct:?}, not application/json; body {:?}",
            self.what,
            self.status,
            self.text()
        );
        let body = self.json();
        let msg = body
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or_else(|| {
                panic!(
                    "{}: HTTP {} error body has no string \"error\": {body}",
                    self.what, self.status
                )
            });
        assert!(
            !msg.trim().is_empty(),
            "{}: empty error message in {body}",
            self.what
        );
        msg.to_string()
    }
}

/// CSV records (UTF-8), header row included: comma-separated, or `;`-separated after a BOM.
pub fn parse_csv(body: &[u8]) -> Vec<Vec<String>> {
    // The server writes a BOM exactly when it separates with `;` (Danish Excel).
    let (body, delimiter) = match body.strip_prefix("\u{feff}".as_bytes()) {
        Some(rest) => (rest, b';'),
        None => (body, b','),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    reader
        .records()
        .map(|r| {
            r.unwrap_or_else(|e| panic!("bad CSV ({e}): {:?}", String::from_utf8_lossy(body)))
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// The card sheet (`Kort`, or the first sheet of a workbook without one) as strings (empty cells as "").
pub fn parse_xlsx(body: &[u8]) -> Vec<Vec<String>> {
    let names = xlsx_sheet_names(body);
    let name = names
        .iter()
        .find(|n| *n == "Kort")
        .or(names.first())
        .expect("the workbook has a sheet")
        .clone();
    parse_xlsx_sheet(body, &name)
}

fn open_xlsx(body: &[u8]) -> calamine::Xlsx<std::io::Cursor<Vec<u8>>> {
    calamine::open_workbook_from_rs(std::io::Cursor::new(body.to_vec()))
        .unwrap_or_else(|e| panic!("not an XLSX workbook ({} bytes): {e}", body.len()))
}

/// The names of an XLSX workbook's sheets, in order.
pub fn xlsx_sheet_names(body: &[u8]) -> Vec<String> {
    use calamine::Reader;
    open_xlsx(body).sheet_names()
}

/// Sheet `name` of an XLSX workbook as strings (a formula cell as its cached value), from A1.
pub fn parse_xlsx_sheet(body: &[u8], name: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let range = open_xlsx(body)
        .worksheet_range(name)
        .unwrap_or_else(|e| panic!("reading sheet {name}: {e}"));
    range
        .rows()
        .map(|row| row.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// The formulas of sheet `name` (without the leading `=`), `""` where a cell has none, from A1.
pub fn xlsx_formulas(body: &[u8], name: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let range = open_xlsx(body)
        .worksheet_formula(name)
        .unwrap_or_else(|e| panic!("formulas of sheet {name}: {e}"));
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let (r1, c1) = range.end().unwrap_or((0, 0));
    if range.is_empty() {
        return Vec::new();
    }
    (0..=r1)
        .map(|r| {
            (0..=c1)
                .map(|c| {
                    if r < r0 || c < c0 {
                        return String::new();
                    }
                    range.get_value((r, c)).cloned().unwrap_or_default()
                })
                .collect()
        })
        .collect()
}

/// One part of an XLSX file (a zip archive) as text, e.g. `xl/worksheets/sheet1.xml`.
pub fn xlsx_part(body: &[u8], path: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(body.to_vec()))
        .expect("an XLSX file is a zip archive");
    let mut file = archive
        .by_name(path)
        .unwrap_or_else(|e| panic!("no {path} in the XLSX: {e}"));
    let mut text = String::new();
    file.read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("reading {path}: {e}"));
    text
}

// ------------------------------------------------------------------------------------------------
// Redis

/// A throw-away `redis-server` with append-only persistence (fsync on every write) in a temporary
/// directory. [`Redis::stop`] and [`Redis::start_again`] keep the port and the data.
pub struct Redis {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

impl Redis {
    pub async fn start() -> Redis {
        let mut r = Redis {
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().expect("redis temporary dir"),
        };
        r.spawn().await;
        r
    }

    async fn spawn(&mut self) {
        assert!(self.child.is_none(), "redis-server already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("redis.log"))
            .expect("redis log file");
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--protected-mode",
                "no",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "redis-server is not on PATH: run scripts/test, which installs it (or apt-get install redis-server)"
            ),
            Err(e) => panic!("cannot start redis-server: {e}"),
        };
        self.child = Some(child);
        let url = self.url();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "redis-server exited ({status}) on port {}; log:\n{}",
                    self.port,
                    self.log()
                );
            }
            if ping(&url).await.is_ok() {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "redis-server on port {} did not answer PING within 15 s; log:\n{}",
                    self.port,
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }

    /// Kills redis-server (SIGKILL; every acknowledged write is already fsynced).
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts redis-server again on the same port and directory (after [`Redis::stop`]).
    pub async fn start_again(&mut self) {
        self.spawn().await;
    }

    /// A fresh connection.
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .expect("redis url")
            .get_multiplexed_async_connection()
            .await
            .unwrap_or_else(|e| panic!("connecting to {}: {e}", self.url()))
    }

    /// `KEYS pattern`.
    pub async fn keys(&self, pattern: &str) -> Vec<String> {
        let mut con = self.connection().await;
        redis::cmd("KEYS")
            .arg(pattern)
            .query_async(&mut con)
            .await
            .expect("KEYS")
    }
}

async fn ping(url: &str) -> Result<(), String> {
    let client = redis::Client::open(url).map_err(|e| e.to_string())?;
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .map_err(|e| e.to_string())?;
    let pong: String = redis::cmd("PING")
        .query_async(&mut con)
        .await
        .map_err(|e| e.to_string())?;
    if pong == "PONG" {
        Ok(())
    } else {
        Err(pong)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Yjs client

/// Which document of a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// `/ws/{room}`: the cards.
    Wall,
    /// `/ws/{room}/control`: meta, rows, columns.
    Control,
}

/// Why a WebSocket connection could not be made.
#[derive(Debug)]
pub enum ConnectError {
    /// The server answered the upgrade with this HTTP status.
    Http { status: u16, body: String },
    /// Anything else (connection refused, protocol error, …).
    Other(String),
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::Http { status, body } => {
                write!(f, "upgrade refused with HTTP {status}: {body}")
            }
            ConnectError::Other(e) => write!(f, "{e}"),
        }
    }
}

/// How a connection attempt that should be refused was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// HTTP status at the upgrade.
    Http(u16),
    /// Upgraded, then closed with this code and reason.
    Close(u16, String),
}

impl Refusal {
    /// Whether this is `HTTP status` or a close with code `4000 + status` (CONTRACT.md allows both).
    pub fn is(&self, status: u16) -> bool {
        match self {
            Refusal::Http(s) => *s == status,
            Refusal::Close(code, _) => *code == 4000 + status,
        }
    }
}

/// Options of a [`YClient`] connection.
#[derive(Clone)]
pub struct ClientOptions {
    /// tungstenite's read buffer (LESSONS.md: keep it small); default 4096.
    pub read_buffer_size: usize,
    /// Largest message accepted from the server; default: tungstenite's.
    pub max_message_size: Option<usize>,
    /// The document to sync (e.g. one kept from an earlier connection, with offline edits);
    /// default: a new empty document.
    pub doc: Option<Doc>,
    /// Send our sync step 1 right after connecting (as y-websocket does); default true.
    pub send_sync_step1: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            read_buffer_size: 4096,
            max_message_size: None,
            doc: None,
            send_sync_step1: true,
        }
    }
}

impl ClientOptions {
    pub fn with_doc(doc: Doc) -> Self {
        ClientOptions {
            doc: Some(doc),
            ..Default::default()
        }
    }
}

/// A remote client's awareness entry as this client knows it.
#[derive(Debug, Clone)]
struct Peer {
    clock: u32,
    state: Option<Value>,
}

/// What the reader task has seen.
#[derive(Debug, Default)]
struct Inbox {
    /// Sync step 2 messages received (the first one = initial sync done).
    sync_step2: u64,
    /// Updates received.
    updates: u64,
    /// Other clients' awareness, by client id (removed ones kept with `state: None`).
    awareness: HashMap<u64, Peer>,
    /// The server's close frame.
    close: Option<(u16, String)>,
    /// The connection has ended; why.
    ended: Option<String>,
    /// Anything the client could not make sense of.
    problems: Vec<String>,
}

struct Shared {
    inbox: Mutex<Inbox>,
    version: watch::Sender<u64>,
}

impl Shared {
    fn update(&self, f: impl FnOnce(&mut Inbox)) {
        f(&mut self.inbox.lock().unwrap());
        self.version.send_modify(|v| *v += 1);
    }
}

/// A Yjs client of one document over the y-websocket protocol (see the module docs).
pub struct YClient {
    /// The client's replica of the document. Edit it through the helpers so the update is sent;
    /// edits made directly stay local (offline edits) until a reconnect syncs them.
    pub doc: Doc,
    url: String,
    shared: Arc<Shared>,
    out: mpsc::UnboundedSender<WsMessage>,
    awareness_clock: Mutex<u32>,
    /// Sync step 1 messages sent; the server answers each with a sync step 2, in order.
    sync_step1_sent: std::sync::atomic::AtomicU64,
    tasks: Vec<JoinHandle<()>>,
}

impl YClient {
    /// Connects to a WebSocket URL. Does not wait for the initial sync (see [`YClient::synced`]).
    pub async fn try_connect(url: &str, opts: ClientOptions) -> Result<YClient, ConnectError> {
        let config = WebSocketConfig::default()
            .read_buffer_size(opts.read_buffer_size)
            .max_message_size(opts.max_message_size.or(Some(64 << 20)));
        let (ws, _resp) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
            .await
            .map_err(|e| match e {
                tokio_tungstenite::tungstenite::Error::Http(resp) => ConnectError::Http {
                    status: resp.status().as_u16(),
                    body: resp
                        .body()
                        .as_ref()
                        .map(|b| String::from_utf8_lossy(b).into_owned())
                        .unwrap_or_default(),
                },
                e => ConnectError::Other(e.to_string()),
            })?;
        let doc = opts.doc.unwrap_or_default();
        let (version, _) = watch::channel(0u64);
        let shared = Arc::new(Shared {
            inbox: Mutex::new(Inbox::default()),
            version,
        });
        let (out, mut out_rx) = mpsc::unbounded_channel::<WsMessage>();
        let (mut sink, mut stream) = ws.split();

        let writer_shared = shared.clone();
        let writer = tokio::spawn(async move {
            while let Some(msg) = out_rx.recv().await {
                let is_close = matches!(msg, WsMessage::Close(_));
                if let Err(e) = sink.send(msg).await {
                    writer_shared.update(|i| i.problems.push(format!("send failed: {e}")));
                    break;
                }
                if is_close {
                    break;
                }
            }
        });

        let reader_shared = shared.clone();
        let reader_doc = doc.clone();
        let reader_out = out.clone();
        let reader = tokio::spawn(async move {
            loop {
                match stream.next().await {
                    Some(Ok(WsMessage::Binary(data))) => {
                        handle_binary(&reader_doc, &reader_shared, &reader_out, &data);
                    }
                    Some(Ok(WsMessage::Close(frame))) => {
                        let (code, reason) = match frame {
                            Some(f) => (u16::from(f.code), f.reason.to_string()),
                            None => (1005, String::new()),
                        };
                        reader_shared.update(|i| i.close = Some((code, reason)));
                    }
                    Some(Ok(WsMessage::Text(t))) => {
                        reader_shared
                            .update(|i| i.problems.push(format!("server sent a text frame: {t}")));
                    }
                    Some(Ok(_)) => {} // ping/pong
                    Some(Err(e)) => {
                        reader_shared.update(|i| i.ended = Some(format!("read error: {e}")));
                        break;
                    }
                    None => {
                        reader_shared.update(|i| {
                            if i.ended.is_none() {
                                i.ended = Some("connection ended".into());
                            }
                        });
                        break;
                    }
                }
            }
        });

        let client = YClient {
            doc,
            url: url.to_string(),
            shared,
            out,
            awareness_clock: Mutex::new(0),
            sync_step1_sent: Default::default(),
            tasks: vec![reader, writer],
        };
        if opts.send_sync_step1 {
            client.send_sync_step1();
        }
        Ok(client)
    }

    /// Connects (panicking with the reason when refused) without waiting for the sync.
    pub async fn connect(
        server: &Server,
        room: &str,
        kind: DocKind,
        token: &str,
        opts: ClientOptions,
    ) -> YClient {
        let url = server.ws_url(room, kind, Some(token));
        match YClient::try_connect(&url, opts).await {
            Ok(c) => c,
            Err(e) => panic!(
                "connecting to {url}: {e}\nserver output:\n{}",
                server.logs()
            ),
        }
    }

    /// Connects to a room's wall and waits for the initial sync.
    pub async fn wall(server: &Server, room: &str, token: &str) -> YClient {
        let c =
            YClient::connect(server, room, DocKind::Wall, token, ClientOptions::default()).await;
        c.synced().await;
        c
    }

    /// Connects to a room's control document and waits for the initial sync.
    pub async fn control(server: &Server, room: &str, token: &str) -> YClient {
        let c = YClient::connect(
            server,
            room,
            DocKind::Control,
            token,
            ClientOptions::default(),
        )
        .await;
        c.synced().await;
        c
    }

    /// Connects with `doc` (e.g. kept from an earlier connection, with offline edits) and waits
    /// for the sync; the server's sync step 1 is answered with everything `doc` has.
    pub async fn reconnect_with(
        server: &Server,
        room: &str,
        kind: DocKind,
        token: &str,
        doc: Doc,
    ) -> YClient {
        let c = YClient::connect(server, room, kind, token, ClientOptions::with_doc(doc)).await;
        c.synced().await;
        c
    }

    /// Attempts a connection that should be refused; returns how it was refused. Panics if the
    /// connection is accepted and stays open (a sync round-trip succeeds).
    pub async fn refused(url: &str) -> Refusal {
        match YClient::try_connect(url, ClientOptions::default()).await {
            Err(ConnectError::Http { status, .. }) => Refusal::Http(status),
            Err(ConnectError::Other(e)) => panic!("connecting to {url}: {e}"),
            Ok(c) => {
                // Accepted: it must be closed before it answers a sync step 1.
                let closed = c
                    .wait_until(TIMEOUT, |i, _| {
                        if let Some(close) = &i.close {
                            return Some(Some(close.clone()));
                        }
                        if i.ended.is_some() {
                            return Some(Some((1006, i.ended.clone().unwrap())));
                        }
                        if i.sync_step2 > 0 {
                            return Some(None);
                        }
                        None
                    })
                    .await;
                match closed {
                    Ok(Some((code, reason))) => Refusal::Close(code, reason),
                    Ok(None) => {
                        panic!("{url}: the connection was accepted and synced; expected a refusal")
                    }
                    Err(()) => {
                        panic!("{url}: the connection was accepted and neither synced nor closed")
                    }
                }
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// This client's id (its document's client id; also its awareness id).
    pub fn client_id(&self) -> u64 {
        self.doc.client_id().get()
    }

    // ---- sending

    /// Sends a protocol message.
    pub fn send(&self, msg: Message) {
        self.send_raw(msg.encode_v1());
    }

    /// Sends one binary frame as is.
    pub fn send_raw(&self, bytes: Vec<u8>) {
        let _ = self.out.send(WsMessage::Binary(bytes.into()));
    }

    /// Sends a text frame.
    pub fn send_text(&self, text: &str) {
        let _ = self.out.send(WsMessage::Text(text.to_string().into()));
    }

    /// Sends a sync step 1 with this replica's state vector; returns how many have been sent
    /// (the server's answer to this one is its sync step 2 number n).
    pub fn send_sync_step1(&self) -> u64 {
        let n = self
            .sync_step1_sent
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        let sv = self.doc.transact().state_vector();
        self.send(Message::Sync(SyncMessage::SyncStep1(sv)));
        n
    }

    /// Sends an update (sync message type 2).
    pub fn send_update(&self, update: Vec<u8>) {
        self.send(Message::Sync(SyncMessage::Update(update)));
    }

    /// Sends a sync step 2 carrying `update`.
    pub fn send_sync_step2(&self, update: Vec<u8>) {
        self.send(Message::Sync(SyncMessage::SyncStep2(update)));
    }

    /// Runs `f` in one local transaction and sends the resulting update; returns the update.
    pub fn transact(&self, f: impl FnOnce(&mut TransactionMut)) -> Vec<u8> {
        let update = {
            let mut txn = self.doc.transact_mut();
            f(&mut txn);
            txn.encode_update_v1()
        };
        self.send_update(update.clone());
        update
    }

    /// Adds a card (plain string text, `author`, `created_at`) and sends the update.
    pub fn add_card(&self, id: &str, row: &str, column: &str, text: &str) -> Vec<u8> {
        let cards = self.doc.get_or_insert_map(schema::CARDS);
        self.transact(|txn| write_card(txn, &cards, id, row, column, text))
    }

    /// Adds a card whose `text` is a `Y.Text`, and sends the update.
    pub fn add_card_ytext(&self, id: &str, row: &str, column: &str, text: &str) -> Vec<u8> {
        let cards = self.doc.get_or_insert_map(schema::CARDS);
        self.transact(|txn| {
            let card = cards.insert(txn, id, MapPrelim::default());
            card.insert(txn, "row", row);
            card.insert(txn, "column", column);
            card.insert(txn, "text", TextPrelim::new(text));
            card.insert(txn, "created_at", now_ms());
        })
    }

    /// Adds a card with the given fields, and sends the update.
    pub fn add_card_fields(&self, id: &str, fields: Vec<(&str, Any)>) -> Vec<u8> {
        let cards = self.doc.get_or_insert_map(schema::CARDS);
        self.transact(|txn| {
            let card = cards.insert(txn, id, MapPrelim::default());
            for (k, v) in fields {
                card.insert(txn, k, v);
            }
        })
    }

    /// Removes a card, and sends the update.
    pub fn remove_card(&self, id: &str) -> Vec<u8> {
        let cards = self.doc.get_or_insert_map(schema::CARDS);
        self.transact(|txn| {
            cards.remove(txn, id);
        })
    }

    /// Sets `meta.<key>` in a control document, and sends the update.
    pub fn set_meta(&self, key: &str, value: &str) -> Vec<u8> {
        let meta = self.doc.get_or_insert_map(schema::META);
        self.transact(|txn| {
            meta.insert(txn, key, value);
        })
    }

    /// Sets `meta.phase` in a control document, and sends the update.
    pub fn set_phase(&self, phase: &str) -> Vec<u8> {
        self.set_meta("phase", phase)
    }

    /// Adds a sagsområde `{id, label, kle}` to column `column` of a control document (creating its
    /// `sagsomraader` array if missing), as the web client does, and sends the update.
    pub fn add_sagsomraade(&self, column: &str, id: &str, label: &str, kle: &str) -> Vec<u8> {
        use yrs::{Array, ArrayPrelim, ArrayRef, Out};
        let columns = self.doc.get_or_insert_array(schema::COLUMNS);
        self.transact(|txn| {
            let col = columns
                .iter(txn)
                .find_map(|v| match v {
                    Out::YMap(m)
                        if m.get(txn, "id").map(|id| id.to_string(txn)).as_deref()
                            == Some(column) =>
                    {
                        Some(m)
                    }
                    _ => None,
                })
                .unwrap_or_else(|| panic!("no column {column} in the control document"));
            let list: ArrayRef = match col.get(txn, "sagsomraader") {
                Some(Out::YArray(a)) => a,
                _ => col.insert(txn, "sagsomraader", ArrayPrelim::default()),
            };
            list.push_back(
                txn,
                MapPrelim::from([("id", id), ("label", label), ("kle", kle)]),
            );
        })
    }

    /// Sets `key` of the row or column `id` (`list` is [`schema::ROWS`] or [`schema::COLUMNS`]) in a
    /// control document, as a facilitator's edit does, and sends the update.
    pub fn set_axis_entry(
        &self,
        list: &str,
        id: &str,
        key: &str,
        value: impl Into<Any>,
    ) -> Vec<u8> {
        use yrs::{Array, Out};
        let entries = self.doc.get_or_insert_array(list);
        let value = value.into();
        self.transact(|txn| {
            let entry = entries
                .iter(txn)
                .find_map(|v| match v {
                    Out::YMap(m)
                        if m.get(txn, "id").map(|v| v.to_string(txn)).as_deref() == Some(id) =>
                    {
                        Some(m)
                    }
                    _ => None,
                })
                .unwrap_or_else(|| panic!("no entry {id} in {list} of the control document"));
            entry.insert(txn, key, value);
        })
    }

    /// Sets the answer `key` of `sagsomraade` in a wall document (flat key
    /// `<sagsområde id>/<key>` in the root map `answers`), and sends the update.
    pub fn set_answer(&self, sagsomraade: &str, key: &str, value: impl Into<Any>) -> Vec<u8> {
        let answers = self.doc.get_or_insert_map(schema::ANSWERS);
        let value = value.into();
        self.transact(|txn| {
            answers.insert(txn, analysis::answer_key(sagsomraade, key), value);
        })
    }

    /// Sets `prioritering.<key>` in a control document, and sends the update.
    pub fn set_prioritering(&self, key: &str, value: impl Into<Any>) -> Vec<u8> {
        let map = self.doc.get_or_insert_map(schema::PRIORITERING);
        let value = value.into();
        self.transact(|txn| {
            map.insert(txn, key, value);
        })
    }

    /// The sagsområder of (this replica of) a control document, in wall order.
    pub fn sagsomraader(&self) -> Vec<analysis::SagsomraadeRef> {
        let (_, columns, _) = projection::structure(&self.doc);
        analysis::sagsomraader(&columns)
    }

    /// Sets this client's awareness state (sent with the next clock).
    pub fn set_awareness(&self, state: Value) {
        self.send_awareness(state.to_string());
    }

    /// Announces that this client's awareness state is gone (`null`), as a closing stock client does.
    pub fn clear_awareness(&self) {
        self.send_awareness("null".to_string());
    }

    fn send_awareness(&self, json: String) {
        let clock = {
            let mut c = self.awareness_clock.lock().unwrap();
            *c += 1;
            *c
        };
        let update = AwarenessUpdate {
            clients: HashMap::from([(
                self.doc.client_id(),
                AwarenessUpdateEntry {
                    clock,
                    json: json.into(),
                },
            )]),
        };
        self.send(Message::Awareness(update));
    }

    /// Closes the connection with code 1000 and waits until the server has answered it (or the
    /// connection is gone).
    pub async fn close(self) {
        let _ = self.out.send(WsMessage::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        })));
        let _ = self
            .wait_until(Duration::from_secs(5), |i, _| i.ended.as_ref().map(|_| ()))
            .await;
    }

    /// Drops the TCP connection without a close frame.
    pub fn drop_connection(self) {
        drop(self)
    }

    // ---- reading

    /// The cards of (this client's replica of) the wall.
    pub fn cards(&self) -> Vec<Card> {
        projection::cards(&self.doc)
    }

    /// The card with this id, if present.
    pub fn card(&self, id: &str) -> Option<Card> {
        self.cards().into_iter().find(|c| c.id == id)
    }

    /// Ids of the cards present.
    pub fn card_ids(&self) -> Vec<String> {
        self.cards().into_iter().map(|c| c.id).collect()
    }

    /// `meta.phase` of (this replica of) a control document.
    pub fn phase(&self) -> String {
        projection::phase(&self.doc)
    }

    /// The other clients' awareness states this client has (removed ones left out).
    pub fn awareness(&self) -> HashMap<u64, Value> {
        let inbox = self.shared.inbox.lock().unwrap();
        inbox
            .awareness
            .iter()
            .filter_map(|(id, p)| Some((*id, p.state.clone()?)))
            .collect()
    }

    /// Whether an awareness update from the server ever mentioned this client id.
    pub fn awareness_ever_seen(&self, client_id: u64) -> bool {
        self.shared
            .inbox
            .lock()
            .unwrap()
            .awareness
            .contains_key(&client_id)
    }

    /// The close frame, if one came.
    pub fn close_frame(&self) -> Option<(u16, String)> {
        self.shared.inbox.lock().unwrap().close.clone()
    }

    /// Whether the connection has ended or a close frame came.
    pub fn is_closed(&self) -> bool {
        let i = self.shared.inbox.lock().unwrap();
        i.close.is_some() || i.ended.is_some()
    }

    /// Things this client could not make sense of (undecodable messages from the server, …).
    pub fn problems(&self) -> Vec<String> {
        self.shared.inbox.lock().unwrap().problems.clone()
    }

    fn describe(&self) -> String {
        // The phase only means something for a control document (one with a `meta` map).
        let phase = {
            let has_meta = self.doc.transact().get_map(schema::META).is_some();
            has_meta.then(|| projection::phase(&self.doc))
        };
        let i = self.shared.inbox.lock().unwrap();
        let cards: Vec<String> = projection::cards(&self.doc)
            .into_iter()
            .map(|c| format!("{}={:?}", c.id, c.text))
            .collect();
        format!(
            "client {} on {}: synced={} updates={} close={:?} ended={:?} problems={:?} cards=[{}] phase={:?} awareness={:?}",
            self.client_id(),
            self.url,
            i.sync_step2 > 0,
            i.updates,
            i.close,
            i.ended,
            i.problems,
            cards.join(", "),
            phase,
            i.awareness.iter().map(|(k, p)| (k, p.state.clone())).collect::<Vec<_>>(),
        )
    }

    /// Waits until `check` gives `Some`, re-checking on every change the reader task records.
    /// `Err(())` on timeout.
    async fn wait_until<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&Inbox, &Doc) -> Option<T>,
    ) -> Result<T, ()> {
        let mut rx = self.shared.version.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            {
                let inbox = self.shared.inbox.lock().unwrap();
                if let Some(v) = check(&inbox, &self.doc) {
                    return Ok(v);
                }
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => unreachable!("the sender lives in self"),
                Err(_) => {
                    let inbox = self.shared.inbox.lock().unwrap();
                    return check(&inbox, &self.doc).ok_or(());
                }
            }
        }
    }

    /// Waits for `pred` on the document; fails after [`TIMEOUT`], or as soon as the connection
    /// has ended without `pred` holding.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&Doc) -> bool) {
        self.wait_for_within(what, TIMEOUT, pred).await
    }

    /// [`YClient::wait_for`] with a given deadline.
    pub async fn wait_for_within(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Doc) -> bool,
    ) {
        let r = self
            .wait_until(timeout, |i, doc| {
                if pred(doc) {
                    Some(Ok(()))
                } else if i.ended.is_some() {
                    Some(Err("the connection ended"))
                } else {
                    None
                }
            })
            .await;
        match r {
            Ok(Ok(())) => {}
            Ok(Err(why)) => panic!("waiting for {what}: {why}; {}", self.describe()),
            Err(()) => panic!(
                "timed out after {timeout:?} waiting for {what}; {}",
                self.describe()
            ),
        }
    }

    /// Waits until the cards satisfy `pred`; returns them.
    pub async fn wait_cards(&self, what: &str, pred: impl Fn(&[Card]) -> bool) -> Vec<Card> {
        self.wait_for(what, |doc| pred(&projection::cards(doc)))
            .await;
        self.cards()
    }

    /// Waits until a card with this id is present; returns it.
    pub async fn wait_card(&self, id: &str) -> Card {
        self.wait_for(&format!("card {id:?}"), |doc| {
            projection::cards(doc).iter().any(|c| c.id == id)
        })
        .await;
        self.card(id).expect("just seen")
    }

    /// Waits until all these cards are present.
    pub async fn wait_cards_present(&self, ids: &[&str]) -> Vec<Card> {
        let what = format!("cards {ids:?}");
        self.wait_cards(&what, |cards| {
            ids.iter().all(|id| cards.iter().any(|c| c.id == *id))
        })
        .await
    }

    /// Waits for the server's sync step 2 (the initial sync).
    pub async fn synced(&self) {
        let r = self
            .wait_until(TIMEOUT, |i, _| {
                if i.sync_step2 > 0 {
                    Some(Ok(()))
                } else if i.close.is_some() || i.ended.is_some() {
                    Some(Err(()))
                } else {
                    None
                }
            })
            .await;
        match r {
            Ok(Ok(())) => {}
            Ok(Err(())) => panic!("closed before the initial sync: {}", self.describe()),
            Err(()) => panic!(
                "no sync step 2 from the server within {TIMEOUT:?}: {}",
                self.describe()
            ),
        }
    }

    /// Sends a sync step 1 and waits for the server's sync step 2 answer: afterwards the server has
    /// handled every message this client sent before. Panics if the connection closes meanwhile.
    pub async fn barrier(&self) {
        let n = self.send_sync_step1();
        let r = self
            .wait_until(TIMEOUT, |i, _| {
                if i.sync_step2 >= n {
                    Some(Ok(()))
                } else if i.close.is_some() || i.ended.is_some() {
                    Some(Err(()))
                } else {
                    None
                }
            })
            .await;
        match r {
            Ok(Ok(())) => {}
            Ok(Err(())) => panic!(
                "the connection closed before the barrier's sync step 2: {}",
                self.describe()
            ),
            Err(()) => panic!(
                "no answer to the barrier's sync step 1 within {TIMEOUT:?}: {}",
                self.describe()
            ),
        }
    }

    /// Like [`YClient::barrier`], but the server may close the connection instead: `None` when the
    /// barrier's answer came (the connection is open), `Some((code, reason))` when it was closed.
    pub async fn settle(&self) -> Option<(u16, String)> {
        let n = self.send_sync_step1();
        let r = self
            .wait_until(TIMEOUT, |i, _| {
                if let Some(c) = &i.close {
                    return Some(Some(c.clone()));
                }
                if let Some(e) = &i.ended {
                    return Some(Some((1006, format!("no close frame: {e}"))));
                }
                (i.sync_step2 >= n).then_some(None)
            })
            .await;
        r.unwrap_or_else(|()| {
            panic!(
                "neither an answer to a sync step 1 nor a close within {TIMEOUT:?}: {}",
                self.describe()
            )
        })
    }

    /// Waits for the server to close the connection; returns the close code and reason, or
    /// `(1006, why)` when the connection ended without a close frame.
    pub async fn closed(&self) -> (u16, String) {
        self.closed_within(TIMEOUT).await
    }

    /// [`YClient::closed`] with a given deadline.
    pub async fn closed_within(&self, timeout: Duration) -> (u16, String) {
        let r = self
            .wait_until(timeout, |i, _| {
                if let Some(c) = &i.close {
                    return Some(c.clone());
                }
                i.ended
                    .as_ref()
                    .map(|e| (1006, format!("no close frame: {e}")))
            })
            .await;
        match r {
            Ok(c) => c,
            Err(()) => panic!(
                "the server did not close the connection within {timeout:?}: {}",
                self.describe()
            ),
        }
    }

    /// Waits until the other clients' awareness states satisfy `pred`; returns them.
    pub async fn wait_awareness(
        &self,
        what: &str,
        pred: impl Fn(&HashMap<u64, Value>) -> bool,
    ) -> HashMap<u64, Value> {
        let r = self
            .wait_until(TIMEOUT, |i, _| {
                let states: HashMap<u64, Value> = i
                    .awareness
                    .iter()
                    .filter_map(|(id, p)| Some((*id, p.state.clone()?)))
                    .collect();
                if pred(&states) {
                    Some(Ok(states))
                } else if i.ended.is_some() {
                    Some(Err(()))
                } else {
                    None
                }
            })
            .await;
        match r {
            Ok(Ok(s)) => s,
            Ok(Err(())) => panic!(
                "the connection ended while waiting for awareness: {what}; {}",
                self.describe()
            ),
            Err(()) => panic!(
                "timed out after {TIMEOUT:?} waiting for awareness: {what}; {}",
                self.describe()
            ),
        }
    }
}

impl Drop for YClient {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Writes a card into `cards` (the wall's root map) inside `txn`: `row`, `column`, `text`,
/// `author` and `created_at`. For offline edits: `write_card(&mut doc.transact_mut(), &cards, ...)`.
pub fn write_card(
    txn: &mut TransactionMut,
    cards: &MapRef,
    id: &str,
    row: &str,
    column: &str,
    text: &str,
) {
    let card = cards.insert(txn, id, MapPrelim::default());
    card.insert(txn, "row", row);
    card.insert(txn, "column", column);
    card.insert(txn, "text", text);
    card.insert(txn, "author", "rust");
    card.insert(txn, "created_at", now_ms());
}

/// Adds a card to `doc` locally only (nothing is sent): an offline edit.
pub fn add_card_offline(doc: &Doc, id: &str, row: &str, column: &str, text: &str) {
    let cards = doc.get_or_insert_map(schema::CARDS);
    write_card(&mut doc.transact_mut(), &cards, id, row, column, text);
}

/// Sets `meta.<key>` of a control document locally only (nothing is sent).
pub fn set_meta_offline(doc: &Doc, key: &str, value: &str) {
    let meta = doc.get_or_insert_map(schema::META);
    meta.insert(&mut doc.transact_mut(), key, value);
}

fn handle_binary(doc: &Doc, shared: &Shared, out: &mpsc::UnboundedSender<WsMessage>, data: &[u8]) {
    let mut decoder = DecoderV1::from(data);
    let reader = yrs::sync::MessageReader::new(&mut decoder);
    for msg in reader {
        match msg {
            Ok(Message::Sync(SyncMessage::SyncStep1(sv))) => {
                let update = doc.transact().encode_state_as_update_v1(&sv);
                let reply = Message::Sync(SyncMessage::SyncStep2(update)).encode_v1();
                let _ = out.send(WsMessage::Binary(reply.into()));
            }
            Ok(Message::Sync(SyncMessage::SyncStep2(update))) => {
                let problem = apply(doc, &update);
                shared.update(|i| {
                    i.sync_step2 += 1;
                    i.problems.extend(problem);
                });
            }
            Ok(Message::Sync(SyncMessage::Update(update))) => {
                let problem = apply(doc, &update);
                shared.update(|i| {
                    i.updates += 1;
                    i.problems.extend(problem);
                });
            }
            Ok(Message::Awareness(update)) => {
                shared.update(|i| {
                    for (id, entry) in update.clients {
                        let id = id.get();
                        let json = entry.json.to_string();
                        let state = if json == "null" {
                            None
                        } else {
                            match serde_json::from_str(&json) {
                                Ok(v) => Some(v),
                                Err(e) => {
                                    i.problems.push(format!(
                                        "awareness state of {id} is not JSON ({e}): {json}"
                                    ));
                                    continue;
                                }
                            }
                        };
                        // y-protocols rules: a newer clock wins; `null` at the same clock removes.
                        let newer = match i.awareness.get(&id) {
                            None => true,
                            Some(p) => {
                                p.clock < entry.clock || (p.clock == entry.clock && state.is_none())
                            }
                        };
                        if newer {
                            i.awareness.insert(
                                id,
                                Peer {
                                    clock: entry.clock,
                                    state,
                                },
                            );
                        }
                    }
                });
            }
            Ok(Message::AwarenessQuery) | Ok(Message::Auth(_)) | Ok(Message::Custom(..)) => {}
            Err(e) => {
                shared.update(|i| {
                    i.problems.push(format!(
                        "undecodable message from the server ({e}): {data:?}"
                    ))
                });
                return;
            }
        }
    }
}

fn apply(doc: &Doc, update: &[u8]) -> Option<String> {
    match Update::decode_v1(update) {
        Ok(u) => doc
            .transact_mut()
            .apply_update(u)
            .err()
            .map(|e| format!("applying a server update: {e}")),
        Err(e) => Some(format!("undecodable update from the server: {e}")),
    }
}

// ------------------------------------------------------------------------------------------------
// Shared test fixtures

/// A server with one room, for the many tests that need exactly that.
pub struct Fixture {
    pub server: Server,
    pub room: RoomCreated,
}

impl Fixture {
    /// A default server and one [`AS_IS`] room.
    pub async fn new() -> Fixture {
        Fixture::with(ServerOptions::default()).await
    }

    pub async fn with(opts: ServerOptions) -> Fixture {
        let server = Server::start(opts).await;
        let room = server.new_room().await;
        Fixture { server, room }
    }

    pub fn token(&self, role: Role) -> &str {
        match role {
            Role::Facilitator => &self.room.facilitator_token,
            Role::Participant => &self.room.participant_token,
            Role::Review => &self.room.review_token,
        }
    }

    /// Connects to the wall as `role` and waits for the sync.
    pub async fn wall(&self, role: Role) -> YClient {
        YClient::wall(&self.server, &self.room.id, self.token(role)).await
    }

    /// Connects to the control document as `role` and waits for the sync.
    pub async fn control(&self, role: Role) -> YClient {
        YClient::control(&self.server, &self.room.id, self.token(role)).await
    }
}

/// The ids of the first row and column of the [`AS_IS`] template.
pub fn as_is_cell() -> (String, String) {
    let t = template(AS_IS);
    (t.rows[0].id.clone(), t.columns[0].id.clone())
}

/// `tests/node`, the stock Yjs scripts, with its packages installed (asserted).
pub fn node_scripts() -> PathBuf {
    let node_dir = workspace_root().join("tests/node");
    assert!(
        node_dir.join("node_modules/yjs").is_dir(),
        "{}/node_modules is missing: run scripts/test, which installs it (npm ci in tests/node)",
        node_dir.display()
    );
    node_dir
}

/// The fixture workshop of the documentation sheet (`shared/tests/fixtures/sheet-cells.json`).
pub fn sheet_fixture() -> Value {
    let path = workspace_root().join("shared/tests/fixtures/sheet-cells.json");
    serde_json::from_str(&std::fs::read_to_string(&path).expect("the sheet fixture"))
        .expect("the sheet fixture is JSON")
}

/// Loads the sheet fixture into `room` (made from the fixture's template) with the stock
/// y-websocket client (`tests/node/load-fixture.mjs`), as the facilitator; returns once the
/// server has it all.
pub async fn load_sheet_fixture(server: &Server, room: &RoomCreated) {
    let node_dir = node_scripts();
    let run = tokio::process::Command::new("node")
        .arg(node_dir.join("load-fixture.mjs"))
        .args(["--url", &server.ws_base(), "--room", &room.id])
        .args(["--token", &room.facilitator_token])
        .arg("--fixture")
        .arg(workspace_root().join("shared/tests/fixtures/sheet-cells.json"))
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("load-fixture.mjs did not finish within 60 s")
        .expect("running node");
    assert!(
        out.status.success(),
        "load-fixture.mjs failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
