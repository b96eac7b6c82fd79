//! Every error of the HTTP API is `{"error": "..."}` with a status code: the handlers' own errors
//! through [`ApiError`], everything axum answers by itself through the [`json_errors`] layer.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kortvaeg_shared::api::ErrorBody;

use crate::room::{OpenError, RoomError};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A limit (`docs/API.md`, "Limits") would be crossed: `429`.
    #[error("{0}")]
    TooMany(String),
    /// A limit on what the room holds (seats): `409`.
    #[error("{0}")]
    Conflict(String),
    /// A screening list that cannot be read: `400` with a problem per row.
    #[error("{}", .0.error)]
    Rejected(kortvaeg_shared::screening::Rejected),
    /// The server cannot take the change now (queue or outage buffer full, store write failed).
    #[error("{0}")]
    Unavailable(String),
    /// The store could not be reached or failed: the request may be retried.
    #[error("the store is unavailable: {0}")]
    Store(StoreError),
    #[error("{0}")]
    Internal(String),
}

/// The room core's refusals and failures as the API answers them: `503` for what may be retried
/// (the writer's queue or the outage buffer is full), `500` for the rest.
impl From<OpenError> for ApiError {
    fn from(error: OpenError) -> Self {
        match error {
            OpenError::NotFound(id) => ApiError::NotFound(format!("no room with id {id}")),
            OpenError::Store(e) => e.into(),
            e @ OpenError::Busy(..) => ApiError::Unavailable(e.to_string()),
        }
    }
}

/// A store error as the API answers it: `404` for a room the store does not have (deleted while
/// the request ran), `503` for the rest.
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NoRoom(id) => ApiError::NotFound(format!("no room with id {id}")),
            e => ApiError::Store(e),
        }
    }
}

/// A REST body that was refused: `400` with its message.
impl From<kortvaeg_shared::requests::BodyError> for ApiError {
    fn from(error: kortvaeg_shared::requests::BodyError) -> Self {
        ApiError::BadRequest(error.0)
    }
}

/// A screening list file that cannot be read: `413` past a size limit, `400` otherwise.
impl From<kortvaeg_shared::screening_file::FileError> for ApiError {
    fn from(error: kortvaeg_shared::screening_file::FileError) -> Self {
        use kortvaeg_shared::screening_file::FileError;
        match error {
            FileError::Unreadable(e) => ApiError::BadRequest(e),
            FileError::TooLarge(e) => ApiError::TooLarge(e),
            FileError::Rejected(rejected) => ApiError::Rejected(rejected),
        }
    }
}

impl From<RoomError> for ApiError {
    fn from(error: RoomError) -> Self {
        ApiError::room("", error)
    }
}

impl ApiError {
    /// A room core error, its message after `what` (when not empty).
    pub fn room(what: &str, error: RoomError) -> ApiError {
        let message = match what {
            "" => error.to_string(),
            what => format!("{what}: {error}"),
        };
        if matches!(error, RoomError::Deleted(_)) {
            ApiError::NotFound(message)
        } else if error.is_temporary() {
            ApiError::Unavailable(message)
        } else {
            ApiError::Internal(message)
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Rejected(_) => StatusCode::BAD_REQUEST,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        match self {
            ApiError::Rejected(rejected) => (status, Json(rejected)).into_response(),
            other => (
                status,
                Json(ErrorBody {
                    error: other.to_string(),
                }),
            )
                .into_response(),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The most of a non-JSON error body [`json_errors`] reads as the message (axum's own are one line).
const MAX_PLAIN_ERROR: usize = 16 * 1024;

/// Middleware (`axum::middleware::map_response`) over the whole router: an error response (4xx,
/// 5xx) that is not JSON becomes `{"error": <its text>}` with the same status and headers (`Allow`
/// of a 405 stays), an empty one `{"error": <the status's reason>}`.
///
/// Why a layer and not custom extractors: axum answers some requests before any handler of ours
/// runs, as `text/plain` or with an empty body — the rejections of `Path` (invalid UTF-8 in an id),
/// `Query`, `Json`, `Bytes` (the body limit, 413), `WebSocketUpgrade`, and the router's own 405s.
/// Wrapping each extractor would cover only the ones we thought of, and not the router; one layer
/// at the edge covers every one of them, including those a later route brings.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, MAX_PLAIN_ERROR).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    let error = match text.is_empty() {
        true => status.canonical_reason().unwrap_or("error").to_lowercase(),
        false => text,
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = serde_json::to_vec(&ErrorBody { error }).expect("a string serialises");
    Response::from_parts(parts, Body::from(body))
}
