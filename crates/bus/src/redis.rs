//! Announcements between nodes over Redis pub/sub.
//!
//! Each node announces locally at once (its own pipeline need not wait for a round trip) and
//! publishes the announcement on a Redis channel; every node's subscriber turns what it hears
//! into a local announcement. Redis may be down or restarting: publishing and subscribing
//! reconnect with backoff in the background and nobody waits for them. What is announced while
//! Redis is away is not lost, because announcements carry no data: the pipelines' periodic
//! look at the shared event log picks up the writes of other nodes, and after Redis returns
//! they are woken at once again.

use std::time::Duration;

use futures_util::StreamExt;
use redis::AsyncCommands;
use tokio::sync::mpsc;

use crate::{Announcements, Bus, LocalBus};

const CHANNEL: &str = "starling:log";
const SIGNALS: &str = "starling:signals";
/// A signal on Redis starts with its sender's origin, this many hex digits: each node hands
/// its own signals to its receivers at once, and skips them when Redis echoes them back.
const ORIGIN_DIGITS: usize = 16;
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub struct RedisBus {
    local: std::sync::Arc<LocalBus>,
    outbox: mpsc::UnboundedSender<i64>,
    signal_outbox: mpsc::UnboundedSender<String>,
    origin: String,
}

#[derive(Debug)]
pub struct BadRedisUrl(pub String);

impl std::fmt::Display for BadRedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid Redis URL: {}", self.0)
    }
}

impl std::error::Error for BadRedisUrl {}

fn next_backoff(current: Duration) -> Duration {
    (current * 2).min(MAX_BACKOFF)
}

impl RedisBus {
    /// Starts publishing and subscribing in the background; must be called inside a Tokio
    /// runtime. Only a malformed URL is an error: an unreachable server is retried forever.
    pub fn start(url: &str) -> Result<RedisBus, BadRedisUrl> {
        let client = redis::Client::open(url).map_err(|e| BadRedisUrl(e.to_string()))?;
        let local = std::sync::Arc::new(LocalBus::new());
        let origin = format!("{:0width$x}", rand_origin(), width = ORIGIN_DIGITS);
        let (outbox, rx) = mpsc::unbounded_channel();
        let (signal_outbox, signal_rx) = mpsc::unbounded_channel();
        tokio::spawn(publish(client.clone(), rx));
        tokio::spawn(publish_signals(client.clone(), signal_rx));
        tokio::spawn(subscribe(client, local.clone(), origin.clone()));
        Ok(RedisBus { local, outbox, signal_outbox, origin })
    }
}

impl Bus for RedisBus {
    fn announce(&self, seq: i64) {
        self.local.announce(seq);
        // The publisher task coalesces whatever queued up while it was busy or reconnecting.
        let _ = self.outbox.send(seq);
    }

    fn subscribe(&self) -> Announcements {
        self.local.subscribe()
    }

    fn signal(&self, message: &str) {
        self.local.signal(message);
        let _ = self.signal_outbox.send(format!("{}{message}", self.origin));
    }

    fn signals(&self) -> tokio::sync::broadcast::Receiver<std::sync::Arc<str>> {
        self.local.signals()
    }
}

/// A process-unique origin: the clock's nanoseconds mixed with the process id and an address
/// that differs per bus, which is plenty to tell a handful of nodes apart.
fn rand_origin() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one((std::process::id(), std::time::SystemTime::now()))
}

/// Publishes signals one by one. A signal that fails to go out is dropped, not retried: it
/// would arrive too late to mean anything.
async fn publish_signals(client: redis::Client, mut rx: mpsc::UnboundedReceiver<String>) {
    loop {
        // Whatever queues up while Redis is away is stale by the time it is back.
        let mut conn = connect(&client, "signals", || while rx.try_recv().is_ok() {}).await;
        while let Some(message) = rx.recv().await {
            let sent: redis::RedisResult<i64> = conn.publish(SIGNALS, message).await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "publishing a signal to Redis failed; reconnecting");
                break;
            }
        }
        if rx.is_closed() {
            return;
        }
    }
}

/// A connection to publish on, retried with backoff until Redis answers; `while_waiting` runs
/// before each wait.
async fn connect(
    client: &redis::Client,
    what: &str,
    mut while_waiting: impl FnMut(),
) -> redis::aio::MultiplexedConnection {
    let mut backoff = MIN_BACKOFF;
    loop {
        match client.get_multiplexed_async_connection().await {
            Ok(conn) => return conn,
            Err(e) => {
                tracing::warn!(error = %e, "Redis unreachable for {what}; retrying");
                while_waiting();
                tokio::time::sleep(backoff).await;
                backoff = next_backoff(backoff);
            }
        }
    }
}

async fn publish(client: redis::Client, mut rx: mpsc::UnboundedReceiver<i64>) {
    let mut pending: Option<i64> = None;
    loop {
        let mut conn = connect(&client, "publishing", || {}).await;
        loop {
            let seq = match pending.take() {
                Some(seq) => seq,
                None => match rx.recv().await {
                    Some(seq) => seq,
                    None => return,
                },
            };
            // Everything queued meanwhile is covered by one message with the highest sequence.
            let mut latest = seq;
            while let Ok(more) = rx.try_recv() {
                latest = latest.max(more);
            }
            let sent: redis::RedisResult<i64> = conn.publish(CHANNEL, latest).await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "publishing to Redis failed; reconnecting");
                pending = Some(latest);
                break;
            }
        }
    }
}

async fn subscribe(client: redis::Client, local: std::sync::Arc<LocalBus>, origin: String) {
    let mut backoff = MIN_BACKOFF;
    loop {
        let mut pubsub = match client.get_async_pubsub().await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "Redis unreachable for subscribing; retrying");
                tokio::time::sleep(backoff).await;
                backoff = next_backoff(backoff);
                continue;
            }
        };
        if let Err(e) = pubsub.subscribe(&[CHANNEL, SIGNALS]).await {
            tracing::warn!(error = %e, "subscribing on Redis failed; retrying");
            tokio::time::sleep(backoff).await;
            backoff = next_backoff(backoff);
            continue;
        }
        backoff = MIN_BACKOFF;
        // Whatever happened while we were away: look at the log now.
        local.announce(0);
        let mut messages = pubsub.on_message();
        while let Some(msg) = messages.next().await {
            if msg.get_channel_name() == SIGNALS {
                let payload: String = msg.get_payload().unwrap_or_default();
                match payload.split_at_checked(ORIGIN_DIGITS) {
                    Some((from, _)) if from == origin => {}
                    Some((_, message)) => local.signal(message),
                    None => {}
                }
            } else {
                local.announce(msg.get_payload::<i64>().unwrap_or(0));
            }
        }
        tracing::warn!("Redis subscription ended; reconnecting");
    }
}
