//! Signals: what streams carry that is never stored. Someone is typing in a chat; someone who
//! shares a chat with you came online or went offline.
//!
//! A signal goes out on the bus, so that every node hears it (this one included, at once), and
//! each node pushes it to its own connections of the accounts it names. Nothing is kept: a
//! client that is not connected when a signal is sent never sees it, and resuming replays only
//! stored events.
//!
//! Presence is per account across the deployment: each node announces when an account's first
//! connection to it opens and its last closes, and every node keeps, from those announcements,
//! which nodes each account is connected to. The account is online while that set is not empty,
//! so its partners hear "online" on its first connection anywhere and "offline" after its last.
//! A node that dies without closing its connections leaves its accounts online in the others'
//! view until they connect and disconnect again.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use starling_core::Id;
use tokio::sync::{broadcast, watch};

use super::route::Audience;
use crate::state::AppState;

/// What goes over the bus, as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Signal {
    /// A message for the `user` streams of `recipients`.
    Message { event: String, recipients: Vec<Id>, payload: String },
    /// `account` opened its first connection to node `node` (`online`), or closed its last.
    Presence { node: u64, account: Id, online: bool },
    /// A message for every public stream.
    Public { event: String, payload: String },
}

/// The signal events a client may receive; anything else heard on the bus is ignored.
fn event_name(event: &str) -> Option<&'static str> {
    match event {
        "chat.typing" => Some("chat.typing"),
        "chat.presence" => Some("chat.presence"),
        "trends" => Some("trends"),
        _ => None,
    }
}

/// Sends a signal to every node.
pub fn send(state: &AppState, signal: &Signal) {
    match serde_json::to_string(signal) {
        Ok(json) => state.bus.signal(&json),
        Err(e) => tracing::error!(error = %e, "a signal could not be serialised"),
    }
}

/// Which nodes each account is connected to, as the nodes announced it.
#[derive(Default)]
struct Presence {
    nodes: HashMap<Id, HashSet<u64>>,
}

impl Presence {
    /// Applies one announcement; `Some(online)` when the account's presence across the
    /// deployment changed with it.
    fn apply(&mut self, node: u64, account: Id, online: bool) -> Option<bool> {
        if online {
            let nodes = self.nodes.entry(account).or_default();
            let was_offline = nodes.is_empty();
            nodes.insert(node);
            was_offline.then_some(true)
        } else {
            let nodes = self.nodes.get_mut(&account)?;
            let removed = nodes.remove(&node);
            if nodes.is_empty() {
                self.nodes.remove(&account);
                return removed.then_some(false);
            }
            None
        }
    }
}

/// Runs until shutdown: announces this node's presence changes and pushes every signal heard
/// to this node's connections. Subscribes before it returns, so that nothing sent after this
/// call is missed, however late the task first runs.
pub fn run(state: AppState, shutdown: watch::Receiver<bool>) -> impl Future<Output = ()> + Send {
    let heard = state.bus.signals();
    let local = state.hub.presence();
    serve(state, shutdown, heard, local)
}

async fn serve(
    state: AppState,
    mut shutdown: watch::Receiver<bool>,
    mut heard: broadcast::Receiver<Arc<str>>,
    mut local: broadcast::Receiver<(Id, bool)>,
) {
    let node: u64 = rand::random();
    let mut presence = Presence::default();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            change = local.recv() => match change {
                Ok((account, online)) => send(&state, &Signal::Presence { node, account, online }),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "presence changes were missed");
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            signal = heard.recv() => match signal {
                Ok(json) => deliver(&state, &mut presence, &json).await,
                Err(broadcast::error::RecvError::Lagged(n)) => tracing::warn!(missed = n, "signals were missed"),
                Err(broadcast::error::RecvError::Closed) => break,
            },
        }
    }
    // The others stop counting this node's connections, which are closing now.
    for account in state.hub.online().await {
        send(&state, &Signal::Presence { node, account, online: false });
    }
}

async fn deliver(state: &AppState, presence: &mut Presence, json: &str) {
    let signal = match serde_json::from_str::<Signal>(json) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "ignoring a signal that could not be read");
            return;
        }
    };
    match signal {
        Signal::Message { event, recipients, payload } => {
            let Some(event) = event_name(&event) else { return };
            state.hub.signal(event, &Audience::users(recipients), Arc::from(payload)).await;
        }
        Signal::Public { event, payload } => {
            let Some(event) = event_name(&event) else { return };
            state.hub.signal(event, &Audience::Public, Arc::from(payload)).await;
        }
        Signal::Presence { node, account, online } => {
            let Some(online) = presence.apply(node, account, online) else { return };
            let partners = match state.store.chat_partners(account).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = %e, "presence: looking up chat partners failed");
                    return;
                }
            };
            if partners.is_empty() {
                return;
            }
            let payload = serde_json::json!({ "account_id": account, "online": online }).to_string();
            state.hub.signal("chat.presence", &Audience::users(partners), Arc::from(payload)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_online_while_any_node_has_it() {
        let mut p = Presence::default();
        let a = Id(1);
        assert_eq!(p.apply(1, a, true), Some(true));
        assert_eq!(p.apply(2, a, true), None, "already online elsewhere");
        assert_eq!(p.apply(1, a, false), None, "still on node 2");
        assert_eq!(p.apply(2, a, false), Some(false));
        assert_eq!(p.apply(2, a, false), None, "an offline account cannot go offline again");
    }

    #[test]
    fn signals_round_trip_through_json() {
        let s = Signal::Message { event: "chat.typing".into(), recipients: vec![Id(3)], payload: "{}".into() };
        let json = serde_json::to_string(&s).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Signal>(&json).ok(), Some(s));
        assert_eq!(event_name("chat.typing"), Some("chat.typing"));
        assert_eq!(event_name("update"), None, "a signal never poses as a stored event");
    }
}
