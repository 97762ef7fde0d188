//! Announcements that the event log has grown.
//!
//! The event log in the store is the source of truth; the bus only says "there is something
//! new up to sequence N". Consumers then read the log from where they stopped. That makes the
//! bus lossy by design and the pipeline lossless: a dropped or coalesced announcement costs a
//! little latency (the next announcement, or the consumers' periodic poll, catches up), never an
//! event. Across nodes (Redis pub/sub, NATS) the same contract holds.
//!
//! The bus also carries signals: small messages for every node that are never stored (someone
//! is typing, someone came online). A signal reaches the nodes listening when it is sent, at
//! most once each; one sent while Redis is away is lost, as a signal may be.

use std::sync::Arc;

use tokio::sync::{broadcast, watch};

mod redis;
pub use crate::redis::{BadRedisUrl, RedisBus};

/// Announces log growth and lets consumers wait for it.
pub trait Bus: Send + Sync + 'static {
    /// Says that the log holds events up to at least `seq` (0 when the caller does not know
    /// the sequence: consumers then simply look).
    fn announce(&self, seq: i64);
    /// A receiver that wakes whenever something was announced after it last looked.
    fn subscribe(&self) -> Announcements;
    /// Sends a signal to every node, this one included.
    fn signal(&self, message: &str);
    /// The signals sent from now on. A receiver that falls more than [`SIGNAL_BACKLOG`]
    /// behind loses the oldest (`RecvError::Lagged`).
    fn signals(&self) -> broadcast::Receiver<Arc<str>>;
}

/// How many signals may wait for a slow receiver before the oldest are dropped.
pub const SIGNAL_BACKLOG: usize = 4096;

/// The receiving side of a bus: coalesces announcements, so a slow consumer sees only the
/// latest one and never falls behind on a queue of wake-ups.
pub struct Announcements {
    rx: watch::Receiver<u64>,
}

impl Announcements {
    /// Resolves when something was announced since the last call; `false` once the bus is gone.
    pub async fn changed(&mut self) -> bool {
        self.rx.changed().await.is_ok()
    }
}

/// The in-process bus of a single node.
pub struct LocalBus {
    tx: watch::Sender<u64>,
    signals: broadcast::Sender<Arc<str>>,
}

impl Default for LocalBus {
    fn default() -> Self {
        LocalBus { tx: watch::Sender::new(0), signals: broadcast::Sender::new(SIGNAL_BACKLOG) }
    }
}

impl LocalBus {
    pub fn new() -> LocalBus {
        LocalBus::default()
    }
}

impl Bus for LocalBus {
    fn announce(&self, _seq: i64) {
        // A counter rather than the sequence: two announcements of an unknown sequence (0)
        // must both wake consumers.
        self.tx.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn subscribe(&self) -> Announcements {
        let mut rx = self.tx.subscribe();
        rx.mark_unchanged();
        Announcements { rx }
    }

    fn signal(&self, message: &str) {
        // No receiver is not an error: nobody is listening for signals now.
        let _ = self.signals.send(message.into());
    }

    fn signals(&self) -> broadcast::Receiver<Arc<str>> {
        self.signals.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn an_announcement_wakes_every_subscriber() {
        let bus = LocalBus::new();
        let mut a = bus.subscribe();
        let mut b = bus.subscribe();
        bus.announce(1);
        assert!(tokio::time::timeout(Duration::from_secs(5), a.changed()).await.unwrap_or(false));
        assert!(tokio::time::timeout(Duration::from_secs(5), b.changed()).await.unwrap_or(false));
    }

    #[tokio::test]
    async fn many_announcements_coalesce_into_one_wake_up() {
        let bus = LocalBus::new();
        let mut a = bus.subscribe();
        for seq in 0..100 {
            bus.announce(seq);
        }
        assert!(a.changed().await);
        let again = tokio::time::timeout(Duration::from_millis(50), a.changed()).await;
        assert!(again.is_err(), "no queue of stale wake-ups");
    }

    #[tokio::test]
    async fn signals_reach_every_receiver_in_order() {
        let bus = LocalBus::new();
        let mut a = bus.signals();
        let mut b = bus.signals();
        bus.signal("one");
        bus.signal("two");
        for rx in [&mut a, &mut b] {
            assert_eq!(rx.recv().await.ok().as_deref(), Some("one"));
            assert_eq!(rx.recv().await.ok().as_deref(), Some("two"));
        }
    }

    #[tokio::test]
    async fn a_subscriber_created_after_an_announcement_does_not_see_it() {
        let bus = LocalBus::new();
        bus.announce(1);
        let mut late = bus.subscribe();
        let woke = tokio::time::timeout(Duration::from_millis(50), late.changed()).await;
        assert!(woke.is_err());
    }
}
