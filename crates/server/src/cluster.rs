//! How the nodes sharing one database divide what must happen once: node ids, and the workers
//! that write projections or publish the log (the jobs).
//!
//! Everything rests on leases in the store (`Store::acquire_lease`), renewed every third of
//! their length by [`run`]:
//! * `member/<holder>`: this process is alive. The number of members sets each node's fair share
//!   of the jobs.
//! * `node/<n>`: this process generates ids as node `n`, when no node id is configured. A node
//!   that fails to renew it stops, rather than risk generating ids that another node, which took
//!   the expired lease, also generates.
//! * `job/<name>`: this process runs the job. Each job is held by one node at a time; a node
//!   takes jobs up to its share and gives one back per round while it holds more, so that jobs
//!   spread over the nodes as they join. A node that dies loses its jobs when their leases
//!   expire, and the others take them over.
//!
//! Every job keeps a durable offset in the log, so a job that moves to another node resumes
//! where it stopped; and what each job writes is idempotent, so the short overlap while a lease
//! changes hands (a holder finishing its batch after losing it) stores nothing twice.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use starling_core::Store;
use starling_core::id::MAX_NODE;
use starling_core::model::Timestamp;
use tokio::sync::watch;

use crate::state::AppState;

const MEMBER_PREFIX: &str = "member/";
const NODE_PREFIX: &str = "node/";
const JOB_PREFIX: &str = "job/";

/// Work that one node at a time does for the whole deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Job {
    /// Stores the notifications the log implies (`realtime::pipeline`).
    Notifier,
    /// Periodic upkeep of shared data, such as trimming home timelines (`maintenance`).
    Upkeep,
    /// Publishes the log to NATS JetStream (`nats`).
    Publisher,
    /// Keeps the home timelines in Redis (`feeds`).
    Feeds,
}

impl Job {
    pub fn as_str(self) -> &'static str {
        match self {
            Job::Notifier => "notifier",
            Job::Upkeep => "upkeep",
            Job::Publisher => "publisher",
            Job::Feeds => "feeds",
        }
    }

    fn lease(self) -> String {
        format!("{JOB_PREFIX}{}", self.as_str())
    }
}

/// The node ids this process could not keep: it must stop.
#[derive(Debug, thiserror::Error)]
#[error("the lease on node id {0} was lost to another process; stopping so that no id is generated twice")]
pub struct NodeLeaseLost(pub u16);

/// This process's part in the deployment: who it is, which node id it leased (if any), and
/// which jobs it holds now.
pub struct Cluster {
    holder: String,
    node: Option<u16>,
    ttl: Duration,
    jobs: Vec<(Job, watch::Sender<bool>)>,
}

impl Cluster {
    /// `node`: the id leased by [`lease_node_id`] with the same `holder`, to be renewed; `None`
    /// when the id came from configuration. `jobs`: those this deployment runs (the same on
    /// every node).
    pub fn new(holder: String, node: Option<u16>, ttl: Duration, jobs: &[Job]) -> Cluster {
        let jobs = jobs.iter().map(|&job| (job, watch::channel(false).0)).collect();
        Cluster { holder, node, ttl, jobs }
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Whether this process runs `job` now. A job this deployment does not run is never held.
    pub fn holds(&self, job: Job) -> bool {
        self.jobs.iter().any(|(j, held)| *j == job && *held.borrow())
    }

    /// Follows whether this process runs `job`.
    pub fn watch(&self, job: Job) -> watch::Receiver<bool> {
        match self.jobs.iter().find(|(j, _)| *j == job) {
            Some((_, held)) => held.subscribe(),
            None => watch::channel(false).1,
        }
    }

    /// The jobs this process holds now.
    pub fn held(&self) -> Vec<Job> {
        self.jobs.iter().filter(|(_, held)| *held.borrow()).map(|(job, _)| *job).collect()
    }

    fn ttl_ms(&self) -> i64 {
        i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX)
    }

    /// One round: renews this process's leases, then takes or gives back jobs towards its fair
    /// share. Fails only when the node id lease is lost.
    pub async fn tick(&self, store: &dyn Store) -> anyhow::Result<()> {
        let now = Timestamp::now();
        let ttl = self.ttl_ms();
        store.acquire_lease(&format!("{MEMBER_PREFIX}{}", self.holder), &self.holder, now, ttl).await?;
        if let Some(node) = self.node
            && !store.acquire_lease(&format!("{NODE_PREFIX}{node}"), &self.holder, now, ttl).await?
        {
            return Err(NodeLeaseLost(node).into());
        }
        let members = store.leases(MEMBER_PREFIX, now).await?.len().max(1);
        let share = self.jobs.len().div_ceil(members);
        let mut held = 0;
        for (job, flag) in &self.jobs {
            if *flag.borrow() {
                let kept = store.acquire_lease(&job.lease(), &self.holder, now, ttl).await?;
                if !kept {
                    tracing::warn!(job = job.as_str(), "lost a job's lease to another node");
                }
                flag.send_replace(kept);
                held += usize::from(kept);
            }
        }
        for (job, flag) in &self.jobs {
            if held < share && !*flag.borrow() && store.acquire_lease(&job.lease(), &self.holder, now, ttl).await? {
                tracing::info!(job = job.as_str(), "this node now runs a job");
                flag.send_replace(true);
                held += 1;
            }
        }
        // One job at a time goes back, so that a node joining takes over a share without every
        // job changing hands at once.
        if held > share
            && let Some((job, flag)) = self.jobs.iter().rev().find(|(_, flag)| *flag.borrow())
        {
            flag.send_replace(false);
            store.release_lease(&job.lease(), &self.holder).await?;
            tracing::info!(job = job.as_str(), members, "gave a job back for another node to take");
        }
        Ok(())
    }

    /// Gives every lease back, so that other nodes take the jobs over at once rather than when
    /// the leases would have expired.
    pub async fn release_all(&self, store: &dyn Store) {
        for (job, flag) in &self.jobs {
            if flag.send_replace(false)
                && let Err(e) = store.release_lease(&job.lease(), &self.holder).await
            {
                tracing::warn!(error = %e, job = job.as_str(), "could not release a job's lease; it expires by itself");
            }
        }
        let mut names = vec![format!("{MEMBER_PREFIX}{}", self.holder)];
        names.extend(self.node.map(|n| format!("{NODE_PREFIX}{n}")));
        for name in names {
            if let Err(e) = store.release_lease(&name, &self.holder).await {
                tracing::warn!(error = %e, lease = name, "could not release a lease; it expires by itself");
            }
        }
    }
}

/// A name for this process that no other process shares: host, process id and a random part
/// (process ids repeat across hosts and restarts).
pub fn holder_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_string());
    format!("{host}:{}:{:08x}", std::process::id(), rand::random::<u32>())
}

/// The host and process id in a holder name made by [`holder_name`].
fn host_and_pid(holder: &str) -> Option<(&str, u32)> {
    let mut parts = holder.rsplitn(3, ':');
    let (_random, pid, host) = (parts.next()?, parts.next()?, parts.next()?);
    Some((host, pid.parse().ok()?))
}

/// Releases the unexpired leases held by processes of this host that no longer run. Only for a
/// store no other host shares: a process id means something on its own host only.
pub async fn free_leases_of_dead_processes(store: &dyn Store, holder: &str) -> anyhow::Result<()> {
    let Some((host, _)) = host_and_pid(holder) else { return Ok(()) };
    for lease in store.leases("", Timestamp::now()).await? {
        let Some((their_host, pid)) = host_and_pid(&lease.holder) else { continue };
        if their_host == host && lease.holder != holder && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            store.release_lease(&lease.name, &lease.holder).await?;
            tracing::info!(lease = lease.name, holder = lease.holder, "freed a lease of a process that no longer runs");
        }
    }
    Ok(())
}

/// Leases the lowest node id no live process holds.
pub async fn lease_node_id(store: &dyn Store, holder: &str, ttl: Duration) -> anyhow::Result<u16> {
    let ttl = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    // Another process may take the id this one picked between the listing and the claim; then
    // the listing is read again.
    for _ in 0..16 {
        let now = Timestamp::now();
        let taken: HashSet<u16> = store
            .leases(NODE_PREFIX, now)
            .await?
            .iter()
            .filter_map(|l| l.name.strip_prefix(NODE_PREFIX)?.parse().ok())
            .collect();
        let Some(free) = (0..=MAX_NODE).find(|n| !taken.contains(n)) else {
            anyhow::bail!("every node id (0-{MAX_NODE}) is leased by a live node");
        };
        if store.acquire_lease(&format!("{NODE_PREFIX}{free}"), holder, now, ttl).await? {
            return Ok(free);
        }
    }
    anyhow::bail!("could not lease a node id: other nodes kept taking the free ones first")
}

/// Renews this process's leases every third of their length until `stop`, then gives them all
/// back. Losing the node id lease ends the server (through `lost`).
pub async fn run(state: AppState, lost: watch::Sender<Option<String>>, mut stop: watch::Receiver<bool>) {
    let every = state.cluster.ttl / 3;
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stop.changed() => break,
        }
        match state.cluster.tick(&*state.store).await {
            Ok(()) => {}
            Err(e) if e.is::<NodeLeaseLost>() => {
                tracing::error!(error = %e, "stopping");
                lost.send_replace(Some(e.to_string()));
                break;
            }
            Err(e) => tracing::warn!(error = %e, "renewing leases failed; will retry"),
        }
    }
    state.cluster.release_all(&*state.store).await;
}

/// Runs `work` whenever this process holds `job`: starts it when the lease is taken, and tells
/// it to stop (through the receiver it is given) when the lease is lost or the server stops.
/// `work` must return soon after its receiver turns `true`.
pub async fn while_held<F, Fut>(state: AppState, job: Job, mut shutdown: watch::Receiver<bool>, work: F)
where
    F: Fn(watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut held = state.cluster.watch(job);
    loop {
        while !*held.borrow_and_update() {
            tokio::select! {
                changed = held.changed() => if changed.is_err() { return },
                _ = shutdown.changed() => return,
            }
        }
        if *shutdown.borrow() {
            return;
        }
        let (stop, stopping) = watch::channel(false);
        let running = work(stopping);
        tokio::pin!(running);
        let ends = loop {
            tokio::select! {
                () = &mut running => return,
                changed = held.changed() => if changed.is_err() || !*held.borrow() { break false },
                _ = shutdown.changed() => break true,
            }
        };
        stop.send_replace(true);
        running.await;
        if ends {
            return;
        }
        tracing::info!(job = job.as_str(), "stopped a job whose lease moved to another node");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use starling_store::{SqliteStore, StoreOptions};

    use super::*;

    const TTL: Duration = Duration::from_secs(60);

    async fn store() -> Arc<dyn Store> {
        Arc::new(SqliteStore::open("sqlite::memory:", &StoreOptions::default()).await.expect("opens"))
    }

    fn node(name: &str) -> Cluster {
        Cluster::new(name.to_string(), None, TTL, &[Job::Notifier, Job::Publisher])
    }

    #[tokio::test]
    async fn leases_of_dead_processes_on_this_host_are_freed_and_no_others() {
        let store = store().await;
        let me = holder_name();
        let (host, _) = host_and_pid(&me).unwrap();
        // A process id above the kernel's limit (4194304) never runs.
        let dead = format!("{host}:4194305:0badf00d");
        let alive = format!("{host}:{}:00000001", std::process::id());
        let elsewhere = "another-host:4194305:00000002".to_string();
        let now = Timestamp::now();
        for (name, holder) in
            [("job/notifier", &dead), ("node/0", &dead), ("job/publisher", &alive), ("node/1", &elsewhere)]
        {
            assert!(store.acquire_lease(name, holder, now, 60_000).await.unwrap());
        }
        free_leases_of_dead_processes(&*store, &me).await.unwrap();
        let held: Vec<(String, String)> =
            store.leases("", Timestamp::now()).await.unwrap().into_iter().map(|l| (l.name, l.holder)).collect();
        assert_eq!(held, [("job/publisher".to_string(), alive), ("node/1".to_string(), elsewhere)]);
        assert_eq!(host_and_pid("h:o:s:t:12:abc"), Some(("h:o:s:t", 12)), "a host name may hold colons");
    }

    #[tokio::test]
    async fn a_lone_node_runs_every_job() {
        let store = store().await;
        let a = node("a");
        a.tick(&*store).await.unwrap();
        assert_eq!(a.held(), [Job::Notifier, Job::Publisher]);
        a.tick(&*store).await.unwrap();
        assert_eq!(a.held(), [Job::Notifier, Job::Publisher], "renewing keeps them");
    }

    #[tokio::test]
    async fn jobs_spread_over_nodes_as_they_join_and_never_run_twice() {
        let store = store().await;
        let (a, b) = (node("a"), node("b"));
        a.tick(&*store).await.unwrap();
        for _ in 0..3 {
            b.tick(&*store).await.unwrap();
            a.tick(&*store).await.unwrap();
            for job in [Job::Notifier, Job::Publisher] {
                assert!(!(a.holds(job) && b.holds(job)), "{job:?} runs on one node at most");
            }
        }
        assert_eq!((a.held().len(), b.held().len()), (1, 1), "one job each");
        assert_eq!(a.held(), [Job::Notifier], "the first node keeps the job it did not give back");

        // A node that stops gives its jobs back, and the other takes them at its next round.
        a.release_all(&*store).await;
        b.tick(&*store).await.unwrap();
        assert_eq!(b.held(), [Job::Notifier, Job::Publisher]);
    }

    #[tokio::test]
    async fn node_ids_are_the_lowest_free_and_a_lost_one_stops_the_node() {
        let store = store().await;
        assert_eq!(lease_node_id(&*store, "a", TTL).await.unwrap(), 0);
        assert_eq!(lease_node_id(&*store, "b", TTL).await.unwrap(), 1);
        let a = Cluster::new("a".into(), Some(0), TTL, &[Job::Notifier]);
        a.tick(&*store).await.unwrap();
        a.release_all(&*store).await;
        assert_eq!(lease_node_id(&*store, "c", TTL).await.unwrap(), 0, "a released id is free again");
        // "a" comes back believing it still has node 0, which "c" now holds.
        let err = a.tick(&*store).await.unwrap_err();
        assert!(err.is::<NodeLeaseLost>(), "{err}");
    }
}
