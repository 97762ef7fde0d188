//! `POST /api/v1/apps`: client registration, the first step of every OAuth flow.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use starling_core::model::{App, NewApp, Timestamp};
use starling_core::scope::Scopes;

use crate::auth::AnyAuth;
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::state::AppState;

/// The redirect URI that means "show the code to the user instead of redirecting".
pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/apps", post(create)).route("/api/v1/apps/verify_credentials", get(verify))
}

pub fn random_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn valid_redirect_uri(uri: &str) -> bool {
    // Native apps register custom schemes (`myapp://callback`), so any absolute URI is allowed
    // except the schemes that would run code or read files in a browser.
    uri == OOB || url::Url::parse(uri).is_ok_and(|u| !matches!(u.scheme(), "javascript" | "data" | "vbscript" | "file"))
}

pub fn app_json(app: &App, with_secret: bool) -> Value {
    let mut v = json!({
        "id": app.id,
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split(' ').collect::<Vec<_>>(),
        "redirect_uri": app.redirect_uris.join("\n"),
        "redirect_uris": app.redirect_uris,
        "vapid_key": "",
    });
    if with_secret {
        v["client_id"] = json!(app.client_id);
        v["client_secret"] = json!(app.client_secret);
        v["client_secret_expires_at"] = json!(0);
    }
    v
}

async fn create(State(state): State<AppState>, params: Params) -> ApiResult<Json<Value>> {
    let name = params
        .text("client_name")
        .ok_or_else(|| ApiError::unprocessable("Validation failed: Application name can't be blank"))?;
    if name.chars().count() > 60 {
        return Err(ApiError::unprocessable(
            "Validation failed: Application name is too long (maximum is 60 characters)",
        ));
    }
    let redirect_uris: Vec<String> = params
        .all("redirect_uris")
        .iter()
        .flat_map(|v| v.split('\n'))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
        .collect();
    if redirect_uris.is_empty() {
        return Err(ApiError::unprocessable("Validation failed: Redirect URI can't be blank"));
    }
    if let Some(bad) = redirect_uris.iter().find(|u| !valid_redirect_uri(u)) {
        return Err(ApiError::unprocessable(format!("Validation failed: Redirect URI must be an absolute URI: {bad}")));
    }
    let scopes = Scopes::parse(params.get("scopes").unwrap_or("read"))
        .map_err(|e| ApiError::unprocessable(format!("Validation failed: Scopes {e}")))?;
    let website = params.text("website").map(str::to_string);
    if let Some(w) = &website
        && url::Url::parse(w).map(|u| !matches!(u.scheme(), "http" | "https")).unwrap_or(true)
    {
        return Err(ApiError::unprocessable("Validation failed: Website must be an http(s) URL"));
    }
    let now = Timestamp::now();
    let app = state
        .store
        .create_app(NewApp {
            id: state.ids.next(),
            name: name.trim().to_string(),
            website,
            redirect_uris,
            scopes: scopes.to_string(),
            client_id: random_secret(),
            client_secret: random_secret(),
            created_at: now,
        })
        .await?;
    Ok(Json(app_json(&app, true)))
}

async fn verify(State(state): State<AppState>, AnyAuth(caller): AnyAuth) -> ApiResult<Json<Value>> {
    let app = state.store.app(caller.token.app_id).await?;
    Ok(Json(app_json(&app, false)))
}
