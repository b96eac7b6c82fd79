//! `relay`: a bare WebSocket relay for `scripts/bench` (never used by the tests or the product).
//!
//! It forwards each binary frame a client sends to every other client connected to the same path
//! ("room") and does nothing else: no Yjs, no store, no answers. Run against the same load as
//! Kortvæg and the Node reference server, it is the physical limit of this machine for that load
//! (issue 17: "a bare relay written for the bench"). It is written as well as we would write the
//! real thing — one task per connection that reads, one that writes and feeds every queued frame
//! before one flush, TCP_NODELAY — so that it is a fair ceiling, not a straw man.
//!
//! `relay PORT` listens on 127.0.0.1:PORT until killed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;

type Peers = Vec<(u64, mpsc::UnboundedSender<Message>)>;

#[derive(Default)]
struct Rooms(Mutex<HashMap<String, Peers>>);

impl Rooms {
    fn join(&self, room: &str, id: u64, tx: mpsc::UnboundedSender<Message>) {
        let mut rooms = self.0.lock().expect("rooms lock");
        rooms.entry(room.to_string()).or_default().push((id, tx));
    }

    fn leave(&self, room: &str, id: u64) {
        let mut rooms = self.0.lock().expect("rooms lock");
        if let Some(peers) = rooms.get_mut(room) {
            peers.retain(|(peer, _)| *peer != id);
            if peers.is_empty() {
                rooms.remove(room);
            }
        }
    }

    fn forward(&self, room: &str, from: u64, message: &Message) {
        let rooms = self.0.lock().expect("rooms lock");
        for (peer, tx) in rooms.get(room).into_iter().flatten() {
            if *peer != from {
                let _ = tx.send(message.clone());
            }
        }
    }
}

async fn serve(stream: TcpStream, id: u64, rooms: Arc<Rooms>) {
    let _ = stream.set_nodelay(true);
    let mut path = String::new();
    // The error type is tungstenite's (an HTTP response), not ours to shrink.
    #[allow(clippy::result_large_err)]
    let callback = |request: &Request, response: Response| {
        path = request.uri().path().to_string();
        Ok(response)
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    rooms.join(&path, id, tx);
    let writer = tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            if sink.feed(first).await.is_err() {
                return;
            }
            while let Ok(more) = rx.try_recv() {
                if sink.feed(more).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    });
    while let Some(Ok(message)) = source.next().await {
        match message {
            Message::Binary(_) => rooms.forward(&path, id, &message),
            Message::Close(_) => break,
            _ => {}
        }
    }
    rooms.leave(&path, id);
    writer.abort();
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("usage: relay PORT");
    // The listen queue Kortvæg asks for (server/src/app.rs, LISTEN_BACKLOG): with tokio's default
    // of 1,024 the kernel turned away some of the clients connecting at once (the walls bench
    // counts them), and they connected a second later.
    let socket = TcpSocket::new_v4().expect("a TCP socket");
    socket.set_reuseaddr(true).expect("SO_REUSEADDR");
    socket
        .bind(std::net::SocketAddr::from(([127, 0, 0, 1], port)))
        .expect("bind 127.0.0.1:PORT");
    let listener = socket.listen(4096).expect("listen");
    let rooms = Arc::new(Rooms::default());
    let mut next = 0u64;
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        next += 1;
        tokio::spawn(serve(stream, next, rooms.clone()));
    }
}
