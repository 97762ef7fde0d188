//! OAuth 2: `POST /oauth/token` (password, client credentials, authorization code with PKCE),
//! `POST /oauth/revoke`, and a minimal sign-in-and-approve page at `/oauth/authorize`.
//! Errors here follow RFC 6749 (`error` + `error_description`), as Mastodon's Doorkeeper does.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, LOCATION};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};
use starling_core::StoreError;
use starling_core::model::{App, AuthCode, Timestamp};
use starling_core::scope::Scopes;

use super::apps::{OOB, random_secret};
use crate::auth::{issue_token, token_id_of};
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::passwords;
use crate::state::AppState;

const CODE_TTL_SECS: i64 = 600;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .route("/oauth/authorize", get(authorize_page).post(authorize))
}

fn oauth_error(status: StatusCode, error: &'static str, description: impl Into<String>) -> ApiError {
    ApiError::OAuth { status, error, description: description.into() }
}

/// An OAuth request's parameters. A body that cannot be read at all is RFC 6749's
/// `invalid_request`, in its error shape, as every other error of these endpoints.
struct OAuthParams(Params);

impl axum::extract::FromRequest<AppState> for OAuthParams {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, Self::Rejection> {
        Params::from_request(req, state).await.map(OAuthParams).map_err(|e| match e {
            too_large @ ApiError::PayloadTooLarge(_) => too_large,
            other => oauth_error(StatusCode::BAD_REQUEST, "invalid_request", other.to_string()),
        })
    }
}

fn invalid_client() -> ApiError {
    oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
    )
}

fn invalid_grant() -> ApiError {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
    )
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The client, authenticated by `client_id` + `client_secret` in the body or by HTTP Basic.
async fn client(state: &AppState, params: &Params, headers: &axum::http::HeaderMap) -> ApiResult<App> {
    let basic = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(i, s)| (i.to_string(), s.to_string())));
    let (id, secret) = match basic {
        Some(pair) => pair,
        None => (
            params.text("client_id").ok_or_else(invalid_client)?.to_string(),
            params.get("client_secret").unwrap_or("").to_string(),
        ),
    };
    let app = match state.store.app_by_client_id(&id).await {
        Ok(app) => app,
        Err(StoreError::NotFound) => return Err(invalid_client()),
        Err(e) => return Err(e.into()),
    };
    if !constant_time_eq(&app.client_secret, &secret) {
        return Err(invalid_client());
    }
    Ok(app)
}

fn requested_scopes(params: &Params, app: &App) -> ApiResult<Scopes> {
    let app_scopes = Scopes::parse(&app.scopes).map_err(|e| ApiError::Internal(format!("stored app scopes: {e}")))?;
    let requested = match params.text("scope") {
        Some(s) => Scopes::parse(s).map_err(|_| invalid_scope())?,
        None => app_scopes.clone(),
    };
    if !app_scopes.covers(&requested) {
        return Err(invalid_scope());
    }
    Ok(requested)
}

fn invalid_scope() -> ApiError {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", "The requested scope is invalid, unknown, or malformed.")
}

pub fn token_response(record: &starling_core::model::TokenRecord, jwt: String) -> Response {
    let mut body = json!({
        "access_token": jwt,
        "token_type": "Bearer",
        "scope": record.scopes,
        "created_at": record.created_at.as_seconds(),
    });
    if let Some(expires_at) = record.expires_at {
        body["expires_in"] = json!((expires_at.0 - record.created_at.0).div_euclid(1000).max(0));
    }
    let mut response = Json(body).into_response();
    response.headers_mut().insert(CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    response
}

async fn token(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    OAuthParams(params): OAuthParams,
) -> ApiResult<Response> {
    let grant = params.text("grant_type").ok_or_else(|| {
        oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request is missing a required parameter: grant_type.",
        )
    })?;
    let app = client(&state, &params, &headers).await?;
    match grant {
        "client_credentials" => {
            let scopes = requested_scopes(&params, &app)?;
            let (record, jwt) = issue_token(&state, &app, None, &scopes, "client_credentials").await?;
            Ok(token_response(&record, jwt))
        }
        "password" => {
            let scopes = requested_scopes(&params, &app)?;
            let login = params.text("username").ok_or_else(invalid_grant)?;
            let password = params.get("password").ok_or_else(invalid_grant)?;
            let Some(account) = sign_in(&state, login, password).await? else { return Err(invalid_grant()) };
            let (record, jwt) = issue_token(&state, &app, Some(account.id), &scopes, "password").await?;
            Ok(token_response(&record, jwt))
        }
        "authorization_code" => {
            let code = params.text("code").ok_or_else(invalid_grant)?;
            let stored = match state.store.take_auth_code(&hash_code(code)).await {
                Ok(c) => c,
                Err(StoreError::NotFound) => return Err(invalid_grant()),
                Err(e) => return Err(e.into()),
            };
            let redirect_uri = params.get("redirect_uri").unwrap_or("");
            if stored.app_id != app.id || stored.redirect_uri != redirect_uri || stored.expires_at <= Timestamp::now() {
                return Err(invalid_grant());
            }
            if let Some(challenge) = &stored.code_challenge {
                let verifier = params.text("code_verifier").ok_or_else(invalid_grant)?;
                let computed = match stored.code_challenge_method.as_deref() {
                    Some("plain") => verifier.to_string(),
                    _ => base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
                };
                if !constant_time_eq(&computed, challenge) {
                    return Err(invalid_grant());
                }
            }
            let scopes = Scopes::parse(&stored.scopes).map_err(|_| invalid_scope())?;
            let (record, jwt) =
                issue_token(&state, &app, Some(stored.account_id), &scopes, "authorization_code").await?;
            Ok(token_response(&record, jwt))
        }
        _ => Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        )),
    }
}

/// RFC 7009: revoking an unknown or already revoked token succeeds; revoking another
/// client's token does not.
async fn revoke(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    OAuthParams(params): OAuthParams,
) -> ApiResult<Response> {
    let app = client(&state, &params, &headers).await?;
    let token = params.text("token").ok_or_else(|| {
        oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "The request is missing a required parameter: token.")
    })?;
    if let Some(id) = token_id_of(&state, token) {
        match state.store.token(id).await {
            Ok(record) if record.app_id != app.id => {
                return Err(oauth_error(
                    StatusCode::FORBIDDEN,
                    "unauthorized_client",
                    "You are not authorized to revoke this token",
                ));
            }
            Ok(_) => {
                state.store.revoke_token(id).await?;
            }
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(json!({})).into_response())
}

/// The account whose username or email and password these are, if they match.
async fn sign_in(state: &AppState, login: &str, password: &str) -> ApiResult<Option<starling_core::model::Account>> {
    let credentials = match state.store.credentials(login.trim()).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => {
            // Spend the same time on unknown logins, so that timing does not reveal which
            // usernames exist.
            let _ = passwords::hash(password.to_string(), state.settings.password_cost).await;
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let ok = passwords::verify(password.to_string(), credentials.password_hash).await?;
    // A suspended or disabled account's right password signs nobody in, and says no more than
    // a wrong one.
    let barred = credentials.account.suspended || credentials.account.disabled;
    Ok((ok && !barred).then_some(credentials.account))
}

fn hash_code(code: &str) -> String {
    Sha256::digest(code.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn escape(s: &str) -> String {
    let mut out = String::new();
    starling_core::text::escape_html(s, &mut out);
    out
}

struct AuthorizeRequest {
    app: App,
    redirect_uri: String,
    scopes: Scopes,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

async fn authorize_request(state: &AppState, params: &Params) -> ApiResult<AuthorizeRequest> {
    let bad = |msg: &str| ApiError::BadRequest(msg.to_string());
    if params.get("response_type").unwrap_or("code") != "code" {
        return Err(bad("response_type must be code"));
    }
    let client_id = params.text("client_id").ok_or_else(|| bad("client_id is missing"))?;
    let app = match state.store.app_by_client_id(client_id).await {
        Ok(app) => app,
        Err(StoreError::NotFound) => return Err(bad("Unknown client_id")),
        Err(e) => return Err(e.into()),
    };
    let redirect_uri = params.text("redirect_uri").map(str::to_string).or_else(|| app.redirect_uris.first().cloned());
    let redirect_uri = redirect_uri
        .filter(|u| app.redirect_uris.contains(u))
        .ok_or_else(|| bad("redirect_uri is not registered for this app"))?;
    let scopes = requested_scopes(params, &app).map_err(|_| bad("The requested scope is invalid"))?;
    let method = params.text("code_challenge_method").map(str::to_string);
    if method.as_deref().is_some_and(|m| m != "S256" && m != "plain") {
        return Err(bad("code_challenge_method must be S256 or plain"));
    }
    Ok(AuthorizeRequest {
        app,
        redirect_uri,
        scopes,
        state: params.get("state").map(str::to_string),
        code_challenge: params.text("code_challenge").map(str::to_string),
        code_challenge_method: method,
    })
}

fn hidden(name: &str, value: Option<&str>) -> String {
    value.map_or(String::new(), |v| format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(v)))
}

fn page(req: &AuthorizeRequest, client_id: &str, error: Option<&str>) -> Html<String> {
    let scopes = req.scopes.to_string();
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Authorize {name}</title><link rel="icon" href="/web/icon.svg">
<style>body{{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}}label,input,button{{display:block;width:100%;margin:.4rem 0}}input{{padding:.5rem}}button{{padding:.6rem}}.error{{color:#b00}}</style></head>
<body><h1>Authorize {name}</h1><p>{name} asks for access to your account: <code>{scopes}</code>.</p>
{error}<form method="post" action="/oauth/authorize">
<label for="username">Username or email</label><input id="username" name="username" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
{hidden}<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny" formnovalidate>Deny</button></form></body></html>"#,
        name = escape(&req.app.name),
        scopes = escape(&scopes),
        error = error.map_or(String::new(), |e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e))),
        hidden = [
            hidden("client_id", Some(client_id)),
            hidden("redirect_uri", Some(&req.redirect_uri)),
            hidden("scope", Some(&scopes)),
            hidden("response_type", Some("code")),
            hidden("state", req.state.as_deref()),
            hidden("code_challenge", req.code_challenge.as_deref()),
            hidden("code_challenge_method", req.code_challenge_method.as_deref()),
        ]
        .concat(),
    ))
}

async fn authorize_page(State(state): State<AppState>, OAuthParams(params): OAuthParams) -> ApiResult<Response> {
    let req = authorize_request(&state, &params).await?;
    Ok(page(&req, &req.app.client_id, None).into_response())
}

fn redirect_with(req: &AuthorizeRequest, pairs: &[(&str, &str)]) -> ApiResult<Response> {
    let mut url =
        url::Url::parse(&req.redirect_uri).map_err(|_| ApiError::BadRequest("Invalid redirect_uri".into()))?;
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
        if let Some(s) = &req.state {
            query.append_pair("state", s);
        }
    }
    Ok((StatusCode::FOUND, [(LOCATION, url.to_string())]).into_response())
}

async fn authorize(State(state): State<AppState>, OAuthParams(params): OAuthParams) -> ApiResult<Response> {
    let req = authorize_request(&state, &params).await?;
    if params.get("decision") == Some("deny") {
        if req.redirect_uri == OOB {
            return Ok(Html("<p>Access denied.</p>".to_string()).into_response());
        }
        return redirect_with(&req, &[("error", "access_denied")]);
    }
    let login = params.text("username").unwrap_or("");
    let password = params.get("password").unwrap_or("");
    let Some(account) = sign_in(&state, login, password).await? else {
        let mut response = page(&req, &req.app.client_id, Some("Invalid username or password.")).into_response();
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(response);
    };
    let code = random_secret();
    state
        .store
        .create_auth_code(AuthCode {
            code_hash: hash_code(&code),
            app_id: req.app.id,
            account_id: account.id,
            redirect_uri: req.redirect_uri.clone(),
            scopes: req.scopes.to_string(),
            code_challenge: req.code_challenge.clone(),
            code_challenge_method: req
                .code_challenge
                .as_ref()
                .map(|_| req.code_challenge_method.clone().unwrap_or_else(|| "plain".into())),
            expires_at: Timestamp::now().plus_seconds(CODE_TTL_SECS),
        })
        .await?;
    if req.redirect_uri == OOB {
        return Ok(Html(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Authorization code</title></head><body><p>Copy this code into the application:</p><p><code id=\"code\">{}</code></p></body></html>",
            escape(&code)
        ))
        .into_response());
    }
    redirect_with(&req, &[("code", &code)])
}
