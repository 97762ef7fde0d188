//! End-to-end tests of the HTTP API: each test starts a real server on port 0 with its own
//! database and talks to it over HTTP.

mod helpers;

mod accounts;
mod admin;
mod authorization;
mod chats;
mod errors;
mod feeds;
mod filters;
mod idempotency;
mod input;
mod locked;
mod mastodon_py;
mod media;
mod memory_homes;
mod nodes;
mod notifications;
mod oauth;
mod openapi;
mod ratelimit;
mod replicas;
mod safety;
mod schemathesis;
mod search;
mod statuses;
mod stories;
mod streaming;
mod tags;
mod timelines;
mod trends;
mod web_client;
