//! [`Redis`]: a throw-away `redis-server` on a free port, in a temporary directory, which can be
//! stopped and started again on the same port and directory (store-outage tests). The one spawner
//! of the workspace: the integration tests, the bench (`src/bin/bench/main.rs`) and the unit tests of
//! the server's Redis store (a dev-dependency of `kortvaeg-server`) all start theirs here, with the
//! [`Persistence`] they need.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How a [`Redis`] keeps its data (no RDB snapshots in any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Persistence {
    /// Append-only file, `appendfsync always`: every acknowledged write is on disk before the
    /// answer, so [`Redis::stop`] (SIGKILL) and [`Redis::start_again`] lose nothing. What the
    /// integration tests use ([`Redis::start`]).
    #[default]
    AppendFsyncAlways,
    /// Append-only file, `appendfsync everysec`: what a production Redis runs; the bench compares
    /// its cost with `always`.
    AppendFsyncEverySec,
    /// None (`--appendonly no`): the data lives as long as the process. For tests of the store
    /// against a Redis, which never restart it.
    Off,
}

impl Persistence {
    /// redis-server's arguments for this persistence.
    fn args(self) -> &'static [&'static str] {
        match self {
            Persistence::AppendFsyncAlways => &["--appendonly", "yes", "--appendfsync", "always"],
            Persistence::AppendFsyncEverySec => {
                &["--appendonly", "yes", "--appendfsync", "everysec"]
            }
            Persistence::Off => &["--appendonly", "no"],
        }
    }
}

/// A throw-away `redis-server` in a temporary directory (its log file and, with persistence, its
/// append-only file). [`Redis::stop`] and [`Redis::start_again`] keep the port and the directory.
/// Dropping it kills the process.
pub struct Redis {
    child: Option<Child>,
    port: u16,
    persistence: Persistence,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

impl Redis {
    /// Starts one with [`Persistence::AppendFsyncAlways`] and returns once it answers `PING`.
    pub async fn start() -> Redis {
        Redis::start_with(Persistence::default()).await
    }

    /// Starts one with `persistence` and returns once it answers `PING`.
    pub async fn start_with(persistence: Persistence) -> Redis {
        Redis::try_start_with(persistence)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Redis::start_with`] that says why it could not start (e.g. redis-server is not
    /// installed) instead of panicking.
    pub async fn try_start_with(persistence: Persistence) -> Result<Redis, String> {
        let mut r = Redis {
            child: None,
            port: free_port(),
            persistence,
            dir: tempfile::tempdir().map_err(|e| format!("redis temporary dir: {e}"))?,
        };
        r.spawn().await?;
        Ok(r)
    }

    /// Spawns redis-server and waits until it answers `PING`; `Err` if it cannot be spawned,
    /// exits first or does not answer within 15 s.
    async fn spawn(&mut self) -> Result<(), String> {
        assert!(self.child.is_none(), "redis-server already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("redis.log"))
            .map_err(|e| format!("redis log file: {e}"))?;
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(self.persistence.args())
            .args(["--protected-mode", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(
                "redis-server is not on PATH: run scripts/test (or scripts/bench), which installs it (or apt-get install redis-server)".into()
            ),
            Err(e) => return Err(format!("cannot start redis-server: {e}")),
        };
        self.child = Some(child);
        let url = self.url();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                self.child = None;
                return Err(format!(
                    "redis-server exited ({status}) on port {}; log:\n{}",
                    self.port,
                    self.log()
                ));
            }
            if ping(&url).await.is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "redis-server on port {} did not answer PING within 15 s; log:\n{}",
                    self.port,
                    self.log()
                ));
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

    /// Kills redis-server (SIGKILL; with [`Persistence::AppendFsyncAlways`] every acknowledged
    /// write is already on disk).
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts redis-server again on the same port and directory (after [`Redis::stop`]); with
    /// [`Persistence::Off`] it starts empty.
    pub async fn start_again(&mut self) {
        if let Err(e) = self.spawn().await {
            panic!("{e}");
        }
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
