//! Starling's HTTP server: the Mastodon client API, OAuth, and (later) streaming and the web
//! client. `app` builds the router without touching the network, so most tests can drive it
//! directly; `serve` runs it on a listener until the shutdown future resolves.

pub mod api;
pub mod auth;
pub mod cluster;
pub mod config;
pub mod entities;
pub mod erasure;
pub mod error;
pub mod extension_entities;
pub mod feeds;
pub mod idempotency;
pub mod maintenance;
pub mod media;
pub mod metrics;
pub mod nats;
pub mod pages;
pub mod paging;
pub mod params;
pub mod passwords;
pub mod ratelimit;
pub mod realtime;
pub mod recipients;
pub mod shedding;
pub mod state;
pub mod views;
pub mod web;
mod web_content_type;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use starling_store::ReadScope;
use tokio::net::TcpListener;
use tower_http::cors::CorsLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use config::{HomeSource, HomeTimelines, Settings};
pub use starling_store::HomeMode;
pub use state::AppState;

pub fn app(state: AppState) -> Router {
    let router = Router::new()
        .merge(api::router())
        .merge(api::media::router(state.settings.media_max_bytes))
        .merge(pages::router())
        .merge(web::router())
        .merge(metrics::router())
        .route("/api/v1/streaming", axum::routing::get(realtime::ws::handler))
        .route("/api/v1/streaming/", axum::routing::get(realtime::ws::handler))
        .route("/api/v1/streaming/health", axum::routing::get(|| async { "OK" }))
        .route("/api/v1/streaming/{*stream}", axum::routing::get(realtime::sse::handler))
        .route_layer(axum::middleware::from_fn(metrics::track_http))
        .fallback(web::fallback)
        .layer(axum::middleware::from_fn_with_state(state.clone(), idempotency::replay_or_run))
        .layer(axum::middleware::from_fn_with_state(state.clone(), ratelimit::limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), announce_writes))
        .layer(axum::middleware::from_fn_with_state(state.clone(), shedding::shed));
    // Read scopes only steer reads between a primary and its replicas: without replicas, no
    // request pays for reading its token twice.
    let router = if state.settings.replica_urls.is_empty() {
        router
    } else {
        router.layer(axum::middleware::from_fn_with_state(state.clone(), auth::read_scope))
    };
    router
        .layer(DefaultBodyLimit::max(params::MAX_BODY))
        // Browser clients on other origins use the API with bearer tokens, never cookies,
        // so allowing every origin exposes nothing a script could not already fetch.
        .layer(CorsLayer::permissive().expose_headers([axum::http::header::LINK]))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, state.settings.request_timeout))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(
                    |req: &Request<_>| tracing::info_span!("request", method = %req.method(), path = %req.uri().path()),
                )
                // One line per answered request, with its status and latency.
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO))
                // Not one error line more per 5xx: a shed request (503) is the server working
                // as meant, and logging each at ERROR would flood the log just when the node is
                // busiest; internal errors log their cause where they happen (`ApiError`).
                .on_failure(()),
        )
        .with_state(state)
}

/// After a request that may have written something, tells the event pipeline to look at the
/// log. The announcement carries no data: the log is read from the pipeline's cursor.
async fn announce_writes(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let writes =
        !matches!(*req.method(), axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS);
    let response = next.run(req).await;
    if writes && response.status().is_success() {
        state.bus.announce(0);
    }
    response
}

/// Opens the store the settings name, applying migrations. Ids it generates itself use the
/// configured node id, or 0 when there is none: to serve, use [`start_node`], which leases one.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn starling_core::Store>> {
    std::fs::create_dir_all(&settings.data_dir)?;
    Ok(starling_store::connect(&settings.database_url, &store_options(settings)).await?)
}

/// How the settings open the store. With home timelines in Redis or memory (`feeds`, ADR 11,
/// ADR 14), the store stops materialising them.
pub fn store_options(settings: &Settings) -> starling_store::StoreOptions {
    starling_store::StoreOptions {
        node_id: settings.node_id.unwrap_or(0),
        fanout_threshold: settings.fanout_threshold,
        homes: match settings.home_source() {
            HomeSource::Redis | HomeSource::Memory => starling_store::HomeMode::Pulled,
            HomeSource::Store => starling_store::HomeMode::Materialised,
        },
        replica_urls: settings.replica_urls.clone(),
    }
}

/// Everything a serving node needs: its store and bus, and its place in the deployment. Without
/// a configured node id, it leases the lowest free one first (through a store opened just for
/// that, since the store's own ids depend on the answer).
pub async fn start_node(mut settings: Settings) -> anyhow::Result<AppState> {
    let holder = cluster::holder_name();
    // A SQLite database serves processes on this machine only: leases its dead processes left
    // (a crash, `kill -9`) are known dead, and are freed at once rather than when they expire,
    // so that a restarted node delivers live without waiting out its predecessor's jobs.
    // Both look at the leases through one store opened for that (the node's own ids depend on
    // the node id leased here).
    let sqlite = starling_store::is_sqlite(&settings.database_url);
    let probe = if sqlite || settings.node_id.is_none() { Some(open_store(&settings).await?) } else { None };
    if sqlite && let Some(probe) = &probe {
        cluster::free_leases_of_dead_processes(&**probe, &holder).await?;
    }
    let leased = match (&probe, settings.node_id) {
        (Some(_), Some(_)) | (None, _) => None,
        (Some(probe), None) => {
            let id = cluster::lease_node_id(&**probe, &holder, settings.lease_ttl).await?;
            settings.node_id = Some(id);
            Some(id)
        }
    };
    let store = open_store(&settings).await?;
    let cluster = cluster::Cluster::new(holder, leased, settings.lease_ttl, &state::jobs(&settings));
    let bus = AppState::bus(&settings)?;
    Ok(AppState::with_cluster(store, bus, settings, cluster))
}

/// Serves until `shutdown` resolves, then stops accepting, closes streams with a close frame,
/// lets requests in flight finish, stops the workers and gives this node's leases back. Fails if
/// the node lost its node id lease (it stops at once then).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    metrics::init();
    // This node's jobs are known before any worker starts, so that a lone node is the notifier
    // from its first event on.
    if let Err(e) = state.cluster.tick(&*state.store).await {
        if e.is::<cluster::NodeLeaseLost>() {
            return Err(e);
        }
        tracing::warn!(error = %e, "taking this node's leases failed; will retry");
    }
    // Live delivery starts where the notifier stopped, before the first connection is accepted,
    // so that a client resuming right after a restart misses nothing.
    let cursor = state.store.consumer_offset(realtime::pipeline::CONSUMER).await?;
    state.hub.start_at(cursor).await;
    // The workers stop only after the last request has been answered, so that their final
    // catch-up sees every event those requests wrote; the leases go after the workers.
    let (stop_workers, workers_stopping) = tokio::sync::watch::channel(false);
    let (stop_leases, leases_stopping) = tokio::sync::watch::channel(false);
    let (lose_node, mut node_lost) = tokio::sync::watch::channel(None::<String>);
    let node_lease = node_lost.clone();
    let leases = tokio::spawn(cluster::run(state.clone(), lose_node, leases_stopping));
    // The pipeline routes each event by the statuses and follows as they are now: it reads the
    // primary, never a replica that may not have replayed the event yet.
    let pipeline =
        tokio::spawn(ReadScope::Primary.run(realtime::pipeline::run(state.clone(), cursor, workers_stopping.clone())));
    // Upkeep, done by one node at a time: trimming homes and making partitions; purging expired
    // stories (they are gone from every read at once) and uploads nothing carried within a day;
    // watching the trends for every node's public streams; and, on SQLite, the full-text index
    // following the log off the write path (PostgreSQL's keeps itself).
    let mut upkeep = vec![
        spawn_upkeep(&state, maintenance::run),
        spawn_upkeep(&state, maintenance::sweep_stories),
        spawn_upkeep(&state, maintenance::sweep_media),
        spawn_upkeep(&state, maintenance::watch_trends),
    ];
    if starling_store::is_sqlite(&state.settings.database_url) {
        upkeep.push(spawn_upkeep(&state, maintenance::index_for_search));
    }
    // Home timelines in Redis or memory, kept by one node at a time.
    let feeds = state.feeds.is_some().then(|| {
        let state = state.clone();
        tokio::spawn(cluster::while_held(state.clone(), cluster::Job::Feeds, workers_stopping.clone(), move |stop| {
            feeds::worker::run(state.clone(), stop)
        }))
    });
    // Typing and presence: every node, for its own connections.
    let signals = tokio::spawn(realtime::signals::run(state.clone(), state.shutdown.clone()));
    let nats = state.settings.nats_url.clone().map(|url| {
        let (state, stream) = (state.clone(), state.settings.nats_stream.clone());
        tokio::spawn(cluster::while_held(state.clone(), cluster::Job::Publisher, workers_stopping, move |stop| {
            nats::run(state.clone(), url.clone(), stream.clone(), stop)
        }))
    });
    let stopping = state.clone();
    let signal = async move {
        tokio::select! {
            () = shutdown => {}
            Ok(_) = node_lost.wait_for(Option::is_some) => {}
        }
        // Streams close now: open WebSockets would otherwise keep the server from draining.
        stopping.begin_shutdown();
    };
    let service = app(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, service).with_graceful_shutdown(signal).await;
    state.begin_shutdown();
    stop_workers.send_replace(true);
    let _ = pipeline.await;
    for task in upkeep {
        let _ = task.await;
    }
    let _ = signals.await;
    if let Some(nats) = nats {
        let _ = nats.await;
    }
    if let Some(feeds) = feeds {
        let _ = feeds.await;
    }
    stop_leases.send_replace(true);
    let _ = leases.await;
    served?;
    if let Some(reason) = node_lease.borrow().clone() {
        anyhow::bail!(reason);
    }
    Ok(())
}

/// Runs `task` on this node for as long as it holds the upkeep job, until shutdown.
fn spawn_upkeep<Fut>(
    state: &AppState,
    task: fn(AppState, tokio::sync::watch::Receiver<bool>) -> Fut,
) -> tokio::task::JoinHandle<()>
where
    Fut: Future<Output = ()> + Send + 'static,
{
    let held = state.clone();
    tokio::spawn(cluster::while_held(state.clone(), cluster::Job::Upkeep, state.shutdown.clone(), move |stop| {
        task(held.clone(), stop)
    }))
}

pub use starling_core::id::MAX_NODE;

/// Opens the store, binds the listener and serves until `shutdown` resolves.
pub async fn run(settings: Settings, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let state = start_node(settings).await?;
    let listener = TcpListener::bind(state.settings.bind).await?;
    tracing::info!(
        address = %listener.local_addr()?,
        public_url = %state.settings.public_url,
        store = state.store.backend(),
        bus = if state.settings.redis_url.is_some() { "redis" } else { "local" },
        node_id = state.settings.node_id,
        holder = state.cluster.holder(),
        version = %api::version(),
        "starling is listening"
    );
    serve(listener, state, shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}
