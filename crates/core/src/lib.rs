//! Starling's domain: the values the rest of the system agrees on.
//!
//! Nothing here does IO or knows about HTTP or SQL: entities, identifiers, validation of user
//! input (parse, don't validate), the status text parser and renderer, the event vocabulary of
//! the append-only log, and the `Store` trait that each storage backend implements.

pub mod chat;
pub mod event;
pub mod filters;
#[cfg(test)]
mod fixtures;
pub mod id;
pub mod media;
pub mod model;
pub mod notify;
pub mod page;
pub mod projection;
pub mod report;
pub mod safety;
pub mod scope;
pub mod store;
pub mod story;
pub mod text;
pub mod trends;
pub mod validate;

pub use id::{Id, IdGenerator};
pub use store::{Store, StoreError, StoreResult};
