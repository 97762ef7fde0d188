//! The HTTP API: one module per resource, each owning its routes; this file only merges them.

mod accounts;
mod admin;
mod apps;
mod audit;
mod chats;
mod filters;
mod follow_requests;
pub use instance::version;
mod instance;
pub mod media;
mod notifications;
mod oauth;
mod openapi;
mod reports;
mod safety;
mod search;
mod statuses;
mod stories;
pub mod tags;
mod timelines;
pub mod trends;

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(instance::router())
        .merge(apps::router())
        .merge(oauth::router())
        .merge(accounts::router())
        .merge(statuses::router())
        .merge(timelines::router())
        .merge(notifications::router())
        .merge(audit::router())
        .merge(search::router())
        .merge(trends::router())
        .merge(tags::router())
        .merge(stories::router())
        .merge(chats::router())
        .merge(reports::router())
        .merge(safety::router())
        .merge(filters::router())
        .merge(follow_requests::router())
        .merge(admin::router())
        .merge(openapi::router())
}
