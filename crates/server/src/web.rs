//! The web client: static HTML, CSS and JavaScript modules from `web/`, embedded at compile
//! time (`build.rs`) and served under `/web/`, with `index.html` answering `/` and every path
//! the client routes itself (`/home`, `/@alice`, `/tags/birds` …), so that links in statuses
//! and reloads land in the app. Every page carries a strict Content-Security-Policy: scripts,
//! styles and connections from this origin only, nothing inline.
//!
//! With `STARLING_WEB_DIR` set, files are read from that directory on every request instead,
//! so that the client can be worked on without rebuilding the server.

use std::path::PathBuf;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::ApiError;
use crate::state::AppState;
use crate::web_content_type::content_type;

/// One embedded file.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub etag: &'static str,
    pub bytes: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
                       media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
                       base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The first segments of the paths the client routes itself.
const CLIENT_ROUTES: &[&str] = &[
    "home",
    "local",
    "public",
    "tags",
    "notifications",
    "chats",
    "stories",
    "search",
    "stats",
    "statuses",
    "settings",
    "signin",
    "signup",
    "callback",
    "explore",
];

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(index)).route("/web/{*file}", get(asset))
}

/// Whether `path` is one the client routes itself (and so answers with `index.html`).
pub fn is_client_route(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    first.starts_with('@') && first.len() > 1 || CLIENT_ROUTES.contains(&first)
}

/// The fallback for every unrouted request: the client's page for its own routes (GET and HEAD
/// only), the API's 404 for anything else.
pub async fn fallback(State(state): State<AppState>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if matches!(method, Method::GET | Method::HEAD) && is_client_route(uri.path()) {
        return serve(&state, "index.html", &headers);
    }
    ApiError::NotFound.into_response()
}

async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve(&state, "index.html", &headers)
}

async fn asset(State(state): State<AppState>, Path(file): Path<String>, headers: HeaderMap) -> Response {
    serve(&state, &file, &headers)
}

fn serve(state: &AppState, file: &str, headers: &HeaderMap) -> Response {
    if let Some(dir) = &state.settings.web_dir {
        return from_disk(dir, file);
    }
    let Some(asset) = ASSETS.iter().find(|a| a.path == file) else { return ApiError::NotFound.into_response() };
    let etag = HeaderValue::from_static(asset.etag);
    let mut response = if headers.get(IF_NONE_MATCH) == Some(&etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(CONTENT_TYPE, asset.content_type)], asset.bytes).into_response()
    };
    let h = response.headers_mut();
    h.insert(ETAG, etag);
    // Names do not change with contents: revalidate every time (cheap with the ETag).
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    secure(h);
    response
}

/// Reads `file` from the working copy (`STARLING_WEB_DIR`), never outside it.
fn from_disk(dir: &std::path::Path, file: &str) -> Response {
    let relative = PathBuf::from(file);
    if relative.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
        return ApiError::NotFound.into_response();
    }
    match std::fs::read(dir.join(&relative)) {
        Ok(bytes) => {
            let mut response = ([(CONTENT_TYPE, content_type(file))], bytes).into_response();
            response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            secure(response.headers_mut());
            response
        }
        Err(_) => ApiError::NotFound.into_response(),
    }
}

fn secure(h: &mut HeaderMap) {
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_routes_its_own_paths_and_nothing_else() {
        for path in ["/home", "/@alice", "/@alice/123", "/tags/birds", "/chats/5", "/stats", "/callback"] {
            assert!(is_client_route(path), "{path}");
        }
        for path in ["/api/v1/statuses", "/oauth/token", "/system/x", "/metrics", "/@", "/nothing", "/web/x.js"] {
            assert!(!is_client_route(path), "{path}");
        }
    }

    #[test]
    fn the_page_and_its_modules_are_embedded() {
        assert!(ASSETS.iter().any(|a| a.path == "index.html" && a.content_type.starts_with("text/html")));
        assert!(ASSETS.iter().any(|a| a.path == "js/app.js" && a.content_type.starts_with("text/javascript")));
    }
}
