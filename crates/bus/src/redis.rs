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
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub struct RedisBus {
    local: std::sync::Arc<LocalBus>,
    outbox: mpsc::UnboundedSender<i64>,
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
        let (outbox, rx) = mpsc::unbounded_channel();
        tokio::spawn(publish(client.clone(), rx));
        tokio::spawn(subscribe(client, local.clone()));
        Ok(RedisBus { local, outbox })
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
}

async fn publish(client: redis::Client, mut rx: mpsc::UnboundedReceiver<i64>) {
    let mut backoff = MIN_BACKOFF;
    let mut pending: Option<i64> = None;
    loop {
        let mut conn = match client.get_multiplexed_async_connection().await {
            Ok(conn) => {
                backoff = MIN_BACKOFF;
                conn
            }
            Err(e) => {
                tracing::warn!(error = %e, "Redis unreachable for publishing; retrying");
                tokio::time::sleep(backoff).await;
                backoff = next_backoff(backoff);
                continue;
            }
        };
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

async fn subscribe(client: redis::Client, local: std::sync::Arc<LocalBus>) {
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
        if let Err(e) = pubsub.subscribe(CHANNEL).await {
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
            local.announce(msg.get_payload::<i64>().unwrap_or(0));
        }
        tracing::warn!("Redis subscription ended; reconnecting");
    }
}
