//! The default avatar and header images that every account without its own points at. (The
//! web client, `web`, answers `/`.)

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::state::AppState;

const MISSING_PNG: &[u8] = include_bytes!("../assets/missing.png");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/avatars/original/missing.png", get(missing_image))
        .route("/headers/original/missing.png", get(missing_image))
}

async fn missing_image() -> impl IntoResponse {
    ([(CONTENT_TYPE, "image/png"), (CACHE_CONTROL, "public, max-age=86400")], MISSING_PNG)
}
