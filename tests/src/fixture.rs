//! What tests start from: the workspace's files ([`workspace_root`], built-in templates, the
//! documentation sheet's fixture, the Node scripts in `tests/node`) and [`Fixture`], a server with
//! one room and connections to it per [`Role`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::{Role, RoomCreated, Server, ServerOptions, Template, Templates, YClient};

/// The template most tests use: rows `asis-1`..`asis-8`, columns `borgerservice`, `voksenservice`, …
pub const AS_IS: &str = "kmd-sag-exit-as-is";

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A built-in template, as the server has it (from `shared/templates`).
pub fn template(id: &str) -> Template {
    Templates::built_in()
        .expect("built-in templates load")
        .get(id)
        .unwrap_or_else(|| panic!("no built-in template {id}"))
        .clone()
}

/// A server with one room, for the many tests that need exactly that.
pub struct Fixture {
    pub server: Server,
    pub room: RoomCreated,
}

impl Fixture {
    /// A default server and one [`AS_IS`] room.
    pub async fn new() -> Fixture {
        Fixture::with(ServerOptions::default()).await
    }

    pub async fn with(opts: ServerOptions) -> Fixture {
        let server = Server::start(opts).await;
        let room = server.new_room().await;
        Fixture { server, room }
    }

    pub fn token(&self, role: Role) -> &str {
        match role {
            Role::Facilitator => &self.room.facilitator_token,
            Role::Participant => &self.room.participant_token,
            Role::Review => &self.room.review_token,
        }
    }

    /// Connects to the wall as `role` and waits for the sync.
    pub async fn wall(&self, role: Role) -> YClient {
        YClient::wall(&self.server, &self.room.id, self.token(role)).await
    }

    /// Connects to the wall with `token` (a seat's) and waits for the sync.
    pub async fn wall_with(&self, token: &str) -> YClient {
        YClient::wall(&self.server, &self.room.id, token).await
    }

    /// Connects to the group document of `column` as `role` and waits for the sync.
    pub async fn group(&self, column: &str, role: Role) -> YClient {
        YClient::group(&self.server, &self.room.id, column, self.token(role)).await
    }

    /// Connects to the control document as `role` and waits for the sync.
    pub async fn control(&self, role: Role) -> YClient {
        YClient::control(&self.server, &self.room.id, self.token(role)).await
    }
}

/// The ids of the first row and column of the [`AS_IS`] template.
pub fn as_is_cell() -> (String, String) {
    let t = template(AS_IS);
    (t.rows[0].id.clone(), t.columns[0].id.clone())
}

/// `tests/node`, the stock Yjs scripts, with its packages installed (asserted).
pub fn node_scripts() -> PathBuf {
    let node_dir = workspace_root().join("tests/node");
    assert!(
        node_dir.join("node_modules/yjs").is_dir(),
        "{}/node_modules is missing: run scripts/test, which installs it (npm ci in tests/node)",
        node_dir.display()
    );
    node_dir
}

/// The fixture workshop of the documentation sheet (`shared/tests/fixtures/sheet-cells.json`).
pub fn sheet_fixture() -> Value {
    let path = workspace_root().join("shared/tests/fixtures/sheet-cells.json");
    serde_json::from_str(&std::fs::read_to_string(&path).expect("the sheet fixture"))
        .expect("the sheet fixture is JSON")
}

/// Loads the sheet fixture into `room` (made from the fixture's template) with the stock
/// y-websocket client (`tests/node/load-fixture.mjs`), as the facilitator; returns once the
/// server has it all.
pub async fn load_sheet_fixture(server: &Server, room: &RoomCreated) {
    let node_dir = node_scripts();
    let run = tokio::process::Command::new("node")
        .arg(node_dir.join("load-fixture.mjs"))
        // `--name=value`: a token or room id may start with `-`.
        .arg(format!("--url={}", server.ws_base()))
        .arg(format!("--room={}", room.id))
        .arg(format!("--token={}", room.facilitator_token))
        .arg(format!(
            "--fixture={}",
            workspace_root()
                .join("shared/tests/fixtures/sheet-cells.json")
                .display()
        ))
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("load-fixture.mjs did not finish within 60 s")
        .expect("running node");
    assert!(
        out.status.success(),
        "load-fixture.mjs failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
