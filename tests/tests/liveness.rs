//! Peers that stop reading: a dead peer is found by ping and closed (its presence removed), and a
//! client too slow to keep up is closed with 4408 — never silently skipped, so it cannot drift.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kortvaeg_tests::*;
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{AwarenessUpdate, Message};
use yrs::updates::encoder::Encode;

type Raw = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// A WebSocket client with a small receive buffer that reads nothing until told to.
async fn silent_client(server: &Server, room: &str, token: &str) -> Raw {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket
        .connect(([127, 0, 0, 1], server.port()).into())
        .await
        .unwrap();
    let url = server.ws_url(room, DocKind::Wall, Some(token));
    let (ws, _) = tokio_tungstenite::client_async(url, stream)
        .await
        .expect("upgrade");
    ws
}

/// Reads until the server's close frame; returns its code, or `None` if the socket broke first
/// (the server may have closed it before the client got to read).
async fn close_code(ws: &mut Raw) -> Option<u16> {
    let read = async {
        while let Some(frame) = ws.next().await {
            match frame {
                Ok(WsMessage::Close(Some(frame))) => return Some(u16::from(frame.code)),
                Ok(WsMessage::Close(None)) => return Some(1005),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    };
    tokio::time::timeout(Duration::from_secs(40), read)
        .await
        .expect("no close frame within 40 s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_never_answers_pings_is_closed_and_its_presence_removed() {
    let f = Fixture::with(ServerOptions::default().arg("--ping-interval-ms", 100)).await;
    let observer = f.wall(Role::Participant).await;
    let mut silent = silent_client(&f.server, &f.room.id, &f.room.participant_token).await;

    let mut clients = std::collections::HashMap::new();
    clients.insert(
        yrs::ClientID::new(777),
        AwarenessUpdateEntry {
            clock: 1,
            json: r#"{"user":{"name":"Tavs"}}"#.into(),
        },
    );
    let update = Message::Awareness(AwarenessUpdate { clients }).encode_v1();
    silent.send(WsMessage::Binary(update.into())).await.unwrap();

    observer
        .wait_awareness("the silent peer's presence", |states| {
            states.contains_key(&777)
        })
        .await;
    // The silent client reads nothing, so it answers no ping: after two intervals it is closed.
    observer
        .wait_awareness("the silent peer's presence removed", |states| {
            !states.contains_key(&777)
        })
        .await;
    f.server
        .wait_health("only the observer connected", TIMEOUT, |h| {
            h.connections == 1
        })
        .await;
    if let Some(code) = close_code(&mut silent).await {
        assert_eq!(code, 1001, "a peer closed for not answering pings");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_falls_behind_is_closed_with_4408_not_skipped() {
    // The wall grows to ~12 MB here, past the default --max-doc-bytes (8 MiB), written as fast
    // as the writer can send (past the default --max-updates-per-second).
    let opts = ServerOptions::default()
        .arg("--client-queue", 64)
        .arg("--max-doc-bytes", 64 << 20)
        .arg("--max-updates-per-second", 1_000_000)
        .arg("--update-burst", 1_000_000);
    let f = Fixture::with(opts).await;
    let (row, col) = as_is_cell();
    let mut slow = silent_client(&f.server, &f.room.id, &f.room.participant_token).await;
    let writer = f.wall(Role::Facilitator).await;
    let reader = f.wall(Role::Review).await;

    // ~12 MB of updates, more than the socket buffers between the server and the slow client
    // hold, each awaited so that it is its own commit and its own broadcast message (the writer
    // merges the updates of one commit into one message).
    let text = "x".repeat(20_000);
    for i in 0..600 {
        writer.add_card(&format!("c{i}"), &row, &col, &text);
        writer.barrier().await;
    }
    reader
        .wait_cards("every card at the client that keeps up", |cards| {
            cards.len() == 600
        })
        .await;
    assert!(
        writer.close_frame().is_none() && reader.close_frame().is_none(),
        "clients that keep up stay open"
    );
    assert_eq!(
        close_code(&mut slow).await,
        Some(4408),
        "the slow client must be told it fell behind"
    );
}
