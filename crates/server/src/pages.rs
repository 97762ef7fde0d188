//! What the server shows outside the API: a landing page and the default avatar and header
//! images that every account without its own points at.

use axum::Router;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use crate::state::AppState;

const MISSING_PNG: &[u8] = include_bytes!("../assets/missing.png");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(landing))
        .route("/avatars/original/missing.png", get(missing_image))
        .route("/headers/original/missing.png", get(missing_image))
}

async fn missing_image() -> impl IntoResponse {
    ([(CONTENT_TYPE, "image/png"), (CACHE_CONTROL, "public, max-age=86400")], MISSING_PNG)
}

async fn landing(State(state): State<AppState>) -> Html<String> {
    let mut title = String::new();
    starling_core::text::escape_html(&state.settings.title, &mut title);
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}}</style></head>
<body><h1>{title}</h1><p>A real-time microblogging server. It speaks the Mastodon client API, so any Mastodon app or library can sign up, sign in and post here.</p>
<ul><li>Instance information: <a href="/api/v2/instance">/api/v2/instance</a></li><li>Public timeline: <a href="/api/v1/timelines/public">/api/v1/timelines/public</a></li></ul>
<p><small>{version}</small></p></body></html>"#,
        version = crate::api::version(),
    ))
}
