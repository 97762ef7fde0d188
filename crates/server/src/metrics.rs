//! What the server measures about itself: Prometheus metrics at `/metrics`, and the live
//! figures behind `/api/v1/stats` (events and deliveries per second, delivery latency from
//! commit to socket write) that the stats dashboard shows.

use std::collections::VecDeque;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use serde_json::{Value, json};
use starling_core::model::Timestamp;

use crate::error::ApiResult;
use crate::state::AppState;

const LATENCY_BUCKETS: [f64; 14] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0];
/// Per-second counts are kept this long; rates are averaged over the last ten seconds.
const WINDOW_SECS: u64 = 60;
const RATE_SECS: u64 = 10;
/// Latency percentiles come from the most recent deliveries.
const LATENCY_SAMPLES: usize = 4096;

/// The process-wide Prometheus recorder. `metrics` has one global recorder, so every server in
/// a process (tests start many) shares it.
fn prometheus() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

/// Installs the recorder; call once at start-up so early metrics are not lost.
pub fn init() {
    let _ = prometheus();
}

#[derive(Default)]
struct Window {
    /// (second since start, events, deliveries)
    seconds: VecDeque<(u64, u64, u64)>,
    latencies_ms: VecDeque<f64>,
    events_total: u64,
    deliveries_total: u64,
}

/// Live figures for the dashboard, kept in memory.
pub struct LiveStats {
    started: Instant,
    window: Mutex<Window>,
}

impl Default for LiveStats {
    fn default() -> Self {
        LiveStats { started: Instant::now(), window: Mutex::new(Window::default()) }
    }
}

impl LiveStats {
    fn with_second(&self, f: impl FnOnce(&mut Window, usize)) {
        let now = self.started.elapsed().as_secs();
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        if w.seconds.back().is_none_or(|(s, _, _)| *s != now) {
            w.seconds.push_back((now, 0, 0));
            while w.seconds.front().is_some_and(|(s, _, _)| now.saturating_sub(*s) >= WINDOW_SECS) {
                w.seconds.pop_front();
            }
        }
        let last = w.seconds.len() - 1;
        f(&mut w, last);
    }

    pub fn events_processed(&self, kinds: &[&'static str]) {
        for kind in kinds {
            metrics::counter!("starling_events_total", "type" => *kind).increment(1);
        }
        let n = kinds.len() as u64;
        self.with_second(|w, i| {
            w.seconds[i].1 += n;
            w.events_total += n;
        });
    }

    /// A message written to a client's socket, for an event committed at `committed_at`.
    pub fn delivered(&self, committed_at: Timestamp) {
        let latency_ms = (Timestamp::now().0 - committed_at.0).max(0) as f64;
        metrics::histogram!("starling_delivery_latency_seconds").record(latency_ms / 1000.0);
        metrics::counter!("starling_stream_messages_total").increment(1);
        self.with_second(|w, i| {
            w.seconds[i].2 += 1;
            w.deliveries_total += 1;
            w.latencies_ms.push_back(latency_ms);
            if w.latencies_ms.len() > LATENCY_SAMPLES {
                w.latencies_ms.pop_front();
            }
        });
    }

    pub fn snapshot(&self) -> Value {
        let now = self.started.elapsed().as_secs();
        let w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let recent = w.seconds.iter().filter(|(s, _, _)| now.saturating_sub(*s) < RATE_SECS);
        let (events, deliveries) = recent.fold((0, 0), |(e, d), (_, de, dd)| (e + de, d + dd));
        let mut sorted: Vec<f64> = w.latencies_ms.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        let pct = |p: f64| -> Option<f64> {
            if sorted.is_empty() {
                return None;
            }
            let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
            sorted.get(idx).copied()
        };
        let per_second: Vec<Value> =
            w.seconds.iter().map(|(s, e, d)| json!({ "second": s, "events": e, "deliveries": d })).collect();
        json!({
            "uptime_seconds": now,
            "events_total": w.events_total,
            "deliveries_total": w.deliveries_total,
            "events_per_second": events as f64 / RATE_SECS as f64,
            "deliveries_per_second": deliveries as f64 / RATE_SECS as f64,
            "delivery_latency_ms": {
                "samples": sorted.len(),
                "p50": pct(0.5),
                "p90": pct(0.9),
                "p99": pct(0.99),
                "max": sorted.last(),
            },
            "per_second": per_second,
        })
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(render)).route("/api/v1/stats", get(stats))
}

async fn render(State(state): State<AppState>) -> Response {
    metrics::gauge!("starling_stream_connections").set(state.hub.connections() as f64);
    if let Ok(last) = state.store.last_event_seq().await {
        metrics::gauge!("starling_pipeline_lag_events").set((last - state.hub.processed()).max(0) as f64);
    }
    let body = prometheus().map(|h| {
        h.run_upkeep();
        h.render()
    });
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], body.unwrap_or_default()).into_response()
}

async fn stats(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let mut body = state.stats.snapshot();
    let last = state.store.last_event_seq().await?;
    let counts = state.store.instance_counts().await?;
    body["connections"] = json!(state.hub.connections());
    body["last_event_seq"] = json!(last);
    body["pipeline_lag_events"] = json!((last - state.hub.processed()).max(0));
    body["accounts"] = json!(counts.users);
    body["statuses"] = json!(counts.statuses);
    body["node"] = json!(state.settings.node_id.unwrap_or(0));
    body["backend"] = json!(state.store.backend());
    body["version"] = json!(crate::api::version());
    Ok(Json(body))
}

/// Counts requests and their latency by route (the matched pattern, so ids do not explode the
/// number of series).
pub async fn track_http(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route =
        req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let elapsed: Duration = started.elapsed();
    metrics::counter!("starling_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("starling_http_request_duration_seconds", "route" => route).record(elapsed.as_secs_f64());
    response
}
