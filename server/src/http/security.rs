//! The headers every response carries (`docs/API.md`, "Web security"; the threat model is in
//! `SECURITY.md`): a Content-Security-Policy that allows no inline script and no framing, no
//! MIME sniffing, no referrer (the links carry tokens in their fragment, which browsers never
//! send, but a page path names the room), and a Permissions-Policy that turns off what the web
//! client never uses. Cross-origin API access is refused by the browser unless `--cors-origin`
//! names the origin (then [`cors`] answers its preflights).

use axum::http::{header, HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// What the built web client needs and nothing more: its own scripts, styles, images (the QR
/// code is an inline SVG element, the favicon a file), its own WebSockets and API.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), \
usb=(), serial=(), bluetooth=(), hid=(), midi=(), display-capture=(), interest-cohort=()";

/// Every header of the policy, as (name, value).
pub fn headers() -> [(HeaderName, HeaderValue); 5] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        // For browsers older than `frame-ancestors`.
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static(PERMISSIONS_POLICY),
        ),
    ]
}

/// Sets the policy's headers on a response (a middleware over the whole router).
pub async fn add_headers(mut response: axum::response::Response) -> axum::response::Response {
    let map = response.headers_mut();
    for (name, value) in headers() {
        map.entry(name).or_insert(value);
    }
    response
}

/// Cross-origin access for the origins `--cors-origin` names (none: the layer allows nothing,
/// and the browser refuses every cross-origin read and every preflighted request).
pub fn cors(origins: &[HeaderValue]) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins.iter().cloned()))
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        // A named origin may be served from a public address while this server is on the
        // municipality's network (Chromium's Private Network Access asks first).
        .allow_private_network(true)
}
