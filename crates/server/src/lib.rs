//! Starling's HTTP server: the Mastodon client API, OAuth, and (later) streaming and the web
//! client. `app` builds the router without touching the network, so most tests can drive it
//! directly; `serve` runs it on a listener until the shutdown future resolves.

pub mod api;
pub mod auth;
pub mod config;
pub mod entities;
pub mod error;
pub mod maintenance;
pub mod metrics;
pub mod nats;
pub mod pages;
pub mod paging;
pub mod params;
pub mod passwords;
pub mod realtime;
pub mod state;
pub mod views;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tower_http::cors::CorsLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use config::Settings;
pub use state::AppState;

use crate::error::ApiError;

/// How long one request may take before it is answered with 408: long enough for a slow
/// password hash under load, short enough that a stuck request does not hold a connection.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(api::router())
        .merge(pages::router())
        .merge(metrics::router())
        .route("/api/v1/streaming", axum::routing::get(realtime::ws::handler))
        .route("/api/v1/streaming/", axum::routing::get(realtime::ws::handler))
        .route("/api/v1/streaming/health", axum::routing::get(|| async { "OK" }))
        .route("/api/v1/streaming/{*stream}", axum::routing::get(realtime::sse::handler))
        .route_layer(axum::middleware::from_fn(metrics::track_http))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), announce_writes))
        .layer(DefaultBodyLimit::max(params::MAX_BODY))
        // Browser clients on other origins use the API with bearer tokens, never cookies,
        // so allowing every origin exposes nothing a script could not already fetch.
        .layer(CorsLayer::permissive().expose_headers([axum::http::header::LINK]))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(
                    |req: &Request<_>| tracing::info_span!("request", method = %req.method(), path = %req.uri().path()),
                )
                // One line per answered request, with its status and latency.
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
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

async fn not_found() -> Response {
    ApiError::NotFound.into_response()
}

/// Opens the store the settings name, applying migrations.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn starling_core::Store>> {
    std::fs::create_dir_all(&settings.data_dir)?;
    let options =
        starling_store::StoreOptions { node_id: settings.node_id, fanout_threshold: settings.fanout_threshold };
    Ok(starling_store::connect(&settings.database_url, &options).await?)
}

/// Serves until `shutdown` resolves, then stops accepting, closes streams with a close frame,
/// lets requests in flight finish, and stops the event pipeline.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Live delivery starts where the notifier stopped, before the first connection is accepted,
    // so that a client resuming right after a restart misses nothing.
    metrics::init();
    let cursor = state.store.consumer_offset(realtime::pipeline::CONSUMER).await?;
    state.hub.start_at(cursor).await;
    // The pipeline stops only after the last request has been answered, so that its final
    // catch-up sees every event those requests wrote.
    let (stop_pipeline, pipeline_stopping) = tokio::sync::watch::channel(false);
    let pipeline = tokio::spawn(realtime::pipeline::run(state.clone(), cursor, pipeline_stopping));
    let upkeep = tokio::spawn(maintenance::run(state.clone(), state.shutdown.clone()));
    let nats = state.settings.nats_url.clone().map(|url| {
        tokio::spawn(nats::run(state.clone(), url, state.settings.nats_stream.clone(), stop_pipeline.subscribe()))
    });
    let stopping = state.clone();
    let signal = async move {
        shutdown.await;
        // Streams close now: open WebSockets would otherwise keep the server from draining.
        stopping.begin_shutdown();
    };
    let served = axum::serve(listener, app(state.clone())).with_graceful_shutdown(signal).await;
    state.begin_shutdown();
    stop_pipeline.send_replace(true);
    let _ = pipeline.await;
    let _ = upkeep.await;
    if let Some(nats) = nats {
        let _ = nats.await;
    }
    served?;
    Ok(())
}

pub use starling_core::id::MAX_NODE;

/// Opens the store, binds the listener and serves until `shutdown` resolves.
pub async fn run(settings: Settings, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let store = open_store(&settings).await?;
    let listener = TcpListener::bind(settings.bind).await?;
    tracing::info!(
        address = %listener.local_addr()?,
        public_url = %settings.public_url,
        store = store.backend(),
        bus = if settings.redis_url.is_some() { "redis" } else { "local" },
        version = %api::version(),
        "starling is listening"
    );
    serve(listener, AppState::from_settings(store, settings)?, shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}
