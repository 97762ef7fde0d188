//! Live delivery: from the event log to every connected client.
//!
//! ```text
//! write committed -> bus announces -> pipeline reads the log from its cursor
//!   -> notifier derives and stores notifications (durable cursor)
//!   -> route: which audiences each event reaches, rendered once
//!   -> hub: pushes to every matching connection's bounded queue
//!   -> ws / sse: one task per connection writes its queue to the socket
//! ```
//!
//! Every message carries the sequence of the event that caused it (`event_id`). A client that
//! reconnects with the last one it saw gets what it missed replayed from the log by the same
//! routing code, then live messages, in order and without duplicates.

pub mod command;
pub mod counts;
pub mod extensions;
pub mod hub;
pub mod pipeline;
pub mod route;
pub mod signals;
pub mod sse;
pub mod stream;
pub mod ws;

pub use hub::Hub;
pub use stream::Stream;
