//! One WebSocket connection to one document of a room, the edge of the room core: y-websocket
//! frames in, the gate's first step and the permission check, changes handed to the room
//! ([`crate::room`]); the room's broadcasts and direct answers out. The one place a
//! [`RoomError`] becomes a close code ([`Close::from`]).
//!
//! Two tasks per connection, as in axum's chat example: the reader (this task) decodes and
//! applies; the writer owns the socket's sink and sends, in order of arrival, what its one queue
//! (an [`Outbox`]) holds: the direct answers and the document's broadcast. Both end together:
//! whichever stops first sets the connection's close reason, the other sees it. A client that
//! falls behind — its outbox full — is closed with 4408 so it resyncs on reconnect; it is never
//! silently skipped.
//!
//! [`serve`] takes any `Sink` + `Stream` of axum WebSocket messages (axum's `testing-websockets`
//! example), so the unit tests below drive a connection over channels, without a socket.

use std::collections::HashSet;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as WsMessage};
use bytes::Bytes;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::{mpsc, watch};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::{ClientID, Update};

use crate::limits::Bucket;
use crate::room::permissions::{self, Who};
use crate::room::{
    AwarenessLimits, ConnId, LiveDoc, Outbox, RoomError, RoomHandle, SeatLive, Writer,
};
use crate::store::DocKind;
use kortvaeg_shared::gate;
use kortvaeg_shared::groups::Visibility;
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
    pub fn text_frame() -> Self {
        Close::new(
            1003,
            "text frames are not part of the y-websocket protocol; send binary",
        )
    }
    pub fn too_big(limit: usize) -> Self {
        Close::new(1009, format!("message too big: the limit is {limit} bytes"))
    }
    pub fn shutdown() -> Self {
        Close::new(1001, "the server is shutting down")
    }
    /// The facilitator removed this person's seat.
    pub fn removed() -> Self {
        Close::new(4403, "the facilitator removed you from the workshop")
    }
    pub fn unresponsive() -> Self {
        Close::new(1001, "no answer to ping")
    }
}

/// The close code and reason of each of the room core's refusals and failures.
impl From<RoomError> for Close {
    fn from(error: RoomError) -> Self {
        let code = match &error {
            RoomError::Refused(_) => 4400,
            RoomError::Forbidden(_) => 4403,
            RoomError::TooLarge(_) => 4413,
            RoomError::TooMany(_) => 4429,
            RoomError::Busy | RoomError::BufferFull => 1013,
            RoomError::TooSlow => 4408,
            RoomError::StoreFailed | RoomError::Broken => 1011,
            RoomError::Deleted(_) => 4404,
        };
        Close::new(code, error.to_string())
    }
}

/// How the two tasks of a connection end together: the first reason wins. Cheap to clone.
#[derive(Clone)]
struct Closing(Arc<watch::Sender<Option<Close>>>);

impl Closing {
    fn close(&self, reason: Close) {
        self.0.send_if_modified(|current| {
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
    /// The document connected to (wall, control or a group's), of `room`.
    pub doc: Arc<LiveDoc>,
    pub role: Role,
    pub max_message_bytes: usize,
    pub awareness: AwarenessLimits,
    pub ping_interval: Duration,
    pub queue: usize,
    pub shutdown: watch::Receiver<bool>,
    pub writer: Writer,
    /// A seat's connection: the seat's name and group (its presence shows them, whatever the
    /// client says), until the facilitator removes it (close 4403).
    pub seat: Option<watch::Receiver<SeatLive>>,
    /// Updates and presence messages a second, and the burst, this connection may send.
    pub rates: RateLimits,
    /// The room's anonymity: what its updates and presence may say about who wrote what.
    pub anonymity: kortvaeg_shared::anonymity::Anonymity,
    /// Counts the connection for its client address and its room while it is open.
    pub _counted: Option<(crate::limits::Held, crate::room::Counted)>,
}

/// `(rate a second, burst)` of updates and of presence messages (`--max-updates-per-second`, …).
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub updates: (u32, u32),
    pub awareness: (u32, u32),
}

/// A connection's buckets ([`RateLimits`]).
struct Rates {
    updates: Bucket,
    awareness: Bucket,
}

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// Serves one connection until it closes. `socket` is the WebSocket (or, in tests, channels).
pub async fn serve<S, E>(socket: S, session: Session)
where
    S: Sink<WsMessage> + Stream<Item = Result<WsMessage, E>> + Send + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    let conn = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    crate::metrics::connection_opened(session.doc.kind, session.role.as_str());
    let room = session.room.clone();
    let doc = session.doc.clone();
    let (sink, mut stream) = socket.split();
    let (outbox, frames_rx, behind) = Outbox::new(session.queue);
    let (close, mut close_rx) = watch::channel(None);
    let closing = Closing(Arc::new(close));

    // Subscribe before the greeting so no update falls between the two; the subscription ends
    // with this function.
    let _listening = doc.subscribe(conn, outbox.clone());
    match doc.greeting() {
        Ok(frames) => frames.into_iter().for_each(|f| outbox.send(f)),
        Err(error) => closing.close(error.into()),
    }
    let started = Instant::now();
    let last_seen = Arc::new(AtomicU64::new(0));
    let controls = Controls {
        close: closing.0.subscribe(),
        rights: Rights {
            role: session.role,
            kind: doc.kind,
            seat: session.seat.clone(),
            visibility: matches!(doc.kind, DocKind::Group(_)).then(|| room.visibility()),
        },
        evicted: room.evictions(),
        shutdown: session.shutdown.clone(),
    };
    let writer = tokio::spawn(write_loop(
        WriteLoop {
            sink,
            frames: frames_rx,
            behind,
            closing: closing.clone(),
            ping_interval: session.ping_interval,
            started,
            last_seen: last_seen.clone(),
        },
        controls,
    ));
    let mut announced: HashSet<ClientID> = HashSet::new();
    let mut rates = Rates {
        updates: Bucket::new(session.rates.updates.0, session.rates.updates.1),
        awareness: Bucket::new(session.rates.awareness.0, session.rates.awareness.1),
    };
    loop {
        tokio::select! {
            _ = close_rx.changed() => break,
            frame = stream.next() => {
                last_seen.store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
                match frame {
                    Some(Ok(WsMessage::Binary(data))) => {
                        let handled = std::panic::catch_unwind(AssertUnwindSafe(|| {
                            handle_binary(&session, conn, &outbox, &data, &mut announced, &mut rates)
                        }));
                        let result = handled.unwrap_or_else(|_| Err(RoomError::Refused("malformed message".into()).into()));
                        if let Err(reason) = result {
                            tracing::info!(room = room.id(), conn, code = reason.code, reason = %reason.reason, "closing connection");
                            closing.close(reason);
                            break;
                        }
                    }
                    Some(Ok(WsMessage::Text(_))) => {
                        closing.close(Close::text_frame());
                        break;
                    }
                    Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => {}
                    Some(Ok(WsMessage::Close(_))) | None => {
                        closing.close(Close::normal());
                        break;
                    }
                    Some(Err(error)) => {
                        let reason = if is_capacity_error(&error) {
                            Close::too_big(session.max_message_bytes)
                        } else {
                            Close::normal()
                        };
                        tracing::debug!(room = room.id(), conn, %error, "read failed");
                        closing.close(reason);
                        break;
                    }
                }
            }
        }
    }
    let clients: Vec<ClientID> = announced.into_iter().collect();
    doc.remove_awareness(conn, &clients);
    let _ = tokio::time::timeout(Duration::from_secs(5), writer).await;
}

/// Did the read fail because the message was over `--max-message-bytes`? axum hides the
/// tungstenite error type, so this reads the error chain's messages.
fn is_capacity_error(error: &(dyn std::error::Error + 'static)) -> bool {
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
    rates: &mut Rates,
) -> Result<(), Close> {
    let room = &*session.room;
    let doc = &session.doc;
    let writer = &session.writer;
    // The one conversion of the core's errors to a close code.
    let core = |r: Result<(), RoomError>| r.map_err(Close::from);
    let message = Message::decode_v1(data)
        .map_err(|e| Close::from(RoomError::Refused(format!("undecodable message: {e}"))))?;
    match message {
        Message::Sync(SyncMessage::SyncStep1(sv)) => {
            core(doc.answer_sync_step1(writer, &sv, outbox))
        }
        Message::Sync(SyncMessage::SyncStep2(raw) | SyncMessage::Update(raw)) => {
            // The gate's first step, before the library decodes anything (no crafted count makes
            // it allocate): what no document of this kind may hold is refused here, whoever sent it.
            let reading = gate::read(doc.kind.schema(), &raw).map_err(|refusal| {
                crate::metrics::update_refused(doc.kind, "schema");
                Close::from(RoomError::Refused(format!("update refused: {refusal}")))
            })?;
            let update = Update::decode_v1(&raw)
                .map_err(|e| Close::from(RoomError::Refused(format!("undecodable update: {e}"))))?;
            // An empty update (a read-only yrs client's sync step 2) changes nothing.
            if update.is_empty() {
                return Ok(());
            }
            if !rates.updates.take() {
                crate::metrics::limit_hit("updates");
                return Err(RoomError::TooMany(format!(
                    "too many updates: at most {} a second (--max-updates-per-second)",
                    session.rates.updates.0
                ))
                .into());
            }
            let seat = session.seat.as_ref().map(|seat| seat.borrow().clone());
            let who = Who::new(session.role, seat.as_ref().and_then(SeatLive::group));
            let allowed = permissions::may_write(who, doc.kind, room.wall_closed())
                .and_then(|()| permissions::may_claim(seat.as_ref(), &reading.authors))
                .and_then(|()| match session.role {
                    // The facilitator's own cards and comments say "Facilitator".
                    Role::Facilitator => Ok(()),
                    _ => session.anonymity.check(&reading.names, &reading.authors),
                });
            if let Err(reason) = allowed {
                // Stock clients resend what the document already holds (see `would_change`).
                if !doc.would_change(&update).map_err(Close::from)? {
                    return Ok(());
                }
                return Err(RoomError::Forbidden(reason.to_string()).into());
            }
            core(doc.apply_update(writer, conn, raw, update, reading))
        }
        Message::Awareness(mut update) => {
            if !rates.awareness.take() {
                crate::metrics::limit_hit("awareness");
                return Err(RoomError::TooMany(format!(
                    "too many presence messages: at most {} a second (--max-awareness-per-second)",
                    session.rates.awareness.0
                ))
                .into());
            }
            let anonymity = session.anonymity;
            let named = anonymity.allows_names().then_some(());
            // Every presence says the connection's role, whatever the client put there (a
            // follower trusts "facilitator" only so); a seat's says the seat's id, name and
            // group from the registry; an anonymous room's says no participant's name.
            let mut fields: Vec<(&str, Option<String>)> =
                vec![("role", Some(session.role.as_str().to_string()))];
            match session.seat.as_ref().map(|seat| seat.borrow().clone()) {
                Some(SeatLive::Seated {
                    seat_id,
                    name,
                    group,
                }) => fields.extend([
                    ("seat_id", anonymity.allows_author_ids().then_some(seat_id)),
                    ("name", named.map(|()| name)),
                    ("group", Some(group)),
                ]),
                // Without a seat a participant names itself: not in an anonymous room.
                _ if session.role != Role::Facilitator && named.is_none() => {
                    fields.push(("name", None))
                }
                _ => {}
            }
            let fields: Vec<(&str, Option<&str>)> =
                fields.iter().map(|(k, v)| (*k, v.as_deref())).collect();
            // What the facilitator shows ("Følg facilitator") comes only from the facilitator.
            let dropped: &[&str] = match session.role {
                Role::Facilitator => &[],
                _ => &["showing"],
            };
            for entry in update.clients.values_mut() {
                entry.json = crate::room::awareness::stamp(&entry.json, &fields, dropped);
            }
            if session.role != Role::Review {
                core(doc.apply_awareness(conn, update, announced, session.awareness))?;
            }
            Ok(())
        }
        Message::AwarenessQuery => {
            if let Some(frame) = doc.awareness_message().map_err(Close::from)? {
                outbox.send(frame);
            }
            Ok(())
        }
        // Auth and custom messages mean nothing to this server; tokens travel in the URL.
        Message::Auth(_) | Message::Custom(..) => Ok(()),
    }
}

struct WriteLoop<K> {
    sink: K,
    frames: mpsc::Receiver<Bytes>,
    /// Set when the outbox was full: the client fell behind.
    behind: Arc<AtomicBool>,
    closing: Closing,
    ping_interval: Duration,
    started: Instant,
    last_seen: Arc<AtomicU64>,
}

/// What can end a connection from outside its frames: its own close, a change of its rights,
/// the room's eviction, the server's shutdown. They change rarely, so the write loop waits for
/// them with one future made once ([`Controls::changed`]), not four made for every frame.
struct Controls {
    close: watch::Receiver<Option<Close>>,
    rights: Rights,
    evicted: watch::Receiver<Option<RoomError>>,
    shutdown: watch::Receiver<bool>,
}

impl Controls {
    /// Why the connection must close now, if it must.
    fn reason(&mut self) -> Option<Close> {
        if let Some(reason) = self.evicted.borrow_and_update().clone() {
            return Some(reason.into());
        }
        if *self.shutdown.borrow_and_update() {
            return Some(Close::shutdown());
        }
        if let Some(reason) = self.close.borrow_and_update().clone() {
            return Some(reason);
        }
        self.rights.check()
    }

    /// Resolves, giving the controls back, when any of them may have changed.
    async fn changed(mut self) -> Self {
        tokio::select! {
            _ = changed(Some(&mut self.close)) => {}
            _ = self.rights.changed() => {}
            _ = changed(Some(&mut self.evicted)) => {}
            _ = changed(Some(&mut self.shutdown)) => {}
        }
        self
    }
}

/// A future polled only once its own waker fired. `select!` polls every branch whenever its task
/// wakes — for a connection, at every frame — and the controls' four watches, which change
/// rarely, cost 5 % of the server's CPU on the wall-writing bench that way (BENCHMARKS.md).
struct Dormant<T> {
    future: Pin<Box<dyn Future<Output = T> + Send>>,
    woken: Arc<Woken>,
}

#[derive(Default)]
struct Woken {
    flag: AtomicBool,
    task: futures_util::task::AtomicWaker,
}

impl std::task::Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.flag.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl<T> Dormant<T> {
    fn new(future: impl Future<Output = T> + Send + 'static) -> Self {
        let woken = Arc::new(Woken::default());
        woken.flag.store(true, Ordering::Relaxed);
        Dormant {
            future: Box::pin(future),
            woken,
        }
    }

    /// Polls the future if it was woken, with its own waker; the task's waker stays as it was
    /// (a look without waiting must not replace it).
    fn poll_if_woken(&mut self) -> Poll<T> {
        if !self.woken.flag.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let waker = std::task::Waker::from(self.woken.clone());
        self.future
            .as_mut()
            .poll(&mut std::task::Context::from_waker(&waker))
    }
}

impl<T> Future for Dormant<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<T> {
        self.woken.task.register(cx.waker());
        self.poll_if_woken()
    }
}

/// The write loop's watch on its [`Controls`]: waits for a change that closes the connection,
/// or looks for one without waiting. Cancel-safe: the controls live in `self` between polls.
struct Watch(Dormant<Controls>);

impl Watch {
    fn new(controls: Controls) -> Self {
        Watch(Dormant::new(controls.changed()))
    }

    /// Why the connection must close, once a change says so.
    async fn closing(&mut self) -> Close {
        loop {
            let mut controls = (&mut self.0).await;
            let reason = controls.reason();
            self.0 = Dormant::new(controls.changed());
            if let Some(reason) = reason {
                return reason;
            }
        }
    }

    /// Why the connection must close now, if a change since the last look says so.
    fn closing_now(&mut self) -> Option<Close> {
        let Poll::Ready(mut controls) = self.0.poll_if_woken() else {
            return None;
        };
        let reason = controls.reason();
        self.0 = Dormant::new(controls.changed());
        reason
    }
}

/// Resolves when the watched value changes (never, if there is none or its sender is gone).
async fn changed<T>(rx: Option<&mut watch::Receiver<T>>) {
    if let Some(rx) = rx {
        if rx.changed().await.is_ok() {
            return;
        }
    }
    std::future::pending().await
}

/// What a connection may be sent, checked again whenever it may have changed: a removed seat's
/// connections close, and a group document's connection closes once its reader may no longer
/// read it (switched to private, the seat moved to another group) — before the next frame.
struct Rights {
    role: Role,
    kind: DocKind,
    /// The seat's name and group (the connection holds the receiver while it is open: that is
    /// what counts the seat as online).
    seat: Option<watch::Receiver<SeatLive>>,
    /// A group document's: who may read which group now.
    visibility: Option<watch::Receiver<Visibility>>,
}

impl Rights {
    /// Why the connection must close now, if it must.
    fn check(&mut self) -> Option<Close> {
        let seat = self.seat.as_mut().map(|s| s.borrow_and_update().clone());
        if seat == Some(SeatLive::Removed) {
            return Some(Close::removed());
        }
        let visibility = self.visibility.as_mut()?.borrow_and_update().clone();
        let who = Who::new(self.role, seat.as_ref().and_then(SeatLive::group));
        permissions::may_read(who, self.kind, &visibility)
            .err()
            .map(|reason| RoomError::Forbidden(reason.to_string()).into())
    }

    /// Resolves when the seat or the visibility may have changed (never, if neither can).
    async fn changed(&mut self) {
        tokio::select! {
            _ = changed(self.seat.as_mut()) => {}
            _ = changed(self.visibility.as_mut()) => {}
        }
    }
}

/// How long one send may take before the peer counts as gone.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Most frames written to the socket before one flush (each frame is one y-websocket message).
const MAX_FRAMES_PER_FLUSH: usize = 64;

/// Sends the connection's frames in order: waits for the first, then writes it and every frame
/// already waiting ([`write_waiting`]) and flushes once. Pings the client meanwhile, and closes
/// the connection with the first reason to.
async fn write_loop<K: Sink<WsMessage> + Unpin>(mut w: WriteLoop<K>, mut controls: Controls) {
    let mut ping = tokio::time::interval(w.ping_interval);
    ping.tick().await;
    let reason = match controls.reason() {
        Some(reason) => reason,
        None => {
            let mut watch = Watch::new(controls);
            loop {
                let first = tokio::select! {
                    biased;
                    reason = watch.closing() => break reason,
                    frame = w.frames.recv() => match frame {
                        Some(frame) => frame,
                        None => break Close::normal(),
                    },
                    _ = ping.tick() => {
                        let silent = w.started.elapsed().as_millis() as u64 - w.last_seen.load(Ordering::Relaxed);
                        if silent > 2 * w.ping_interval.as_millis() as u64 {
                            break Close::unresponsive();
                        }
                        match within(w.sink.send(WsMessage::Ping(Bytes::new()))).await {
                            Ok(()) => continue,
                            Err(reason) => break reason,
                        }
                    }
                };
                if let Err(reason) = write_waiting(&mut w, first, &mut watch).await {
                    break reason;
                }
            }
        }
    };
    // Tell the reader, then the peer.
    crate::metrics::connection_closed(reason.code);
    w.closing.close(reason.clone());
    let frame = CloseFrame {
        code: reason.code,
        reason: reason.reason.into(),
    };
    let _ = within(w.sink.send(WsMessage::Close(Some(frame)))).await;
}

/// Writes `first` and every frame already waiting (up to [`MAX_FRAMES_PER_FLUSH`]) into the
/// socket's buffer and flushes once: one system call for all of them, not one per frame. The
/// controls are looked at again before each frame after the first, so a connection that lost its
/// rights is closed before the next frame.
async fn write_waiting<K: Sink<WsMessage> + Unpin>(
    w: &mut WriteLoop<K>,
    first: Bytes,
    watch: &mut Watch,
) -> Result<(), Close> {
    let mut frame = Some(first);
    let mut written = 0;
    let mut closing = None;
    while let Some(next) = frame.take() {
        if w.behind.load(Ordering::Acquire) {
            return Err(RoomError::TooSlow.into());
        }
        within(w.sink.feed(WsMessage::Binary(next))).await?;
        written += 1;
        if written == MAX_FRAMES_PER_FLUSH {
            break;
        }
        closing = watch.closing_now();
        if closing.is_some() {
            break;
        }
        frame = w.frames.try_recv().ok();
    }
    within(w.sink.flush()).await?;
    closing.map_or(Ok(()), Err)
}

/// Runs a send, feed or flush of the socket; only one that cannot finish at once (the peer's
/// buffer is full) gets a timer: a peer that takes nothing for [`SEND_TIMEOUT`] is not reading
/// (4408); a failed socket is gone.
async fn within<E>(send: impl Future<Output = Result<(), E>>) -> Result<(), Close> {
    let mut send = std::pin::pin!(send);
    let at_once = futures_util::FutureExt::now_or_never(send.as_mut()).map(|done| done.is_ok());
    let done = match at_once {
        Some(ok) => ok,
        None => match tokio::time::timeout(SEND_TIMEOUT, send).await {
            Ok(done) => done.is_ok(),
            Err(_) => return Err(RoomError::TooSlow.into()),
        },
    };
    if done {
        Ok(())
    } else {
        Err(Close::normal())
    }
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::sync::Mutex;
    use std::task::{Context, Poll, Waker};

    use futures_util::{Sink, Stream};
    use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
    use yrs::updates::encoder::Encode;
    use yrs::Doc;

    use super::*;
    use crate::room::testing::{self, card};

    /// A WebSocket made of channels: what the test sends arrives as client frames; what the
    /// server sends is recorded. While `blocked`, the server's sends wait (a client not reading).
    struct TestSocket {
        incoming: UnboundedReceiver<Result<WsMessage, std::io::Error>>,
        sent: UnboundedSender<WsMessage>,
        blocked: Arc<Mutex<(bool, Option<Waker>)>>,
    }

    impl Stream for TestSocket {
        type Item = Result<WsMessage, std::io::Error>;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            self.incoming.poll_recv(cx)
        }
    }

    impl Sink<WsMessage> for TestSocket {
        type Error = std::io::Error;
        fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            let mut blocked = self.blocked.lock().unwrap();
            if blocked.0 {
                blocked.1 = Some(cx.waker().clone());
                return Poll::Pending;
            }
            Poll::Ready(Ok(()))
        }
        fn start_send(self: Pin<&mut Self>, item: WsMessage) -> Result<(), Self::Error> {
            let _ = self.sent.send(item);
            Ok(())
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }
    }

    /// The client's side of a [`TestSocket`].
    struct Client {
        send: UnboundedSender<Result<WsMessage, std::io::Error>>,
        received: UnboundedReceiver<WsMessage>,
        blocked: Arc<Mutex<(bool, Option<Waker>)>>,
    }

    impl Client {
        fn update(&self, update: Vec<u8>) {
            let frame = Message::Sync(SyncMessage::Update(update)).encode_v1();
            self.send.send(Ok(WsMessage::Binary(frame.into()))).unwrap();
        }

        fn sync_step1(&self) {
            let frame = Message::Sync(SyncMessage::SyncStep1(Default::default())).encode_v1();
            self.send.send(Ok(WsMessage::Binary(frame.into()))).unwrap();
        }

        /// The next frame the server sent.
        async fn next(&mut self) -> WsMessage {
            self.received.recv().await.expect("the server sent more")
        }

        /// Waits for the close frame, skipping other frames.
        async fn close_frame(&mut self) -> (u16, String) {
            loop {
                if let WsMessage::Close(Some(frame)) = self.next().await {
                    return (frame.code, frame.reason.to_string());
                }
            }
        }

        fn block(&self, on: bool) {
            let mut blocked = self.blocked.lock().unwrap();
            blocked.0 = on;
            if let Some(waker) = blocked.1.take() {
                waker.wake();
            }
        }
    }

    fn socket() -> (TestSocket, Client) {
        let (send, incoming) = unbounded_channel();
        let (sent, received) = unbounded_channel();
        let blocked = Arc::new(Mutex::new((false, None)));
        (
            TestSocket {
                incoming,
                sent,
                blocked: blocked.clone(),
            },
            Client {
                send,
                received,
                blocked,
            },
        )
    }

    async fn session(rooms: &crate::room::Rooms, writer: &Writer, role: Role) -> Session {
        let room = rooms.open("r").await.unwrap();
        Session {
            doc: room.wall.clone(),
            room,
            role,
            max_message_bytes: 1 << 20,
            awareness: AwarenessLimits {
                max_state_bytes: 1024,
                max_ids: 4,
            },
            ping_interval: Duration::from_secs(30),
            queue: 16,
            // The server holds its shutdown sender while it runs (a dropped one reads as changed).
            shutdown: {
                let (tx, rx) = watch::channel(false);
                std::mem::forget(tx);
                rx
            },
            writer: writer.clone(),
            seat: None,
            rates: RateLimits {
                updates: (1000, 1000),
                awareness: (1000, 1000),
            },
            anonymity: Default::default(),
            _counted: None,
        }
    }

    #[tokio::test]
    async fn a_dormant_future_wakes_its_task_after_a_look_without_waiting() {
        let (tx, rx) = tokio::sync::oneshot::channel::<u8>();
        let mut dormant = Dormant::new(async move { rx.await.ok() });
        let waiter = tokio::spawn(async move {
            // Polled once (it waits on the channel), then looked at without waiting, as the
            // write loop does between frames: the task must still be woken when it is ready.
            std::future::poll_fn(|cx| {
                assert!(Pin::new(&mut dormant).poll(cx).is_pending());
                Poll::Ready(())
            })
            .await;
            assert!(dormant.poll_if_woken().is_pending(), "not ready yet");
            dormant.await
        });
        tokio::task::yield_now().await;
        tx.send(7).unwrap();
        let got = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the task was woken");
        assert_eq!(got.unwrap(), Some(7));
    }

    #[tokio::test]
    async fn a_forbidden_update_is_dropped_whole_and_closes_with_4403() {
        let (store, writer, rooms) = testing::setup();
        let (socket, mut client) = socket();
        let session = session(&rooms, &writer, Role::Review).await;
        let room = session.room.clone();
        let served = tokio::spawn(serve(socket, session));
        client.update(card(&Doc::with_client_id(7), "a"));
        assert_eq!(
            client.close_frame().await,
            (4403, "a review link is read-only".to_string())
        );
        served.await.unwrap();
        assert!(
            store.appended("r", DocKind::Wall).is_empty(),
            "nothing stored"
        );
        let cards = room
            .wall
            .read(|doc| {
                use yrs::{Map, ReadTxn, Transact};
                let txn = doc.transact();
                txn.get_map("cards").map(|m| m.len(&txn)).unwrap_or(0)
            })
            .unwrap();
        assert_eq!(cards, 0, "nothing applied");
    }

    #[tokio::test]
    async fn an_update_goes_to_the_other_connections_and_not_back_to_its_sender() {
        let (store, writer, rooms) = testing::setup();
        let (a_socket, mut a) = socket();
        let (b_socket, mut b) = socket();
        tokio::spawn(serve(
            a_socket,
            session(&rooms, &writer, Role::Participant).await,
        ));
        tokio::spawn(serve(
            b_socket,
            session(&rooms, &writer, Role::Participant).await,
        ));
        // Each is greeted with the server's sync step 1 first.
        for c in [&mut a, &mut b] {
            let WsMessage::Binary(first) = c.next().await else {
                panic!("a greeting")
            };
            assert!(matches!(
                Message::decode_v1(&first).unwrap(),
                Message::Sync(SyncMessage::SyncStep1(_))
            ));
        }
        let raw = card(&Doc::with_client_id(7), "a");
        a.update(raw.clone());
        let WsMessage::Binary(got) = b.next().await else {
            panic!("an update")
        };
        assert_eq!(
            Message::decode_v1(&got).unwrap(),
            Message::Sync(SyncMessage::Update(raw.clone()))
        );
        assert_eq!(store.appended("r", DocKind::Wall), vec![raw]);
        assert!(
            a.received.try_recv().is_err(),
            "the sender is not sent its own update"
        );
    }

    #[tokio::test]
    async fn a_client_that_falls_behind_is_closed_not_skipped() {
        let (_store, writer, rooms) = testing::setup();
        let (slow_socket, mut slow) = socket();
        let (watcher_socket, mut watcher) = socket();
        tokio::spawn(serve(
            watcher_socket,
            session(&rooms, &writer, Role::Participant).await,
        ));
        slow.block(true);
        tokio::spawn(serve(
            slow_socket,
            session(&rooms, &writer, Role::Participant).await,
        ));
        // It does not read, and asks for more answers than its queue holds (16), then writes a
        // card. Its messages are handled in order and their answers queued in order: once the
        // watcher is sent the card, every answer was queued.
        for _ in 0..40 {
            slow.sync_step1();
        }
        slow.update(card(&Doc::with_client_id(7), "last"));
        loop {
            if let WsMessage::Binary(frame) = watcher.next().await {
                if let Ok(Message::Sync(SyncMessage::Update(_))) = Message::decode_v1(&frame) {
                    break;
                }
            }
        }
        slow.block(false);
        assert_eq!(
            slow.close_frame().await,
            (
                4408,
                "the connection fell behind; reconnect to resync".to_string()
            )
        );
    }
}
