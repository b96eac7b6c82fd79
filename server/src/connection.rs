//! One WebSocket connection to one document of a room: y-websocket frames in, permissions
//! checked, changes handed to the room; the room's broadcasts and direct answers out.
//!
//! Two tasks per connection, as in axum's chat example: the reader (this task) decodes and
//! applies; the writer owns the socket's sink and sends, in order of arrival, the direct answers
//! (an [`Outbox`]) and the document's broadcast. Both end together: whichever stops first sets
//! the connection's close reason, the other sees it. A client that falls behind — its outbox full
//! or its broadcast receiver lagging — is closed with 4408 so it resyncs on reconnect; it is never
//! silently skipped.

use std::collections::HashSet;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc, watch};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::{ClientID, Update};

use crate::permissions;
use crate::room::{ConnId, Outbound};
use crate::rooms::RoomHandle;
use crate::store::DocKind;
use crate::writer::Writer;
use kortvaeg_shared::gate;
use kortvaeg_shared::Role;

/// Why the server closes a connection: a WebSocket close code and a reason for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Close {
    pub code: u16,
    pub reason: String,
}

impl Close {
    fn new(code: u16, reason: impl Into<String>) -> Self {
        let mut reason = reason.into();
        // A close frame's reason has room for 123 bytes.
        while reason.len() > 123 {
            reason.pop();
        }
        Close { code, reason }
    }
    pub fn normal() -> Self {
        Close::new(1000, "")
    }
    pub fn bad_message(reason: impl Into<String>) -> Self {
        Close::new(4400, reason)
    }
    pub fn forbidden(reason: &str) -> Self {
        Close::new(4403, reason)
    }
    pub fn text_frame() -> Self {
        Close::new(
            1003,
            "text frames are not part of the y-websocket protocol; send binary",
        )
    }
    /// Something a limit of the document or its presence does not allow (`--max-doc-bytes`,
    /// `--max-awareness-bytes`); nothing of it was applied.
    pub fn too_large(reason: impl Into<String>) -> Self {
        Close::new(4413, reason)
    }
    /// More of something than one connection may have (`--max-presence-ids`).
    pub fn too_many(reason: impl Into<String>) -> Self {
        Close::new(4429, reason)
    }
    pub fn too_big(limit: usize) -> Self {
        Close::new(1009, format!("message too big: the limit is {limit} bytes"))
    }
    pub fn busy() -> Self {
        Close::new(1013, "the server is busy; reconnect shortly")
    }
    pub fn buffer_full() -> Self {
        Close::new(1013, "the store is unreachable and this server's buffer is full: change not saved; reconnect later")
    }
    pub fn too_slow() -> Self {
        Close::new(4408, "the connection fell behind; reconnect to resync")
    }
    pub fn store_failed() -> Self {
        Close::new(
            1011,
            "the store failed to save a change; reconnect to resync",
        )
    }
    pub fn room_broken() -> Self {
        Close::new(1011, "the room was reset; reconnect to resync")
    }
    pub fn shutdown() -> Self {
        Close::new(1001, "the server is shutting down")
    }
    pub fn unresponsive() -> Self {
        Close::new(1001, "no answer to ping")
    }
}

/// Direct messages to one connection. Cheap to clone; the writer task drains it.
#[derive(Clone)]
pub struct Outbox {
    frames: mpsc::Sender<Bytes>,
    close: Arc<watch::Sender<Option<Close>>>,
}

impl Outbox {
    /// Queues `frame`; a full queue means the client is too slow, and it is closed.
    pub fn send(&self, frame: Bytes) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.frames.try_send(frame) {
            self.close(Close::too_slow());
        }
    }

    /// Closes the connection with `reason`; the first reason wins.
    pub fn close(&self, reason: Close) {
        self.close.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(reason);
                true
            } else {
                false
            }
        });
    }
}

/// What a connection needs besides its socket.
pub struct Session {
    pub room: RoomHandle,
    pub doc: DocKind,
    pub role: Role,
    pub max_message_bytes: usize,
    pub awareness: crate::room::AwarenessLimits,
    pub ping_interval: Duration,
    pub queue: usize,
    pub shutdown: watch::Receiver<bool>,
    pub writer: Writer,
}

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// Serves one connection until it closes.
pub async fn serve(socket: WebSocket, session: Session) {
    let conn = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    crate::metrics::connection_opened(session.doc, session.role.as_str());
    let room = session.room.clone();
    let doc = room.doc(session.doc);
    let (sink, mut stream) = socket.split();
    let (frames, frames_rx) = mpsc::channel(session.queue.max(16));
    let (close, mut close_rx) = watch::channel(None);
    let outbox = Outbox {
        frames,
        close: Arc::new(close),
    };

    // Subscribe before the greeting so no update falls between the two.
    let broadcasts = doc.subscribe();
    match doc.greeting() {
        Ok(frames) => frames.into_iter().for_each(|f| outbox.send(f)),
        Err(reason) => outbox.close(reason),
    }
    let started = Instant::now();
    let last_seen = Arc::new(AtomicU64::new(0));
    let writer = tokio::spawn(write_loop(WriteLoop {
        sink,
        frames: frames_rx,
        broadcasts,
        close: outbox.close.subscribe(),
        outbox: outbox.clone(),
        evicted: room.evictions(),
        shutdown: session.shutdown.clone(),
        conn,
        ping_interval: session.ping_interval,
        started,
        last_seen: last_seen.clone(),
    }));

    let mut announced: HashSet<ClientID> = HashSet::new();
    loop {
        tokio::select! {
            _ = close_rx.changed() => break,
            frame = stream.next() => {
                last_seen.store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
                match frame {
                    Some(Ok(WsMessage::Binary(data))) => {
                        let handled = std::panic::catch_unwind(AssertUnwindSafe(|| {
                            handle_binary(&session, conn, &outbox, &data, &mut announced)
                        }));
                        let result = handled.unwrap_or_else(|_| Err(Close::bad_message("malformed message")));
                        if let Err(reason) = result {
                            tracing::info!(room = room.id(), conn, code = reason.code, reason = %reason.reason, "closing connection");
                            outbox.close(reason);
                            break;
                        }
                    }
                    Some(Ok(WsMessage::Text(_))) => {
                        outbox.close(Close::text_frame());
                        break;
                    }
                    Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => {}
                    Some(Ok(WsMessage::Close(_))) | None => {
                        outbox.close(Close::normal());
                        break;
                    }
                    Some(Err(error)) => {
                        let reason = if is_capacity_error(&error) {
                            Close::too_big(session.max_message_bytes)
                        } else {
                            Close::normal()
                        };
                        tracing::debug!(room = room.id(), conn, %error, "read failed");
                        outbox.close(reason);
                        break;
                    }
                }
            }
        }
    }
    let clients: Vec<ClientID> = announced.into_iter().collect();
    doc.remove_awareness(&room, conn, &clients);
    let _ = tokio::time::timeout(Duration::from_secs(5), writer).await;
}

/// Did the read fail because the message was over `--max-message-bytes`? axum hides the
/// tungstenite error type, so this reads the error chain's messages.
fn is_capacity_error(error: &axum::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = source {
        let text = e.to_string();
        if text.contains("Space limit exceeded")
            || text.contains("Message too long")
            || text.contains("too long")
        {
            return true;
        }
        source = e.source();
    }
    false
}

/// Decodes one frame (one y-websocket message) and acts on it.
fn handle_binary(
    session: &Session,
    conn: ConnId,
    outbox: &Outbox,
    data: &[u8],
    announced: &mut HashSet<ClientID>,
) -> Result<(), Close> {
    let room = &*session.room;
    let doc = room.doc(session.doc);
    let writer = &session.writer;
    let message = Message::decode_v1(data)
        .map_err(|e| Close::bad_message(format!("undecodable message: {e}")))?;
    match message {
        Message::Sync(SyncMessage::SyncStep1(sv)) => {
            doc.answer_sync_step1(room, writer, &sv, outbox)
        }
        Message::Sync(SyncMessage::SyncStep2(raw) | SyncMessage::Update(raw)) => {
            // The gate's first step, before the library decodes anything (no crafted count makes
            // it allocate): what no document of this kind may hold is refused here, whoever sent it.
            let reading = gate::read(doc.kind.schema(), &raw).map_err(|refusal| {
                crate::metrics::update_refused(doc.kind, "schema");
                Close::bad_message(format!("update refused: {refusal}"))
            })?;
            let update = Update::decode_v1(&raw)
                .map_err(|e| Close::bad_message(format!("undecodable update: {e}")))?;
            // An empty update (a read-only yrs client's sync step 2) changes nothing.
            if update.is_empty() {
                return Ok(());
            }
            if let Err(reason) =
                permissions::may_write(session.role, session.doc, room.wall_closed())
            {
                // Stock clients resend what the document already holds (see `would_change`).
                if !doc.would_change(&update)? {
                    return Ok(());
                }
                return Err(Close::forbidden(reason));
            }
            doc.apply_update(room, writer, conn, raw, update, reading)
        }
        Message::Awareness(update) => {
            if session.role != Role::Review {
                doc.apply_awareness(room, conn, update, announced, session.awareness)?;
            }
            Ok(())
        }
        Message::AwarenessQuery => {
            if let Some(frame) = doc.awareness_message()? {
                outbox.send(frame);
            }
            Ok(())
        }
        // Auth and custom messages mean nothing to this server; tokens travel in the URL.
        Message::Auth(_) | Message::Custom(..) => Ok(()),
    }
}

struct WriteLoop {
    sink: futures_util::stream::SplitSink<WebSocket, WsMessage>,
    frames: mpsc::Receiver<Bytes>,
    broadcasts: broadcast::Receiver<Outbound>,
    close: watch::Receiver<Option<Close>>,
    outbox: Outbox,
    evicted: watch::Receiver<Option<Close>>,
    shutdown: watch::Receiver<bool>,
    conn: ConnId,
    ping_interval: Duration,
    started: Instant,
    last_seen: Arc<AtomicU64>,
}

/// How long one send may take before the peer counts as gone.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

async fn write_loop(mut w: WriteLoop) {
    let mut ping = tokio::time::interval(w.ping_interval);
    ping.tick().await;
    let reason = loop {
        if let Some(reason) = w.evicted.borrow_and_update().clone() {
            break reason;
        }
        if *w.shutdown.borrow_and_update() {
            break Close::shutdown();
        }
        if let Some(reason) = w.close.borrow_and_update().clone() {
            break reason;
        }
        let frame = tokio::select! {
            biased;
            _ = w.close.changed() => continue,
            _ = w.evicted.changed() => continue,
            _ = w.shutdown.changed() => continue,
            frame = w.frames.recv() => match frame {
                Some(frame) => frame,
                None => break Close::normal(),
            },
            out = w.broadcasts.recv() => match out {
                Ok(out) if out.from == w.conn => continue,
                Ok(out) => out.frame,
                Err(RecvError::Lagged(_)) => break Close::too_slow(),
                Err(RecvError::Closed) => break Close::normal(),
            },
            _ = ping.tick() => {
                let silent = w.started.elapsed().as_millis() as u64 - w.last_seen.load(Ordering::Relaxed);
                if silent > 2 * w.ping_interval.as_millis() as u64 {
                    break Close::unresponsive();
                }
                match send(&mut w.sink, WsMessage::Ping(Bytes::new())).await {
                    Sent::Ok => continue,
                    Sent::TimedOut => break Close::too_slow(),
                    Sent::Failed => break Close::normal(),
                }
            }
        };
        match send(&mut w.sink, WsMessage::Binary(frame)).await {
            Sent::Ok => {}
            Sent::TimedOut => break Close::too_slow(),
            Sent::Failed => break Close::normal(),
        }
    };
    // Tell the reader, then the peer.
    crate::metrics::connection_closed(reason.code);
    w.outbox.close(reason.clone());
    let frame = CloseFrame {
        code: reason.code,
        reason: reason.reason.into(),
    };
    let _ = send(&mut w.sink, WsMessage::Close(Some(frame))).await;
}

enum Sent {
    Ok,
    /// The peer did not take the message within [`SEND_TIMEOUT`]: it is not reading.
    TimedOut,
    /// The socket is gone.
    Failed,
}

async fn send(
    sink: &mut futures_util::stream::SplitSink<WebSocket, WsMessage>,
    message: WsMessage,
) -> Sent {
    match tokio::time::timeout(SEND_TIMEOUT, sink.send(message)).await {
        Ok(Ok(())) => Sent::Ok,
        Ok(Err(_)) => Sent::Failed,
        Err(_) => Sent::TimedOut,
    }
}
