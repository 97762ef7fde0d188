//! What every handler shares: the store, the id generator, the settings and the signing keys.

use std::sync::Arc;

use starling_bus::{Bus, LocalBus, RedisBus};
use starling_core::{IdGenerator, Store};
use tokio::sync::watch;

use crate::auth::JwtKeys;
use crate::cluster::{self, Cluster, Job};
use crate::config::{HomeSource, Settings};
use crate::feeds::Feeds;
use crate::media::MediaFiles;
use crate::metrics::LiveStats;
use crate::ratelimit::RateLimits;
use crate::realtime::Hub;
use crate::recipients::Recipients;
use crate::shedding::InFlight;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn Bus>,
    pub hub: Hub,
    pub stats: LiveStats,
    pub ids: IdGenerator,
    pub cluster: Cluster,
    /// Home timelines in Redis or memory (`feeds`, `Settings::home_source`); `None` when the
    /// store keeps them.
    pub feeds: Option<Feeds>,
    /// Whose home shows a status, shared by live delivery and the home timeline cache.
    pub recipients: Recipients,
    /// Uploaded media files, in `<data dir>/media`.
    pub media: MediaFiles,
    /// The request counters (`ratelimit`), shared through Redis when there is one; `None`
    /// when rate limits are off.
    pub rate_limits: Option<RateLimits>,
    /// The requests this node serves now (`shedding`).
    pub in_flight: InFlight,
    pub settings: Settings,
    pub jwt: JwtKeys,
    /// Becomes `true` when the server starts shutting down: streams close with a close frame.
    pub shutdown: watch::Receiver<bool>,
    shutdown_tx: watch::Sender<bool>,
}

impl AppState {
    /// A node on its own: announcements stay in this process.
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> AppState {
        AppState::with_bus(store, Arc::new(LocalBus::new()), settings)
    }

    /// Chooses the bus from the settings: Redis pub/sub between nodes when `redis_url` is set.
    /// Must be called inside a Tokio runtime (the Redis bus starts its tasks).
    pub fn from_settings(store: Arc<dyn Store>, settings: Settings) -> anyhow::Result<AppState> {
        Ok(AppState::with_bus(store, AppState::bus(&settings)?, settings))
    }

    pub fn with_bus(store: Arc<dyn Store>, bus: Arc<dyn Bus>, settings: Settings) -> AppState {
        let cluster = Cluster::new(cluster::holder_name(), None, settings.lease_ttl, &jobs(&settings));
        AppState::with_cluster(store, bus, settings, cluster)
    }

    /// As [`with_bus`](AppState::with_bus), as a member of the deployment `cluster` describes.
    pub fn with_cluster(store: Arc<dyn Store>, bus: Arc<dyn Bus>, settings: Settings, cluster: Cluster) -> AppState {
        let jwt = JwtKeys::new(&settings.jwt_secret, &settings.public_url);
        let (shutdown_tx, shutdown) = watch::channel(false);
        let feeds = match (settings.home_source(), settings.redis_url.as_deref()) {
            (HomeSource::Redis, Some(url)) => Feeds::redis(url, &settings.redis_prefix, settings.home_cap)
                .inspect_err(|e| tracing::error!(error = %e, "home timelines cannot use Redis; the store serves them"))
                .ok(),
            (HomeSource::Memory, _) => Some(Feeds::memory(settings.home_cap, settings.memory_homes)),
            _ => None,
        };
        let media = match &settings.media_bucket {
            // The settings were checked when read (`starling serve` refuses a bucket it cannot
            // use); a caller that skipped that gets the error in the log and local files.
            Some(bucket) => MediaFiles::in_bucket(bucket).unwrap_or_else(|e| {
                tracing::error!(error = %e, "the media bucket cannot be used; keeping media in the data directory");
                MediaFiles::in_directory(&settings.data_dir.join("media"))
            }),
            None => MediaFiles::in_directory(&settings.data_dir.join("media")),
        };
        let rate_limits = match (settings.rate_limits, settings.redis_url.as_deref()) {
            (false, _) => None,
            (true, Some(url)) => RateLimits::redis(url, &settings.redis_prefix)
                .inspect_err(|e| tracing::error!(error = %e, "rate limits cannot use Redis; counting in this process"))
                .ok()
                .or_else(|| Some(RateLimits::memory())),
            (true, None) => Some(RateLimits::memory()),
        };
        AppState(Arc::new(Inner {
            store,
            bus,
            hub: Hub::new(settings.stream_queue),
            stats: LiveStats::default(),
            ids: IdGenerator::new(settings.node_id.unwrap_or(0)),
            cluster,
            feeds,
            recipients: Recipients::default(),
            media,
            rate_limits,
            in_flight: InFlight::new(settings.max_in_flight),
            jwt,
            settings,
            shutdown,
            shutdown_tx,
        }))
    }

    /// The bus the settings name: Redis pub/sub between nodes when `redis_url` is set.
    pub fn bus(settings: &Settings) -> anyhow::Result<Arc<dyn Bus>> {
        Ok(match &settings.redis_url {
            Some(url) => Arc::new(RedisBus::start(url)?),
            None => Arc::new(LocalBus::new()),
        })
    }

    /// Tells every stream and worker that the server is stopping.
    pub fn begin_shutdown(&self) {
        self.shutdown_tx.send_replace(true);
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// The jobs a deployment with these settings runs (every node has the same settings).
pub fn jobs(settings: &Settings) -> Vec<Job> {
    let mut jobs = vec![Job::Notifier, Job::Upkeep];
    if settings.nats_url.is_some() {
        jobs.push(Job::Publisher);
    }
    if settings.home_source() != HomeSource::Store {
        jobs.push(Job::Feeds);
    }
    jobs
}
