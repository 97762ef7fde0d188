//! Every committed event, exactly once, on a NATS JetStream stream: the durable feed for
//! consumers outside the request path (search indexing, trends, analytics).
//!
//! The publisher tails the event log with its own durable offset. Each message carries the
//! event's sequence as `Nats-Msg-Id`, so when a crash between a publish and the offset update
//! makes it publish again, JetStream drops the duplicate; several nodes publishing the same log
//! are deduplicated the same way. The duplicate window is long (an hour) so that a restart does
//! not outlast it.

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, stream};
use tokio::sync::watch;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub const CONSUMER: &str = "nats";
const BATCH: u32 = 256;
const DUPLICATE_WINDOW: Duration = Duration::from_secs(3600);
const MIN_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The subjects of a stream: `<stream name in lower case>.<event kind>`, e.g.
/// `starling_events.status.created`.
pub fn subject_prefix(stream: &str) -> String {
    stream.to_lowercase()
}

fn nats_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("NATS: {e}"))
}

pub async fn run(state: AppState, url: String, stream_name: String, mut shutdown: watch::Receiver<bool>) {
    let mut backoff = MIN_BACKOFF;
    loop {
        match publish_until_shutdown(&state, &url, &stream_name, &mut shutdown).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, "publishing events to NATS failed; reconnecting");
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    _ = shutdown.changed() => return,
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

async fn publish_until_shutdown(
    state: &AppState,
    url: &str,
    stream_name: &str,
    shutdown: &mut watch::Receiver<bool>,
) -> ApiResult<()> {
    let client = async_nats::connect(url).await.map_err(nats_error)?;
    let js = jetstream::new(client);
    let prefix = subject_prefix(stream_name);
    js.get_or_create_stream(stream::Config {
        name: stream_name.to_string(),
        subjects: vec![format!("{prefix}.>")],
        duplicate_window: DUPLICATE_WINDOW,
        storage: stream::StorageType::File,
        ..Default::default()
    })
    .await
    .map_err(nats_error)?;
    let mut announcements = state.bus.subscribe();
    let mut cursor = state.store.consumer_offset(CONSUMER).await?;
    loop {
        let events = state.store.events_after(cursor, BATCH).await?;
        if let Some(last) = events.last().map(|e| e.seq) {
            // Publish the whole batch, then wait for every acknowledgement: one round trip per
            // batch rather than per event, and the offset moves only once all are stored.
            let mut acks = Vec::with_capacity(events.len());
            for event in &events {
                let mut headers = HeaderMap::new();
                headers.insert(async_nats::header::NATS_MESSAGE_ID, event.seq.to_string().as_str());
                let payload = serde_json::to_vec(event).map_err(|e| ApiError::Internal(e.to_string()))?;
                let subject = format!("{prefix}.{}", event.kind.as_str());
                acks.push(js.publish_with_headers(subject, headers, payload.into()).await.map_err(nats_error)?);
            }
            for ack in acks {
                ack.await.map_err(nats_error)?;
            }
            // The notifier's call moves any consumer's offset; here it applies nothing else.
            state.store.apply_notifications(CONSUMER, last, Vec::new()).await?;
            cursor = last;
            continue;
        }
        tokio::select! {
            _ = announcements.changed() => {}
            () = tokio::time::sleep(state.settings.pipeline_poll) => {}
            _ = shutdown.changed() => return Ok(()),
        }
    }
}

/// A durable consumer of the event stream, for work outside the request path (an export, an
/// index, analytics). JetStream keeps its position under its name: a consumer opened again
/// with the same name resumes after the last event it acknowledged, on any node, after any
/// restart.
pub struct EventConsumer {
    consumer: jetstream::consumer::PullConsumer,
}

impl EventConsumer {
    /// Opens the consumer `durable` of `stream_name`, creating it (from the stream's first event)
    /// if it does not exist yet.
    pub async fn open(url: &str, stream_name: &str, durable: &str) -> anyhow::Result<EventConsumer> {
        let client = async_nats::connect(url).await?;
        let js = jetstream::new(client);
        let stream = js.get_stream(stream_name).await?;
        let consumer = stream
            .get_or_create_consumer(
                durable,
                jetstream::consumer::pull::Config {
                    durable_name: Some(durable.to_string()),
                    ack_policy: jetstream::consumer::AckPolicy::Explicit,
                    deliver_policy: jetstream::consumer::DeliverPolicy::All,
                    ..Default::default()
                },
            )
            .await?;
        Ok(EventConsumer { consumer })
    }

    /// Hands up to `max` next events to `handle`, in log order, waiting at most `wait` for them,
    /// and acknowledges each once `handle` has returned `Ok` for it; returns how many were
    /// handled. An event whose `handle` fails, or that was handled when the process died before
    /// its acknowledgement, is delivered again: consumers that must not repeat an effect key it
    /// by the event's `seq`.
    pub async fn next(
        &self,
        max: usize,
        wait: Duration,
        mut handle: impl FnMut(&starling_core::event::Event, &[u8]) -> anyhow::Result<()>,
    ) -> anyhow::Result<usize> {
        use futures_util::StreamExt;
        let mut batch = self.consumer.batch().max_messages(max.max(1)).expires(wait).messages().await?;
        let mut handled = 0;
        while let Some(message) = batch.next().await {
            let message = message.map_err(|e| anyhow::anyhow!(e))?;
            let event: starling_core::event::Event = serde_json::from_slice(&message.payload)?;
            handle(&event, &message.payload)?;
            // Acknowledged and confirmed by the server: after a crash, the consumer resumes
            // right after this event.
            message.double_ack().await.map_err(|e| anyhow::anyhow!(e))?;
            handled += 1;
        }
        Ok(handled)
    }
}
