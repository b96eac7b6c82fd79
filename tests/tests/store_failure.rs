//! The Redis store going away and coming back, without the outage buffer (`--outage-buffer 0`,
//! the behaviour of a store that fails a write): a writer whose update cannot be saved is closed
//! with 1011, `/healthz` reports the store unreachable (and `/readyz` is 503), and after Redis returns a reconnecting
//! client resyncs and nothing another client saw is lost. With the buffer: `outage.rs`.
//!
//! The embedded store on a disk that fills up and gets room again (a small tmpfs, so the test
//! needs root, as CI has): the same close and health, and writes work again without a restart.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use kortvaeg_tests::*;

const STORE_FAILED: u16 = 1011;
const OUTAGE_TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_follows_the_store() {
    let mut redis = Redis::start().await;
    let server = Server::start(ServerOptions::new().redis(redis.url())).await;
    let h = server.health().await;
    assert_eq!(
        (h.status.as_str(), h.store.as_str(), h.store_kind.as_str()),
        ("ok", "ok", "redis"),
        "{h:?}"
    );
    let ready = server.get("/readyz", None).await;
    ready.assert_status(200);
    assert_eq!(ready.json()["ready"], true);

    redis.stop().await;
    server
        .wait_health(
            "store unreachable while Redis is down",
            OUTAGE_TIMEOUT,
            |h| h.store == "unreachable" && h.status == "degraded",
        )
        .await;
    // Not ready: a load balancer sends clients elsewhere.
    let ready = server.get("/readyz", None).await;
    ready.assert_error(503);
    assert!(ready.json()["error"].as_str().unwrap().contains("store"));

    redis.start_again().await;
    server
        .wait_health("store ok after Redis is back", OUTAGE_TIMEOUT, |h| {
            h.store == "ok" && h.status == "ok"
        })
        .await;
    server.get("/readyz", None).await.assert_status(200);
    // And it works again.
    let room = server.new_room().await;
    YClient::wall(&server, &room.id, &room.participant_token).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writer_is_closed_when_its_update_cannot_be_saved_and_recovers() {
    let mut redis = Redis::start().await;
    let mut f = Fixture::with(
        ServerOptions::new()
            .redis(redis.url())
            .arg("--outage-buffer", 0),
    )
    .await;
    let (row, col) = as_is_cell();
    let observer = f.wall(Role::Review).await;
    let writer = f.wall(Role::Participant).await;
    writer.add_card("before-outage", &row, &col, "før");
    observer.wait_card("before-outage").await;

    redis.stop().await;
    writer.add_card("during-outage", &row, &col, "under nedbrud");
    let (code, reason) = writer.closed_within(OUTAGE_TIMEOUT).await;
    assert_eq!(
        code, STORE_FAILED,
        "a writer whose update was not saved: close code (reason {reason:?})"
    );
    f.server
        .wait_health("store unreachable", OUTAGE_TIMEOUT, |h| {
            h.store == "unreachable" && h.status != "ok"
        })
        .await;

    redis.start_again().await;
    f.server
        .wait_health("store ok again", OUTAGE_TIMEOUT, |h| {
            h.store == "ok" && h.status == "ok"
        })
        .await;

    // The writer reconnects with its replica, which still has the unsaved card: its sync step 2
    // brings it to the server, and this time it is saved.
    let doc = writer.doc.clone();
    drop(writer);
    let again = YClient::reconnect_with(
        &f.server,
        &f.room.id,
        DocKind::Wall,
        &f.room.participant_token,
        doc,
    )
    .await;
    assert_eq!(
        again.settle().await,
        None,
        "the reconnected writer was closed"
    );
    again.add_card("after-outage", &row, &col, "efter");
    again.barrier().await;
    let fresh = f.wall(Role::Review).await;
    fresh
        .wait_cards_present(&["before-outage", "during-outage", "after-outage"])
        .await;

    // Everything any client saw survives a kill -9 now.
    let mut seen = observer.cards();
    seen.extend(fresh.cards());
    drop((again, fresh));
    f.server.kill9();
    f.server.restart().await;
    let after = f.wall(Role::Review).await;
    let ids = after.card_ids();
    let mut lost: Vec<&str> = seen
        .iter()
        .map(|c| c.id.as_str())
        .filter(|id| !ids.iter().any(|i| i == id))
        .collect();
    lost.dedup();
    assert!(
        lost.is_empty(),
        "cards seen by a client but lost after the outage and a restart: {lost:?} (have {ids:?})"
    );
    for id in ["before-outage", "during-outage", "after-outage"] {
        assert!(ids.iter().any(|i| i == id), "{id} missing: {ids:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_rooms_fail_cleanly_while_the_store_is_down() {
    let mut redis = Redis::start().await;
    let server = Server::start(ServerOptions::new().redis(redis.url())).await;
    redis.stop().await;
    // Creating a room needs the store: it must fail with a JSON error (5xx), not hang or crash.
    let resp = server
        .post_json(
            "/api/rooms",
            None,
            &serde_json::json!({"title": "Under nedbrud", "template": AS_IS}),
        )
        .await;
    assert!(
        resp.status >= 500,
        "creating a room with Redis down: HTTP {} {}",
        resp.status,
        resp.text()
    );
    resp.assert_error(resp.status);
    redis.start_again().await;
    server
        .wait_health("store ok again", OUTAGE_TIMEOUT, |h| h.store == "ok")
        .await;
    server.new_room().await;
}

/// A tmpfs of a given size on a fresh temporary directory, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().expect("a mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("running mount");
        assert!(
            out.status.success(),
            "mount -t tmpfs failed (this test needs root, as CI runs it): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file until the filesystem is full; returns its path.
    fn fill(&self) -> PathBuf {
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).expect("creating the filler");
        let page = [0x5a_u8; 4096];
        loop {
            match file.write_all(&page).and_then(|()| file.sync_data()) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => break,
                Err(e) => panic!("filling the tmpfs: {e}"),
            }
        }
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(self.path())
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            // Still busy (a process that has not exited yet): detach it now, freed when unused.
            let _ = Command::new("umount").arg("-l").arg(self.path()).status();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_store_recovers_when_the_disk_has_room_again() {
    // Declared first, dropped last: the server has exited before the unmount.
    let tmpfs = Tmpfs::mount("2m");
    let mut f = Fixture::with(ServerOptions::new().data_dir(tmpfs.path().join("data"))).await;
    let (row, col) = as_is_cell();
    let writer = f.wall(Role::Participant).await;
    writer.add_card("before", &row, &col, "før");
    assert_eq!(
        writer.settle().await,
        None,
        "a write before the disk is full"
    );
    let h = f.server.health().await;
    assert_eq!(
        (h.status.as_str(), h.store.as_str(), h.store_kind.as_str()),
        ("ok", "ok", "embedded"),
        "{h:?}"
    );

    let filler = tmpfs.fill();
    // The file may have free pages of its own: write until the store refuses.
    let text = "x".repeat(schema::MAX_STRING_CHARS);
    let mut closed = None;
    for i in 0..200 {
        writer.add_card(&format!("full-{i}"), &row, &col, &text);
        if let Some(close) = writer.settle().await {
            closed = Some(close);
            break;
        }
    }
    let (code, reason) =
        closed.expect("200 cards of 20,000 characters were saved on a full 2 MiB tmpfs");
    assert_eq!(
        code, STORE_FAILED,
        "a writer whose update was not saved: close code (reason {reason:?})"
    );
    f.server
        .wait_health("degraded while the disk is full", OUTAGE_TIMEOUT, |h| {
            h.status == "degraded" && h.store == "unreachable"
        })
        .await;
    // Reading meanwhile is an answer (the room, or a JSON 503), not a crash.
    let resp = f
        .server
        .get(
            &format!("/api/rooms/{}", f.room.id),
            Some(&f.room.review_token),
        )
        .await;
    if resp.status != 200 {
        resp.assert_error(503);
    }
    assert!(f.server.is_running(), "the server exited on a full disk");

    std::fs::remove_file(&filler).expect("removing the filler");
    f.server
        .wait_health("ok once the disk has room", OUTAGE_TIMEOUT, |h| {
            h.status == "ok" && h.store == "ok"
        })
        .await;
    let again = f.wall(Role::Participant).await;
    let after = ["after-1", "after-2", "after-3"];
    for id in after {
        again.add_card(id, &row, &col, id);
    }
    assert_eq!(
        again.settle().await,
        None,
        "a write after the disk has room again"
    );
    let observer = f.wall(Role::Review).await;
    observer.wait_cards_present(&after).await;

    drop((writer, again, observer));
    f.server.kill9();
    f.server.restart().await;
    let fresh = f.wall(Role::Review).await;
    let ids = fresh.card_ids();
    for id in ["before"].iter().chain(&after) {
        assert!(
            ids.iter().any(|i| i == id),
            "{id} is missing after a restart: {ids:?}"
        );
    }
    drop(fresh);
    f.server.kill9();
}
