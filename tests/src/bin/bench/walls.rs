//! Scenario `walls` — every client writes (issue 17): R rooms × C clients, each client adding one
//! card per period to its room's wall and receiving every other client's cards, the pattern of a
//! real workshop wall in group work. The rate is ramped in steps (every client the same rate,
//! staggered within the period) until a step's p99 latency is over 100 ms or a card is lost
//! (not every other client of the room got it within [`DRAIN`] of the step's last send, or a
//! client was closed); the highest step held is the result. Each step counts the deliveries
//! expected (cards × the other clients of the room) and seen, and reports p50/p99, the server's
//! CPU per delivery and its RSS.
//!
//! Run against Kortvæg (embedded store on disk, every update fsynced before anyone sees it; and
//! with Redis), the Node reference server and the bare relay (`tests/src/bin/relay.rs`, the
//! limit of this machine), in one run, at 50 × 20, 10 × 100 and 200 × 5.
//!
//! The clients are lean: each keeps only its own document (its cards are new keys of the wall's
//! card map, so its updates need nothing of the others'), finds the other cards by their markers
//! in the update bytes (as the `fanout` scenario), and keeps a bitset of what it has seen.
//! `BENCH_WALLS=50x20,10x100` and `BENCH_WALL_SERVERS=kortvaeg,relay` select a part;
//! `BENCH_WALL_LADDER=30000,30000` runs those steps instead of the ramp (to profile one rate).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kortvaeg_tests::{schema, write_card, Redis, Server, ServerOptions};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::{Message, SyncMessage};
use yrs::{Doc, StateVector, Transact};

use super::{
    card_text, cell, connect, cpu_seconds, empty_update, frame, messages, ms, note, now_us,
    percentile, rss_kb, scan_markers, step1, table, ChildServer, NodeServer, Target,
};

/// How long each step sends (at least one card per client).
const STEP: Duration = Duration::from_secs(4);
/// How long after a step's last send every card must have arrived.
const DRAIN: Duration = Duration::from_secs(3);
/// A step whose p99 is above this ends the ramp.
const P99_LIMIT_US: u64 = 100_000;
/// The ramp, in deliveries a second offered (cards a second × the other clients of the room).
const LADDER: &[u64] = &[
    10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 80_000, 90_000, 100_000, 115_000,
    130_000, 150_000, 175_000, 200_000, 230_000, 260_000, 300_000,
];

#[derive(Clone, Copy, Debug)]
pub struct Size {
    rooms: usize,
    clients: usize,
}

impl Size {
    fn label(&self) -> String {
        format!("{} × {}", self.rooms, self.clients)
    }
    /// Deliveries per card: every other client of the room.
    fn fan(&self) -> u64 {
        (self.clients - 1) as u64
    }
}

fn sizes() -> Vec<Size> {
    let all = [(50, 20), (10, 100), (200, 5)];
    let chosen = std::env::var("BENCH_WALLS").ok();
    all.iter()
        .filter(|(r, c)| {
            chosen
                .as_deref()
                .is_none_or(|s| s.split(',').any(|x| x.trim() == format!("{r}x{c}")))
        })
        .map(|&(rooms, clients)| Size { rooms, clients })
        .collect()
}

fn server_selected(name: &str) -> bool {
    std::env::var("BENCH_WALL_SERVERS")
        .ok()
        .is_none_or(|s| s.split(',').any(|x| x.trim() == name))
}

/// Named in `BENCH_WALL_SERVERS` (a server the default run leaves out).
fn only_selected(name: &str) -> bool {
    std::env::var("BENCH_WALL_SERVERS").is_ok_and(|s| s.split(',').any(|x| x.trim() == name))
}

/// One step of the ramp, as the clients see it (each change also asks for the latencies
/// of the step before).
#[derive(Clone, Copy, Debug, Default)]
struct Step {
    /// Cards each client sends in this step, one per `period`.
    cards: u32,
    period: Duration,
    /// When the first period starts (µs on the bench clock).
    start_us: u64,
}

/// What all clients of a run share: counters, and each step's latencies.
#[derive(Default)]
struct Tally {
    delivered: AtomicU64,
    last_us: AtomicU64,
    failed: AtomicBool,
    latencies: Mutex<Vec<u32>>,
    problems: Mutex<Vec<String>>,
}

impl Tally {
    fn problem(&self, text: String) {
        self.failed.store(true, Ordering::Relaxed);
        let mut problems = self.problems.lock().expect("problems lock");
        if problems.len() < 20 {
            problems.push(text);
        }
    }
}

/// Which cards of each writer of its room a client has seen.
struct Seen(Vec<Vec<u64>>);

impl Seen {
    /// True the first time (writer, seq) is seen.
    fn first(&mut self, writer: usize, seq: usize) -> bool {
        let Some(bits) = self.0.get_mut(writer) else {
            return false;
        };
        let (word, bit) = (seq / 64, 1u64 << (seq % 64));
        if bits.len() <= word {
            bits.resize(word + 1, 0);
        }
        let new = bits[word] & bit == 0;
        bits[word] |= bit;
        new
    }
}

struct Client {
    url: String,
    /// Its number in the room (the writer id in its markers).
    index: usize,
    clients: usize,
    /// Does the server answer a sync step 1 (not the relay)?
    syncs: bool,
    plan: watch::Receiver<Step>,
    tally: Arc<Tally>,
    ready: mpsc::UnboundedSender<bool>,
}

impl Client {
    async fn run(mut self) {
        let mut ws = match connect(&self.url).await {
            Ok(ws) => ws,
            Err(e) => {
                self.tally.problem(format!("connect: {e}"));
                let _ = self.ready.send(false);
                return;
            }
        };
        // A random client id of its own.
        let doc = Doc::new();
        let cards = doc.get_or_insert_map(schema::CARDS);
        let (row, column) = cell();
        let mut seen = Seen(vec![Vec::new(); self.clients]);
        let mut next_seq = 0usize;
        let mut latencies: Vec<u32> = Vec::new();
        let mut left = 0u32;
        let mut ticker: Option<tokio::time::Interval> = None;
        // Where in each period this client sends (spread over the clients of every room).
        let phase: f64 = rand::random();
        if self.syncs {
            if let Err(e) = ws.send(step1(StateVector::default())).await {
                self.tally.problem(format!("send: {e}"));
                return;
            }
        } else {
            let _ = self.ready.send(true);
        }
        loop {
            let tick = async {
                match ticker.as_mut() {
                    Some(t) if left > 0 => t.tick().await,
                    _ => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = self.plan.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    // Hand in the previous step's latencies, start the new one.
                    self.tally.latencies.lock().expect("latencies lock").append(&mut latencies);
                    let step = *self.plan.borrow_and_update();
                    // A step of no cards only asks for the latencies.
                    left = step.cards;
                    if left == 0 {
                        continue;
                    }
                    // Staggered within the period, the same for a client in every step.
                    let stagger = step.period.mul_f64(phase);
                    let start = tokio::time::Instant::now()
                        + Duration::from_micros(step.start_us.saturating_sub(now_us()))
                        + stagger;
                    ticker = Some(tokio::time::interval_at(start, step.period));
                }
                _ = tick => {
                    left -= 1;
                    let sent = now_us();
                    let update = {
                        let mut txn = doc.transact_mut();
                        let id = format!("c{}-{next_seq}", self.index);
                        write_card(&mut txn, &cards, &id, row, column, &card_text(self.index, next_seq, sent));
                        txn.encode_update_v1()
                    };
                    next_seq += 1;
                    if let Err(e) = ws.send(frame(Message::Sync(SyncMessage::Update(update)))).await {
                        self.tally.problem(format!("client {}: send: {e}", self.index));
                        break;
                    }
                }
                received = ws.next() => {
                    let now = now_us();
                    let data = match received {
                        Some(Ok(WsMessage::Binary(data))) => data,
                        Some(Ok(WsMessage::Close(f))) => {
                            self.tally.problem(format!("client {} closed by the server: {f:?}", self.index));
                            break;
                        }
                        Some(Ok(_)) => continue,
                        Some(Err(e)) => {
                            self.tally.problem(format!("client {}: read: {e}", self.index));
                            break;
                        }
                        None => {
                            self.tally.problem(format!("client {}: connection ended", self.index));
                            break;
                        }
                    };
                    for msg in messages(&data) {
                        let update = match msg {
                            Message::Sync(SyncMessage::SyncStep1(_)) => {
                                let reply = frame(Message::Sync(SyncMessage::SyncStep2(empty_update())));
                                let _ = ws.send(reply).await;
                                continue;
                            }
                            Message::Sync(SyncMessage::SyncStep2(u)) => {
                                let _ = self.ready.send(true);
                                u
                            }
                            Message::Sync(SyncMessage::Update(u)) => u,
                            _ => continue,
                        };
                        let mut fresh = 0;
                        scan_markers(&update, |w, s, sent| {
                            if w != self.index && seen.first(w, s) {
                                fresh += 1;
                                latencies.push(now.saturating_sub(sent).min(u32::MAX as u64) as u32);
                            }
                        });
                        if fresh > 0 {
                            self.tally.delivered.fetch_add(fresh, Ordering::Relaxed);
                            self.tally.last_us.fetch_max(now, Ordering::Relaxed);
                        }
                    }
                }
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(2), ws.send(super::close_frame())).await;
    }
}

/// One step's outcome.
struct StepResult {
    offered: u64,
    rate: f64,
    expected: u64,
    delivered: u64,
    per_s: f64,
    p50_us: u64,
    p99_us: u64,
    cpu_us_per_delivery: f64,
    bench_cpu_s: f64,
    rss_kb: u64,
}

impl StepResult {
    fn held(&self) -> bool {
        self.delivered >= self.expected && self.p99_us <= P99_LIMIT_US
    }
}

/// The ramp against one server at one size; the steps run, the last one failing (unless the
/// ladder ran out first), the problems, and how many connections a full listen queue turned away
/// while the clients connected (the kernel's count, so any server's on the machine; the clients
/// retry their SYN after a second).
async fn ramp(target: &Target, size: Size) -> (Vec<StepResult>, Vec<String>, u64) {
    let pid = target.pid();
    let tally = Arc::new(Tally::default());
    let (plan_tx, plan_rx) = watch::channel(Step::default());
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
    let syncs = !matches!(target, Target::Relay(_));
    let mut tasks = Vec::new();
    let overflows = super::listen_overflows();
    for room in 0..size.rooms {
        let url = target.new_wall(&format!("walls-{room}")).await;
        for index in 0..size.clients {
            let client = Client {
                url: url.clone(),
                index,
                clients: size.clients,
                syncs,
                plan: plan_rx.clone(),
                tally: tally.clone(),
                ready: ready_tx.clone(),
            };
            tasks.push(tokio::spawn(client.run()));
            // Let the connections in a few at a time (no accept-queue storm at 1,000 at once).
            if tasks.len() % 50 == 0 {
                tokio::task::yield_now().await;
            }
        }
    }
    let total = size.rooms * size.clients;
    let mut ready = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while ready < total {
        match tokio::time::timeout_at(deadline, ready_rx.recv()).await {
            Ok(Some(true)) => ready += 1,
            Ok(Some(false)) | Ok(None) | Err(_) => break,
        }
    }
    let turned_away = super::listen_overflows().saturating_sub(overflows);
    let mut results = Vec::new();
    if ready < total {
        tally.problem(format!("only {ready}/{total} clients connected and synced"));
    }
    let me = std::process::id();
    // `BENCH_WALL_LADDER=30000,30000` replaces the ramp (for a profile at one rate).
    let ladder: Vec<u64> = match std::env::var("BENCH_WALL_LADDER") {
        Ok(list) => list
            .split(',')
            .filter_map(|x| x.trim().parse().ok())
            .collect(),
        Err(_) => LADDER.to_vec(),
    };
    for offered in ladder {
        if tally.failed.load(Ordering::Relaxed) {
            break;
        }
        let rate = offered as f64 / (total as u64 * size.fan()) as f64;
        let cards = ((rate * STEP.as_secs_f64()).round() as u32).max(1);
        let period = Duration::from_secs_f64(1.0 / rate);
        let delivered0 = tally.delivered.load(Ordering::Relaxed);
        let (cpu0, bench0) = (cpu_seconds(pid), cpu_seconds(me));
        let start_us = now_us() + 50_000;
        plan_tx.send_replace(Step {
            cards,
            period,
            start_us,
        });
        let expected = total as u64 * cards as u64 * size.fan();
        let sending = period.mul_f64(cards as f64);
        let end = tokio::time::Instant::now() + Duration::from_millis(50) + sending + DRAIN;
        // Poll the counter (a measurement, not a test: no event to await for "all arrived").
        while tally.delivered.load(Ordering::Relaxed) - delivered0 < expected
            && tokio::time::Instant::now() < end
            && !tally.failed.load(Ordering::Relaxed)
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let delivered = tally.delivered.load(Ordering::Relaxed) - delivered0;
        let cpu = cpu_seconds(pid) - cpu0;
        let bench_cpu = cpu_seconds(me) - bench0;
        let last = tally.last_us.load(Ordering::Relaxed).max(start_us + 1);
        // The clients hand in their latencies when the next step (or the end) is announced.
        plan_tx.send_replace(Step::default());
        let mut lat: Vec<u64> = Vec::new();
        // Wait until every live client handed in: the count of latencies reaches the deliveries.
        let collect_until = tokio::time::Instant::now() + Duration::from_secs(2);
        loop {
            let n = tally.latencies.lock().expect("latencies lock").len() as u64;
            if n >= delivered || tokio::time::Instant::now() >= collect_until {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        lat.extend(
            std::mem::take(&mut *tally.latencies.lock().expect("latencies lock"))
                .into_iter()
                .map(u64::from),
        );
        lat.sort_unstable();
        let result = StepResult {
            offered,
            rate,
            expected,
            delivered,
            per_s: delivered as f64 / ((last - start_us) as f64 / 1e6),
            p50_us: percentile(&lat, 50.0),
            p99_us: percentile(&lat, 99.0),
            cpu_us_per_delivery: cpu * 1e6 / delivered.max(1) as f64,
            bench_cpu_s: bench_cpu,
            rss_kb: rss_kb(pid),
        };
        let held = result.held();
        results.push(result);
        if !held {
            break;
        }
    }
    drop(plan_tx);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
    }
    let problems = std::mem::take(&mut *tally.problems.lock().expect("problems lock"));
    (results, problems, turned_away)
}

/// A ramp's summary row: the highest step held.
struct Held {
    server: String,
    size: Size,
    best: Option<(f64, f64, u64, u64, f64, u64)>,
}

pub async fn scenario_walls() {
    let mut summary: Vec<Held> = Vec::new();
    let mut rows = Vec::new();
    let mut all_problems = Vec::new();
    let mut turned_away = Vec::new();
    for size in sizes() {
        let mut targets: Vec<(String, Target, Option<Redis>)> = Vec::new();
        if server_selected("relay") {
            match ChildServer::start_relay().await {
                Ok(r) => targets.push(("bare relay".into(), Target::Relay(r), None)),
                Err(e) => all_problems.push(format!("relay: {e}")),
            }
        }
        if server_selected("kortvaeg") {
            let server = Server::start(ServerOptions::new()).await;
            targets.push((
                "kortvaeg, embedded store (disk)".into(),
                Target::Kortvaeg(server, "kortvaeg"),
                None,
            ));
        }
        // Not in the default run: the store on tmpfs, where fsync costs nothing (to tell the
        // disk's share of a latency from the server's).
        let tmpfs = tempfile::tempdir_in("/dev/shm").ok();
        if let (Some(dir), true) = (&tmpfs, only_selected("tmpfs")) {
            let server =
                Server::start(ServerOptions::new().data_dir(dir.path().join("data"))).await;
            targets.push((
                "kortvaeg, embedded store (tmpfs)".into(),
                Target::Kortvaeg(server, "kortvaeg tmpfs"),
                None,
            ));
        }
        if server_selected("redis") {
            match Redis::try_start_with(kortvaeg_tests::Persistence::AppendFsyncEverySec).await {
                Ok(redis) => {
                    let server = Server::start(ServerOptions::new().redis(redis.url())).await;
                    targets.push((
                        "kortvaeg, redis (AOF everysec)".into(),
                        Target::Kortvaeg(server, "kortvaeg redis"),
                        Some(redis),
                    ));
                }
                Err(e) => all_problems.push(format!("redis: {e}")),
            }
        }
        if server_selected("node") {
            match NodeServer::start().await {
                Ok(n) => targets.push(("node y-websocket".into(), Target::Node(n), None)),
                Err(e) => all_problems.push(format!("node: {e}")),
            }
        }
        for (name, target, redis) in targets {
            let (steps, problems, away) = ramp(&target, size).await;
            turned_away.push(format!("{name} {}: {away}", size.label()));
            for s in &steps {
                rows.push(vec![
                    name.clone(),
                    size.label(),
                    s.offered.to_string(),
                    format!("{:.2}", s.rate),
                    format!("{}/{}", s.delivered, s.expected),
                    format!("{:.0}", s.per_s),
                    ms(s.p50_us),
                    ms(s.p99_us),
                    format!("{:.1}", s.cpu_us_per_delivery),
                    format!("{:.2}", s.bench_cpu_s),
                    format!("{:.0}", s.rss_kb as f64 / 1024.0),
                    if s.held() { "held" } else { "not held" }.into(),
                ]);
            }
            let best = steps.iter().rev().find(|s| s.held()).map(|s| {
                (
                    s.per_s,
                    s.rate,
                    s.p50_us,
                    s.p99_us,
                    s.cpu_us_per_delivery,
                    s.rss_kb,
                )
            });
            for p in problems.iter().take(5) {
                all_problems.push(format!("{name} {}: {p}", size.label()));
            }
            summary.push(Held {
                server: name,
                size,
                best,
            });
            drop(target);
            drop(redis);
        }
    }
    table(
        "6. Every client writes: the ramps (R rooms × C clients, one card per client per period)",
        &[
            "server",
            "rooms × clients",
            "offered deliv./s",
            "cards/s per client",
            "delivered/expected",
            "deliv./s seen",
            "p50 ms",
            "p99 ms",
            "CPU µs/deliv.",
            "bench CPU s",
            "RSS MiB",
            "",
        ],
        &rows,
    );
    let reference = |size: &Size, server: &str| {
        summary
            .iter()
            .find(|h| h.size.label() == size.label() && h.server.starts_with(server))
            .and_then(|h| h.best)
            .map(|b| b.0)
    };
    let summary_rows: Vec<Vec<String>> = summary
        .iter()
        .map(|h| {
            let ratio = |other: Option<f64>| match (h.best, other) {
                (Some(b), Some(o)) if o > 0.0 => format!("{:.2}", b.0 / o),
                _ => "–".into(),
            };
            match h.best {
                Some((per_s, rate, p50, p99, cpu, rss)) => vec![
                    h.server.clone(),
                    h.size.label(),
                    format!("{per_s:.0}"),
                    format!("{rate:.2}"),
                    ms(p50),
                    ms(p99),
                    format!("{cpu:.1}"),
                    format!("{:.0}", rss as f64 / 1024.0),
                    ratio(reference(&h.size, "node")),
                    ratio(reference(&h.size, "bare relay")),
                ],
                None => vec![
                    h.server.clone(),
                    h.size.label(),
                    "none held".into(),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                ],
            }
        })
        .collect();
    table(
        "6b. Every client writes: the highest step held (p99 ≤ 100 ms, nothing lost)",
        &[
            "server",
            "rooms × clients",
            "deliveries/s",
            "cards/s per client",
            "p50 ms",
            "p99 ms",
            "CPU µs/deliv.",
            "RSS MiB",
            "× node",
            "× relay",
        ],
        &summary_rows,
    );
    note("A step: every client sends `cards/s per client` for 4 s; held when every other client of the room got every card within 3 s of the last send and the p99 of send → receipt is ≤ 100 ms.");
    note("CPU µs/deliv. is the server process's (user + system) over the step; the redis run's excludes redis-server's own.");
    note(&format!(
        "Connections turned away by a full listen queue while the clients connected (they retry after a second): {}.",
        turned_away.join(", ")
    ));
    if !all_problems.is_empty() {
        note(&format!(
            "Problems (a ramp's last step; closes and losses end it): {}",
            all_problems.len()
        ));
        for p in all_problems.iter().take(30) {
            note(&format!("- {p}"));
        }
    }
}
