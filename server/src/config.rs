//! Command-line flags, each also read from the environment (`--port`/`PORT`, …): the names and
//! defaults are part of the external contract, listed in `docs/API.md`, "Flags".

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// The Kortvæg workshop server: live Yjs rooms, snapshots and the documentation sheet.
#[derive(Debug, Clone, Parser)]
#[command(name = "kortvaeg", version, about)]
pub struct Config {
    /// TCP port to listen on; 0 lets the OS pick one (the log line says which).
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,

    /// Address to bind.
    #[arg(long, env = "BIND", default_value = "127.0.0.1")]
    pub bind: IpAddr,

    /// Folder of the embedded store, used when no Redis URL is given.
    #[arg(long, env = "DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// When set, Redis is the store (e.g. redis://127.0.0.1:6379/0).
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// Base of the links handed out (join, facilitator, review); default http://localhost:PORT.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Extra folder of template files (`*.json`) loaded after the built-in ones.
    #[arg(long, env = "TEMPLATES_DIR")]
    pub templates_dir: Option<PathBuf>,

    /// Folder of a built web client to serve instead of the one built into the binary (for
    /// working on the client); `/` serves a plain page when neither exists.
    #[arg(long, env = "WEB_DIR")]
    pub web_dir: Option<PathBuf>,

    /// Largest WebSocket message a client may send, in bytes; a larger one closes the socket (1009).
    #[arg(long, env = "MAX_MESSAGE_BYTES", default_value_t = 1 << 20)]
    pub max_message_bytes: usize,

    /// Most bytes a document's full state may weigh (what every joiner's greeting carries); an
    /// update that would grow it further is refused (close 4413).
    #[arg(long, env = "MAX_DOC_BYTES", default_value_t = 8 << 20)]
    pub max_doc_bytes: usize,

    /// Largest presence (awareness) state one client may set, in bytes of JSON (close 4413).
    #[arg(long, env = "MAX_AWARENESS_BYTES", default_value_t = 8 << 10)]
    pub max_awareness_bytes: usize,

    /// Most presence ids one connection may set (a stock client sets one per document; close 4429).
    #[arg(long, env = "MAX_PRESENCE_IDS", default_value_t = 4)]
    pub max_presence_ids: usize,

    /// How long a room without clients stays loaded before it is flushed and unloaded.
    #[arg(long, env = "UNLOAD_AFTER_MS", default_value_t = 2000)]
    pub unload_after_ms: u64,

    /// How often the server pings each WebSocket; a peer silent for two intervals is closed.
    #[arg(long, env = "PING_INTERVAL_MS", default_value_t = 15000)]
    pub ping_interval_ms: u64,

    /// Group commit: each flush takes every update that queued while the previous one ran; when
    /// the previous flush held more than one (several clients writing), the writer also waits up
    /// to this long for more (0: never). Fewer, fuller flushes cost less CPU per update; a lone
    /// writer is not held up (BENCHMARKS.md, issue 17).
    #[arg(long, env = "COMMIT_WINDOW_MS", default_value_t = 2)]
    pub commit_window_ms: u64,

    /// A document's stored updates are sent to its connections at most once per this period:
    /// the first at once, the ones stored within the period after it merged into one message at
    /// its end (0: each batch's at once). Fewer, fuller messages under load (BENCHMARKS.md).
    #[arg(long, env = "BROADCAST_EVERY_MS", default_value_t = 20)]
    pub broadcast_every_ms: u64,

    /// Updates appended to a document's log before it is compacted into one state; a large
    /// document waits until they weigh as much as its state did at the last compaction.
    #[arg(long, env = "COMPACT_AFTER", default_value_t = 500)]
    pub compact_after: usize,

    /// The embedded store's own page cache (redb's), in MiB. It keeps the pages written and read
    /// and without a bound grows with the file (redb's default: up to 1 GiB); the operating
    /// system caches the file as well (loads with 64 MiB and 1 GiB measured alike: BENCHMARKS.md).
    #[arg(long, env = "STORE_CACHE_MIB", default_value_t = 64)]
    pub store_cache_mib: usize,

    /// With Redis: updates this node keeps in its outage spool (`--spool-dir`) while Redis is
    /// unreachable (collaboration goes on and they are written when it is back); beyond that,
    /// changes are refused (1013). 0: close the writers' connections instead (1011), as with the
    /// embedded store.
    #[arg(long, env = "OUTAGE_BUFFER", default_value_t = 10_000)]
    pub outage_buffer: usize,

    /// With Redis: folder of this node's outage spool (a redb file), where updates Redis did not
    /// take wait on disk before anyone sees them; default `<--data-dir>/spool`. One per node:
    /// a second process on the same folder does not start.
    #[arg(long, env = "SPOOL_DIR")]
    pub spool_dir: Option<PathBuf>,

    /// With Redis: how long a presence (awareness) state from another node lives unless its
    /// client renews it (stock clients renew every 15 s); then it is removed, as after a node crash.
    #[arg(long, env = "AWARENESS_TIMEOUT_MS", default_value_t = 30_000)]
    pub awareness_timeout_ms: u64,

    /// Log lines as `text` (for people) or `json` (one object per line, for a log pipeline).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Updates one connection may send a second, on average (token bucket; close 4429 past it).
    #[arg(long, env = "MAX_UPDATES_PER_SECOND", default_value_t = 60)]
    pub max_updates_per_second: u32,

    /// Updates one connection may send at once before the rate counts (a paste, a reconnect).
    #[arg(long, env = "UPDATE_BURST", default_value_t = 300)]
    pub update_burst: u32,

    /// Presence (awareness) messages one connection may send a second, on average (close 4429).
    #[arg(long, env = "MAX_AWARENESS_PER_SECOND", default_value_t = 20)]
    pub max_awareness_per_second: u32,

    /// Presence messages one connection may send at once before the rate counts.
    #[arg(long, env = "AWARENESS_BURST", default_value_t = 60)]
    pub awareness_burst: u32,

    /// Open WebSocket connections one room may have on this node (HTTP 429 past it).
    #[arg(long, env = "MAX_CONNECTIONS_PER_ROOM", default_value_t = 600)]
    pub max_connections_per_room: usize,

    /// Open WebSocket connections one client address may have (behind a `--trusted-proxy`, the
    /// address it forwards); a whole town hall may share one address (HTTP 429 past it).
    #[arg(long, env = "MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 1000)]
    pub max_connections_per_address: usize,

    /// Rooms this node holds loaded at once; opening one more is refused (HTTP 503).
    #[arg(long, env = "MAX_ROOMS_LOADED", default_value_t = 2000)]
    pub max_rooms_loaded: usize,

    /// Workshops one creator (key or signed-in user) may have (HTTP 429 past it).
    #[arg(long, env = "MAX_ROOMS_PER_CREATOR", default_value_t = 500)]
    pub max_rooms_per_creator: usize,

    /// Seats (people) one workshop may have (HTTP 409 past it).
    #[arg(long, env = "MAX_SEATS_PER_ROOM", default_value_t = 300)]
    pub max_seats_per_room: usize,

    /// Largest JSON body of a REST request, in bytes (HTTP 413 past it; the screening import has
    /// its own limit).
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 64 << 10)]
    pub max_body_bytes: usize,

    /// How long a client may take to send an HTTP request's head (also a WebSocket upgrade's)
    /// before the connection is dropped: slow clients cannot hold sockets open.
    #[arg(long, env = "REQUEST_HEAD_TIMEOUT_MS", default_value_t = 10_000)]
    pub request_head_timeout_ms: u64,

    /// File of creator keys, one per line, as it is or as `sha256:<hex>` (read again on SIGHUP):
    /// creating a workshop then needs `Authorization: Bearer <key>` (else 401).
    #[arg(long, env = "CREATOR_KEYS")]
    pub creator_keys: Option<PathBuf>,

    /// Header in which an authenticating reverse proxy in front (e.g. oauth2-proxy with Entra
    /// ID) names the signed-in user, e.g. `X-Forwarded-User`: such a user may create workshops
    /// and list theirs. Accepted only from `--trusted-proxy` addresses.
    #[arg(long, env = "TRUSTED_USER_HEADER")]
    pub trusted_user_header: Option<axum::http::HeaderName>,

    /// Addresses or networks (CIDR) of the reverse proxy, comma-separated; default: loopback.
    #[arg(long, env = "TRUSTED_PROXY", value_delimiter = ',', default_values_t = [
        "127.0.0.0/8".parse::<ipnet::IpNet>().expect("a network"),
        "::1/128".parse::<ipnet::IpNet>().expect("a network"),
    ])]
    pub trusted_proxy: Vec<ipnet::IpNet>,

    /// Whom to contact about the web client's accessibility (an e-mail address, a phone number
    /// or a web address): shown on its accessibility statement (`/tilgaengelighed`).
    #[arg(long, env = "ACCESSIBILITY_CONTACT")]
    pub accessibility_contact: Option<String>,

    /// Origins (e.g. `https://intra.kommune.dk`) whose pages may call the API, comma-separated;
    /// default none: browsers refuse every cross-origin API call.
    #[arg(long, env = "CORS_ORIGIN", value_delimiter = ',')]
    pub cors_origin: Vec<axum::http::HeaderValue>,

    /// Messages queued for one client (its document's broadcasts and the answers to it) before
    /// it counts as too slow and is closed (4408). The queue grows as it fills: an idle client
    /// costs a few slots, not this many.
    #[arg(long, env = "CLIENT_QUEUE", default_value_t = 1024)]
    pub client_queue: usize,

    /// Rooms are deleted this many days after their last change (fractions allowed); 0 keeps
    /// them until the facilitator deletes them. See docs/DEPLOY.md, "Personal data".
    #[arg(long, env = "RETAIN_DAYS", default_value_t = 180.0, value_parser = days)]
    pub retain_days: f64,

    /// How often the retention sweep looks for rooms to delete (for tests).
    #[arg(
        long,
        env = "RETENTION_SWEEP_MS",
        default_value_t = 3_600_000,
        hide = true
    )]
    pub retention_sweep_ms: u64,
}

/// A number of days: finite, not negative.
fn days(text: &str) -> Result<f64, String> {
    let days: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of days"))?;
    if days.is_finite() && (0.0..=1e6).contains(&days) {
        Ok(days)
    } else {
        Err(format!("{text:?}: a number of days from 0 to 1000000"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Config {
    pub fn unload_after(&self) -> Duration {
        Duration::from_millis(self.unload_after_ms)
    }

    pub fn ping_interval(&self) -> Duration {
        Duration::from_millis(self.ping_interval_ms.max(10))
    }

    pub fn rate_limits(&self) -> crate::connection::RateLimits {
        crate::connection::RateLimits {
            updates: (self.max_updates_per_second, self.update_burst),
            awareness: (self.max_awareness_per_second, self.awareness_burst),
        }
    }

    pub fn awareness_limits(&self) -> crate::room::AwarenessLimits {
        crate::room::AwarenessLimits {
            max_state_bytes: self.max_awareness_bytes,
            max_ids: self.max_presence_ids.max(1),
        }
    }

    pub fn doc_limits(&self) -> crate::room::DocLimits {
        crate::room::DocLimits {
            max_doc_bytes: self.max_doc_bytes,
        }
    }

    /// When the store writer stores and sends (`--commit-window-ms`, `--broadcast-every-ms`).
    pub fn pacing(&self) -> crate::room::Pacing {
        crate::room::Pacing {
            commit_window: Duration::from_millis(self.commit_window_ms),
            broadcast_every: Duration::from_millis(self.broadcast_every_ms),
        }
    }

    /// `--retain-days` as a period; `None` when rooms are kept (0).
    pub fn retention(&self) -> Option<Duration> {
        (self.retain_days > 0.0).then(|| Duration::from_secs_f64(self.retain_days * 86_400.0))
    }

    /// `--store-cache-mib` in bytes.
    pub fn store_cache_bytes(&self) -> usize {
        self.store_cache_mib.saturating_mul(1 << 20)
    }

    /// `--spool-dir`, or `spool` in the data directory.
    pub fn spool_dir(&self) -> PathBuf {
        self.spool_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("spool"))
    }

    /// The base of handed-out links, without a trailing slash.
    pub fn public_base(&self, bound_port: u16) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://localhost:{bound_port}"),
        }
    }
}
