//! The web client at `/`: built into the binary (every build embeds `client-web/dist` as it was
//! when built, see `server/build.rs`), or served from `--web-dir`.
//! Every path that is not a file is the client's `index.html`, so links like `/join/{room}` work.
//! Hashed assets (`/assets/…`) may be cached for a year; `index.html` is checked every time.

use std::path::Path;

use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rust_embed::RustEmbed;
use tower_http::services::{ServeDir, ServeFile};

use super::health::placeholder;
use super::AppState;

#[derive(RustEmbed)]
#[folder = "../client-web/dist"]
#[allow_missing = true]
struct Built;

/// The router serving the web client: from `web_dir` when given, else the built-in one, else a
/// plain page that says the client is not built.
pub fn web_client(web_dir: Option<&Path>) -> Router<AppState> {
    if let Some(dir) = web_dir {
        let index = dir.join("index.html");
        if index.is_file() {
            let app = ServeDir::new(dir).fallback(ServeFile::new(index));
            return Router::new().fallback_service(app);
        }
        tracing::warn!(dir = %dir.display(), "--web-dir has no index.html; serving the built-in web client");
    }
    if Built::get("index.html").is_some() {
        Router::new().fallback(get(built))
    } else {
        Router::new().fallback(get(placeholder))
    }
}

async fn built(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let (file, name) = match Built::get(path).filter(|_| !path.is_empty()) {
        Some(file) => (file, path),
        None => match Built::get("index.html") {
            Some(file) => (file, "index.html"),
            None => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    let cache = if name.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mime = HeaderValue::from_str(file.metadata.mimetype())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        file.data,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    /// The release build embeds what the folder holds; a file of it is served as itself, any
    /// other path as `index.html`.
    #[tokio::test]
    async fn paths_are_files_or_the_index() {
        use super::*;
        if Built::get("index.html").is_none() {
            return; // the client was not built when this was compiled
        }
        let page = built("/join/abc".parse().unwrap()).await;
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(page.headers()[header::CACHE_CONTROL], "no-cache");
        assert!(page.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
}
