//! The `kortvaeg` process under test. [`server_binary`] finds (or builds) it; [`Server`] starts it
//! with [`ServerOptions`] on its own data directory, learns the port from its
//! `listening on http://127.0.0.1:PORT` line, keeps draining its output (the last lines go into
//! every failure message), and kills (`kill9`), stops (`stop`, SIGTERM) or restarts it on the same
//! data directory and store. The HTTP helpers of [`Server`] are in `http.rs`.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::{workspace_root, DocKind};

/// How long the server may take from spawn to its `listening on` line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How many output lines of a server are kept for failure messages.
const LOG_LINES: usize = 400;
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
            "RETAIN_DAYS",
            "RETENTION_SWEEP_MS",
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
        match kind {
            DocKind::Wall => {}
            DocKind::Control => url.push_str("/control"),
            DocKind::Group(column) => {
                url.push_str("/group/");
                url.push_str(column);
            }
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
