//! On whose behalf the store is being read, so that a store with read replicas can give each
//! writer its own writes back (read-your-writes) and send every other read to a replica.
//!
//! The scope is a task-local value: the server sets it around each request with a bearer token
//! (the token's account) and around the work that must see the newest state (the realtime
//! pipeline), and a store without replicas ignores it. A task spawned inside a scope does not
//! inherit it.

use std::future::Future;

use starling_core::Id;

tokio::task_local! {
    static SCOPE: ReadScope;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadScope {
    /// Reads for this account: they see its own writes, from a replica that has replayed them
    /// or else from the primary. Writes made in this scope are remembered for it.
    Account(Id),
    /// Reads that must see everything committed so far: the primary only.
    Primary,
}

impl ReadScope {
    /// Runs `f` with this scope.
    pub async fn run<F: Future>(self, f: F) -> F::Output {
        SCOPE.scope(self, f).await
    }

    /// The scope of the running task, if it has one (`None`: anonymous reads).
    pub fn current() -> Option<ReadScope> {
        SCOPE.try_with(|s| *s).ok()
    }

    /// The account of the running task's scope, if any.
    pub fn current_account() -> Option<Id> {
        match ReadScope::current() {
            Some(ReadScope::Account(id)) => Some(id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_scope_holds_inside_its_future_only() {
        assert_eq!(ReadScope::current(), None);
        let inner = ReadScope::Account(Id(7)).run(async { ReadScope::current_account() }).await;
        assert_eq!(inner, Some(Id(7)));
        assert_eq!(ReadScope::Primary.run(async { ReadScope::current() }).await, Some(ReadScope::Primary));
        assert_eq!(ReadScope::current(), None);
    }
}
