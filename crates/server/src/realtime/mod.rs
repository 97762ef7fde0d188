//! Live delivery: from the event log to every connected client.
//!
//! ```text
//! write committed -> bus announces -> pipeline reads the log from its cursor
//!   -> notifier derives and stores notifications (durable cursor)
//!   -> route: which audiences each event reaches, rendered once
//!   -> hub: pushes to every matching connection's bounded queue
//!   -> ws / sse: one task per connection writes its queue to the socket
//! ```
//!
//! Every message carries the sequence of the event that caused it (`event_id`). A client that
//! reconnects with the last one it saw gets what it missed replayed from the log by the same
//! routing code, then live messages, in order and without duplicates.

pub mod command;
pub mod counts;
pub mod extensions;
pub mod hub;
pub mod pipeline;
pub mod route;
pub mod signals;
pub mod sse;
pub mod stream;
pub mod ws;

pub use hub::Hub;
pub use stream::Stream;

use starling_core::Id;
use starling_core::safety::Hidden;

use crate::error::ApiResult;
use crate::state::AppState;

/// Registers a connection of `user` with the hub, with who is hidden from it, so that a block
/// or a mute applies to the connection from its first message on: loaded before registering,
/// and again if blocks or mutes changed meanwhile (the pipeline only refreshes accounts that
/// are online).
pub async fn register(
    state: &AppState,
    user: Option<Id>,
    token: Option<Id>,
    streams: Vec<Stream>,
) -> ApiResult<hub::Registration> {
    let version = state.hub.hidden_version();
    let hidden = match user {
        Some(u) => state.store.hidden(u).await?,
        None => Hidden::nobody(),
    };
    let registration = state.hub.register(user, token, streams, hidden, version).await;
    if registration.hidden_stale
        && let Some(u) = user
    {
        let hidden = state.store.hidden(u).await?;
        state.hub.set_hidden(u, hidden).await;
    }
    Ok(registration)
}
