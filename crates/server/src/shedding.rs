//! Load shedding: a node serves at most `max_in_flight` requests at once. Past that it answers
//! 503 with `Retry-After` at once, costing nothing, rather than queueing requests until each
//! waits longer than its client will (and memory grows with the queue): under a burst, the
//! requests it accepts stay fast and the rest are told to come back. The counter is this
//! node's own: each node protects itself, and a load balancer sends the retry to another.

use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::RETRY_AFTER;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// The requests being served now, and how many may be.
pub struct InFlight {
    limit: usize,
    current: AtomicUsize,
}

/// One request's place, given back when it is answered (or its future dropped).
pub struct Place<'a>(&'a AtomicUsize);

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl InFlight {
    pub fn new(limit: usize) -> InFlight {
        InFlight { limit, current: AtomicUsize::new(0) }
    }

    /// A place, if one is free.
    pub fn enter(&self) -> Option<Place<'_>> {
        let taken = self.current.fetch_add(1, Ordering::AcqRel);
        let place = Place(&self.current);
        (taken < self.limit).then_some(place)
    }

    pub fn current(&self) -> usize {
        self.current.load(Ordering::Acquire)
    }
}

pub async fn shed(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Liveness and metrics answer even when the node is saturated: that is when they matter.
    if matches!(req.uri().path(), "/metrics" | "/api/v1/streaming/health") {
        return next.run(req).await;
    }
    let Some(_place) = state.in_flight.enter() else {
        metrics::counter!("starling_requests_shed_total").increment(1);
        let mut response = ApiError::Unavailable("The server is busy; retry in a moment".into()).into_response();
        response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::InFlight;

    #[test]
    fn places_are_given_back_when_dropped_even_when_refused() {
        let in_flight = InFlight::new(2);
        let a = in_flight.enter();
        let b = in_flight.enter();
        assert!(a.is_some() && b.is_some());
        assert!(in_flight.enter().is_none(), "full");
        assert_eq!(in_flight.current(), 2, "a refusal takes no place");
        drop(a);
        let c = in_flight.enter();
        assert!(c.is_some());
        drop((b, c));
        assert_eq!(in_flight.current(), 0);
    }
}
