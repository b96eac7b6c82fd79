//! The REST API: creating rooms (and the 400 errors), templates, room info per token, the
//! 401/403/404 rules, health, and that errors are always JSON.

use kortvaeg_tests::*;
use serde_json::{json, Value};

fn is_url_safe_token(t: &str) -> bool {
    t.len() >= 22
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_room_answers_tokens_and_links() {
    let server =
        Server::start(ServerOptions::new().public_url("https://vaerksted.example.dk")).await;
    let resp = server
        .post_json(
            "/api/rooms",
            None,
            &json!({"title": "Exit-workshop Borgerservice", "template": AS_IS}),
        )
        .await;
    resp.assert_status(201);
    let body = resp.json();
    for key in [
        "id",
        "facilitator_token",
        "participant_token",
        "review_token",
        "join_url",
        "facilitator_url",
        "review_url",
    ] {
        assert!(
            body.get(key)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty()),
            "missing {key} in {body}"
        );
    }
    let room: RoomCreated = resp.parse();
    for t in [
        &room.facilitator_token,
        &room.participant_token,
        &room.review_token,
    ] {
        assert!(
            is_url_safe_token(t),
            "token {t:?} is not a URL-safe string of at least 22 characters"
        );
    }
    assert_ne!(room.facilitator_token, room.participant_token);
    assert_ne!(room.participant_token, room.review_token);
    assert_ne!(room.facilitator_token, room.review_token);
    for url in [&room.join_url, &room.facilitator_url, &room.review_url] {
        assert!(
            url.starts_with("https://vaerksted.example.dk/"),
            "link not under --public-url: {url}"
        );
        assert!(url.contains(&room.id), "link does not name the room: {url}");
    }
    assert!(
        room.join_url.contains(&room.participant_token),
        "join_url carries no participant token: {}",
        room.join_url
    );
    assert!(!room.join_url.contains(&room.facilitator_token));
    assert!(room.review_url.contains(&room.review_token));
    assert!(room.facilitator_url.contains(&room.facilitator_token));

    // Two rooms never share an id or tokens.
    let second = server.create_room("Andet", AS_IS).await;
    assert_ne!(second.id, room.id);
    assert_ne!(second.facilitator_token, room.facilitator_token);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_room_rejects_bad_requests_with_json_errors() {
    let server = Server::start_default().await;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("bad JSON", b"{\"title\": \"x\", ".to_vec()),
        ("not an object", b"[1, 2]".to_vec()),
        (
            "missing title",
            json!({"template": AS_IS}).to_string().into_bytes(),
        ),
        (
            "empty title",
            json!({"title": "", "template": AS_IS})
                .to_string()
                .into_bytes(),
        ),
        (
            "missing template",
            json!({"title": "x"}).to_string().into_bytes(),
        ),
        (
            "unknown template",
            json!({"title": "x", "template": "no-such-template"})
                .to_string()
                .into_bytes(),
        ),
        (
            "title not a string",
            json!({"title": 5, "template": AS_IS})
                .to_string()
                .into_bytes(),
        ),
        ("empty body", Vec::new()),
    ];
    for (what, body) in cases {
        let resp = server
            .post_raw("/api/rooms", None, "application/json", body)
            .await;
        let msg = resp.assert_error(400);
        eprintln!("{what}: {msg}");
    }
    // None of them created a room: the server still works and a good request succeeds.
    server
        .create_room("God titel", "implementeringsmodel")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_are_listed_with_rows_and_columns() {
    let server = Server::start_default().await;
    let resp = server.get("/api/templates", None).await;
    resp.assert_status(200);
    let list = resp.json();
    let list = list
        .as_array()
        .unwrap_or_else(|| panic!("/api/templates is not an array: {list}"));
    let by_id = |id: &str| -> &Value {
        list.iter().find(|t| t["id"] == id).unwrap_or_else(|| {
            panic!(
                "template {id} not listed; ids: {:?}",
                list.iter().map(|t| &t["id"]).collect::<Vec<_>>()
            )
        })
    };
    for id in [
        "kmd-sag-exit-as-is",
        "kmd-sag-exit-to-be",
        "implementeringsmodel",
        "kmd-sag-exit",
        "sbsys-medlemskab",
    ] {
        let t = by_id(id);
        let want = template(id);
        assert_eq!(t["title"], want.title.as_str(), "{id}: title");
        let rows: Vec<(&str, &str)> = t["rows"]
            .as_array()
            .unwrap_or_else(|| panic!("{id}: rows not an array"))
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().expect("row id"),
                    r["label"].as_str().expect("row label"),
                )
            })
            .collect();
        let want_rows: Vec<(&str, &str)> = want
            .rows
            .iter()
            .map(|r| (r.id.as_str(), r.label.as_str()))
            .collect();
        assert_eq!(rows, want_rows, "{id}: rows");
        let cols: Vec<(&str, &str)> = t["columns"]
            .as_array()
            .unwrap_or_else(|| panic!("{id}: columns not an array"))
            .iter()
            .map(|c| {
                (
                    c["id"].as_str().expect("column id"),
                    c["label"].as_str().expect("column label"),
                )
            })
            .collect();
        let want_cols: Vec<(&str, &str)> = want
            .columns
            .iter()
            .map(|c| (c.id.as_str(), c.label.as_str()))
            .collect();
        assert_eq!(cols, want_cols, "{id}: columns");
    }
    let im = by_id("implementeringsmodel");
    assert_eq!(im["rows"].as_array().unwrap().len(), 16);
    assert_eq!(im["columns"].as_array().unwrap().len(), 5);
    let as_is: Vec<&str> = by_id(AS_IS)["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        as_is,
        (1..=8).map(|i| format!("asis-{i}")).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_info_tells_each_token_its_role() {
    let f = Fixture::new().await;
    for role in [Role::Facilitator, Role::Participant, Role::Review] {
        let info = f.server.room_info(&f.room.id, f.token(role)).await;
        assert_eq!(info.id, f.room.id);
        assert_eq!(info.title, "Testværksted");
        assert_eq!(info.template, AS_IS);
        assert_eq!(info.role, role);
        chrono::DateTime::parse_from_rfc3339(&info.created_at)
            .unwrap_or_else(|e| panic!("created_at {:?} is not RFC 3339: {e}", info.created_at));
    }
    // A title with non-ASCII characters and quotes survives the round trip.
    let room = f
        .server
        .create_room("Æblegrød \"på\" <tværs>", "implementeringsmodel")
        .await;
    let info = f.server.room_info(&room.id, &room.review_token).await;
    assert_eq!(info.title, "Æblegrød \"på\" <tværs>");
    assert_eq!(info.template, "implementeringsmodel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_wrong_and_unknown() {
    let f = Fixture::new().await;
    let other = f.server.new_room().await;
    let room = &f.room.id;
    let seq = f
        .server
        .take_snapshot(room, &f.room.facilitator_token)
        .await
        .seq;
    let paths = [
        format!("/api/rooms/{room}"),
        format!("/api/rooms/{room}/snapshots"),
        format!("/api/rooms/{room}/snapshots/{seq}"),
        format!("/api/rooms/{room}/export.csv"),
        format!("/api/rooms/{room}/export.xlsx"),
    ];
    for path in &paths {
        f.server.get(path, None).await.assert_error(401);
        f.server
            .get(path, Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
            .await
            .assert_error(403);
        f.server
            .get(path, Some(&other.facilitator_token))
            .await
            .assert_error(403);
        let unknown = path.replace(room.as_str(), "no-such-room");
        f.server.get(&unknown, None).await.assert_error(404);
        f.server
            .get(&unknown, Some(&f.room.facilitator_token))
            .await
            .assert_error(404);
    }
    // A malformed Authorization header counts as a missing or wrong token.
    let resp = f
        .server
        .send_with_header(&format!("/api/rooms/{room}"), "Basic dXNlcjpwYXNz")
        .await;
    assert!(
        resp.status == 401 || resp.status == 403,
        "Basic auth: HTTP {}",
        resp.status
    );
    resp.assert_error(resp.status);
    // POST snapshot: same rules.
    let snaps = format!("/api/rooms/{room}/snapshots");
    f.server
        .post_raw(&snaps, None, "application/json", "{}")
        .await
        .assert_error(401);
    f.server
        .post_raw(
            &snaps,
            Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            "application/json",
            "{}",
        )
        .await
        .assert_error(403);
    f.server
        .post_raw(
            "/api/rooms/no-such-room/snapshots",
            Some(&f.room.facilitator_token),
            "application/json",
            "{}",
        )
        .await
        .assert_error(404);
    // Unknown snapshot of a known room.
    f.server
        .get(
            &format!("/api/rooms/{room}/snapshots/999"),
            Some(&f.room.facilitator_token),
        )
        .await
        .assert_error(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_accepts_the_token_as_a_query_parameter() {
    let f = Fixture::new().await;
    let room = &f.room.id;
    for role in [Role::Facilitator, Role::Participant, Role::Review] {
        for ext in ["csv", "xlsx"] {
            let path = format!("/api/rooms/{room}/export.{ext}?token={}", f.token(role));
            f.server.get(&path, None).await.assert_status(200);
        }
    }
    f.server
        .get(
            &format!("/api/rooms/{room}/export.csv?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            None,
        )
        .await
        .assert_error(403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_the_embedded_store() {
    let server = Server::start_default().await;
    let h = server.health().await;
    assert_eq!(h.status, "ok");
    assert_eq!(h.store, "ok");
    assert_eq!(h.store_kind, "embedded");
    assert_eq!(h.rooms_loaded, 0);
    assert_eq!(h.connections, 0);
    let room = server.new_room().await;
    let c = YClient::wall(&server, &room.id, &room.participant_token).await;
    let h = server.health().await;
    assert_eq!(h.connections, 1, "{h:?}");
    assert!(h.rooms_loaded >= 1, "{h:?}");
    drop(c);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_api_paths_answer_json_errors() {
    let server = Server::start_default().await;
    server
        .get("/api/no-such-endpoint", None)
        .await
        .assert_error(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_serves_the_web_client() {
    let server = Server::start_default().await;
    let resp = server.get("/", None).await;
    resp.assert_status(200);
    let ct = resp.content_type.clone().unwrap_or_default();
    assert!(ct.starts_with("text/html"), "GET / content type {ct:?}");
    assert!(
        resp.text().to_lowercase().contains("<html"),
        "GET / is not an HTML page"
    );
}

/// The binary serves the web client it was built with, without `--web-dir` and from any working
/// directory (the tests run the server from `tests/`): a page path is the client's `index.html`,
/// its hashed assets are served as themselves and may be cached. Checked when the client is
/// built, as `scripts/test` does before the Rust tests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_web_client_needs_no_web_dir() {
    let dist = workspace_root().join("client-web/dist/index.html");
    let Ok(index) = std::fs::read_to_string(&dist) else {
        eprintln!("client-web is not built: nothing to check");
        return;
    };
    let server = Server::start_default().await;
    let page = server.get("/join/abcdefghijkl", None).await;
    page.assert_status(200);
    assert_eq!(page.text(), index, "a page path is the built index.html");
    let asset = index
        .split('"')
        .find(|s| s.starts_with("/assets/") && s.ends_with(".js"))
        .expect("index.html names its script");
    let resp = server
        .send(server.http().get(format!("{}{asset}", server.url())), asset)
        .await;
    resp.assert_status(200);
    assert!(resp
        .content_type
        .as_deref()
        .unwrap_or_default()
        .contains("javascript"));
    // (Headers are not kept by `Response`; the cache policy is unit-tested in `http/web.rs`.)
    assert!(!resp.body.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_requests_get_json_errors_in_contract_order() {
    let f = Fixture::new().await;
    let id = &f.room.id;
    let token = &f.room.participant_token;
    // A repeated query parameter is not a decoding failure: the last one counts.
    f.server
        .get(&format!("/api/rooms/{id}?token=wrong&token={token}"), None)
        .await
        .assert_status(200);
    f.server
        .get(&format!("/api/rooms/{id}?token={token}&token=wrong"), None)
        .await
        .assert_error(403);
    // A plain GET on a WebSocket endpoint: the room check comes first, then a JSON 400.
    f.server
        .get("/ws/no-such-room", None)
        .await
        .assert_error(404);
    f.server
        .get(&format!("/ws/{id}"), None)
        .await
        .assert_error(401);
    f.server
        .get(&format!("/ws/{id}/control?token={token}"), None)
        .await
        .assert_error(400);
    // An export of a snapshot that does not exist, and one that is not a number.
    f.server
        .get(
            &format!("/api/rooms/{id}/export.csv?snapshot=7"),
            Some(token),
        )
        .await
        .assert_error(404);
    f.server
        .get(
            &format!("/api/rooms/{id}/export.xlsx?snapshot=x"),
            Some(token),
        )
        .await
        .assert_error(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_brugsmoenster_tree_is_served_and_unknown_trees_are_404() {
    let server = Server::start_default().await;
    let tree = server.get_json("/api/trees/brugsmoenster", None).await;
    let start = tree["start"].as_str().expect("start");
    assert!(
        tree["nodes"][start]["question"]
            .as_str()
            .is_some_and(|q| q.contains("KMD Sag")),
        "{tree}"
    );
    let outcomes: Vec<&String> = tree["outcomes"]
        .as_object()
        .expect("outcomes")
        .keys()
        .collect();
    assert_eq!(outcomes, ["0", "A", "B", "C", "D", "E"]);
    let err = server.get("/api/trees/nope", None).await.assert_error(404);
    assert!(err.contains("nope"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_rooms_rows_carry_the_templates_analysis_roles() {
    let server = Server::start_default().await;
    let room = server.create_room("Analyse", "kmd-sag-exit").await;
    let control = YClient::control(&server, &room.id, &room.facilitator_token).await;
    let (rows, _, _) = projection::structure(&control.doc);
    let row = |id: &str| {
        rows.iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("row {id} missing"))
    };
    assert_eq!(row("asis-3").extra["analysis"], "brugsmoenster");
    assert_eq!(row("tobe-1").extra["sheet"], false);
    let fields = row("asis-1").extra["fields"]
        .as_array()
        .expect("asis-1 fields");
    let anvendes = fields
        .iter()
        .find(|f| f["id"] == "anvendes")
        .expect("anvendes field");
    assert_eq!(anvendes["analysis"], "anvendes");
}

/// The value of the metric line `name{…}` whose labels include all of `labels`.
fn metric(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let (key, value) = line.rsplit_once(' ')?;
            let (n, rest) = key.split_once('{').unwrap_or((key, ""));
            (n == name && labels.iter().all(|l| rest.contains(l))).then(|| value.parse().ok())?
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_connections_updates_and_store_batches() {
    let f = Fixture::new().await;
    let (row, col) = as_is_cell();
    let fac = f.wall(Role::Facilitator).await;
    fac.add_card("m1", &row, &col, "en");
    fac.add_card("m2", &row, &col, "to");
    fac.barrier().await;
    let review = f.wall(Role::Review).await;
    review.add_card("nope", &row, &col, "afvist");
    assert_eq!(review.closed().await.0, 4403);

    let resp = f.server.get("/metrics", None).await;
    resp.assert_status(200);
    let text = resp.text();
    let m = |name: &str, labels: &[&str]| {
        metric(&text, name, labels).unwrap_or_else(|| panic!("no {name} {labels:?} in:\n{text}"))
    };
    assert_eq!(
        m(
            "kortvaeg_updates_total",
            &["doc=\"wall\"", "source=\"client\""]
        ),
        2.0
    );
    assert_eq!(
        m(
            "kortvaeg_ws_connections_total",
            &["doc=\"wall\"", "role=\"facilitator\""]
        ),
        1.0
    );
    assert_eq!(
        m(
            "kortvaeg_ws_connections_total",
            &["doc=\"wall\"", "role=\"review\""]
        ),
        1.0
    );
    assert_eq!(m("kortvaeg_ws_closes_total", &["code=\"4403\""]), 1.0);
    assert!(m("kortvaeg_store_batches_total", &["result=\"ok\""]) >= 1.0);
    assert!(m("kortvaeg_store_ops_total", &[]) >= 2.0);
    assert!(m("kortvaeg_store_write_seconds_count", &[]) >= 1.0);
    assert_eq!(m("kortvaeg_rooms_loaded", &[]), 1.0);
    assert!(
        m("kortvaeg_ws_connections", &[]) >= 1.0,
        "the facilitator is still connected"
    );
    assert_eq!(m("kortvaeg_store_up", &[]), 1.0);
    assert_eq!(m("kortvaeg_buffered_updates", &[]), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_axum_answers_by_itself_are_json_too() {
    let f = Fixture::new().await;
    let id = &f.room.id;
    let token = &f.room.participant_token;
    let s = &f.server;
    // Invalid UTF-8 in a path id: axum's Path rejection.
    for path in [
        "/api/rooms/%FF",
        "/api/rooms/%FF/snapshots",
        "/api/templates/%C3%28",
        "/ws/%FF",
        "/ws/%FF/control",
    ] {
        eprintln!("{path}: {}", s.get(path, None).await.assert_error(400));
    }
    // Methods a route does not have: the router's 405, inside /api and out.
    let not_allowed = [
        ("POST", format!("/ws/{id}")),
        ("POST", "/healthz".into()),
        ("DELETE", "/api/rooms".into()),
    ];
    for (method, path) in not_allowed {
        eprintln!(
            "{method} {path}: {}",
            s.request(method, &path, None, "").await.assert_error(405)
        );
    }
    // Not a WebSocket upgrade, on both documents, with a good token.
    for path in [
        format!("/ws/{id}?token={token}"),
        format!("/ws/{id}/control?token={token}"),
    ] {
        s.get(&path, None).await.assert_error(400);
    }
    // A body over the limit (2 MiB) is a JSON 413. The server closes that connection without
    // reading the rest of the body, so the request goes on a client of its own, not the pool
    // the later requests share.
    let big = format!(
        "{{\"title\": \"{}\", \"template\": \"{AS_IS}\"}}",
        "x".repeat(2 * 1024 * 1024 + 1024)
    );
    let once = reqwest::Client::new()
        .post(format!("{}/api/rooms", s.url()))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(big);
    s.send(once, "POST /api/rooms with 2 MiB + 1 KiB")
        .await
        .assert_error(413);
    // Still serving.
    s.new_room().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_a_room_requires_a_json_content_type() {
    let server = Server::start_default().await;
    let body = json!({"title": "Værksted", "template": AS_IS}).to_string();
    // What a cross-origin page can send without a CORS preflight, and anything else not JSON.
    for ct in [
        None,
        Some("text/plain"),
        Some("text/plain; charset=utf-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/json; charset=latin1"),
        Some("application/json-seq"),
        Some("application/vnd.api+json"),
    ] {
        let resp = server.request("POST", "/api/rooms", ct, body.clone()).await;
        eprintln!("{ct:?}: {}", resp.assert_error(415));
    }
    for ct in [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON;charset=\"UTF-8\"",
    ] {
        let resp = server
            .request("POST", "/api/rooms", Some(ct), body.clone())
            .await;
        resp.assert_status(201);
        let room: RoomCreated = resp.parse();
        server.room_info(&room.id, &room.facilitator_token).await;
    }
    // Other POSTs are guarded by a token and keep their own bodies: a snapshot needs none (the web
    // client sends none), an import is CSV or XLSX (import.rs).
    let room = server.new_room().await;
    let resp = server
        .http()
        .post(format!("{}/api/rooms/{}/snapshots", server.url(), room.id))
        .bearer_auth(&room.facilitator_token)
        .send()
        .await
        .expect("POST snapshot");
    assert_eq!(
        resp.status().as_u16(),
        201,
        "a snapshot without a body or Content-Type"
    );
}

/// `GET /api/openapi.json`: the API described (OpenAPI 3.1), with the routes of docs/API.md.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_is_described_in_openapi() {
    let server = Server::start_default().await;
    let doc = server.get_json("/api/openapi.json", None).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/rooms",
        "/api/rooms/{id}/seats/{seat_id}",
        "/api/rooms/{id}/snapshots/{seq}/restore",
        "/ws/{id}/group/{column}",
        "/readyz",
    ] {
        assert!(paths.contains_key(path), "{path}");
    }
    assert!(doc["components"]["schemas"]["RoomCreated"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

/// `GET /api/server` says the version and the operator's accessibility contact (no token).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_says_whom_to_contact_about_accessibility() {
    let plain = Server::start_default().await;
    let info = plain.get_json("/api/server", None).await;
    assert_eq!(info["accessibility_contact"], serde_json::Value::Null);
    assert!(info["version"].as_str().is_some_and(|v| !v.is_empty()));
    let set = Server::start(
        ServerOptions::new().arg("--accessibility-contact", "tilgaengelighed@kommune.dk"),
    )
    .await;
    let info = set.get_json("/api/server", None).await;
    assert_eq!(info["accessibility_contact"], "tilgaengelighed@kommune.dk");
}
