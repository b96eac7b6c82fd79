//! `/healthz`, `/metrics` and the web client at `/`.

use std::path::Path;
use std::time::Duration;

use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use tower_http::services::{ServeDir, ServeFile};

use super::AppState;
use kortvaeg_shared::api::Health;

/// How long the store may take to answer a health check before it counts as unreachable.
const STORE_PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Prometheus text format; the gauges are read now (see `metrics.rs` for every name).
pub async fn metrics(
    State(state): State<AppState>,
) -> Result<([(axum::http::HeaderName, &'static str); 1], String), super::ApiError> {
    let Some(handle) = &state.metrics else {
        return Err(super::ApiError::Unavailable(
            "metrics are not recorded in this process".into(),
        ));
    };
    let store_ok = matches!(
        tokio::time::timeout(STORE_PING_TIMEOUT, state.store.ping()).await,
        Ok(Ok(()))
    );
    crate::metrics::gauges(
        state.rooms.loaded(),
        state.connections.len(),
        state.rooms.writer().buffered(),
        store_ok,
    );
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        handle.render(),
    ))
}

pub async fn healthz(State(state): State<AppState>) -> Json<Health> {
    let store_ok = matches!(
        tokio::time::timeout(STORE_PING_TIMEOUT, state.store.ping()).await,
        Ok(Ok(()))
    );
    let buffered = state.rooms.writer().buffered();
    Json(Health {
        status: if store_ok && buffered == 0 {
            "ok"
        } else {
            "degraded"
        }
        .into(),
        buffered_updates: buffered,
        store: if store_ok { "ok" } else { "unreachable" }.into(),
        store_kind: state.store.kind().into(),
        rooms_loaded: state.rooms.loaded(),
        connections: state.connections.len(),
    })
}

/// Serves the built web client from `web_dir` (its `index.html` for every page path, so links
/// like `/join/{room}` work); until it is built, a plain page that says so.
pub fn web_client(web_dir: &Path) -> Router<AppState> {
    let index = web_dir.join("index.html");
    if index.is_file() {
        let app = ServeDir::new(web_dir).fallback(ServeFile::new(index));
        Router::new().fallback_service(app)
    } else {
        Router::new().fallback(get(placeholder))
    }
}

async fn placeholder() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><html lang=\"da\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<title>Kortvæg</title></head><body>",
        "<h1>Kortvæg</h1><p>Serveren kører. Webklienten er ikke bygget endnu: kør <code>scripts/run</code>, ",
        "som bygger den.</p><p lang=\"en\">The server is running. The web client has not been built yet.</p>",
        "<p><a href=\"/healthz\">/healthz</a> · <a href=\"/api/templates\">/api/templates</a></p></body></html>"
    ))
}
