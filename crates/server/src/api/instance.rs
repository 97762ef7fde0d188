//! `GET /api/v1/instance` and `/api/v2/instance`: who this server is and what it allows.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::error::ApiResult;
use crate::state::AppState;

pub fn version() -> String {
    format!("4.3.0 (compatible; Starling {})", env!("CARGO_PKG_VERSION"))
}

pub fn router() -> Router<AppState> {
    // Mastodon.py asks for these with a trailing slash; Rails routes answer both spellings.
    Router::new()
        .route("/api/v1/instance", get(v1))
        .route("/api/v1/instance/", get(v1))
        .route("/api/v2/instance", get(v2))
        .route("/api/v2/instance/", get(v2))
}

/// What uploads may be: clients check it before they offer to attach a file.
fn media_configuration(state: &AppState) -> Value {
    let side = u64::from(crate::media::image::MAX_SIDE);
    json!({
        "supported_mime_types": crate::media::image::CONTENT_TYPES,
        "image_size_limit": state.settings.media_max_bytes,
        "image_matrix_limit": side * side,
        "description_limit": starling_core::media::MAX_DESCRIPTION,
    })
}

fn statuses_configuration(state: &AppState) -> Value {
    json!({
        "max_characters": state.settings.max_characters,
        "max_media_attachments": starling_core::media::MAX_ATTACHMENTS,
        "characters_reserved_per_url": starling_core::text::URL_WEIGHT,
    })
}

fn streaming_url(state: &AppState) -> String {
    state.settings.public_url.replacen("http", "ws", 1)
}

async fn v1(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let s = &state.settings;
    let counts = state.store.instance_counts().await?;
    Ok(Json(json!({
        "uri": s.domain(),
        "title": s.title,
        "short_description": "A real-time microblogging server.",
        "description": "A real-time microblogging server.",
        "email": "",
        "version": version(),
        "urls": { "streaming_api": streaming_url(&state) },
        "thumbnail": Value::Null,
        "languages": ["en"],
        "registrations": s.registrations_open,
        "approval_required": false,
        "invites_enabled": false,
        "stats": { "user_count": counts.users, "status_count": counts.statuses, "domain_count": 0 },
        "configuration": {
            "accounts": { "max_featured_tags": 0 },
            "statuses": statuses_configuration(&state),
            "media_attachments": media_configuration(&state),
            "polls": { "max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0 },
        },
        "contact_account": Value::Null,
        "rules": [],
    })))
}

async fn v2(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let s = &state.settings;
    let counts = state.store.instance_counts().await?;
    Ok(Json(json!({
        "domain": s.domain(),
        "title": s.title,
        "version": version(),
        "api_versions": { "mastodon": 2 },
        "source_url": "https://example.invalid/starling",
        "description": "A real-time microblogging server.",
        "usage": { "users": { "active_month": counts.users } },
        "thumbnail": { "url": format!("{}/avatars/original/missing.png", s.public_url) },
        "languages": ["en"],
        "configuration": {
            "urls": { "streaming": streaming_url(&state) },
            "accounts": { "max_featured_tags": 0, "max_pinned_statuses": 0 },
            "statuses": statuses_configuration(&state),
            "media_attachments": media_configuration(&state),
            "polls": { "max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0 },
            "translation": { "enabled": false },
        },
        "registrations": { "enabled": s.registrations_open, "approval_required": false, "message": Value::Null },
        "contact": { "email": "", "account": Value::Null },
        "rules": [],
    })))
}
