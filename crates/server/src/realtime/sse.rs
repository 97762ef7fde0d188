//! Server-sent events at `/api/v1/streaming/<stream>`: the same messages as the WebSocket, one
//! stream per request, resumable with `Last-Event-ID`, kept alive with `:thump` comments.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use tokio::sync::{Notify, mpsc, watch};

use super::hub::{Frame, Registration};
use super::pipeline::{Replay, replay};
use super::stream::{Stream, StreamError};
use super::ws::{StreamCaller, Unregister, last_event_id};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::state::AppState;

const THUMP: Duration = Duration::from_secs(15);

pub async fn handler(
    State(state): State<AppState>,
    caller: StreamCaller,
    Path(path): Path<String>,
    headers: HeaderMap,
    params: Params,
) -> ApiResult<Response> {
    let user = caller.auth.as_ref().map(Auth::id);
    let name = match path.as_str() {
        "user" => "user",
        "user/notification" => "user:notification",
        "public" => "public",
        "public/local" => "public:local",
        "public/remote" => "public:remote",
        "public/media" => "public:media",
        "public/local/media" => "public:local:media",
        "public/remote/media" => "public:remote:media",
        "hashtag" => "hashtag",
        "hashtag/local" => "hashtag:local",
        "direct" => "direct",
        _ => return Err(ApiError::NotFound),
    };
    let stream = Stream::parse(name, params.get("tag"), user).map_err(|e| match e {
        StreamError::NeedsUser => ApiError::Unauthorized(e.to_string()),
        other => ApiError::BadRequest(other.to_string()),
    })?;
    let resume = match headers.get("last-event-id").and_then(|v| v.to_str().ok()) {
        Some(v) => {
            Some(v.trim().parse::<i64>().map_err(|_| ApiError::BadRequest("Last-Event-ID must be a number".into()))?)
        }
        None => last_event_id(&params)?,
    };
    let streams = vec![stream];
    let token = caller.auth.as_ref().map(|a| a.caller.token.id);
    let Registration { id, rx, live_from, kicked, .. } = super::register(&state, user, token, streams.clone()).await?;
    let guard = Unregister { state: state.clone(), id };
    let backlog = match resume {
        Some(after) => match replay(&state, user, &streams, after, live_from).await? {
            Replay::Frames(frames) => frames.iter().filter_map(|f| to_event(f)).collect(),
            Replay::Resync => vec![Event::default().event("resync").id(live_from.to_string()).data("")],
        },
        None => Vec::new(),
    };
    let live = Live {
        backlog: backlog.into_iter().collect(),
        rx,
        kicked,
        shutdown: state.shutdown.clone(),
        state: state.clone(),
        _guard: guard,
    };
    let events = stream::unfold(live, |mut live| async move {
        let next = live.next().await?;
        Some((Ok::<_, Infallible>(next), live))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(THUMP).text("thump")).into_response())
}

fn to_event(frame: &Frame) -> Option<Event> {
    match frame {
        Frame::Message { event_id, event, payload, .. } => {
            Some(Event::default().event(*event).id(event_id.to_string()).data(&**payload))
        }
        // No id: a browser's EventSource would otherwise resume from it after a reconnect.
        Frame::Signal { event, payload, .. } => Some(Event::default().event(*event).data(&**payload)),
        Frame::Close(_) => None,
    }
}

struct Live {
    backlog: std::collections::VecDeque<Event>,
    rx: mpsc::Receiver<Arc<Frame>>,
    kicked: Arc<Notify>,
    shutdown: watch::Receiver<bool>,
    state: AppState,
    _guard: Unregister,
}

impl Live {
    /// The next event to send, or `None` when the stream must end.
    async fn next(&mut self) -> Option<Event> {
        if let Some(e) = self.backlog.pop_front() {
            return Some(e);
        }
        loop {
            tokio::select! {
                _ = self.shutdown.changed() => return None,
                () = self.kicked.notified() => return None,
                frame = self.rx.recv() => match frame {
                    // Told to close (its access token was revoked): the stream ends.
                    Some(frame) if matches!(*frame, Frame::Close(_)) => return None,
                    Some(frame) => if let Some(e) = to_event(&frame) {
                        // Handed to the response body; the socket write follows at once.
                        if let Frame::Message { committed_at, .. } = &*frame {
                            self.state.stats.delivered(*committed_at);
                        }
                        return Some(e);
                    },
                    None => return None,
                },
            }
        }
    }
}
