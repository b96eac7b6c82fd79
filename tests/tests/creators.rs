//! Who may create workshops (`docs/API.md`, "Who may create workshops"): with `--creator-keys`
//! only a holder of a key (as it is or as `sha256:<hex>` in the file, read again on SIGHUP); with
//! `--trusted-user-header` a user the proxy names, only from `--trusted-proxy` addresses; the
//! creator lists the workshops they made. Every refusal is a `401 {"error"}` and makes nothing.

use std::time::Duration;

use kortvaeg_tests::*;
use serde_json::{json, Value};
use sha2::Digest;

const KEY: &str = "kommune-nord-opretter-2026";
const OTHER: &str = "kommune-syd-opretter-2026";

async fn create(server: &Server, headers: &[(&str, &str)]) -> Response {
    let mut req = server
        .http()
        .post(format!("{}/api/rooms", server.url()))
        .header("content-type", "application/json")
        .body(json!({"title": "Opgørelse", "template": AS_IS}).to_string());
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    server.send(req, "POST /api/rooms").await
}

async fn list(server: &Server, headers: &[(&str, &str)]) -> Response {
    let mut req = server.http().get(format!("{}/api/rooms", server.url()));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    server.send(req, "GET /api/rooms").await
}

fn refused(resp: &Response) {
    resp.assert_status(401);
    let error = resp.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!error.is_empty(), "a 401 says why");
}

fn ids(resp: &Response) -> Vec<String> {
    resp.assert_status(200);
    resp.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creator_keys_as_they_are_or_as_digests_read_again_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("creator-keys");
    let digest = hex::encode(sha2::Sha256::digest(OTHER.as_bytes()));
    std::fs::write(
        &file,
        format!("# Kortvæg creator keys\n{KEY}\nsha256:{digest}\n"),
    )
    .unwrap();
    let server = Server::start(ServerOptions::new().arg("--creator-keys", file.display())).await;
    let bearer = |key: &str| format!("Bearer {key}");

    refused(&create(&server, &[]).await);
    refused(
        &create(
            &server,
            &[("authorization", "Bearer not-a-key-of-this-server")],
        )
        .await,
    );
    refused(&list(&server, &[]).await);
    let nord = create(&server, &[("authorization", &bearer(KEY))]).await;
    nord.assert_status(201);
    let nord: Value = nord.json();
    let syd = create(&server, &[("authorization", &bearer(OTHER))]).await;
    syd.assert_status(201);
    // Each key lists its own workshops.
    assert_eq!(
        ids(&list(&server, &[("authorization", &bearer(KEY))]).await),
        vec![nord["id"].as_str().unwrap().to_string()]
    );
    // The room made works as any other.
    let room: RoomCreated = serde_json::from_value(nord.clone()).unwrap();
    YClient::wall(&server, &room.id, &room.facilitator_token).await;

    // SIGHUP: the file is read again; the removed key stops working, a new one works.
    std::fs::write(&file, format!("{OTHER}\n")).unwrap();
    let pid = server.pid().unwrap();
    assert!(std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .unwrap()
        .success());
    eventually(
        "the removed key refused",
        Duration::from_secs(10),
        || async {
            let resp = create(&server, &[("authorization", &bearer(KEY))]).await;
            match resp.status {
                401 => Ok(()),
                s => Err(format!("HTTP {s}")),
            }
        },
    )
    .await;
    create(&server, &[("authorization", &bearer(OTHER))])
        .await
        .assert_status(201);
    // A file that cannot be read then keeps the keys there were.
    std::fs::write(&file, "short\n").unwrap();
    assert!(std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .unwrap()
        .success());
    eventually("the bad file reported", Duration::from_secs(10), || async {
        match server.logs().contains("creator keys not read again") {
            true => Ok(()),
            false => Err("no log line yet".to_string()),
        }
    })
    .await;
    create(&server, &[("authorization", &bearer(OTHER))])
        .await
        .assert_status(201);
    let metrics = server.get("/metrics", None).await;
    assert!(String::from_utf8_lossy(&metrics.body).contains("kortvaeg_rooms_refused_total"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_key_file_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("creator-keys");
    std::fs::write(&file, "too-short\n").unwrap();
    let output =
        Server::start_refused(ServerOptions::new().arg("--creator-keys", file.display())).await;
    assert!(output.contains("line 1"), "{output}");
    let missing = dir.path().join("missing");
    let output =
        Server::start_refused(ServerOptions::new().arg("--creator-keys", missing.display())).await;
    assert!(output.contains("creator keys file"), "{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_named_by_the_trusted_proxy_creates_and_lists_their_workshops() {
    let header = ("x-forwarded-user", "anne@kommune.dk");
    // The tests connect from 127.0.0.1: the default trusted proxy is loopback.
    let server =
        Server::start(ServerOptions::new().arg("--trusted-user-header", "X-Forwarded-User")).await;
    refused(&create(&server, &[]).await);
    let made = create(&server, &[header]).await;
    made.assert_status(201);
    create(&server, &[("x-forwarded-user", "bo@kommune.dk")])
        .await
        .assert_status(201);
    assert_eq!(
        ids(&list(&server, &[header]).await),
        vec![made.json()["id"].as_str().unwrap().to_string()],
        "Anne sees hers, not Bo's"
    );

    // The same header from an address that is not the proxy's counts for nothing.
    let strict = Server::start(
        ServerOptions::new()
            .arg("--trusted-user-header", "X-Forwarded-User")
            .arg("--trusted-proxy", "10.0.0.0/8"),
    )
    .await;
    refused(&create(&strict, &[header]).await);
    refused(&list(&strict, &[header]).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_keys_or_sign_in_anyone_creates_as_before() {
    let server = Server::start_default().await;
    create(&server, &[]).await.assert_status(201);
    refused(&list(&server, &[]).await);
}
