//! `bench`: load measurements of the `kortvaeg` server, run by `scripts/bench` (never by the tests).
//!
//! Every scenario starts its own server (the binary in `$KORTVAEG_BIN`, which `scripts/bench` sets
//! to the release build) on 127.0.0.1, drives it with clients in this process, stops by itself
//! (bounded in count and in time) and prints a Markdown table. Results are written up in
//! `BENCHMARKS.md` at the repository root.
//!
//! Scenarios (select with `bench [SCENARIO...]`; default: all):
//!
//! - **`fanout`** — one room, N subscribers on the wall, W writers adding small cards. Measures
//!   what a plenary session stresses: deliveries/s (cards × receivers), the latency from a
//!   writer's send to a subscriber's receipt (the send time travels in the card text), and the
//!   server's CPU per 1000 deliveries (`/proc/PID/stat`). Writers either wait for the server's
//!   acknowledgement of each update ("acked": a sync step 1 after each update, whose answer the
//!   server sends only once the update is stored — the fastest a well-behaved client can go),
//!   send at a fixed rate ("paced": a realistic load, for latency), or send without waiting
//!   ("flood": a burst that could overrun slow clients). Every subscriber must end with every
//!   card, or have been closed with 4408 (fell behind); anything else would be a silent drop and
//!   is flagged. The runs are repeated with the store on tmpfs (`/dev/shm`), where fsync is free,
//!   to separate the disk's share from the server's.
//! - **`join`** — a join storm: 100 clients join a room holding ~2 MB of cards at the same moment,
//!   once while the room is unloaded (cold: loaded from the store once for all of them) and once
//!   while it is loaded (warm). Measures time to the initial sync (p50/p99/max) and the server's
//!   peak RSS (`VmRSS` polled every 5 ms, and `VmHWM` after resetting it). Another Yjs server took
//!   30 s and 6.5 GB for 150 joiners of a 20 MB document, one full encoding per joiner.
//! - **`memory`** — RSS of the idle server; with 200 rooms open (a few cards, one client each);
//!   after every client left and the rooms unloaded (`--unload-after-ms 200`, `/healthz`
//!   `rooms_loaded == 0`). Three cycles (200 new rooms, the same 200 again, 200 more new rooms)
//!   tell allocator retention (flat after the first cycle) from a leak (growing every cycle).
//!   Variants say where the memory goes: `--client-queue 64` (a client's queue; it grows as it
//!   fills, so this should change nothing) and `MALLOC_ARENA_MAX=1` (glibc with one arena).
//! - **`durability`** — updates/s acknowledged by the store: the embedded redb store (fsync per
//!   group commit; with `--commit-window-ms 0` and the default 2) and Redis with AOF (`appendfsync everysec`,
//!   and `always` as the test harness runs it). One writer awaiting each update (worst case), and
//!   10 concurrent writers in one room (group commit shares the fsync).
//! - **`gate`** — in this process, no server: what the schema gate (`kortvaeg_shared::gate`)
//!   costs per update next to applying it, on a wall of 2,000 cards: a new card, a `Y.Text`
//!   keystroke, and a reconnecting client's whole history. CPU time per update, median of 5 runs.
//! - **`reference`** — the `fanout` runs against the stock Node server `@y/websocket-server`
//!   (y-websocket v3's server, in memory, no persistence; `tests/bench-node/`, installed by
//!   `scripts/bench`), with the same load client, for a ratio. Skipped when it is not installed.
//!
//! The load client is lean (a [`Subscriber`] keeps no Yjs document, only the card markers it has
//! seen), so that the load generator, which shares the two cores with the server, stays cheap.
//! Messages are still encoded and decoded with yrs's `sync` types; a card's marker is found in
//! the update bytes because lib0 writes a string value verbatim. A few subscribers per run also
//! apply every update to a real `yrs::Doc` and count its cards, which checks the marker count,
//! and a fresh client counts the server's cards at the end.
//!
//! The load clients share the machine's two cores with the server, so each table reports the
//! bench's own CPU too, and after each scenario the bench prints how much CPU *other* processes
//! took meanwhile (numbers from a busy machine are not comparable). The whole run is bounded:
//! after [`TIME_BUDGET`], or on SIGINT/SIGTERM, the bench kills the processes it started (its
//! children, by pid) and exits.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use kortvaeg_tests::{
    as_is_cell, schema, write_card, Persistence, Redis, RoomCreated, Server, ServerOptions,
    YClient, AS_IS,
};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::{Message, MessageReader, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{Doc, Map, ReadTxn, StateVector, Transact, Update};

mod walls;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;
type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Result<T, E = BoxError> = std::result::Result<T, E>;

// ------------------------------------------------------------------------------------------------
// Clock, /proc, statistics, tables

/// Microseconds since the bench started: the time base of every timestamp (one process, one clock).
fn now_us() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// CPU time (user + system, all threads) a process has used, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at field 3 (state);
    // utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    ticks as f64 / per_second
}

/// A `kB` field of `/proc/PID/status` (`VmRSS`, `VmHWM`), in KiB; 0 if the process is gone.
fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn rss_kb(pid: u32) -> u64 {
    status_kb(pid, "VmRSS")
}

/// Resets a process's peak RSS (`VmHWM`) to its current RSS (`clear_refs` value 5).
fn reset_peak_rss(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// CPU time of the whole machine and of this process with its reaped children, to tell how much
/// of the machine other processes took during a scenario (they share the 2 cores: noise).
struct Load {
    busy: f64,
    own: f64,
    at: Instant,
    /// The kernel's count of connections a full listen queue turned away (`TcpExtListenOverflows`):
    /// such a client retries its SYN after a second, which shows as a one-second outlier.
    overflows: u64,
}

/// `TcpExtListenOverflows` from `/proc/net/netstat` (0 where it cannot be read).
fn listen_overflows() -> u64 {
    let netstat = std::fs::read_to_string("/proc/net/netstat").unwrap_or_default();
    let mut lines = netstat.lines();
    while let (Some(names), Some(values)) = (lines.next(), lines.next()) {
        if !names.starts_with("TcpExt:") {
            continue;
        }
        let at = names
            .split_whitespace()
            .position(|n| n == "ListenOverflows");
        return at
            .and_then(|i| values.split_whitespace().nth(i))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
    }
    0
}

impl Load {
    fn now() -> Load {
        // SAFETY: sysconf only reads a configuration value.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let cpu: Vec<f64> = stat
            .lines()
            .next()
            .unwrap_or("")
            .split_whitespace()
            .skip(1)
            .filter_map(|v| v.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
        let busy: f64 = cpu
            .iter()
            .take(8)
            .enumerate()
            .filter(|(i, _)| *i != 3 && *i != 4)
            .map(|(_, v)| v)
            .sum();
        let own_stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let rest = own_stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        // utime, stime, cutime, cstime: fields 14–17.
        let own: f64 = rest
            .split_whitespace()
            .skip(11)
            .take(4)
            .filter_map(|v| v.parse::<f64>().ok())
            .sum();
        Load {
            busy: busy / per_second,
            own: own / per_second,
            at: Instant::now(),
            overflows: listen_overflows(),
        }
    }

    /// A line saying how busy other processes kept the machine since `self`.
    fn others_since(&self) -> String {
        let now = Load::now();
        let wall = now.at.duration_since(self.at).as_secs_f64();
        let others = ((now.busy - self.busy) - (now.own - self.own)).max(0.0);
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1) as f64;
        format!(
            "(other processes on the machine used {others:.1} CPU-s during these {wall:.0} s: {:.0}% of its {cores} cores; connections turned away by a full listen queue: {})",
            100.0 * others / (wall * cores).max(1e-9),
            now.overflows.saturating_sub(self.overflows)
        )
    }
}

fn mib(kb: u64) -> String {
    format!("{:.1}", kb as f64 / 1024.0)
}

/// Polls a process's RSS every 5 ms until stopped; the peak.
struct RssPoller {
    stop: Arc<AtomicBool>,
    task: JoinHandle<u64>,
}

impl RssPoller {
    fn start(pid: u32) -> RssPoller {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut peak = 0;
            while !flag.load(Ordering::Relaxed) {
                peak = peak.max(rss_kb(pid));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            peak.max(rss_kb(pid))
        });
        RssPoller { stop, task }
    }

    async fn peak(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap_or(0)
    }
}

/// The `p`th percentile (0–100) of sorted values, nearest rank.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Microseconds as milliseconds with one decimal.
fn ms(us: u64) -> String {
    format!("{:.1}", us as f64 / 1000.0)
}

/// Prints a Markdown table.
fn table(title: &str, header: &[&str], rows: &[Vec<String>]) {
    println!("\n### {title}\n");
    println!("| {} |", header.join(" | "));
    println!("|{}", header.iter().map(|_| "---|").collect::<String>());
    for row in rows {
        println!("| {} |", row.join(" | "));
    }
    println!();
}

/// Prints a note under a table (and keeps the output readable when piped into a file).
fn note(text: &str) {
    println!("{text}");
}

// ------------------------------------------------------------------------------------------------
// Protocol helpers (yrs's `sync` types; never hand-encoded)

fn frame(msg: Message) -> WsMessage {
    WsMessage::Binary(msg.encode_v1().into())
}

fn step1(sv: StateVector) -> WsMessage {
    frame(Message::Sync(SyncMessage::SyncStep1(sv)))
}

/// An empty update: what a client with nothing to contribute answers the server's sync step 1 with.
fn empty_update() -> Vec<u8> {
    Doc::new()
        .transact()
        .encode_state_as_update_v1(&StateVector::default())
}

/// Decodes every y-websocket message in one frame.
fn messages(data: &[u8]) -> Vec<Message> {
    let mut decoder = DecoderV1::from(data);
    MessageReader::new(&mut decoder)
        .filter_map(|m| m.ok())
        .collect()
}

/// Connects as a lean client should: a 4 KiB read buffer (tungstenite zero-fills it on each
/// read), Nagle off (small frames go out at once).
async fn connect(url: &str) -> Result<Ws> {
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .max_message_size(Some(64 << 20));
    let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true).await?;
    Ok(ws)
}

fn close_frame() -> WsMessage {
    WsMessage::Close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "bench done".into(),
    }))
}

fn apply(doc: &Doc, update: &[u8]) -> Result<()> {
    let update = Update::decode_v1(update)?;
    doc.transact_mut().apply_update(update)?;
    Ok(())
}

fn card_count(doc: &Doc) -> usize {
    let txn = doc.transact();
    txn.get_map(schema::CARDS)
        .map(|m| m.len(&txn) as usize)
        .unwrap_or(0)
}

/// Joins a document as a fresh client and counts the cards the server sends in its sync step 2.
async fn server_card_count(url: &str) -> Result<usize> {
    let mut ws = connect(url).await?;
    ws.send(step1(StateVector::default())).await?;
    let doc = Doc::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let frame = tokio::time::timeout_at(deadline, ws.next())
            .await
            .map_err(|_| "no sync step 2 within 30 s")?;
        match frame {
            Some(Ok(WsMessage::Binary(data))) => {
                for msg in messages(&data) {
                    if let Message::Sync(SyncMessage::SyncStep2(update)) = msg {
                        apply(&doc, &update)?;
                        let _ = ws.send(close_frame()).await;
                        return Ok(card_count(&doc));
                    }
                }
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
            None => return Err("connection ended before the sync step 2".into()),
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Card markers: the writer's id, the card's number and the send time, in the card text

const MARK: &[u8] = b"kvb:";
/// `kvb:WW:SSSSS:TTTTTTTTTTTT` (writer, sequence number, send time in µs).
const MARK_LEN: usize = 4 + 2 + 1 + 5 + 1 + 12;

fn card_text(writer: usize, seq: usize, sent_us: u64) -> String {
    format!("kvb:{writer:02}:{seq:05}:{sent_us:012} Borgerservice bruger KMD Sag dagligt")
}

/// Calls `found(writer, seq, sent_us)` for every marker in `bytes`.
fn scan_markers(bytes: &[u8], mut found: impl FnMut(usize, usize, u64)) {
    let num = |b: &[u8]| std::str::from_utf8(b).ok()?.parse::<u64>().ok();
    let mut i = 0;
    while i + MARK_LEN <= bytes.len() {
        let Some(pos) = bytes[i..].windows(MARK.len()).position(|w| w == MARK) else {
            break;
        };
        let m = &bytes[i + pos..];
        if m.len() >= MARK_LEN {
            if let (Some(w), Some(s), Some(t)) = (num(&m[4..6]), num(&m[7..12]), num(&m[13..25])) {
                found(w as usize, s as usize, t);
            }
        }
        i += pos + MARK.len();
    }
}

// ------------------------------------------------------------------------------------------------
// Load clients

/// What a [`Subscriber`] saw.
#[derive(Debug, Default)]
struct SubReport {
    /// Distinct cards seen (initial sync and updates).
    seen: usize,
    /// Cards delivered by updates after the initial sync (counted once).
    delivered: usize,
    /// Cards seen again (a server may resend; the stock Node server echoes).
    duplicates: usize,
    /// Update messages received after the initial sync (a server may merge several cards into one).
    frames: usize,
    /// Send → receipt, µs, one per delivered card.
    latencies: Vec<u64>,
    /// When the last card arrived.
    last_us: u64,
    /// The server's close frame, if it closed the connection.
    close: Option<(u16, String)>,
    error: Option<String>,
    /// Cards in the real document, for the subscribers that keep one.
    doc_cards: Option<usize>,
}

/// A read-only subscriber of a wall: counts the cards it receives by their markers.
struct Subscriber;

impl Subscriber {
    /// Connects, syncs (reports on `synced`), then reads until it has seen `expected` cards or
    /// `stop` fires. With `keep_doc`, it also applies everything to a real document.
    async fn run(
        url: String,
        writers: usize,
        per_writer: usize,
        keep_doc: bool,
        synced: mpsc::UnboundedSender<bool>,
        mut stop: watch::Receiver<bool>,
    ) -> SubReport {
        let mut r = SubReport::default();
        let mut ws = match connect(&url).await {
            Ok(ws) => ws,
            Err(e) => {
                r.error = Some(format!("connect: {e}"));
                let _ = synced.send(false);
                return r;
            }
        };
        let expected = writers * per_writer;
        let mut seen = vec![false; expected];
        let doc = keep_doc.then(Doc::new);
        let mut is_synced = false;
        if let Err(e) = ws.send(step1(StateVector::default())).await {
            r.error = Some(format!("send: {e}"));
        }
        loop {
            if r.error.is_some() || (is_synced && r.seen >= expected) {
                break;
            }
            let received = tokio::select! {
                biased;
                _ = stop.changed() => break,
                received = ws.next() => received,
            };
            let now = now_us();
            let data = match received {
                Some(Ok(WsMessage::Binary(data))) => data,
                Some(Ok(WsMessage::Close(f))) => {
                    r.close = Some(
                        f.map(|f| (u16::from(f.code), f.reason.to_string()))
                            .unwrap_or((1005, String::new())),
                    );
                    break;
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    r.error = Some(format!("read: {e}"));
                    break;
                }
                None => {
                    r.error = Some("connection ended".into());
                    break;
                }
            };
            for msg in messages(&data) {
                let (update, live) = match msg {
                    Message::Sync(SyncMessage::SyncStep1(_)) => {
                        let reply = frame(Message::Sync(SyncMessage::SyncStep2(empty_update())));
                        if let Err(e) = ws.send(reply).await {
                            r.error = Some(format!("send: {e}"));
                        }
                        continue;
                    }
                    Message::Sync(SyncMessage::SyncStep2(u)) => {
                        if !is_synced {
                            is_synced = true;
                            let _ = synced.send(true);
                        }
                        (u, false)
                    }
                    Message::Sync(SyncMessage::Update(u)) => {
                        r.frames += 1;
                        (u, true)
                    }
                    _ => continue,
                };
                scan_markers(&update, |w, s, sent| {
                    let i = w * per_writer + s;
                    match seen.get_mut(i) {
                        Some(flag @ false) => {
                            *flag = true;
                            r.seen += 1;
                            r.last_us = now;
                            if live {
                                r.delivered += 1;
                                r.latencies.push(now.saturating_sub(sent));
                            }
                        }
                        Some(true) => r.duplicates += 1,
                        None => {}
                    }
                });
                if let Some(doc) = &doc {
                    if let Err(e) = apply(doc, &update) {
                        r.error = Some(format!("apply: {e}"));
                    }
                }
            }
        }
        if !is_synced {
            let _ = synced.send(false);
        }
        r.doc_cards = doc.as_ref().map(card_count);
        if r.close.is_none() {
            let _ = tokio::time::timeout(Duration::from_secs(2), ws.send(close_frame())).await;
        }
        r
    }
}

/// How a [`Peer`] paces its updates.
#[derive(Debug, Clone, Copy)]
enum Pace {
    /// Each update is followed by a sync step 1; the next waits for its answer (the server sends
    /// it only after the update is stored: an acknowledgement).
    Acked,
    /// This many updates per second per writer, without waiting.
    Rate(f64),
    /// As fast as the writer can send, without waiting (a stress test: may overrun the server).
    Flood,
}

/// A writing client: keeps its own document (so its sync step 1 is current and the answers stay
/// small), applies what it receives, and counts the server's sync step 2 answers as acks.
struct Peer {
    doc: Doc,
    out: mpsc::UnboundedSender<WsMessage>,
    /// One `Ok` per sync step 2 received; `Err` when the connection ends.
    acks: mpsc::UnboundedReceiver<Result<(), String>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Peer {
    /// Connects and completes the initial sync.
    async fn connect(url: &str) -> Result<Peer> {
        let ws = connect(url).await?;
        let (mut sink, mut stream) = ws.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<WsMessage>();
        let (ack_tx, acks) = mpsc::unbounded_channel();
        let doc = Doc::new();
        let writer = tokio::spawn(async move {
            while let Some(msg) = out_rx.recv().await {
                let last = matches!(msg, WsMessage::Close(_));
                if sink.send(msg).await.is_err() || last {
                    break;
                }
            }
        });
        let reader_doc = doc.clone();
        let reader_out = out.clone();
        let reader = tokio::spawn(async move {
            let end = loop {
                match stream.next().await {
                    Some(Ok(WsMessage::Binary(data))) => {
                        for msg in messages(&data) {
                            match msg {
                                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                                    let diff = reader_doc.transact().encode_state_as_update_v1(&sv);
                                    let _ = reader_out
                                        .send(frame(Message::Sync(SyncMessage::SyncStep2(diff))));
                                }
                                Message::Sync(SyncMessage::SyncStep2(u)) => {
                                    let _ = apply(&reader_doc, &u);
                                    let _ = ack_tx.send(Ok(()));
                                }
                                Message::Sync(SyncMessage::Update(u)) => {
                                    let _ = apply(&reader_doc, &u);
                                }
                                _ => {}
                            }
                        }
                    }
                    Some(Ok(WsMessage::Close(f))) => {
                        break format!(
                            "closed: {:?}",
                            f.map(|f| (u16::from(f.code), f.reason.to_string()))
                        );
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => break format!("read: {e}"),
                    None => break "connection ended".to_string(),
                }
            };
            let _ = ack_tx.send(Err(end));
        });
        let mut peer = Peer {
            doc,
            out,
            acks,
            tasks: vec![writer, reader],
        };
        peer.sync().await?;
        Ok(peer)
    }

    /// Sends a sync step 1 and waits for the answer (30 s at most).
    async fn sync(&mut self) -> Result<()> {
        self.send_step1();
        self.ack().await
    }

    fn send_step1(&self) {
        let sv = self.doc.transact().state_vector();
        let _ = self.out.send(step1(sv));
    }

    async fn ack(&mut self) -> Result<()> {
        match tokio::time::timeout(Duration::from_secs(30), self.acks.recv()).await {
            Ok(Some(Ok(()))) => Ok(()),
            Ok(Some(Err(why))) => Err(why.into()),
            Ok(None) => Err("connection task gone".into()),
            Err(_) => Err("no sync step 2 within 30 s".into()),
        }
    }

    /// Adds cards in one transaction and sends the update; returns its size.
    fn add_cards(&self, cards: &[(String, String)]) -> usize {
        let (row, column) = cell();
        let map = self.doc.get_or_insert_map(schema::CARDS);
        let update = {
            let mut txn = self.doc.transact_mut();
            for (id, text) in cards {
                write_card(&mut txn, &map, id, row, column, text);
            }
            txn.encode_update_v1()
        };
        let size = update.len();
        let _ = self
            .out
            .send(frame(Message::Sync(SyncMessage::Update(update))));
        size
    }

    async fn close(mut self) {
        let _ = self.out.send(close_frame());
        // Wait (briefly) for the server's close so the connection is really gone.
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while self.acks.recv().await.is_some() {}
        })
        .await;
        self.tasks.iter().for_each(|t| t.abort());
    }
}

/// The As-is template's first cell, where the bench puts its cards.
fn cell() -> (&'static str, &'static str) {
    static CELL: OnceLock<(String, String)> = OnceLock::new();
    let (r, c) = CELL.get_or_init(as_is_cell);
    (r, c)
}

/// What one writer did.
#[derive(Debug, Default)]
struct WriterReport {
    sent: usize,
    /// Send → acknowledgement, µs (acked pace only).
    acks: Vec<u64>,
    error: Option<String>,
}

/// Writes `count` cards (writer number `w`) at `pace`, starting when `go` fires, until `deadline`.
async fn write_cards(
    mut peer: Peer,
    w: usize,
    count: usize,
    pace: Pace,
    mut go: watch::Receiver<bool>,
    deadline: Instant,
) -> WriterReport {
    let mut r = WriterReport::default();
    let _ = go.wait_for(|g| *g).await;
    let mut ticker = match pace {
        Pace::Rate(per_second) => {
            let period = Duration::from_secs_f64(1.0 / per_second);
            // Stagger the writers over one period so their sends do not line up.
            let offset = period.mul_f64((w % 16) as f64 / 16.0);
            Some(tokio::time::interval_at(
                tokio::time::Instant::now() + offset,
                period,
            ))
        }
        Pace::Acked | Pace::Flood => None,
    };
    for seq in 0..count {
        if Instant::now() >= deadline {
            r.error = Some(format!("deadline reached after {seq} updates"));
            break;
        }
        if let Some(t) = &mut ticker {
            t.tick().await;
        }
        let sent = now_us();
        peer.add_cards(&[(format!("w{w}-{seq}"), card_text(w, seq, sent))]);
        r.sent += 1;
        if let Pace::Acked = pace {
            peer.send_step1();
            if let Err(e) = peer.ack().await {
                r.error = Some(format!("update {seq}: {e}"));
                break;
            }
            r.acks.push(now_us() - sent);
        }
    }
    if r.error.is_none() {
        // Everything this writer sent is handled (and, on Kortvæg, stored).
        if let Err(e) = peer.sync().await {
            r.error = Some(format!("final sync: {e}"));
        }
    }
    peer.close().await;
    r
}

// ------------------------------------------------------------------------------------------------
// Servers under test

/// A server a fan-out runs against.
enum Target {
    /// A Kortvæg server, and how to call it in tables.
    Kortvaeg(Server, &'static str),
    Node(NodeServer),
    /// The bare relay (`tests/src/bin/relay.rs`).
    Relay(RelayServer),
}

impl Target {
    fn name(&self) -> &'static str {
        match self {
            Target::Kortvaeg(_, name) => name,
            Target::Node(_) => "node y-websocket",
            Target::Relay(_) => "bare relay",
        }
    }

    fn pid(&self) -> u32 {
        match self {
            Target::Kortvaeg(s, _) => s.pid().expect("server running"),
            Target::Node(n) => n.child.id(),
            Target::Relay(r) => r.child.id(),
        }
    }

    /// A new room's wall URL (with a participant token on Kortvæg).
    async fn new_wall(&self, label: &str) -> String {
        match self {
            Target::Kortvaeg(s, _) => {
                let room = s.create_room(label, AS_IS).await;
                s.ws_url(
                    &room.id,
                    kortvaeg_tests::DocKind::Wall,
                    Some(&room.participant_token),
                )
            }
            Target::Node(n) => format!("ws://127.0.0.1:{}/bench-{label}-{}", n.port, now_us()),
            Target::Relay(r) => format!("ws://127.0.0.1:{}/bench-{label}-{}", r.port, now_us()),
        }
    }
}

/// A server the bench started as a child process (the Node reference, the bare relay); killed
/// when dropped.
struct ChildServer {
    child: Child,
    port: u16,
}

impl ChildServer {
    /// Spawns `command` (which listens on `port`) and waits until it listens.
    async fn spawn(mut command: Command, port: u16) -> Result<ChildServer> {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        let server = ChildServer { child, port };
        wait_for_port(port).await?;
        Ok(server)
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The stock Node server (`@y/websocket-server`) from `tests/bench-node/`.
type NodeServer = ChildServer;
/// The bare relay (`tests/src/bin/relay.rs`, built beside the bench).
type RelayServer = ChildServer;

impl NodeServer {
    fn script() -> PathBuf {
        kortvaeg_tests::workspace_root()
            .join("tests/bench-node/node_modules/@y/websocket-server/src/server.js")
    }

    async fn start() -> Result<NodeServer> {
        let script = NodeServer::script();
        if !script.is_file() {
            return Err(format!(
                "{} is missing (scripts/bench runs npm ci in tests/bench-node)",
                script.display()
            )
            .into());
        }
        let port = free_port();
        let mut command = Command::new("node");
        command
            .arg(&script)
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string());
        ChildServer::spawn(command, port).await
    }

    async fn start_relay() -> Result<RelayServer> {
        let bin = std::env::current_exe()?.with_file_name("relay");
        if !bin.is_file() {
            return Err(format!(
                "{} is missing (cargo build --release -p kortvaeg-tests --bin relay)",
                bin.display()
            )
            .into());
        }
        let port = free_port();
        let mut command = Command::new(&bin);
        command.arg(port.to_string());
        ChildServer::spawn(command, port).await
    }
}

/// Waits (15 s at most) until something listens on the port.
async fn wait_for_port(port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if Instant::now() >= deadline {
            return Err(format!("nothing listened on port {port} within 15 s").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

// ------------------------------------------------------------------------------------------------
// Scenario 1: fan-out

struct FanoutSpec {
    subscribers: usize,
    writers: usize,
    per_writer: usize,
    pace: Pace,
}

impl FanoutSpec {
    fn pace_label(&self) -> String {
        match self.pace {
            Pace::Acked => "acked".into(),
            Pace::Rate(r) => format!("{:.0}/s total", r * self.writers as f64),
            Pace::Flood => "flood".into(),
        }
    }
}

/// Subscribers that also keep a real document (a check of the marker count).
const DOC_SUBSCRIBERS: usize = 3;

struct FanoutResult {
    row: Vec<String>,
    deliveries_per_s: f64,
    p99_us: u64,
    cpu_ms_per_1000: f64,
    problems: Vec<String>,
}

async fn fanout(target: &Target, spec: &FanoutSpec) -> FanoutResult {
    let label = format!(
        "fanout-{}-{}",
        spec.subscribers,
        spec.pace_label().replace(['/', ' '], "")
    );
    let url = target.new_wall(&label).await;
    let pid = target.pid();
    let mut problems = Vec::new();

    // Subscribers: connect together, wait until all are synced.
    let (synced_tx, mut synced_rx) = mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = watch::channel(false);
    let subs: Vec<JoinHandle<SubReport>> = (0..spec.subscribers)
        .map(|i| {
            tokio::spawn(Subscriber::run(
                url.clone(),
                spec.writers,
                spec.per_writer,
                i < DOC_SUBSCRIBERS,
                synced_tx.clone(),
                stop_rx.clone(),
            ))
        })
        .collect();
    let mut ready = 0;
    let sync_deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    for _ in 0..spec.subscribers {
        match tokio::time::timeout_at(sync_deadline, synced_rx.recv()).await {
            Ok(Some(true)) => ready += 1,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    if ready < spec.subscribers {
        problems.push(format!(
            "only {ready}/{} subscribers synced",
            spec.subscribers
        ));
    }

    // Writers: connect and sync, then start together.
    let (go_tx, go_rx) = watch::channel(false);
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut writers = Vec::new();
    for w in 0..spec.writers {
        match Peer::connect(&url).await {
            Ok(peer) => writers.push(tokio::spawn(write_cards(
                peer,
                w,
                spec.per_writer,
                spec.pace,
                go_rx.clone(),
                deadline,
            ))),
            Err(e) => problems.push(format!("writer {w}: {e}")),
        }
    }
    let cpu0 = cpu_seconds(pid);
    let bench_cpu0 = cpu_seconds(std::process::id());
    let t0 = now_us();
    go_tx.send_replace(true);
    let mut reports = Vec::new();
    for w in writers {
        reports.push(w.await.unwrap_or_default());
    }
    let sent: usize = reports.iter().map(|r| r.sent).sum();
    for (w, r) in reports.iter().enumerate() {
        if let Some(e) = &r.error {
            problems.push(format!("writer {w}: {e}"));
        }
    }

    // Give the subscribers 20 s after the last ack to receive everything, then stop them.
    let stopper = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(20)).await;
        let _ = stop_tx.send(true);
    });
    let mut subs_done = Vec::new();
    for s in subs {
        subs_done.push(s.await.unwrap_or_default());
    }
    stopper.abort();
    let cpu = cpu_seconds(pid) - cpu0;
    let bench_cpu = cpu_seconds(std::process::id()) - bench_cpu0;

    let expected = spec.writers * spec.per_writer;
    let deliveries: usize = subs_done.iter().map(|s| s.delivered).sum();
    let duplicates: usize = subs_done.iter().map(|s| s.duplicates).sum();
    let frames: usize = subs_done.iter().map(|s| s.frames).sum();
    let last = subs_done.iter().map(|s| s.last_us).max().unwrap_or(t0);
    let seconds = (last.saturating_sub(t0)) as f64 / 1e6;
    let mut lat: Vec<u64> = subs_done
        .iter()
        .flat_map(|s| s.latencies.iter().copied())
        .collect();
    lat.sort_unstable();
    let converged = subs_done.iter().filter(|s| s.seen == expected).count();
    let closed_4408 = subs_done
        .iter()
        .filter(|s| s.close.as_ref().is_some_and(|c| c.0 == 4408))
        .count();
    let silent = subs_done
        .iter()
        .filter(|s| s.seen < expected && s.close.is_none())
        .count();
    for (i, s) in subs_done.iter().enumerate() {
        if let Some(n) = s.doc_cards {
            if n != s.seen {
                problems.push(format!(
                    "subscriber {i}: its document has {n} cards, its markers say {}",
                    s.seen
                ));
            }
        }
        if s.seen < expected {
            problems.push(format!(
                "subscriber {i}: {}/{expected} cards, close {:?}, error {:?}",
                s.seen, s.close, s.error
            ));
        }
    }
    if silent > 0 {
        problems.push(format!(
            "{silent} subscribers missed cards without being closed (silent drop?)"
        ));
    }
    let other_closes: Vec<_> = subs_done
        .iter()
        .filter_map(|s| s.close.clone())
        .filter(|c| c.0 != 4408)
        .collect();
    if !other_closes.is_empty() {
        problems.push(format!(
            "{} other closes, e.g. {:?}",
            other_closes.len(),
            other_closes[0]
        ));
    }
    let on_server = server_card_count(&url)
        .await
        .map(|n| n.to_string())
        .unwrap_or_else(|e| format!("? ({e})"));
    if on_server != expected.to_string() {
        problems.push(format!(
            "the server has {on_server} cards, {expected} were written"
        ));
    }
    let mut acks: Vec<u64> = reports
        .iter()
        .flat_map(|r| r.acks.iter().copied())
        .collect();
    acks.sort_unstable();
    let per_s = deliveries as f64 / seconds.max(1e-9);
    let row = vec![
        target.name().to_string(),
        spec.subscribers.to_string(),
        format!("{}×{}", spec.writers, spec.per_writer),
        spec.pace_label(),
        format!("{:.2}", seconds),
        format!("{:.0}", sent as f64 / seconds.max(1e-9)),
        deliveries.to_string(),
        format!("{per_s:.0}"),
        format!("{:.0}", frames as f64 / seconds.max(1e-9)),
        ms(percentile(&lat, 50.0)),
        ms(percentile(&lat, 99.0)),
        ms(lat.last().copied().unwrap_or(0)),
        if acks.is_empty() {
            "–".into()
        } else {
            format!(
                "{}/{}",
                ms(percentile(&acks, 50.0)),
                ms(percentile(&acks, 99.0))
            )
        },
        format!("{cpu:.2}"),
        format!("{:.1}", cpu * 1e6 / deliveries.max(1) as f64),
        format!("{bench_cpu:.2}"),
        format!("{converged}/{}", spec.subscribers),
        closed_4408.to_string(),
        duplicates.to_string(),
        on_server,
    ];
    FanoutResult {
        row,
        deliveries_per_s: per_s,
        p99_us: percentile(&lat, 99.0),
        cpu_ms_per_1000: cpu * 1e6 / deliveries.max(1) as f64,
        problems,
    }
}

const FANOUT_HEADER: &[&str] = &[
    "server",
    "subs",
    "writers×updates",
    "pace",
    "s",
    "updates/s",
    "deliveries",
    "deliveries/s",
    "messages/s",
    "p50 ms",
    "p99 ms",
    "max ms",
    "ack p50/p99 ms",
    "server CPU s",
    "CPU ms/1000 deliv.",
    "bench CPU s",
    "converged",
    "4408",
    "dups",
    "cards on server",
];

fn fanout_specs() -> Vec<FanoutSpec> {
    vec![
        FanoutSpec {
            subscribers: 50,
            writers: 5,
            per_writer: 200,
            pace: Pace::Acked,
        },
        FanoutSpec {
            subscribers: 200,
            writers: 5,
            per_writer: 200,
            pace: Pace::Acked,
        },
        FanoutSpec {
            subscribers: 200,
            writers: 5,
            per_writer: 200,
            pace: Pace::Rate(20.0),
        },
        FanoutSpec {
            subscribers: 200,
            writers: 5,
            per_writer: 1000,
            pace: Pace::Flood,
        },
    ]
}

async fn run_fanouts(target: &Target) -> Vec<FanoutResult> {
    let mut results = Vec::new();
    for spec in fanout_specs() {
        let r = fanout(target, &spec).await;
        for p in &r.problems {
            eprintln!(
                "  problem ({} {} subs {}): {p}",
                target.name(),
                spec.subscribers,
                spec.pace_label()
            );
        }
        results.push(r);
    }
    results
}

fn print_fanouts(title: &str, results: &[FanoutResult]) {
    let rows: Vec<Vec<String>> = results.iter().map(|r| r.row.clone()).collect();
    table(title, FANOUT_HEADER, &rows);
    let problems: Vec<&String> = results.iter().flat_map(|r| &r.problems).collect();
    if problems.is_empty() {
        note("No problems: every subscriber received every card exactly as the server stored it.");
    } else {
        note(&format!("Problems ({}):", problems.len()));
        for p in problems.iter().take(20) {
            note(&format!("- {p}"));
        }
    }
}

/// Kortvæg's fan-out results: store on disk, and on tmpfs (empty if there is no /dev/shm).
struct Ours {
    disk: Vec<FanoutResult>,
    tmpfs: Vec<FanoutResult>,
}

async fn scenario_fanout() -> Ours {
    let server = Server::start(ServerOptions::new()).await;
    let target = Target::Kortvaeg(server, "kortvaeg");
    let results = run_fanouts(&target).await;
    drop(target);
    // The same with the store on tmpfs, where fsync costs nothing: what is left is the server.
    let mut tmpfs_results = Vec::new();
    match tempfile::tempdir_in("/dev/shm") {
        Ok(dir) => {
            let server =
                Server::start(ServerOptions::new().data_dir(dir.path().join("data"))).await;
            let target = Target::Kortvaeg(server, "kortvaeg, store on tmpfs");
            tmpfs_results = run_fanouts(&target).await;
        }
        Err(e) => note(&format!("(no tmpfs run: /dev/shm: {e})")),
    }
    let all: Vec<FanoutResult> = results.into_iter().chain(tmpfs_results).collect();
    print_fanouts(
        "1. Fan-out (kortvaeg, embedded store; on disk, then on tmpfs)",
        &all,
    );
    let mut disk = all;
    let tmpfs = disk.split_off(fanout_specs().len().min(disk.len()));
    note("deliveries = cards × subscribers that received them live; latency = writer's send → subscriber's receipt;");
    note(
        "ack = writer's send → the server's answer to the sync step 1 sent after it (after the store has the update);",
    );
    note(
        "messages/s = update messages received by all subscribers (Kortvæg merges the updates of one commit into one).",
    );
    Ours { disk, tmpfs }
}

// ------------------------------------------------------------------------------------------------
// Scenario 2: join storm

/// A join storm: this many clients join a room of this many cards (~100 characters each).
#[derive(Clone, Copy)]
struct Storm {
    clients: usize,
    cards: usize,
}

/// Issue 17's (150 joiners of a 2,000-card room, all synced within 2 s), and a bigger room
/// (~2 MB: 10,000 cards), as another Yjs server's failure had it.
const STORMS: [Storm; 2] = [
    Storm {
        clients: 150,
        cards: 2_000,
    },
    Storm {
        clients: 100,
        cards: 10_000,
    },
];
const STORM_BATCH: usize = 500;
/// Edits made to the room between the two load timings (history that compaction folds away).
const HISTORY_EDITS: usize = 5_000;

/// One joiner's timing.
#[derive(Default)]
struct Joined {
    connected_us: u64,
    synced_us: u64,
    bytes: usize,
    step2: Option<Vec<u8>>,
    error: Option<String>,
}

/// Connects when `go` fires, sends a sync step 1 and waits for the answer.
async fn join_once(
    url: String,
    keep: bool,
    mut go: watch::Receiver<bool>,
    t0: Arc<AtomicU64>,
) -> Joined {
    let mut j = Joined::default();
    let _ = go.wait_for(|g| *g).await;
    let t0 = t0.load(Ordering::SeqCst);
    let mut ws = match connect(&url).await {
        Ok(ws) => ws,
        Err(e) => {
            j.error = Some(format!("connect: {e}"));
            return j;
        }
    };
    j.connected_us = now_us() - t0;
    if let Err(e) = ws.send(step1(StateVector::default())).await {
        j.error = Some(format!("send: {e}"));
        return j;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    'read: loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(WsMessage::Binary(data)))) => {
                for msg in messages(&data) {
                    match msg {
                        Message::Sync(SyncMessage::SyncStep2(update)) => {
                            j.synced_us = now_us() - t0;
                            j.bytes = update.len();
                            if keep {
                                j.step2 = Some(update);
                            }
                            break 'read;
                        }
                        Message::Sync(SyncMessage::SyncStep1(_)) => {
                            let _ = ws
                                .send(frame(Message::Sync(SyncMessage::SyncStep2(empty_update()))))
                                .await;
                        }
                        _ => {}
                    }
                }
            }
            Ok(Some(Ok(WsMessage::Close(f)))) => {
                j.error = Some(format!("closed: {f:?}"));
                break;
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => {
                j.error = Some(format!("read: {e}"));
                break;
            }
            Ok(None) => {
                j.error = Some("connection ended".into());
                break;
            }
            Err(_) => {
                j.error = Some("no sync step 2 within 60 s".into());
                break;
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.send(close_frame())).await;
    j
}

async fn storm(
    server: &Server,
    url: &str,
    spec: Storm,
    label: &str,
    problems: &mut Vec<String>,
) -> Vec<String> {
    let pid = server.pid().expect("running");
    let rss_before = rss_kb(pid);
    let (go_tx, go_rx) = watch::channel(false);
    let t0 = Arc::new(AtomicU64::new(0));
    let joiners: Vec<_> = (0..spec.clients)
        .map(|i| {
            tokio::spawn(join_once(
                url.to_string(),
                i == 0,
                go_rx.clone(),
                t0.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await; // every joiner is waiting on `go`
    reset_peak_rss(pid);
    let poller = RssPoller::start(pid);
    let cpu0 = cpu_seconds(pid);
    t0.store(now_us(), Ordering::SeqCst);
    go_tx.send_replace(true);
    let mut joined = Vec::new();
    for j in joiners {
        joined.push(j.await.unwrap_or_default());
    }
    let cpu = cpu_seconds(pid) - cpu0;
    let peak = poller.peak().await.max(status_kb(pid, "VmHWM"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after = rss_kb(pid);

    let errors: Vec<&String> = joined.iter().filter_map(|j| j.error.as_ref()).collect();
    if !errors.is_empty() {
        problems.push(format!(
            "{label}: {} joiners failed, e.g. {}",
            errors.len(),
            errors[0]
        ));
    }
    if let Some(step2) = joined.first().and_then(|j| j.step2.as_ref()) {
        let doc = Doc::new();
        match apply(&doc, step2) {
            Ok(()) if card_count(&doc) == spec.cards => {}
            Ok(()) => problems.push(format!(
                "{label}: the joiner's document has {} cards, not {}",
                card_count(&doc),
                spec.cards
            )),
            Err(e) => problems.push(format!("{label}: the sync step 2 does not apply: {e}")),
        }
    }
    let ok: Vec<&Joined> = joined.iter().filter(|j| j.error.is_none()).collect();
    let mut synced: Vec<u64> = ok.iter().map(|j| j.synced_us).collect();
    synced.sort_unstable();
    let mut connected: Vec<u64> = ok.iter().map(|j| j.connected_us).collect();
    connected.sort_unstable();
    let bytes = ok.iter().map(|j| j.bytes).max().unwrap_or(0);
    vec![
        label.to_string(),
        format!("{}/{}", ok.len(), spec.clients),
        format!("{:.2}", bytes as f64 / 1e6),
        ms(percentile(&connected, 50.0)),
        ms(percentile(&synced, 50.0)),
        ms(percentile(&synced, 99.0)),
        ms(synced.last().copied().unwrap_or(0)),
        format!("{cpu:.2}"),
        mib(rss_before),
        mib(peak),
        mib(rss_after),
    ]
}

async fn scenario_join() -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut timings = Vec::new();
    let mut problems = Vec::new();
    for spec in STORMS {
        let (storm_rows, timing) = join_storms(spec, &mut problems).await;
        rows.extend(storm_rows);
        timings.extend(timing);
    }
    table(
        "2. Join storm: clients join a room at once",
        &[
            "room",
            "cards",
            "synced",
            "state MB",
            "connect p50 ms",
            "sync p50 ms",
            "sync p99 ms",
            "all synced ms",
            "server CPU s",
            "RSS before MiB",
            "RSS peak MiB",
            "RSS after MiB",
        ],
        &rows,
    );
    note(
        "sync = from the moment all joiners start connecting to the receipt of the server's sync step 2 (whole state).",
    );
    table(
        "2b. One room: loaded from the store, and snapshotted (median of 5)",
        &[
            "cards",
            "history",
            "cold join ms (load + sync)",
            "warm join ms (sync only)",
            "load ms (difference)",
            "snapshot ms",
        ],
        &timings,
    );
    note("cold join = one client's connect → sync step 2 while the room is unloaded (the store read, the document built, its encoding); warm = the same with the room loaded. snapshot = POST /snapshots, the facilitator's HTTP round trip.");
    for p in &problems {
        note(&format!("- problem: {p}"));
    }
    rows
}

/// Median of five timings of `f`, in µs.
async fn median_of_5<F: std::future::Future<Output = ()>>(mut f: impl FnMut() -> F) -> u64 {
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = now_us();
        f().await;
        times.push(now_us() - t);
    }
    times.sort_unstable();
    times[2]
}

/// One connect → sync step 2, as a lean client.
async fn join_alone(url: &str) {
    let (_tx, go) = watch::channel(true);
    let joined = join_once(
        url.to_string(),
        false,
        go,
        Arc::new(AtomicU64::new(now_us())),
    )
    .await;
    if let Some(e) = joined.error {
        eprintln!("  join: {e}");
    }
}

/// The storms (cold and warm) of one room size, and its load and snapshot timings: with the
/// room as filled, and again after [`HISTORY_EDITS`] edits of its cards.
async fn join_storms(
    spec: Storm,
    problems: &mut Vec<String>,
) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let server = Server::start(ServerOptions::new().unload_after_ms(300)).await;
    let room = server.new_room().await;
    let url = server.ws_url(
        &room.id,
        kortvaeg_tests::DocKind::Wall,
        Some(&room.participant_token),
    );
    let unloaded = || {
        server.wait_health("the room unloaded", Duration::from_secs(30), |h| {
            h.rooms_loaded == 0
        })
    };

    // Fill the room: cards in updates of 500, each acknowledged.
    let mut builder = Peer::connect(&url).await.expect("builder connects");
    let filler = "x".repeat(60);
    for batch in 0..spec.cards.div_ceil(STORM_BATCH) {
        let cards: Vec<(String, String)> = (batch * STORM_BATCH
            ..((batch + 1) * STORM_BATCH).min(spec.cards))
            .map(|n| {
                (
                    format!("storm-{n}"),
                    format!("Kort {n}: Sagsbehandlingen i KMD Sag {filler}"),
                )
            })
            .collect();
        builder.add_cards(&cards);
        builder
            .sync()
            .await
            .expect("the builder's update is acknowledged");
    }

    let mut timings = Vec::new();
    let timing = |history: &str, cold: u64, warm: u64, snapshot: u64| {
        vec![
            spec.cards.to_string(),
            history.to_string(),
            ms(cold),
            ms(warm),
            ms(cold.saturating_sub(warm)),
            ms(snapshot),
        ]
    };
    for history in ["as filled", "after 5,000 edits"] {
        if history != "as filled" {
            // Edits: each card's text replaced, 50 cards an update, until HISTORY_EDITS.
            for round in 0..HISTORY_EDITS / 50 {
                let cards: Vec<(String, String)> = (0..50)
                    .map(|i| {
                        let n = (round * 50 + i) % spec.cards;
                        (
                            format!("storm-{n}"),
                            format!("Kort {n}, rettet {round}: {filler}"),
                        )
                    })
                    .collect();
                builder.add_cards(&cards);
                builder.sync().await.expect("the edit is acknowledged");
            }
        }
        let snapshot = median_of_5(|| async {
            server
                .take_snapshot(&room.id, &room.facilitator_token)
                .await;
        })
        .await;
        builder.close().await;
        let mut cold_times = Vec::new();
        for _ in 0..5 {
            unloaded().await;
            let t = now_us();
            join_alone(&url).await;
            cold_times.push(now_us() - t);
        }
        cold_times.sort_unstable();
        let holder = Peer::connect(&url).await.expect("holder connects");
        let warm = median_of_5(|| join_alone(&url)).await;
        holder.close().await;
        timings.push(timing(history, cold_times[2], warm, snapshot));
        builder = Peer::connect(&url).await.expect("builder connects again");
    }
    builder.close().await;
    unloaded().await;

    let mut rows = Vec::new();
    // Cold: the room is not loaded; the first joiner loads it and the others wait for that load.
    let mut cold = storm(&server, &url, spec, "cold (room unloaded)", problems).await;
    cold.insert(1, spec.cards.to_string());
    rows.push(cold);
    // Warm: a holder keeps the room loaded.
    let holder = Peer::connect(&url).await.expect("holder connects");
    let mut warm = storm(&server, &url, spec, "warm (room loaded)", problems).await;
    warm.insert(1, spec.cards.to_string());
    rows.push(warm);
    holder.close().await;
    (rows, timings)
}

// ------------------------------------------------------------------------------------------------
// Scenario 3: memory per room, and unload

const MEMORY_ROOMS: usize = 200;
const MEMORY_CARDS: usize = 5;

/// Opens each room with one client, adds cards (`fresh`), and returns the clients.
async fn open_rooms(server: &Server, rooms: &[RoomCreated], fresh: bool) -> Vec<YClient> {
    let tasks = rooms.iter().map(|room| async move {
        let c = YClient::wall(server, &room.id, &room.participant_token).await;
        if fresh {
            let (row, column) = cell();
            for i in 0..MEMORY_CARDS {
                c.add_card(
                    &format!("m{i}"),
                    row,
                    column,
                    &format!("Kort {i} i {}", room.id),
                );
            }
        }
        c.barrier().await;
        c
    });
    futures_util::future::join_all(tasks).await
}

/// Connection counts of the idle-connection table (issue 17: 1k, 2k, 4k).
const IDLE_CONNECTIONS: [usize; 3] = [1_000, 2_000, 4_000];
const IDLE_ROOMS: usize = 10;

/// An idle client: connects, syncs, then only reads (tungstenite answers the server's pings)
/// until `stop`.
async fn idle_client(
    url: String,
    ready: mpsc::UnboundedSender<bool>,
    mut stop: watch::Receiver<bool>,
) {
    let Ok(mut ws) = connect(&url).await else {
        let _ = ready.send(false);
        return;
    };
    let _ = ws.send(step1(StateVector::default())).await;
    let mut synced = false;
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            frame = ws.next() => match frame {
                Some(Ok(WsMessage::Binary(data))) => {
                    let step2 = messages(&data)
                        .iter()
                        .any(|m| matches!(m, Message::Sync(SyncMessage::SyncStep2(_))));
                    if step2 && !synced {
                        synced = true;
                        let _ = ready.send(true);
                    }
                }
                Some(Ok(_)) => {}
                _ => break,
            },
        }
    }
    if !synced {
        let _ = ready.send(false);
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.send(close_frame())).await;
}

/// RSS of the server at 1k, 2k and 4k idle connections over [`IDLE_ROOMS`] rooms: the cost of
/// one connection, and whether it grows linearly.
async fn connections_memory() {
    let server = Server::start(ServerOptions::new()).await;
    let pid = server.pid().expect("running");
    let mut urls = Vec::new();
    for i in 0..IDLE_ROOMS {
        let room = server
            .create_room(&format!("Forbindelser {i}"), AS_IS)
            .await;
        urls.push(server.ws_url(
            &room.id,
            kortvaeg_tests::DocKind::Wall,
            Some(&room.participant_token),
        ));
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
    let mut open = 0usize;
    let mut failed = 0usize;
    let mut rows = Vec::new();
    let open_up_to = |n: usize, open: &mut usize| {
        while *open < n {
            let url = urls[*open % IDLE_ROOMS].clone();
            tokio::spawn(idle_client(url, ready_tx.clone(), stop_rx.clone()));
            *open += 1;
        }
    };
    // The rooms loaded, one client each: the baseline.
    open_up_to(IDLE_ROOMS, &mut open);
    for _ in 0..IDLE_ROOMS {
        if ready_rx.recv().await != Some(true) {
            failed += 1;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let base = rss_kb(pid);
    rows.push(vec![
        IDLE_ROOMS.to_string(),
        mib(base),
        "–".into(),
        "–".into(),
    ]);
    let mut last = (IDLE_ROOMS, base);
    for n in IDLE_CONNECTIONS {
        let before = open;
        // In waves of 200, so the accept queue never overflows.
        while open < n {
            let wave = (open + 200).min(n);
            let start = open;
            open_up_to(wave, &mut open);
            for _ in start..wave {
                if ready_rx.recv().await != Some(true) {
                    failed += 1;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rss = rss_kb(pid);
        let per = |from: (usize, u64)| (rss as f64 - from.1 as f64) / (n - from.0) as f64;
        rows.push(vec![
            n.to_string(),
            mib(rss),
            format!("{:.1}", per((IDLE_ROOMS, base))),
            format!("{:.1} ({before} → {n})", per(last)),
        ]);
        last = (n, rss);
    }
    let health = server.health().await;
    stop_tx.send_replace(true);
    table(
        "3c. Idle connections: server RSS (10 rooms, every connection synced and idle)",
        &[
            "connections",
            "RSS MiB",
            "KiB per connection (over 10)",
            "KiB per connection (this step)",
        ],
        &rows,
    );
    note(&format!(
        "{failed} connections failed; the server counted {} open at the end.",
        health.connections
    ));
}

/// Starts a server with `env` set for it alone (the harness passes the bench's environment on).
async fn start_with_env(opts: ServerOptions, env: &[(&str, &str)]) -> Server {
    // The runtime's other threads read no environment while the server is spawned.
    env.iter().for_each(|(k, v)| std::env::set_var(k, v));
    let server = Server::start(opts).await;
    env.iter().for_each(|(k, _)| std::env::remove_var(k));
    server
}

/// RSS rows of open/unload cycles on one server: idle, then per cycle "open" and "unloaded".
/// Cycle 0 and 2 use new rooms, cycle 1 reopens those of cycle 0. Returns the rows and the RSS
/// per room of the first cycle, in KiB.
async fn memory_cycles(server: &Server, cycles: usize) -> (Vec<Vec<String>>, f64) {
    let pid = server.pid().expect("running");
    tokio::time::sleep(Duration::from_secs(1)).await;
    server.health().await;
    let idle = rss_kb(pid);
    let redb = server.data_dir().join("kortvaeg.redb");
    let file = || {
        mib(std::fs::metadata(&redb)
            .map(|m| m.len() / 1024)
            .unwrap_or(0))
    };
    let row = |what: String, h: &kortvaeg_tests::Health, rss: u64| {
        vec![
            what,
            h.rooms_loaded.to_string(),
            h.connections.to_string(),
            mib(rss),
            format!("{:+.1}", (rss as f64 - idle as f64) / 1024.0),
            file(),
        ]
    };
    let mut rows = vec![vec![
        "idle (started, one /healthz)".into(),
        "0".into(),
        "0".into(),
        mib(idle),
        "–".into(),
        file(),
    ]];
    let create = |tag: &'static str| async move {
        let mut rooms = Vec::new();
        for i in 0..MEMORY_ROOMS {
            rooms.push(
                server
                    .create_room(&format!("Hukommelse {tag}{i}"), AS_IS)
                    .await,
            );
        }
        rooms
    };
    let first = create("A").await;
    let mut per_room = 0.0;
    let labels = [
        ("A: 200 new rooms", true),
        ("B: the same 200 again", false),
        ("C: 200 more new rooms", true),
    ];
    for (n, (label, fresh)) in labels.into_iter().take(cycles).enumerate() {
        let rooms = if n == 2 {
            create("C").await
        } else {
            first.clone()
        };
        let clients = open_rooms(server, &rooms, fresh).await;
        let h = server.health().await;
        let open = rss_kb(pid);
        if n == 0 {
            per_room = (open as f64 - idle as f64) / MEMORY_ROOMS as f64;
        }
        rows.push(row(format!("{label}: open, 1 client each"), &h, open));
        futures_util::future::join_all(clients.into_iter().map(YClient::close)).await;
        let h = server
            .wait_health("every room unloaded", Duration::from_secs(60), |h| {
                h.rooms_loaded == 0 && h.connections == 0
            })
            .await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        rows.push(row(
            format!("{label}: all left, unloaded (+2 s)"),
            &h,
            rss_kb(pid),
        ));
    }
    (rows, per_room)
}

async fn scenario_memory() -> Vec<Vec<String>> {
    let header = &[
        "state",
        "rooms loaded",
        "connections",
        "RSS MiB",
        "Δ idle MiB",
        "redb file MiB",
    ];
    let opts = || ServerOptions::new().unload_after_ms(200);
    let server = Server::start(opts()).await;
    let (rows, per_room) = memory_cycles(&server, 3).await;
    drop(server);
    table(
        "3. Memory per room and unload (--unload-after-ms 200)",
        header,
        &rows,
    );
    note(&format!(
        "Per open room with one client and {MEMORY_CARDS} cards (cycle A): {per_room:.0} KiB (room + connection + its buffers)."
    ));

    // Where it goes: the same first cycle with short client queues, and with
    // glibc malloc limited to one arena (memory freed by any thread can go back to the system).
    let mut variants = Vec::new();
    let server = Server::start(opts().arg("--client-queue", 64)).await;
    let (rows, per_room) = memory_cycles(&server, 1).await;
    drop(server);
    variants.push(("--client-queue 64 (default 1024)", rows, per_room));
    let server = start_with_env(opts(), &[("MALLOC_ARENA_MAX", "1")]).await;
    let (rows, per_room) = memory_cycles(&server, 3).await;
    drop(server);
    variants.push(("MALLOC_ARENA_MAX=1 (glibc: one arena)", rows, per_room));
    let mut all = Vec::new();
    for (label, rows, per_room) in variants {
        let mut rows: Vec<Vec<String>> = rows
            .into_iter()
            .map(|r| std::iter::once(label.to_string()).chain(r).collect())
            .collect();
        rows.push(vec![
            label.to_string(),
            format!("per open room (cycle A): {per_room:.0} KiB"),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]);
        all.extend(rows);
    }
    connections_memory().await;
    table(
        "3b. Memory: where it goes (variants)",
        &[
            "server",
            "state",
            "rooms loaded",
            "connections",
            "RSS MiB",
            "Δ idle MiB",
            "redb file MiB",
        ],
        &all,
    );
    all
}

// ------------------------------------------------------------------------------------------------
// Scenario 4: durability cost

struct DurabilityRun {
    writers: usize,
    per_writer: usize,
}

/// Writers in one room, each awaiting the acknowledgement of every update.
async fn durability_run(server: &Server, run: &DurabilityRun) -> (Vec<String>, Vec<String>) {
    let room = server.new_room().await;
    let url = server.ws_url(
        &room.id,
        kortvaeg_tests::DocKind::Wall,
        Some(&room.participant_token),
    );
    let pid = server.pid().expect("running");
    let mut problems = Vec::new();
    let (go_tx, go_rx) = watch::channel(false);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut tasks = Vec::new();
    for w in 0..run.writers {
        let peer = Peer::connect(&url).await.expect("writer connects");
        tasks.push(tokio::spawn(write_cards(
            peer,
            w,
            run.per_writer,
            Pace::Acked,
            go_rx.clone(),
            deadline,
        )));
    }
    let cpu0 = cpu_seconds(pid);
    let t0 = Instant::now();
    go_tx.send_replace(true);
    let mut acks = Vec::new();
    let mut acked = 0;
    for t in tasks {
        let r = t.await.unwrap_or_default();
        acked += r.acks.len();
        acks.extend(r.acks);
        if let Some(e) = r.error {
            problems.push(e);
        }
    }
    let seconds = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid) - cpu0;
    acks.sort_unstable();
    let row = vec![
        format!("{}×{}", run.writers, run.per_writer),
        acked.to_string(),
        format!("{:.0}", acked as f64 / seconds),
        ms(percentile(&acks, 50.0)),
        ms(percentile(&acks, 99.0)),
        ms(acks.last().copied().unwrap_or(0)),
        format!("{:.2}", cpu * 1000.0 / acked.max(1) as f64),
    ];
    (row, problems)
}

async fn scenario_durability() -> Vec<Vec<String>> {
    let runs = [
        DurabilityRun {
            writers: 1,
            per_writer: 300,
        },
        DurabilityRun {
            writers: 10,
            per_writer: 100,
        },
    ];
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let configs: [(&str, Option<Persistence>, Option<u64>); 4] = [
        ("embedded (redb), commit window 0", None, Some(0)),
        ("embedded (redb), commit window 2 ms (default)", None, None),
        (
            "redis, appendfsync everysec",
            Some(Persistence::AppendFsyncEverySec),
            None,
        ),
        (
            "redis, appendfsync always (as the test harness)",
            Some(Persistence::AppendFsyncAlways),
            None,
        ),
    ];
    for (label, fsync, window) in configs {
        let redis = match fsync {
            Some(persistence) => match Redis::try_start_with(persistence).await {
                Ok(r) => Some(r),
                Err(e) => {
                    problems.push(format!("{label}: skipped: {e}"));
                    continue;
                }
            },
            None => None,
        };
        let mut opts = ServerOptions::new();
        if let Some(r) = &redis {
            opts = opts.redis(r.url());
        }
        if let Some(w) = window {
            opts = opts.arg("--commit-window-ms", w);
        }
        let server = Server::start(opts).await;
        for run in &runs {
            let (row, p) = durability_run(&server, run).await;
            rows.push(std::iter::once(label.to_string()).chain(row).collect());
            problems.extend(p.into_iter().map(|p| format!("{label}: {p}")));
        }
        drop(server);
        drop(redis);
    }
    table(
        "4. Durability cost: updates acknowledged by the store (one room)",
        &[
            "store",
            "writers×updates",
            "acked",
            "updates/s",
            "ack p50 ms",
            "ack p99 ms",
            "ack max ms",
            "server CPU ms/update",
        ],
        &rows,
    );
    note("ack = a writer's update → the server's answer to the sync step 1 sent right after it, which leaves only once the update is stored.");
    for p in &problems {
        note(&format!("- problem: {p}"));
    }
    rows
}

// ------------------------------------------------------------------------------------------------
// Scenario 5: the reference Node server

/// The schema gate's cost per update against applying the same update (see the module docs).
fn scenario_gate() {
    use kortvaeg_shared::{gate, schema::WALL};
    use yrs::updates::decoder::Decode;
    use yrs::{Map, MapPrelim, ReadTxn, StateVector, Text, TextPrelim, Transact, Update, WriteTxn};

    // A wall of 2,000 cards of ~100 characters, one with a Y.Text, as clients would have written it.
    let client = yrs::Doc::with_client_id(7);
    let mut history = Vec::new();
    for i in 0..2000 {
        let mut txn = client.transact_mut();
        let cards = txn.get_or_insert_map("cards");
        let m = cards.insert(&mut txn, format!("card{i:08}"), MapPrelim::default());
        m.insert(&mut txn, "row", "asis-1");
        m.insert(&mut txn, "column", "borgerservice");
        m.insert(&mut txn, "text", "x".repeat(100));
        if i == 0 {
            m.insert(&mut txn, "rich", TextPrelim::new("hej"));
        }
        history.push(txn.encode_update_v1());
    }
    let server = yrs::Doc::new();
    for u in &history {
        server
            .transact_mut()
            .apply_update(Update::decode_v1(u).unwrap())
            .unwrap();
    }
    let full = client
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    // The updates measured, each made on a copy of the client (so each applies to `server`).
    let new_card = {
        let mut txn = client.transact_mut();
        let cards = txn.get_or_insert_map("cards");
        let m = cards.insert(&mut txn, "new-card-0001", MapPrelim::default());
        m.insert(&mut txn, "row", "asis-2");
        m.insert(&mut txn, "text", "Et nyt kort fra en deltager");
        txn.encode_update_v1()
    };
    let keystroke = {
        let mut txn = client.transact_mut();
        let cards = txn.get_or_insert_map("cards");
        let Some(yrs::Out::YMap(m)) = cards.get(&txn, "card00000000") else {
            unreachable!()
        };
        let Some(yrs::Out::YText(t)) = m.get(&txn, "rich") else {
            unreachable!()
        };
        t.insert(&mut txn, 3, "!");
        txn.encode_update_v1()
    };
    let time = |f: &dyn Fn()| {
        let mut runs: Vec<f64> = (0..5)
            .map(|_| {
                let n = 2000;
                let t0 = Instant::now();
                for _ in 0..n {
                    f();
                }
                t0.elapsed().as_secs_f64() * 1e6 / n as f64
            })
            .collect();
        runs.sort_by(|a, b| a.partial_cmp(b).unwrap());
        runs[2]
    };
    let mut rows = Vec::new();
    for (name, update) in [("new card", &new_card), ("Y.Text keystroke", &keystroke)] {
        let check = time(&|| gate::check(&WALL, &server.transact(), update).unwrap());
        // Applying to a copy each time would measure the copy: apply to the client's own doc
        // (already has it: yrs still decodes and walks it) plus decode, a lower bound of the work.
        let apply = time(&|| {
            let u = Update::decode_v1(update).unwrap();
            client.transact_mut().apply_update(u).unwrap();
        });
        rows.push(vec![
            name.to_string(),
            update.len().to_string(),
            format!("{check:.2}"),
            format!("{apply:.2}"),
        ]);
        // The next update was made after this one: the server gets this one first.
        server
            .transact_mut()
            .apply_update(Update::decode_v1(update).unwrap())
            .unwrap();
    }
    let t0 = Instant::now();
    gate::check(&WALL, &yrs::Doc::new().transact(), &full).unwrap();
    let whole = t0.elapsed().as_secs_f64() * 1e3;
    table(
        "Schema gate: CPU per update on a wall of 2,000 cards (µs, median of 5 × 2,000)",
        &[
            "update",
            "bytes",
            "gate µs",
            "decode + apply µs (already applied)",
        ],
        &rows,
    );
    note(&format!(
        "A reconnecting client's whole history ({} KB, 2,000 cards) through the gate: {whole:.1} ms.",
        full.len() / 1024
    ));
}

async fn scenario_reference(ours: Option<&Ours>) {
    let node = match NodeServer::start().await {
        Ok(n) => n,
        Err(e) => {
            note(&format!("\n### 5. Reference: skipped ({e})\n"));
            return;
        }
    };
    let target = Target::Node(node);
    let results = run_fanouts(&target).await;
    print_fanouts(
        "5. Reference: the same fan-out against @y/websocket-server (Node, in memory, no store)",
        &results,
    );
    let Some(ours) = ours else { return };
    let cell = |r: Option<&FanoutResult>, f: &dyn Fn(&FanoutResult) -> String| {
        r.map(f).unwrap_or_else(|| "–".into())
    };
    let rows: Vec<Vec<String>> = fanout_specs()
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let (disk, tmpfs, node) = (ours.disk.get(i), ours.tmpfs.get(i), results.get(i));
            let per_s = |r: &FanoutResult| format!("{:.0}", r.deliveries_per_s);
            let ratio = |r: &FanoutResult| match node {
                Some(n) => format!("{:.2}", r.deliveries_per_s / n.deliveries_per_s.max(1e-9)),
                None => "–".into(),
            };
            let p99 = |r: &FanoutResult| ms(r.p99_us);
            let cpu = |r: &FanoutResult| format!("{:.1}", r.cpu_ms_per_1000);
            vec![
                spec.subscribers.to_string(),
                spec.pace_label(),
                cell(disk, &per_s),
                cell(tmpfs, &per_s),
                cell(node, &per_s),
                cell(disk, &ratio),
                cell(tmpfs, &ratio),
                cell(disk, &p99),
                cell(tmpfs, &p99),
                cell(node, &p99),
                cell(disk, &cpu),
                cell(node, &cpu),
            ]
        })
        .collect();
    table(
        "5b. Kortvæg vs the Node reference",
        &[
            "subs",
            "pace",
            "deliv./s kortvaeg",
            "deliv./s kortvaeg tmpfs",
            "deliv./s node",
            "ratio",
            "ratio tmpfs",
            "p99 ms kortvaeg",
            "p99 ms kortvaeg tmpfs",
            "p99 ms node",
            "CPU ms/1000 kortvaeg",
            "CPU ms/1000 node",
        ],
        &rows,
    );
    note("Kortvæg stores every update (fsync) before it sends it on; the Node server keeps documents in memory only.");
}

// ------------------------------------------------------------------------------------------------
// Main

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "?".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{cores} cores, {cpu}, kernel {}", kernel.trim())
}

const SCENARIOS: &[&str] = &[
    "fanout",
    "join",
    "memory",
    "durability",
    "gate",
    "reference",
    "walls",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!(
            "usage: bench [{}]...  (default: all; see the module docs in tests/src/bin/bench/main.rs)",
            SCENARIOS.join("|")
        );
        return;
    }
    if let Some(bad) = args.iter().find(|a| !SCENARIOS.contains(&a.as_str())) {
        eprintln!("bench: unknown scenario {bad:?}; choose from {SCENARIOS:?}");
        std::process::exit(2);
    }
    // The server logs only its own info lines (the harness needs `listening on`), not every request.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "kortvaeg=info,warn");
    }
    std::env::set_var("KORTVAEG_TEST_QUIET", "1");
    // Bounded in time whatever happens: past the budget, or on SIGINT/SIGTERM, the processes this
    // bench started (servers, redis-server, node) are killed by pid and the bench exits.
    std::thread::spawn(|| {
        std::thread::sleep(TIME_BUDGET);
        eprintln!("bench: over its time budget of {TIME_BUDGET:?}; stopping");
        kill_children();
        std::process::exit(3);
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.spawn(async {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
        eprintln!("bench: interrupted; stopping the servers it started");
        kill_children();
        std::process::exit(130);
    });
    runtime.block_on(run(args));
}

/// The longest a whole run may take (a normal run takes about 15 minutes, `walls` most of it).
const TIME_BUDGET: Duration = Duration::from_secs(30 * 60);

/// Kills (SIGKILL) every process whose parent is this one: what the bench started.
fn kill_children() {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // After the command name: state, then the parent's pid.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, r)| r.split_whitespace().nth(1)?.parse::<u32>().ok());
        if ppid == Some(me) {
            // SAFETY: kill(2) on a child of this process.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

async fn run(args: Vec<String>) {
    let selected = |name: &str| args.is_empty() || args.iter().any(|a| a == name);
    let bin = kortvaeg_tests::server_binary();
    now_us();
    let started = Instant::now();
    println!("## Kortvæg benchmark");
    println!("\nmachine: {}; server: {}", machine(), display_path(&bin));

    let mut ours = None;
    if selected("fanout") {
        let load = Load::now();
        ours = Some(scenario_fanout().await);
        note(&load.others_since());
    }
    if selected("join") {
        let load = Load::now();
        scenario_join().await;
        note(&load.others_since());
    }
    if selected("memory") {
        let load = Load::now();
        scenario_memory().await;
        note(&load.others_since());
    }
    if selected("durability") {
        let load = Load::now();
        scenario_durability().await;
        note(&load.others_since());
    }
    if selected("gate") {
        let load = Load::now();
        scenario_gate();
        note(&load.others_since());
    }
    if selected("reference") {
        let load = Load::now();
        scenario_reference(ours.as_ref()).await;
        note(&load.others_since());
    }
    if selected("walls") {
        let load = Load::now();
        walls::scenario_walls().await;
        note(&load.others_since());
    }
    println!("\ntotal: {:.0} s", started.elapsed().as_secs_f64());
}

fn display_path(p: &Path) -> String {
    let root = kortvaeg_tests::workspace_root();
    p.strip_prefix(&root)
        .map(|r| r.display().to_string())
        .unwrap_or_else(|_| p.display().to_string())
}
