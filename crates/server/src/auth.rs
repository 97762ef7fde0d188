//! Who is calling. Access tokens are HS256-signed JWTs whose `jti` names a row in the store:
//! the signature makes forgery impossible without a lookup, and the row makes revocation
//! immediate, on every node, at the cost of one indexed read per request.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri};
use axum::middleware::Next;
use axum::response::Response;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use starling_core::model::{Account, App, NewToken, Timestamp, TokenRecord};
use starling_core::scope::Scopes;
use starling_core::{Id, StoreError};
use starling_store::ReadScope;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const AUDIENCE: &str = "starling";
const TOKEN_TYPE: &str = "access";
/// Tokens without a configured lifetime still carry an `exp`, a century out, so that every
/// token the server ever signs has one.
const FOREVER_SECS: i64 = 100 * 365 * 24 * 3600;

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
}

impl JwtKeys {
    pub fn new(secret: &[u8], issuer: &str) -> JwtKeys {
        // Only HS256 is accepted: a token naming any other algorithm (or `none`) is refused
        // before its signature is even looked at.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "aud", "jti"]);
        validation.leeway = 0;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_string(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    jti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    app: String,
    scope: String,
    iat: i64,
    exp: i64,
    aud: String,
    iss: String,
    typ: String,
}

/// Creates the token row (logging `token.issued`) and signs the bearer string for it.
pub async fn issue_token(
    state: &AppState,
    app: &App,
    account: Option<Id>,
    scopes: &Scopes,
    grant: &str,
) -> ApiResult<(TokenRecord, String)> {
    let now = Timestamp::now();
    let expires_at = state.settings.token_ttl_secs.map(|ttl| now.plus_seconds(ttl));
    let record = state
        .store
        .create_token(NewToken {
            id: state.ids.next(),
            app_id: app.id,
            account_id: account,
            scopes: scopes.to_string(),
            created_at: now,
            expires_at,
            grant: grant.to_string(),
        })
        .await?;
    let claims = Claims {
        jti: record.id.to_string(),
        sub: account.map(|a| a.to_string()),
        app: app.id.to_string(),
        scope: record.scopes.clone(),
        iat: now.as_seconds(),
        exp: expires_at.map_or(now.as_seconds() + FOREVER_SECS, Timestamp::as_seconds),
        aud: AUDIENCE.to_string(),
        iss: state.jwt.issuer.clone(),
        typ: TOKEN_TYPE.to_string(),
    };
    let jwt = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &state.jwt.encoding)
        .map_err(|e| ApiError::Internal(format!("signing a token: {e}")))?;
    Ok((record, jwt))
}

/// The token id inside a bearer string, if its signature and claims check out (expired tokens
/// included, so that they can still be revoked).
pub fn token_id_of(state: &AppState, bearer: &str) -> Option<Id> {
    let mut validation = state.jwt.validation.clone();
    validation.validate_exp = false;
    let data = jsonwebtoken::decode::<Claims>(bearer, &state.jwt.decoding, &validation).ok()?;
    data.claims.jti.parse().ok()
}

fn invalid() -> ApiError {
    ApiError::Unauthorized("The access token is invalid".into())
}

/// Resolves a bearer string to its live token, refusing anything forged, expired or revoked.
pub async fn verify_bearer(state: &AppState, bearer: &str) -> ApiResult<TokenRecord> {
    let id = token_id(state, bearer)?;
    let record = found(state.store.token(id).await)?;
    live(record)
}

/// The id of the token a bearer string carries, if it is one of ours and unexpired.
fn token_id(state: &AppState, bearer: &str) -> ApiResult<Id> {
    let data =
        jsonwebtoken::decode::<Claims>(bearer, &state.jwt.decoding, &state.jwt.validation).map_err(|e| {
            match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    ApiError::Unauthorized("The access token expired".into())
                }
                _ => invalid(),
            }
        })?;
    if data.claims.typ != TOKEN_TYPE {
        return Err(invalid());
    }
    let id: Id = data.claims.jti.parse().map_err(|_| invalid())?;
    Ok(id)
}

/// A store answer about a token: missing means the bearer is no (longer a) valid token.
fn found<T>(answer: Result<T, StoreError>) -> ApiResult<T> {
    match answer {
        Ok(t) => Ok(t),
        Err(StoreError::NotFound) => Err(invalid()),
        Err(e) => Err(e.into()),
    }
}

/// The token, unless it was revoked or has expired.
fn live(record: TokenRecord) -> ApiResult<TokenRecord> {
    if record.revoked {
        return Err(ApiError::Unauthorized("The access token was revoked".into()));
    }
    if record.expires_at.is_some_and(|at| at <= Timestamp::now()) {
        return Err(ApiError::Unauthorized("The access token expired".into()));
    }
    Ok(record)
}

/// The account a bearer string was signed for, if its signature checks out. No store lookup:
/// this only picks where the request's reads go (`read_scope`); whether the token is still
/// live is for the extractors to decide.
fn signed_account(state: &AppState, bearer: &str) -> Option<Id> {
    let mut validation = state.jwt.validation.clone();
    validation.validate_exp = false;
    let data = jsonwebtoken::decode::<Claims>(bearer, &state.jwt.decoding, &validation).ok()?;
    data.claims.sub?.parse().ok()
}

/// Runs each request with a user's token in that account's read scope, so that with read
/// replicas the user reads their own writes (`starling_store::ReadScope`). The one place the
/// scope is set for requests: every extractor and handler runs inside it.
pub async fn read_scope(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let account = bearer_from(req.headers(), req.uri()).and_then(|bearer| signed_account(&state, &bearer));
    match account {
        Some(id) => ReadScope::Account(id).run(next.run(req)).await,
        None => next.run(req).await,
    }
}

pub(crate) fn bearer_from(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    if let Some(header) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, token) = header.trim().split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string());
    }
    // Mastodon also accepts the token as a query parameter (streaming clients rely on it).
    let query = uri.query()?;
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "access_token").map(|(_, v)| v.into_owned())
}

/// A caller with a valid token, for a user or for an app alone (client credentials).
#[derive(Debug, Clone)]
pub struct Caller {
    pub token: TokenRecord,
    pub scopes: Scopes,
    pub account: Option<Account>,
}

impl Caller {
    pub fn require(&self, scope: &str) -> ApiResult<()> {
        if self.scopes.allows(scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden("This action is outside the authorized scopes".into()))
        }
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> ApiResult<Option<Caller>> {
    let Some(bearer) = bearer_from(&parts.headers, &parts.uri) else { return Ok(None) };
    let id = token_id(state, &bearer)?;
    // The token and its account in one store call: every authenticated request pays for it.
    let (token, account) = found(state.store.token_with_account(id).await)?;
    let token = live(token)?;
    // Suspending revokes the account's tokens; this holds even for one issued in a race.
    if account.as_ref().is_some_and(|a| a.suspended) {
        return Err(ApiError::Forbidden("Your login is currently suspended".into()));
    }
    // So does disabling.
    if account.as_ref().is_some_and(|a| a.disabled) {
        return Err(ApiError::Forbidden("Your login is currently disabled".into()));
    }
    let scopes = Scopes::parse(&token.scopes).map_err(|_| invalid())?;
    Ok(Some(Caller { token, scopes, account }))
}

/// Any valid token, app-only included. Requests without a token are refused with 401.
#[derive(Debug, Clone)]
pub struct AnyAuth(pub Caller);

impl FromRequestParts<AppState> for AnyAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        authenticate(parts, state).await?.map(AnyAuth).ok_or_else(invalid)
    }
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Auth {
    pub account: Account,
    pub caller: Caller,
}

impl Auth {
    pub fn id(&self) -> Id {
        self.account.id
    }

    pub fn require(&self, scope: &str) -> ApiResult<()> {
        self.caller.require(scope)
    }
}

fn user_of(caller: Caller) -> ApiResult<Auth> {
    match caller.account.clone() {
        Some(account) => Ok(Auth { account, caller }),
        None => Err(ApiError::unprocessable("This method requires an authenticated user")),
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let caller = authenticate(parts, state).await?.ok_or_else(invalid)?;
        user_of(caller)
    }
}

/// A signed-in user if a user token was sent; nobody if no token was sent. A bad token is
/// still refused: silently downgrading it to anonymous would hide the client's bug.
#[derive(Debug, Clone)]
pub struct MaybeAuth(pub Option<Auth>);

impl MaybeAuth {
    pub fn id(&self) -> Option<Id> {
        self.0.as_ref().map(Auth::id)
    }

    pub fn require(&self, scope: &str) -> ApiResult<()> {
        self.0.as_ref().map_or(Ok(()), |a| a.require(scope))
    }
}

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        match authenticate(parts, state).await? {
            Some(caller) if caller.account.is_some() => Ok(MaybeAuth(Some(user_of(caller)?))),
            _ => Ok(MaybeAuth(None)),
        }
    }
}
