//! `/healthz`, `/readyz`, `/metrics`, and the page `/` serves when no web client was built.

use std::time::Duration;

use axum::extract::State;
use axum::response::Html;
use axum::Json;

use super::AppState;
#[allow(unused_imports)] // named by the OpenAPI annotations
use kortvaeg_shared::api::ErrorBody;
use kortvaeg_shared::api::Health;

/// How long the store may take to answer a health check before it counts as unreachable.
const STORE_PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Prometheus text format; the gauges are read now (see `metrics.rs` for every name).
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, content_type = "text/plain", description = "Prometheus text format", body = String)))]
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

/// `/readyz`: may a load balancer send this node clients? `200 {"ready": true}` when the store
/// answers, rooms can be loaded (no outage spool waiting to be written) and the server is not
/// shutting down; else `503 {"error"}` saying which.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, body = Object), (status = 503, body = ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> super::ApiResult<Json<serde_json::Value>> {
    let not_ready = |why: &str| Err(super::ApiError::Unavailable(format!("not ready: {why}")));
    if *state.shutdown.borrow() {
        return not_ready("the server is shutting down");
    }
    match tokio::time::timeout(STORE_PING_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return not_ready(&format!("the store fails: {error}")),
        Err(_) => return not_ready("the store does not answer"),
    }
    if !state.rooms.writer().drained(Duration::ZERO).await {
        return not_ready("the outage spool is not written to the store yet: rooms cannot load");
    }
    Ok(Json(serde_json::json!({ "ready": true })))
}

/// `GET /api/server`: what the web client shows about the server (no token; nothing secret).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ServerInfo {
    pub version: &'static str,
    /// `--accessibility-contact`, for the accessibility statement; `null` when not set.
    pub accessibility_contact: Option<String>,
}

#[utoipa::path(get, path = "/api/server", tag = "operations", responses((status = 200, body = ServerInfo)))]
pub async fn server_info(State(state): State<AppState>) -> Json<ServerInfo> {
    Json(ServerInfo {
        version: env!("CARGO_PKG_VERSION"),
        accessibility_contact: state.config.accessibility_contact.clone(),
    })
}

#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
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

/// What `/` serves when no web client was built: a plain page that says so.
pub async fn placeholder() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><html lang=\"da\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<title>Kortvæg</title></head><body>",
        "<h1>Kortvæg</h1><p>Serveren kører. Webklienten er ikke bygget endnu: kør <code>scripts/run</code>, ",
        "som bygger den.</p><p lang=\"en\">The server is running. The web client has not been built yet.</p>",
        "<p><a href=\"/healthz\">/healthz</a> · <a href=\"/api/templates\">/api/templates</a></p></body></html>"
    ))
}
