//! `GET /api/openapi.json`: the HTTP API as an OpenAPI 3.1 document, generated from the
//! handlers' annotations (utoipa). A unit test holds it to the router: every route the router
//! has is in it, with its methods. The prose, the documents' schema and the close codes are in
//! `docs/API.md`.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    archive, compare, export, health, import, join_code, rooms, seats, snapshots, votes, ws,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kortvæg",
        description = "Live workshop rooms (Yjs over y-websocket), seats, snapshots and the documentation sheet. Prose, document schema, permissions and close codes: docs/API.md."
    ),
    paths(
        rooms::list_templates,
        rooms::get_template,
        rooms::get_tree,
        rooms::create_room,
        rooms::list_rooms,
        rooms::get_room,
        rooms::delete_room,
        archive::export,
        archive::import,
        snapshots::list,
        snapshots::create,
        snapshots::get,
        snapshots::restore,
        compare::compare,
        export::sheet,
        export::csv,
        export::xlsx,
        import::import,
        seats::create,
        seats::list,
        seats::people,
        seats::update,
        seats::remove,
        seats::new_participant_token,
        join_code::get,
        join_code::create,
        join_code::find,
        votes::open,
        votes::change,
        votes::list,
        votes::cast,
        votes::take_back,
        health::server_info,
        health::healthz,
        health::readyz,
        health::metrics,
        ws::wall,
        ws::control,
        ws::group,
        openapi,
    ),
    modifiers(&Bearer)
)]
pub struct ApiDoc;

/// Tokens (room, seat, creator key) travel as `Authorization: Bearer`.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[utoipa::path(get, path = "/api/openapi.json", tag = "operations", responses((status = 200, description = "This document", body = Object)))]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `.route("path", method(handler).method(handler))` of `http/mod.rs` is in the
    /// document with the same methods (the API's routes under `/api`).
    #[test]
    fn every_route_of_the_router_is_documented() {
        let source = include_str!("mod.rs");
        let doc = ApiDoc::openapi();
        let mut routes = 0;
        let mut in_api = false;
        for chunk in source.split(".route(").skip(1) {
            let path = chunk.split('"').nth(1).expect("a route's path");
            let call = chunk.split(')').next().unwrap_or_default();
            // The API router's routes come first, nested under /api.
            in_api |= path.starts_with("/templates");
            let full = if path.starts_with("/templates")
                || path.starts_with("/rooms")
                || path.starts_with("/trees")
                || path == "/openapi.json"
                || path == "/server"
                || path.starts_with("/join/")
            {
                format!("/api{path}")
            } else {
                path.to_string()
            };
            let item = doc
                .paths
                .paths
                .get(&full)
                .unwrap_or_else(|| panic!("{full} is not in the OpenAPI document"));
            let rest = &chunk[chunk.find(',').unwrap_or(0)..];
            let methods: Vec<&str> = ["get", "post", "patch", "delete", "put"]
                .into_iter()
                .filter(|m| {
                    rest.split(';')
                        .next()
                        .unwrap_or_default()
                        .contains(&format!("{m}("))
                })
                .collect();
            assert!(!methods.is_empty(), "no method read for {full}: {call}");
            for method in methods {
                let documented = match method {
                    "get" => item.get.is_some(),
                    "post" => item.post.is_some(),
                    "patch" => item.patch.is_some(),
                    "delete" => item.delete.is_some(),
                    _ => item.put.is_some(),
                };
                assert!(documented, "{method} {full} is not documented");
            }
            routes += 1;
        }
        assert!(in_api && routes >= 20, "read {routes} routes");
        assert_eq!(
            routes,
            doc.paths.paths.len(),
            "the document has a path the router does not"
        );
    }
}
