//! The registry of live connections and the fan-out to their queues.
//!
//! Each connection owns a bounded queue. Pushing never waits: a connection whose queue is full
//! is too slow to keep up and is told to close, so one slow client can never delay the others
//! or make the pipeline buffer without bound.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::ws::Utf8Bytes;
use starling_core::Id;
use starling_core::model::Timestamp;
use starling_core::safety::Hidden;
use tokio::sync::{Mutex, Notify, broadcast, mpsc, watch};

use super::route::{Audience, Delivery};
use super::stream::Stream;

#[derive(Debug, Clone)]
pub enum Frame {
    /// One message. `text` is the whole WebSocket message, serialised once for every
    /// connection it goes to (a clone shares it); SSE sends `event` and `payload` as they are.
    Message { event_id: i64, committed_at: Timestamp, event: &'static str, payload: Arc<str>, text: Utf8Bytes },
    /// A signal (typing, presence): never stored, so it has no `event_id` and is not replayed
    /// to a client that resumes.
    Signal { event: &'static str, payload: Arc<str>, text: Utf8Bytes },
    /// The connection must close with this reason.
    Close(&'static str),
}

/// The frames one batch of deliveries has made so far, by delivery and stream: each message is
/// serialised once however many connections receive it.
#[derive(Default)]
pub struct FrameCache {
    frames: HashMap<(usize, Stream), Arc<Frame>>,
}

impl FrameCache {
    fn frame(&mut self, index: usize, delivery: &Delivery, stream: &Stream) -> Arc<Frame> {
        self.frames
            .entry((index, stream.clone()))
            .or_insert_with(|| {
                // Mastodon's WebSocket message, plus the `event_id` clients resume from.
                let text = serde_json::json!({
                    "stream": stream.names(),
                    "event": delivery.event,
                    "payload": &*delivery.payload,
                    "event_id": delivery.event_id.to_string(),
                })
                .to_string();
                Arc::new(Frame::Message {
                    event_id: delivery.event_id,
                    committed_at: delivery.committed_at,
                    event: delivery.event,
                    payload: delivery.payload.clone(),
                    text: Utf8Bytes::from(text),
                })
            })
            .clone()
    }
}

struct Conn {
    user: Option<Id>,
    /// The access token the connection was opened with: revoking it closes the connection.
    token: Option<Id>,
    streams: Vec<Stream>,
    /// Frames are shared: a queue slot holds a pointer, not a frame, so that each
    /// connection's queue (allocated in blocks of slots) stays small while it is idle.
    tx: mpsc::Sender<Arc<Frame>>,
    kicked: Arc<Notify>,
}

#[derive(Default)]
struct Registry {
    conns: HashMap<u64, Conn>,
    /// Who is hidden from each account with a connection here, kept fresh by the pipeline as
    /// blocks and mutes are made and lifted.
    hidden: HashMap<Id, Arc<Hidden>>,
    /// The last event sequence whose deliveries were pushed.
    processed: i64,
    /// How many connections each signed-in account has open here.
    online: HashMap<Id, u32>,
}

pub struct Hub {
    registry: Mutex<Registry>,
    /// Bumped before each batch of block and mute changes is applied: a connection that loaded
    /// its account's hidden set before a bump may have missed a change and loads it again.
    hidden_version: AtomicU64,
    next_id: AtomicU64,
    processed_tx: watch::Sender<i64>,
    connections_tx: watch::Sender<usize>,
    /// `(account, online)` whenever an account's first connection here opens or its last
    /// closes.
    presence_tx: broadcast::Sender<(Id, bool)>,
    queue_capacity: usize,
}

/// How many presence changes may wait for the task that announces them.
const PRESENCE_BACKLOG: usize = 4096;

/// A registered connection: its id, its queue, and the last sequence already pushed when it
/// registered (a resuming client needs everything after its own last id up to that one
/// replayed; everything after arrives through the queue).
pub struct Registration {
    pub id: u64,
    pub rx: mpsc::Receiver<Arc<Frame>>,
    pub live_from: i64,
    /// Signalled when the hub drops the connection for being too slow.
    pub kicked: Arc<Notify>,
    /// Blocks or mutes changed while the connection's hidden set was loaded: load it again and
    /// hand it to `set_hidden`.
    pub hidden_stale: bool,
}

fn matches(stream: &Stream, user: Option<Id>, audience: &Audience) -> bool {
    match (stream, audience) {
        (Stream::User, Audience::Users(ids)) => user.is_some_and(|u| ids.binary_search(&u).is_ok()),
        (Stream::User | Stream::UserNotification, Audience::Notify(id)) => user == Some(*id),
        (Stream::Public | Stream::PublicLocal, Audience::Public) => true,
        (Stream::PublicMedia | Stream::PublicLocalMedia, Audience::PublicMedia) => true,
        (Stream::Hashtag(t) | Stream::HashtagLocal(t), Audience::Tags(tags)) => tags.iter().any(|x| x == t),
        (Stream::Direct, Audience::Direct(ids)) => user.is_some_and(|u| ids.contains(&u)),
        _ => false,
    }
}

/// The frames `deliveries` produce for a connection of `user` subscribed to `streams`, without
/// those whose concern `hidden` (the account's blocks and mutes) hides.
pub fn frames_for(
    user: Option<Id>,
    hidden: Option<&Hidden>,
    streams: &[Stream],
    deliveries: &[Delivery],
    cache: &mut FrameCache,
    now: Timestamp,
) -> Vec<Arc<Frame>> {
    let mut out = Vec::new();
    for (index, d) in deliveries.iter().enumerate() {
        for stream in streams {
            if matches(stream, user, &d.audience)
                && !hidden.is_some_and(|h| h.hides(&d.concern, stream.filter_context(), now))
            {
                out.push(cache.frame(index, d, stream));
            }
        }
    }
    out
}

impl Hub {
    /// `queue_capacity`: how many messages may wait for one connection before it counts as
    /// too slow.
    pub fn new(queue_capacity: usize) -> Hub {
        Hub {
            registry: Mutex::new(Registry::default()),
            hidden_version: AtomicU64::new(0),
            next_id: AtomicU64::new(1),
            processed_tx: watch::Sender::new(0),
            connections_tx: watch::Sender::new(0),
            presence_tx: broadcast::Sender::new(PRESENCE_BACKLOG),
            queue_capacity: queue_capacity.max(1),
        }
    }

    /// Registers a connection of `user`, with who is hidden from it as loaded when
    /// `hidden_version` was `loaded_at` (see [`Hub::hidden_version`]).
    pub async fn register(
        &self,
        user: Option<Id>,
        token: Option<Id>,
        streams: Vec<Stream>,
        hidden: Hidden,
        loaded_at: u64,
    ) -> Registration {
        let (tx, rx) = mpsc::channel(self.queue_capacity);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let kicked = Arc::new(Notify::new());
        let mut registry = self.registry.lock().await;
        registry.conns.insert(id, Conn { user, token, streams, tx, kicked: kicked.clone() });
        if let Some(user) = user {
            registry.hidden.insert(user, Arc::new(hidden));
        }
        let hidden_stale = self.hidden_version.load(Ordering::SeqCst) != loaded_at;
        if let Some(user) = user {
            let count = registry.online.entry(user).or_default();
            *count += 1;
            if *count == 1 {
                let _ = self.presence_tx.send((user, true));
            }
        }
        self.connections_tx.send_replace(registry.conns.len());
        Registration { id, rx, live_from: registry.processed, kicked, hidden_stale }
    }

    /// Counts changes of blocks and mutes; read it before loading a connection's hidden set.
    pub fn hidden_version(&self) -> u64 {
        self.hidden_version.load(Ordering::SeqCst)
    }

    /// Notes that blocks or mutes are about to change for some accounts, before the caller
    /// looks which of them are online here (see `register`'s `hidden_stale`).
    pub fn hidden_changing(&self) {
        self.hidden_version.fetch_add(1, Ordering::SeqCst);
    }

    /// Those of `accounts` with a connection here.
    pub async fn online_among(&self, accounts: &[Id]) -> Vec<Id> {
        let registry = self.registry.lock().await;
        accounts.iter().copied().filter(|a| registry.online.contains_key(a)).collect()
    }

    /// Replaces who is hidden from `account`'s connections here, if it has any.
    pub async fn set_hidden(&self, account: Id, hidden: Hidden) {
        let mut registry = self.registry.lock().await;
        if registry.online.contains_key(&account) {
            registry.hidden.insert(account, Arc::new(hidden));
        }
    }

    /// Closes every connection opened with `token` (it was revoked): each is told to close
    /// after what is already in its queue, or at once when its queue is full.
    pub async fn close_token(&self, token: Id) {
        let registry = self.registry.lock().await;
        for conn in registry.conns.values().filter(|c| c.token == Some(token)) {
            if conn.tx.try_send(Arc::new(Frame::Close("the access token was revoked"))).is_err() {
                conn.kicked.notify_one();
            }
        }
    }

    pub async fn unregister(&self, id: u64) {
        let mut registry = self.registry.lock().await;
        Self::forget(&mut registry, id, &self.presence_tx);
        self.connections_tx.send_replace(registry.conns.len());
    }

    /// Takes a connection out of the registry, noting when its account has none left here.
    fn forget(registry: &mut Registry, id: u64, presence: &broadcast::Sender<(Id, bool)>) -> Option<Conn> {
        let conn = registry.conns.remove(&id)?;
        if let Some(user) = conn.user
            && let Some(count) = registry.online.get_mut(&user)
        {
            *count -= 1;
            if *count == 0 {
                registry.online.remove(&user);
                registry.hidden.remove(&user);
                let _ = presence.send((user, false));
            }
        }
        Some(conn)
    }

    /// Presence changes of this node's accounts from now on.
    pub fn presence(&self) -> broadcast::Receiver<(Id, bool)> {
        self.presence_tx.subscribe()
    }

    /// The accounts with at least one connection here.
    pub async fn online(&self) -> Vec<Id> {
        self.registry.lock().await.online.keys().copied().collect()
    }

    /// Pushes a signal to every connection whose streams `audience` reaches, as `dispatch`
    /// would a stored event's message. A connection whose queue is full misses it rather than
    /// being dropped: a signal is worth less than the messages it would push out.
    pub async fn signal(&self, event: &'static str, audience: &Audience, payload: Arc<str>) {
        self.signals(&[(event, audience.clone(), payload)]).await;
    }

    /// Pushes several signals in one pass over the connections (each connection gets each
    /// signal at most once, on the first of its streams the signal's audience reaches).
    pub async fn signals(&self, signals: &[(&'static str, Audience, Arc<str>)]) {
        let mut frames: HashMap<(usize, Stream), Arc<Frame>> = HashMap::new();
        let registry = self.registry.lock().await;
        for conn in registry.conns.values() {
            for (i, (event, audience, payload)) in signals.iter().enumerate() {
                let Some(stream) = conn.streams.iter().find(|s| matches(s, conn.user, audience)) else { continue };
                let frame = frames.entry((i, stream.clone())).or_insert_with(|| {
                    let text = serde_json::json!({ "stream": stream.names(), "event": event, "payload": &**payload });
                    Arc::new(Frame::Signal { event, payload: payload.clone(), text: Utf8Bytes::from(text.to_string()) })
                });
                let _ = conn.tx.try_send(frame.clone());
            }
        }
    }

    pub async fn set_streams(&self, id: u64, streams: Vec<Stream>) {
        if let Some(conn) = self.registry.lock().await.conns.get_mut(&id) {
            conn.streams = streams;
        }
    }

    pub fn connections(&self) -> usize {
        *self.connections_tx.borrow()
    }

    /// Resolves once `pred` holds for the number of open connections.
    pub async fn wait_connections(&self, pred: impl FnMut(&usize) -> bool) {
        let mut rx = self.connections_tx.subscribe();
        let _ = rx.wait_for(pred).await;
    }

    /// Where live delivery starts after a restart: events up to `seq` are only replayed.
    pub async fn start_at(&self, seq: i64) {
        self.registry.lock().await.processed = seq;
        self.processed_tx.send_replace(seq);
    }

    /// Pushes the deliveries of events up to `upto` to every matching connection.
    pub async fn dispatch(&self, upto: i64, deliveries: &[Delivery]) {
        let mut registry = self.registry.lock().await;
        let mut too_slow = Vec::new();
        let mut cache = FrameCache::default();
        let now = Timestamp::now();
        for (id, conn) in &registry.conns {
            let hidden = conn.user.and_then(|u| registry.hidden.get(&u)).map(|h| &**h);
            for frame in frames_for(conn.user, hidden, &conn.streams, deliveries, &mut cache, now) {
                if conn.tx.try_send(frame).is_err() {
                    too_slow.push(*id);
                    break;
                }
            }
        }
        let evicted = too_slow.len() as u64;
        for id in too_slow {
            if let Some(conn) = Self::forget(&mut registry, id, &self.presence_tx) {
                // The queue is full, so a close request cannot wait in it: the connection's
                // task is told directly and closes the socket without draining the backlog.
                tracing::warn!(connection = id, "stream client too slow; disconnecting");
                conn.kicked.notify_one();
            }
        }
        self.connections_tx.send_replace(registry.conns.len());
        // How far behind the slowest connection is: the deepest queue after this dispatch.
        let deepest = registry.conns.values().map(|c| self.queue_capacity - c.tx.capacity()).max().unwrap_or(0);
        metrics::gauge!("starling_stream_queue_depth_max").set(deepest as f64);
        metrics::counter!("starling_stream_evictions_total").increment(evicted);
        registry.processed = registry.processed.max(upto);
        drop(registry);
        self.processed_tx.send_replace(upto);
    }

    /// The last event sequence whose messages were pushed.
    pub fn processed(&self) -> i64 {
        *self.processed_tx.borrow()
    }

    /// Resolves once events up to `seq` have been pushed (tests and graceful shutdown use it).
    pub async fn wait_processed(&self, seq: i64) {
        let mut rx = self.processed_tx.subscribe();
        let _ = rx.wait_for(|p| *p >= seq).await;
    }
}
