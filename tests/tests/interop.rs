//! Interop with the stock y-websocket client: `tests/node/interop.mjs` runs `WebsocketProvider`
//! (no project code) against the server while a Rust yrs client writes to the same wall.

use std::process::Stdio;
use std::time::Duration;

use kortvaeg_tests::*;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_y_websocket_client_and_yrs_client_exchange_cards() {
    let node_dir = workspace_root().join("tests/node");
    assert!(
        node_dir.join("node_modules/y-websocket").is_dir(),
        "{}/node_modules is missing: run scripts/test, which installs it (npm ci in tests/node)",
        node_dir.display()
    );
    let f = Fixture::new().await;
    let rust = f.wall(Role::Participant).await;

    let mut node = tokio::process::Command::new("node")
        .arg(node_dir.join("interop.mjs"))
        // `--name=value`: a token or room id may start with `-`, which `--name value` reads as
        // an option (it failed a run now and then).
        .arg(format!("--url={}", f.server.ws_base()))
        .arg(format!("--room={}", f.room.id))
        .arg(format!("--token={}", f.room.participant_token))
        .args([
            "--card-id",
            "node-1",
            "--expect-card",
            "rust-1",
            "--timeout-ms",
            "20000",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("starting node (is Node.js installed?)");

    rust.add_card("rust-1", "asis-2", "voksenservice", "fra Rust");
    let node_card = rust.wait_card("node-1").await;
    assert_eq!(node_card.row, "asis-1");
    assert_eq!(node_card.column, "borgerservice");
    assert_eq!(node_card.text, "fra Node");

    let mut stdout = node.stdout.take().unwrap();
    let mut stderr = node.stderr.take().unwrap();
    let (out, err, status) = tokio::time::timeout(Duration::from_secs(30), async {
        use tokio::io::AsyncReadExt;
        let mut out = String::new();
        let mut err = String::new();
        let (a, b) = tokio::join!(
            stdout.read_to_string(&mut out),
            stderr.read_to_string(&mut err)
        );
        a.unwrap();
        b.unwrap();
        (out, err, node.wait().await.unwrap())
    })
    .await
    .expect("interop.mjs did not finish within 30 s");
    assert!(
        status.success(),
        "interop.mjs failed ({status}); stderr:\n{err}\nstdout:\n{out}"
    );
    let line = out
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON on stdout: {out}"));
    let cards: Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("interop.mjs printed bad JSON ({e}): {line}"));
    assert_eq!(
        cards["rust-1"]["text"], "fra Rust",
        "the stock client's view of the Rust card: {cards}"
    );
    assert_eq!(cards["rust-1"]["row"], "asis-2");
    assert_eq!(cards["node-1"]["text"], "fra Node");

    // The server has both: a fresh client sees them.
    let fresh = f.wall(Role::Review).await;
    let ids = fresh.card_ids();
    assert!(
        ids.contains(&"node-1".to_string()) && ids.contains(&"rust-1".to_string()),
        "{ids:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_client_is_refused_with_a_bad_token() {
    let node_dir = workspace_root().join("tests/node");
    assert!(
        node_dir.join("node_modules/y-websocket").is_dir(),
        "{}/node_modules is missing: run scripts/test, which installs it",
        node_dir.display()
    );
    let f = Fixture::new().await;
    let out = tokio::process::Command::new("node")
        .arg(node_dir.join("interop.mjs"))
        .arg(format!("--url={}", f.server.ws_base()))
        .arg(format!("--room={}", f.room.id))
        .arg("--token=AAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .args(["--timeout-ms", "10000"])
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(20), out)
        .await
        .expect("interop.mjs hung")
        .expect("node");
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("403"), "expected a refusal with 403: {err}");
}
