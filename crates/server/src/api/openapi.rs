//! `GET /api/openapi.json`: the hand-written OpenAPI document of every route, served as it is
//! in the source tree so that what clients read is what the tests check.

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::state::AppState;

const DOCUMENT: &str = include_str!("../../openapi.json");

pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(document))
}

async fn document() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], DOCUMENT)
}
