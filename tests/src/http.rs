//! HTTP against a [`Server`]: [`Server::send`] and its shorthands (`get`, `post_json`, `request`, …),
//! the API's calls with parsed answers (`create_room`, `health`, `take_snapshot`, `export_csv`,
//! `sheet`, `import`, …), and the [`Response`] they answer, read whole, with its assertions.

use std::time::Duration;

use serde_json::Value;

use crate::{
    analysis, parse_csv, parse_xlsx, try_eventually, Health, RoomCreated, RoomInfo, Server,
    SnapshotInfo, WallView, AS_IS,
};

impl Server {
    /// Sends `req` (built on [`Server::http`] or a client of its own) and reads the whole answer;
    /// `what` names the request in failure messages.
    pub async fn send(&self, req: reqwest::RequestBuilder, what: &str) -> Response {
        let resp = req.send().await.unwrap_or_else(|e| {
            panic!(
                "{what}: request failed: {e}\nserver output:\n{}",
                self.logs()
            )
        });
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_else(|e| {
            panic!(
                "{what}: reading the body failed: {e}\nserver output:\n{}",
                self.logs()
            )
        });
        Response {
            what: what.to_string(),
            status,
            content_type,
            body,
        }
    }

    fn with_token(req: reqwest::RequestBuilder, token: Option<&str>) -> reqwest::RequestBuilder {
        match token {
            Some(t) => req.header(reqwest::header::AUTHORIZATION, format!("Bearer {t}")),
            None => req,
        }
    }

    /// `GET path` with `Authorization: Bearer token` when a token is given.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let req = Self::with_token(self.http().get(format!("{}{path}", self.url())), token);
        self.send(req, &format!("GET {path}")).await
    }

    /// `GET path`, expecting `200` and a JSON body.
    pub async fn get_json(&self, path: &str, token: Option<&str>) -> Value {
        let resp = self.get(path, token).await;
        resp.assert_status(200);
        resp.json()
    }

    /// `GET path` with a raw `Authorization` header value.
    pub async fn send_with_header(&self, path: &str, authorization: &str) -> Response {
        let req = self
            .http()
            .get(format!("{}{path}", self.url()))
            .header(reqwest::header::AUTHORIZATION, authorization);
        self.send(req, &format!("GET {path} (Authorization: {authorization})"))
            .await
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let req = Self::with_token(self.http().post(format!("{}{path}", self.url())), token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(body).unwrap());
        self.send(req, &format!("POST {path} {body}")).await
    }

    /// `POST path` with a raw body and content type.
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) -> Response {
        let body = body.into();
        let what = format!("POST {path} {:?}", String::from_utf8_lossy(&body));
        let req = Self::with_token(self.http().post(format!("{}{path}", self.url())), token)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        self.send(req, &what).await
    }

    /// `METHOD path` with a bearer token and an optional JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let mut req = self
            .http()
            .request(method.clone(), format!("{}{path}", self.url()))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        self.send(req, &format!("{method} {path}")).await
    }

    /// Any method on `path`, with a body and `Content-Type` when one is given, no token.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<Vec<u8>>,
    ) -> Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let body = body.into();
        let what = format!("{method} {path} ({content_type:?}, {} bytes)", body.len());
        let mut req = self
            .http()
            .request(method, format!("{}{path}", self.url()))
            .body(body);
        if let Some(ct) = content_type {
            req = req.header(reqwest::header::CONTENT_TYPE, ct);
        }
        self.send(req, &what).await
    }

    /// `POST /api/rooms`, expecting `201`.
    pub async fn create_room(&self, title: &str, template: &str) -> RoomCreated {
        let resp = self
            .post_json(
                "/api/rooms",
                None,
                &serde_json::json!({"title": title, "template": template}),
            )
            .await;
        resp.assert_status(201);
        resp.parse()
    }

    /// A room from the [`AS_IS`] template.
    pub async fn new_room(&self) -> RoomCreated {
        self.create_room("Testværksted", AS_IS).await
    }

    /// `POST /api/rooms/{id}/seats` (joining as `name` in `group`), expecting `201`: the seat's JSON.
    pub async fn join(&self, room: &str, token: &str, name: &str, group: &str) -> Value {
        let resp = self
            .post_json(
                &format!("/api/rooms/{room}/seats"),
                Some(token),
                &serde_json::json!({"name": name, "group": group}),
            )
            .await;
        resp.assert_status(201);
        resp.json()
    }

    /// As [`Server::join`]: the seat's id and token.
    pub async fn seat(&self, room: &str, token: &str, name: &str, group: &str) -> (String, String) {
        let seat = self.join(room, token, name, group).await;
        let text = |k: &str| seat[k].as_str().expect(k).to_string();
        (text("seat_id"), text("seat_token"))
    }

    /// `GET /api/rooms/{id}`, expecting `200`.
    pub async fn room_info(&self, room: &str, token: &str) -> RoomInfo {
        let resp = self.get(&format!("/api/rooms/{room}"), Some(token)).await;
        resp.assert_status(200);
        resp.parse()
    }

    /// `GET /healthz`, expecting `200`.
    pub async fn health(&self) -> Health {
        let resp = self.get("/healthz", None).await;
        resp.assert_status(200);
        resp.parse()
    }

    /// Polls `/healthz` until `pred` holds.
    pub async fn wait_health(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Health) -> bool,
    ) -> Health {
        let result = try_eventually(timeout, || async {
            let resp = self.get("/healthz", None).await;
            if resp.status != 200 {
                return Err(format!("HTTP {}: {}", resp.status, resp.text()));
            }
            let h: Health = serde_json::from_slice(&resp.body)
                .map_err(|e| format!("bad /healthz body {}: {e}", resp.text()))?;
            if pred(&h) {
                Ok(h)
            } else {
                Err(format!("{h:?}"))
            }
        })
        .await;
        result.unwrap_or_else(|last| {
            panic!(
                "timed out after {timeout:?} waiting for /healthz: {what}; last seen: {last}\nserver output:\n{}",
                self.logs()
            )
        })
    }

    /// `POST /api/rooms/{id}/snapshots`, expecting `201`.
    pub async fn take_snapshot(&self, room: &str, token: &str) -> SnapshotInfo {
        let resp = self
            .post_raw(
                &format!("/api/rooms/{room}/snapshots"),
                Some(token),
                "application/json",
                "{}",
            )
            .await;
        resp.assert_status(201);
        resp.parse()
    }

    /// `GET /api/rooms/{id}/snapshots`, expecting `200`.
    pub async fn snapshots(&self, room: &str, token: &str) -> Vec<SnapshotInfo> {
        let resp = self
            .get(&format!("/api/rooms/{room}/snapshots"), Some(token))
            .await;
        resp.assert_status(200);
        resp.parse()
    }

    /// `GET /api/rooms/{id}/snapshots/{seq}`, expecting `200`.
    pub async fn snapshot(&self, room: &str, seq: u64, token: &str) -> WallView {
        let resp = self
            .get(&format!("/api/rooms/{room}/snapshots/{seq}"), Some(token))
            .await;
        resp.assert_status(200);
        resp.parse()
    }

    /// The path of an export, with `?snapshot=` when given.
    pub fn export_path(room: &str, ext: &str, snapshot: Option<u64>) -> String {
        match snapshot {
            Some(seq) => format!("/api/rooms/{room}/export.{ext}?snapshot={seq}"),
            None => format!("/api/rooms/{room}/export.{ext}"),
        }
    }

    /// `GET /api/rooms/{id}/export.csv`, expecting `200`; the records, header row first.
    pub async fn export_csv(
        &self,
        room: &str,
        token: &str,
        snapshot: Option<u64>,
    ) -> Vec<Vec<String>> {
        let resp = self
            .get(&Self::export_path(room, "csv", snapshot), Some(token))
            .await;
        resp.assert_status(200);
        parse_csv(&resp.body)
    }

    /// `GET /api/rooms/{id}/export.xlsx`, expecting `200`; the card sheet's rows (`Kort`).
    pub async fn export_xlsx(
        &self,
        room: &str,
        token: &str,
        snapshot: Option<u64>,
    ) -> Vec<Vec<String>> {
        parse_xlsx(&self.export_xlsx_body(room, token, snapshot).await)
    }

    /// The XLSX export's bytes (asserting `200`).
    pub async fn export_xlsx_body(
        &self,
        room: &str,
        token: &str,
        snapshot: Option<u64>,
    ) -> Vec<u8> {
        let resp = self
            .get(&Self::export_path(room, "xlsx", snapshot), Some(token))
            .await;
        resp.assert_status(200);
        resp.body
    }

    /// `GET /api/rooms/{id}/sheet` (with `?snapshot=` when given), expecting `200`.
    pub async fn sheet(&self, room: &str, token: &str, snapshot: Option<u64>) -> analysis::Sheet {
        let path = match snapshot {
            Some(seq) => format!("/api/rooms/{room}/sheet?snapshot={seq}"),
            None => format!("/api/rooms/{room}/sheet"),
        };
        let resp = self.get(&path, Some(token)).await;
        resp.assert_status(200);
        resp.parse()
    }

    /// `POST /api/rooms/{id}/import` with a raw body (any status).
    pub async fn import(
        &self,
        room: &str,
        token: Option<&str>,
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) -> Response {
        let body = body.into();
        let path = format!("/api/rooms/{room}/import");
        let req = Self::with_token(self.http().post(format!("{}{path}", self.url())), token)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body.clone());
        let shown = if body.starts_with(b"PK") {
            format!("<{} bytes of XLSX>", body.len())
        } else {
            String::from_utf8_lossy(&body).chars().take(200).collect()
        };
        self.send(req, &format!("POST {path} {shown}")).await
    }
}

/// An HTTP answer, read whole.
#[derive(Debug, Clone)]
pub struct Response {
    /// The request, for failure messages.
    pub what: String,
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{}: HTTP {} body is not JSON ({e}): {:?}",
                self.what,
                self.status,
                self.text()
            )
        })
    }

    /// The body as `T` (panics with the body when it does not parse).
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{}: HTTP {} body does not parse as {}: {e}\nbody: {}",
                self.what,
                self.status,
                std::any::type_name::<T>(),
                self.text()
            )
        })
    }

    pub fn assert_status(&self, expected: u16) -> &Self {
        assert_eq!(
            self.status,
            expected,
            "{}: expected HTTP {expected}, got {} with body {:?}",
            self.what,
            self.status,
            self.text()
        );
        self
    }

    /// Asserts the status, `Content-Type: application/json` and a JSON `{"error": "<non-empty>"}`
    /// body; returns the message.
    pub fn assert_error(&self, expected: u16) -> String {
        self.assert_status(expected);
        let ct = self.content_type.as_deref().unwrap_or_default();
        assert!(
            ct.starts_with("application/json"),
            "{}: HTTP {} error has Content-Type {ct:?}, not application/json; body {:?}",
            self.what,
            self.status,
            self.text()
        );
        let body = self.json();
        let msg = body
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or_else(|| {
                panic!(
                    "{}: HTTP {} error body has no string \"error\": {body}",
                    self.what, self.status
                )
            });
        assert!(
            !msg.trim().is_empty(),
            "{}: empty error message in {body}",
            self.what
        );
        msg.to_string()
    }
}
