//! [`YClient`]: a y-websocket client holding a `yrs::Doc`, and how it connects ([`ClientOptions`],
//! [`DocKind`]) or is refused ([`ConnectError`], [`Refusal`]). A background task applies the
//! server's sync messages, answers its sync step 1, tracks the other clients' awareness states and
//! records the close frame, into the `Inbox` the waits look at.
//!
//! - `send.rs`: what a client sends — protocol messages, edits (sent as updates), awareness, a
//!   close — and offline edits ([`add_card_offline`], [`set_meta_offline`]) that stay local.
//! - `read.rs`: what a client has (cards, phase, awareness, the close frame) and the waits for
//!   conditions on it ([`YClient::wait_for`], [`YClient::synced`], [`YClient::barrier`], …).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, Transact, Update};

use crate::{Server, TIMEOUT};

mod read;
mod send;

pub use send::{add_card_offline, set_meta_offline, write_card};

/// Which document of a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// `/ws/{room}`: the cards.
    Wall,
    /// `/ws/{room}/control`: meta, rows, columns.
    Control,
    /// `/ws/{room}/group/{column}` (v2): one fagområde's cards and answers. (A leaked `String`
    /// for an id read at run time: `DocKind::group(id)`.)
    Group(&'static str),
}

impl DocKind {
    /// The group document of `column`.
    pub fn group(column: &str) -> DocKind {
        DocKind::Group(Box::leak(column.to_string().into_boxed_str()))
    }
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
    /// Whether this is `HTTP status` or a close with code `4000 + status` (the contract allows either: a refusal
    /// before the upgrade, or right after it).
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
    /// tungstenite's read buffer (small: tungstenite zero-fills it on every
    /// read); default 4096.
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
    /// Every binary frame the server sent, concatenated (what a test may search for a secret).
    received: Vec<u8>,
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
                        reader_shared
                            .inbox
                            .lock()
                            .unwrap()
                            .received
                            .extend_from_slice(&data);
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

    /// Connects to a room's group document of `column` and waits for the initial sync.
    pub async fn group(server: &Server, room: &str, column: &str, token: &str) -> YClient {
        let kind = DocKind::group(column);
        let c = YClient::connect(server, room, kind, token, ClientOptions::default()).await;
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
}

impl Drop for YClient {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
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
