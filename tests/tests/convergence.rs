//! A property test (issue 14, item 5): random concurrent edits from several clients — seats of a
//! group and the facilitator on the group's document, participants on the wall — with random
//! disconnects (edits made offline, sent on reconnect) and a server restart in the middle, always
//! converge: every replica of a document ends equal, and what the server stored (a fresh client
//! after another restart) equals what the clients hold. Seeded, so a failure replays.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::Value;
use yrs::types::ToJson;
use yrs::{Doc, Map, MapPrelim, ReadTxn, Transact, TransactionMut, WriteTxn};

use kortvaeg_tests::*;

/// One replica: its document, and its connection while it is online.
struct Replica {
    kind: DocKind,
    token: String,
    doc: Doc,
    client: Option<YClient>,
    /// Cards this replica added (so it edits and deletes cards that exist somewhere).
    cards: Vec<String>,
}

/// The document's cards and answers as JSON (what must be equal everywhere).
fn content(doc: &Doc) -> Value {
    let txn = doc.transact();
    let root = |name: &str| {
        txn.get_map(name)
            .map(|m| serde_json::to_value(m.to_json(&txn)).unwrap())
            .unwrap_or(Value::Null)
    };
    serde_json::json!({ "cards": root(schema::CARDS), "answers": root(schema::ANSWERS) })
}

/// One random edit, in `txn` (online: sent as an update; offline: kept until the reconnect).
fn edit(
    rng: &mut StdRng,
    txn: &mut TransactionMut,
    replica: &mut Replica,
    name: &str,
    step: usize,
    column: &str,
) {
    let (row, _) = as_is_cell();
    let cards = txn.get_or_insert_map(schema::CARDS);
    match rng.random_range(0..10) {
        0..=4 => {
            let id = format!("{name}-{step}");
            cards.insert(
                txn,
                id.as_str(),
                MapPrelim::from([
                    ("row", yrs::Any::from(row.as_str())),
                    ("column", yrs::Any::from(column)),
                    ("text", yrs::Any::from(format!("kort {id}"))),
                    ("created_at", yrs::Any::from(step as f64)),
                ]),
            );
            replica.cards.push(id);
        }
        5..=6 if !replica.cards.is_empty() => {
            let id = &replica.cards[rng.random_range(0..replica.cards.len())];
            if let Some(yrs::Out::YMap(card)) = cards.get(txn, id) {
                card.insert(txn, "text", format!("rettet af {name} i trin {step}"));
            }
        }
        7 if !replica.cards.is_empty() => {
            let id = replica
                .cards
                .swap_remove(rng.random_range(0..replica.cards.len()));
            cards.remove(txn, &id);
        }
        _ => {
            let answers = txn.get_or_insert_map(schema::ANSWERS);
            let key = format!("s{}/q{}", rng.random_range(0..3), rng.random_range(0..3));
            answers.insert(txn, key, format!("{name}:{step}"));
        }
    }
}

async fn connect(server: &Server, room: &str, replica: &mut Replica) {
    let client = YClient::reconnect_with(
        server,
        room,
        replica.kind,
        &replica.token,
        replica.doc.clone(),
    )
    .await;
    replica.client = Some(client);
}

/// Waits until every replica of each document holds the same content, and returns it by kind.
async fn converged(replicas: &[Replica]) -> Vec<(DocKind, Value)> {
    for r in replicas {
        r.client.as_ref().unwrap().barrier().await;
    }
    eventually(
        "every replica equal",
        std::time::Duration::from_secs(20),
        || async {
            let mut seen: Vec<(DocKind, Value)> = Vec::new();
            for r in replicas {
                let c = content(&r.doc);
                match seen.iter().find(|(k, _)| *k == r.kind) {
                    Some((_, first)) if *first != c => {
                        return Err(format!("{:?} differs", r.kind));
                    }
                    Some(_) => {}
                    None => seen.push((r.kind, c)),
                }
            }
            Ok(seen)
        },
    )
    .await
}

async fn run(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut server = Server::start_default().await;
    let room = server.new_room().await;
    let column = template(AS_IS).columns[0].id.clone();
    let group = DocKind::group(&column);
    let (_, anne) = server
        .seat(&room.id, &room.participant_token, "Anne", &column)
        .await;
    let (_, bo) = server
        .seat(&room.id, &room.participant_token, "Bo", &column)
        .await;
    let tokens = [
        (group, anne.clone()),
        (group, bo),
        (group, room.facilitator_token.clone()),
        (DocKind::Wall, anne),
        (DocKind::Wall, room.participant_token.clone()),
    ];
    let mut replicas = Vec::new();
    for (kind, token) in tokens {
        let mut r = Replica {
            kind,
            token,
            doc: Doc::new(),
            client: None,
            cards: Vec::new(),
        };
        connect(&server, &room.id, &mut r).await;
        replicas.push(r);
    }
    let steps = 80;
    let mut offline_edits = 0;
    for step in 0..steps {
        if step == steps / 2 {
            // A restart in the middle: every client loses its connection, edits go on offline.
            server.restart().await;
            for r in &mut replicas {
                r.client = None;
            }
        }
        let i = rng.random_range(0..replicas.len());
        let name = format!("r{i}");
        let r = &mut replicas[i];
        match (rng.random_range(0..8), r.client.is_some()) {
            (0, true) => r.client = None, // the network drops
            (0 | 1, false) => connect(&server, &room.id, r).await,
            (_, online) => {
                let doc = r.doc.clone();
                let update = {
                    let mut txn = doc.transact_mut();
                    edit(&mut rng, &mut txn, r, &name, step, &column);
                    txn.encode_update_v1()
                };
                if online {
                    r.client.as_ref().unwrap().send_update(update);
                } else {
                    offline_edits += 1;
                }
            }
        }
    }
    for r in &mut replicas {
        if r.client.is_none() {
            connect(&server, &room.id, r).await;
        }
    }
    assert!(
        offline_edits > 0,
        "seed {seed}: some edits were made offline"
    );
    let live = converged(&replicas).await;
    assert!(
        live.iter()
            .any(|(_, c)| c["cards"].as_object().is_some_and(|m| !m.is_empty())),
        "seed {seed}: the run made cards"
    );
    // What was stored is what the clients hold.
    drop(replicas);
    server.restart().await;
    for (kind, content_live) in live {
        let fresh = YClient::connect(
            &server,
            &room.id,
            kind,
            &room.review_token,
            ClientOptions::default(),
        )
        .await;
        fresh.synced().await;
        assert_eq!(
            content(&fresh.doc),
            content_live,
            "seed {seed}: stored {kind:?} = live"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_edits_disconnects_and_a_restart_converge_and_are_stored() {
    for seed in 1..=8 {
        run(seed).await;
    }
}
