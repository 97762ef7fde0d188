//! Media (`/api/v1/media`, `/api/v2/media`): images uploaded ahead of the status, story or chat
//! message that carries them, and the files themselves, served under `/system/`.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use starling_core::Id;
use starling_core::media::{Focus, MAX_ATTACHMENTS, MAX_DESCRIPTION, MediaUpdate, NewMedia};
use starling_core::model::Timestamp;

use crate::auth::Auth;
use crate::entities::Renderer;
use crate::error::{ApiError, ApiResult};
use crate::media::image::{self, Rejected};
use crate::media::{self as files, FilesError};
use crate::params::{Params, PathId};
use crate::state::AppState;

/// `max_bytes`: the largest upload; the body may be a little larger, for the multipart framing
/// and the other fields.
pub fn router(max_bytes: usize) -> Router<AppState> {
    let uploads = Router::new()
        .route("/api/v1/media", post(upload))
        .route("/api/v2/media", post(upload))
        .layer(DefaultBodyLimit::max(max_bytes.saturating_add(64 * 1024)));
    Router::new().merge(uploads).route("/api/v1/media/{id}", get(show).put(update)).route("/system/{*key}", get(file))
}

fn description(s: &str) -> ApiResult<String> {
    Ok(starling_core::validate::description(s, MAX_DESCRIPTION)?)
}

fn focus(s: &str) -> ApiResult<Focus> {
    Focus::parse(s).ok_or_else(|| ApiError::unprocessable("focus must be two numbers from -1 to 1, as \"x,y\""))
}

async fn upload(State(state): State<AppState>, auth: Auth, mut form: Multipart) -> ApiResult<Json<Value>> {
    auth.require("write:media")?;
    let max = state.settings.media_max_bytes;
    let (mut file, mut text, mut point) = (None, String::new(), Focus::default());
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(format!("The file is larger than {max} bytes"))
        } else {
            ApiError::BadRequest(format!("The multipart body could not be read: {e}"))
        }
    };
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name().unwrap_or_default() {
            "file" => file = Some(field.bytes().await.map_err(unreadable)?),
            "description" => text = description(&field.text().await.map_err(unreadable)?)?,
            "focus" => point = focus(&field.text().await.map_err(unreadable)?)?,
            _ => {}
        }
    }
    let file = file.ok_or_else(|| ApiError::unprocessable("file is required"))?;
    if file.len() > max {
        return Err(ApiError::PayloadTooLarge(format!("The file is larger than {max} bytes")));
    }
    let processed = tokio::task::spawn_blocking(move || image::process(&file))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| match e {
            Rejected::NotAnImage | Rejected::TooLarge | Rejected::Corrupt(_) => ApiError::unprocessable(e.to_string()),
        })?;
    let id = state.ids.next();
    let (original, preview) = (processed.original, processed.preview);
    let file_key = files::key(id, "original", original.extension);
    let preview_key = files::key(id, "small", preview.extension);
    let bytes = original.bytes.len() as i64;
    let stored = |e: FilesError| ApiError::Internal(e.to_string());
    state.media.put(&file_key, original.bytes).await.map_err(stored)?;
    state.media.put(&preview_key, preview.bytes).await.map_err(stored)?;
    let media = state
        .store
        .create_media(NewMedia {
            id,
            account_id: auth.id(),
            content_type: original.content_type.to_string(),
            file_key,
            preview_content_type: preview.content_type.to_string(),
            preview_key,
            description: text,
            focus: point,
            meta: starling_core::media::MediaMeta {
                width: i64::from(original.width),
                height: i64::from(original.height),
                preview_width: i64::from(preview.width),
                preview_height: i64::from(preview.height),
                bytes,
            },
            blurhash: processed.blurhash,
            created_at: Timestamp::now(),
        })
        .await?;
    Ok(Json(json!(Renderer::new(&state.settings.public_url).media(&media))))
}

/// The caller's own media; anyone else's is 404.
async fn own(state: &AppState, auth: &Auth, id: Id) -> ApiResult<starling_core::media::Media> {
    let media = state.store.media(id).await?;
    if media.account_id != auth.id() {
        return Err(ApiError::NotFound);
    }
    Ok(media)
}

async fn show(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:media")?;
    let media = own(&state, &auth, id).await?;
    Ok(Json(json!(Renderer::new(&state.settings.public_url).media(&media))))
}

async fn update(
    State(state): State<AppState>,
    auth: Auth,
    PathId(id): PathId,
    params: Params,
) -> ApiResult<Json<Value>> {
    auth.require("write:media")?;
    let update = MediaUpdate {
        description: params.get("description").map(description).transpose()?,
        focus: params.text("focus").map(focus).transpose()?,
    };
    let media = state.store.update_media(id, auth.id(), update).await.map_err(|e| match e {
        starling_core::StoreError::Conflict(_) => {
            ApiError::unprocessable("The media is attached: edit what carries it instead")
        }
        other => other.into(),
    })?;
    Ok(Json(json!(Renderer::new(&state.settings.public_url).media(&media))))
}

fn content_type(key: &str) -> &'static str {
    match key.rsplit('.').next() {
        Some("png") => "image/png",
        Some("jpg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        _ => "application/octet-stream",
    }
}

/// A stored file. Keys never change what they name, so caches may keep them forever.
async fn file(State(state): State<AppState>, Path(key): Path<String>) -> ApiResult<Response> {
    let bytes = state.media.get(&key).await.map_err(|e| match e {
        FilesError::NotFound => ApiError::NotFound,
        FilesError::Other(cause) => ApiError::Internal(cause),
    })?;
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&key)));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(response)
}

/// The `media_ids` of a status, story or chat message: at most four, each the caller's and
/// not yet attached, in the order given.
pub async fn attachable(state: &AppState, auth: &Auth, params: &Params) -> ApiResult<Vec<Id>> {
    let mut ids = Vec::new();
    for id in params.ids("media_ids")? {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() > MAX_ATTACHMENTS {
        return Err(ApiError::unprocessable(format!("At most {MAX_ATTACHMENTS} media attachments")));
    }
    for &id in &ids {
        let usable = match state.store.media(id).await {
            Ok(m) => m.account_id == auth.id() && !m.attached,
            Err(starling_core::StoreError::NotFound) => false,
            Err(e) => return Err(e.into()),
        };
        if !usable {
            return Err(ApiError::unprocessable(format!(
                "media_ids: {id} is not media of yours that is free to attach"
            )));
        }
    }
    Ok(ids)
}
