//! `GET /api/v1/streaming`: Mastodon's multiplexed WebSocket stream, with resume.

use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use starling_core::Id;

use super::command::{Action, parse_command};
use super::hub::{Frame, Registration};
use super::pipeline::{Replay, replay};
use super::stream::Stream;
use crate::auth::{Auth, verify_bearer};
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::state::AppState;

/// A write that takes longer than this means the peer stopped reading.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Frames and messages from clients are small JSON commands.
const MAX_MESSAGE: usize = 64 * 1024;
/// How much a stream reads at a time, and the buffer every stream holds from its start. Clients
/// send little (a subscribe command is under 100 bytes, a pong a few), and most streams sit
/// idle, so a small buffer keeps an idle stream cheap; a larger message still arrives whole
/// (the buffer grows for it).
const READ_BUFFER: usize = 256;

/// The caller of a streaming endpoint: the token may come from the `Authorization` header,
/// the `access_token` query parameter, or (browsers cannot set headers on WebSockets) the
/// `Sec-WebSocket-Protocol` header.
pub struct StreamCaller {
    pub auth: Option<Auth>,
    pub protocol_token: Option<String>,
}

/// Whether a browser page from `origin` may open a stream here: pages of this server (by its
/// public URL, or the address the request came to) may; pages of other sites may not, so that
/// no other site can use a reader's token through their browser. Programs send no `Origin`.
pub fn origin_allowed(origin: &str, public_url: &str, host: Option<&str>) -> bool {
    let origin = origin.trim_end_matches('/');
    if origin.eq_ignore_ascii_case(public_url.trim_end_matches('/')) {
        return true;
    }
    let Some(host) = host else { return false };
    ["http://", "https://"].iter().any(|scheme| origin.eq_ignore_ascii_case(&format!("{scheme}{host}")))
}

impl FromRequestParts<AppState> for StreamCaller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        if let Some(origin) = parts.headers.get(axum::http::header::ORIGIN) {
            let host = parts.headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok());
            let origin = origin.to_str().unwrap_or("");
            if !origin_allowed(origin, &state.settings.public_url, host) {
                return Err(ApiError::Forbidden("Streams are not open to pages of other sites".into()));
            }
        }
        let protocol_token = parts
            .headers
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or("").trim().to_string())
            .filter(|v| !v.is_empty());
        let has_other = parts.headers.contains_key(axum::http::header::AUTHORIZATION)
            || parts.uri.query().is_some_and(|q| q.contains("access_token="));
        let auth = if has_other {
            crate::auth::MaybeAuth::from_request_parts(parts, state).await?.0
        } else if let Some(token) = &protocol_token {
            let record = verify_bearer(state, token).await?;
            let Some(account_id) = record.account_id else {
                return Err(ApiError::unprocessable("This method requires an authenticated user"));
            };
            let account = state.store.account(account_id).await?;
            let scopes = starling_core::scope::Scopes::parse(&record.scopes)
                .map_err(|_| ApiError::Unauthorized("The access token is invalid".into()))?;
            Some(Auth {
                account: account.clone(),
                caller: crate::auth::Caller { token: record, scopes, account: Some(account) },
            })
        } else {
            None
        };
        if let Some(a) = &auth {
            a.require("read:statuses")?;
        }
        Ok(StreamCaller { auth, protocol_token })
    }
}

/// Reads `last_event_id` from the query.
pub fn last_event_id(params: &Params) -> ApiResult<Option<i64>> {
    match params.text("last_event_id") {
        None => Ok(None),
        Some(v) => {
            v.trim().parse::<i64>().map(Some).map_err(|_| ApiError::BadRequest("last_event_id must be a number".into()))
        }
    }
}

pub async fn handler(
    State(state): State<AppState>,
    caller: StreamCaller,
    upgrade: WebSocketUpgrade,
    params: Params,
) -> ApiResult<Response> {
    let user = caller.auth.as_ref().map(Auth::id);
    let mut streams = Vec::new();
    if let Some(name) = params.text("stream") {
        streams.push(Stream::parse(name, params.get("tag"), user).map_err(|e| match e {
            super::stream::StreamError::NeedsUser => ApiError::Unauthorized(e.to_string()),
            other => ApiError::BadRequest(other.to_string()),
        })?);
    }
    let resume = last_event_id(&params)?;
    let mut upgrade = upgrade
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_write_buffer_size(256 * 1024)
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE);
    if let Some(token) = caller.protocol_token {
        upgrade = upgrade.protocols([token]);
    }
    let token = caller.auth.as_ref().map(|a| a.caller.token.id);
    Ok(upgrade.on_upgrade(move |socket| session(state, socket, (user, token), streams, resume)).into_response())
}

async fn send(socket: &mut WebSocket, text: impl Into<Utf8Bytes>) -> bool {
    send_message(socket, Message::Text(text.into())).await
}

/// Sends `message`, giving up after [`SEND_TIMEOUT`]. A send that completes when first polled
/// (the socket buffer had room, as it nearly always has) never arms a timer: on a fan-out to
/// thousands of streams, a timer per message was a measurable share of each delivery.
///
/// Boxed: the send and its timer are about a kilobyte of state, which would otherwise sit in
/// every idle session's future for as long as its connection lives; one small allocation per
/// message costs far less than that.
fn send_message(socket: &mut WebSocket, message: Message) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
    Box::pin(async move {
        let mut sending = std::pin::pin!(socket.send(message));
        match std::future::poll_fn(|cx| Poll::Ready(sending.as_mut().poll(cx))).await {
            Poll::Ready(result) => result.is_ok(),
            Poll::Pending => matches!(tokio::time::timeout(SEND_TIMEOUT, sending).await, Ok(Ok(()))),
        }
    })
}

/// Writes one message frame, counting its delivery; `false` when the socket is gone.
async fn deliver(state: &AppState, socket: &mut WebSocket, frame: &Frame) -> bool {
    match frame {
        Frame::Message { committed_at, text, .. } => {
            let sent = send(socket, text.clone()).await;
            if sent {
                state.stats.delivered(*committed_at);
            }
            sent
        }
        Frame::Signal { text, .. } => send(socket, text.clone()).await,
        Frame::Close(_) => true,
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame { code, reason: Utf8Bytes::from_static(reason) };
    send_message(socket, Message::Close(Some(frame))).await;
}

fn error_text(message: &str, status: u16) -> String {
    json!({ "error": message, "status": status }).to_string()
}

/// `caller`: the account and the access token the connection was opened with.
async fn session(
    state: AppState,
    mut socket: WebSocket,
    (user, token): (Option<Id>, Option<Id>),
    mut streams: Vec<Stream>,
    resume: Option<i64>,
) {
    let Registration { id, mut rx, live_from, kicked, .. } =
        match Box::pin(super::register(&state, user, token, streams.clone())).await {
            Ok(registration) => registration,
            Err(e) => {
                // The store could not be read (it is down or restarting): the client reconnects.
                tracing::error!(error = %e, "registering a stream failed; closing it");
                return;
            }
        };
    let _guard = Unregister { state: state.clone(), id };
    if let Some(after) = resume {
        // Boxed, like `command` below: their state would otherwise sit in every idle
        // session's future for as long as the connection lives.
        match Box::pin(replay(&state, user, &streams, after, live_from)).await {
            Ok(Replay::Frames(frames)) => {
                for frame in frames {
                    if !deliver(&state, &mut socket, &frame).await {
                        return;
                    }
                }
            }
            Ok(Replay::Resync) => {
                let text = json!({ "stream": [], "event": "resync", "payload": "", "event_id": live_from.to_string() });
                if !send(&mut socket, text.to_string()).await {
                    return;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "replay failed");
                close(&mut socket, 1011, "replay failed").await;
                return;
            }
        }
    }
    let mut shutdown = state.shutdown.clone();
    // Made once and kept across iterations, so that waking for a message does not take them
    // out of their wait lists and put them back.
    let mut shutting_down = std::pin::pin!(shutdown.changed());
    let mut too_slow = std::pin::pin!(kicked.notified());
    let mut ping = tokio::time::interval(state.settings.stream_ping);
    ping.tick().await;
    let mut unanswered_pings = 0u32;
    loop {
        tokio::select! {
            // In this order: a stream told to stop stops at once, even with messages queued
            // (a slow one's sends would each wait out the send timeout). Both are cheap to ask:
            // they stay registered across iterations.
            biased;
            _ = &mut shutting_down => {
                close(&mut socket, 1001, "server shutting down").await;
                return;
            }
            () = &mut too_slow => {
                close(&mut socket, 1008, "too slow: messages were not read in time").await;
                return;
            }
            frame = rx.recv() => match frame.as_deref() {
                Some(Frame::Close(reason)) => { close(&mut socket, 1000, reason).await; return; }
                Some(frame) => {
                    if !deliver(&state, &mut socket, frame).await {
                        return;
                    }
                }
                None => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if let Some(reply) = Box::pin(command(&state, id, user, &mut streams, text.as_str())).await
                        && !send(&mut socket, reply).await
                    {
                        return;
                    }
                }
                Some(Ok(Message::Pong(_))) => unanswered_pings = 0,
                Some(Ok(Message::Ping(_) | Message::Binary(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
            },
            _ = ping.tick() => {
                if unanswered_pings >= 2 {
                    tracing::debug!(connection = id, "stream peer stopped answering pings");
                    close(&mut socket, 1001, "no answer to pings").await;
                    return;
                }
                unanswered_pings += 1;
                if !send_message(&mut socket, Message::Ping(Default::default())).await {
                    return;
                }
            }
        }
    }
}

/// Handles a `subscribe`/`unsubscribe` command; returns an error message to send, if any.
async fn command(state: &AppState, id: u64, user: Option<Id>, streams: &mut Vec<Stream>, text: &str) -> Option<String> {
    let (action, stream) = match parse_command(text, user) {
        Ok(parsed) => parsed,
        Err(e) => return Some(error_text(&e.message, e.status)),
    };
    match action {
        Action::Subscribe => {
            if !streams.contains(&stream) {
                streams.push(stream);
            }
        }
        Action::Unsubscribe => streams.retain(|s| *s != stream),
    }
    state.hub.set_streams(id, streams.clone()).await;
    None
}

/// Takes a connection out of the hub however its session ends.
pub struct Unregister {
    pub state: AppState,
    pub id: u64,
}

impl Drop for Unregister {
    fn drop(&mut self) {
        let state = self.state.clone();
        let id = self.id;
        tokio::spawn(async move { state.hub.unregister(id).await });
    }
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    #[test]
    fn only_pages_of_this_server_may_open_streams() {
        let public = "https://starling.example";
        assert!(origin_allowed("https://starling.example", public, Some("starling.example")));
        assert!(origin_allowed("https://STARLING.example/", public, None));
        // The same server reached at another address (localhost rather than 127.0.0.1).
        assert!(origin_allowed("http://localhost:8080", "http://127.0.0.1:8080", Some("localhost:8080")));
        assert!(!origin_allowed("https://evil.example", public, Some("starling.example")));
        assert!(!origin_allowed("null", public, Some("starling.example")));
        assert!(!origin_allowed("https://starling.example.evil.example", public, Some("starling.example")));
    }

    fn future_size<A, B, C, D, E, F: std::future::Future>(_: fn(A, B, C, D, E) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    /// Every open stream holds its session's future for as long as it lives, so what the
    /// future keeps across its await points is paid once per idle connection: the rare paths
    /// (registering, replay, commands) and the sends are boxed to keep it small.
    #[test]
    fn an_idle_session_holds_a_small_future() {
        let bytes = future_size(super::session);
        assert!(bytes <= 1600, "the session future grew to {bytes} bytes");
    }
}
