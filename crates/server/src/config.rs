//! Settings the server runs with. The CLI fills them from flags and `STARLING_*` variables;
//! tests build them directly. Nothing here reads the environment itself.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use starling_store::DEFAULT_FANOUT_THRESHOLD;

/// How expensive password hashing is. Production follows OWASP's minimum for argon2id
/// (19 MiB, 2 passes, 1 lane); tests use the cheapest parameters so that sign-ups do not
/// dominate the suite's run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordCost {
    Owasp,
    /// Only for tests: trivially brute-forced.
    Insecure,
}

/// Where home timelines are kept, as configured (`STARLING_HOME_TIMELINES`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HomeTimelines {
    /// The best place the deployment has ([`Settings::home_source`]).
    #[default]
    Auto,
    /// Always in the store's tables, written in each write transaction (ADR 6).
    Store,
}

/// Where home timelines are kept ([`Settings::home_source`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HomeSource {
    /// Sorted sets in Redis, shared by the nodes (ADR 11).
    Redis,
    /// This process's memory: a node on its own, with embedded SQLite (ADR 14).
    Memory,
    /// The store's tables (ADR 6).
    Store,
}

#[derive(Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// Streaming replicas of a PostgreSQL `database_url`, which serve client reads (ADR 10).
    pub replica_urls: Vec<String>,
    /// The public base URL, without a trailing slash: links in HTML, `Link` headers, `url`s.
    pub public_url: String,
    pub jwt_secret: Vec<u8>,
    pub registrations_open: bool,
    pub max_characters: usize,
    /// Lifetime of issued access tokens in seconds; `None` means they last until revoked, as
    /// Mastodon's do.
    pub token_ttl_secs: Option<i64>,
    pub password_cost: PasswordCost,
    /// This node's id among the nodes sharing a database; `None` leases a free one at start-up
    /// (`cluster::lease_node_id`).
    pub node_id: Option<u16>,
    /// How long the leases that divide work between nodes last (`cluster`): a node that dies
    /// leaves its jobs undone for at most this long.
    pub lease_ttl: std::time::Duration,
    /// Authors with more followers than this are merged into home timelines when those are
    /// read instead of being copied into each follower's (`StoreOptions::fanout_threshold`).
    pub fanout_threshold: i64,
    pub title: String,
    /// How often streams are pinged; a peer that misses two pings in a row is dropped.
    pub stream_ping: std::time::Duration,
    /// How many messages may wait for one stream connection before it counts as too slow.
    pub stream_queue: usize,
    /// How many requests one node serves at once; past it, it answers 503 at once (`shedding`).
    pub max_in_flight: usize,
    /// How long one request may take before it is answered with 408: long enough for a slow
    /// password hash under load, short enough that a stuck request does not hold a connection.
    pub request_timeout: std::time::Duration,
    /// The most events a reconnecting client may have missed and still get replayed; beyond
    /// it, refetching through the API is cheaper and the client is told to resync.
    pub stream_replay_max: i64,
    /// Redis for announcements between nodes and for home timelines (`feeds`); `None` runs a
    /// node on its own, with home timelines in the store.
    pub redis_url: Option<String>,
    /// Starts every Redis key this deployment writes, so that several share one Redis.
    pub redis_prefix: String,
    /// How many statuses a home timeline in Redis or memory keeps.
    pub home_cap: u32,
    /// Where home timelines are kept (see [`Settings::home_source`]).
    pub home_timelines: HomeTimelines,
    /// How many home timelines memory keeps at most (the least recently used go first; a home
    /// that is not kept is rebuilt from the store when read).
    pub memory_homes: usize,
    /// NATS with JetStream: every committed event is published there once, when set.
    pub nats_url: Option<String>,
    /// The JetStream stream the events go to; subjects are `<name in lower case>.<event kind>`.
    pub nats_stream: String,
    /// How often the event pipeline looks at the log without being told to, so that writes
    /// by other processes are never left waiting for an announcement.
    pub pipeline_poll: std::time::Duration,
    /// How long a story lasts when its author does not say, and the longest it may last.
    pub story_lifetime: std::time::Duration,
    /// How often expired stories are purged. They vanish from every endpoint at expiry
    /// whatever this is; purging only frees their rows.
    pub story_sweep: std::time::Duration,
    /// An S3-compatible bucket for media files; `None` keeps them in `<data_dir>/media`.
    pub media_bucket: Option<crate::media::s3::Bucket>,
    /// The largest upload accepted, in bytes.
    pub media_max_bytes: usize,
    /// How long an upload may stay unattached before it and its files are deleted.
    pub media_unattached_ttl: std::time::Duration,
    /// How often the trending tags are looked at, for the `trends` event on public streams.
    pub trends_interval: std::time::Duration,
    /// Whether requests are rate limited as Mastodon limits them (`ratelimit`).
    pub rate_limits: bool,
    /// Proxies (load balancers) whose `X-Forwarded-For` names the client for rate limits.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Serve the web client from this directory (read on every request) instead of the files
    /// embedded at build time: for working on the client without rebuilding.
    pub web_dir: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("replica_urls", &self.replica_urls.iter().map(|u| redact_url(u)).collect::<Vec<_>>())
            .field("public_url", &self.public_url)
            .field("jwt_secret", &"***")
            .field("registrations_open", &self.registrations_open)
            .field("max_characters", &self.max_characters)
            .field("token_ttl_secs", &self.token_ttl_secs)
            .field("node_id", &self.node_id)
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("redis_prefix", &self.redis_prefix)
            .field("nats_url", &self.nats_url.as_deref().map(redact_url))
            .field("fanout_threshold", &self.fanout_threshold)
            .field("home_timelines", &self.home_timelines)
            .field("media_bucket", &self.media_bucket)
            .finish()
    }
}

/// Hides a password in a database URL before it reaches a log line.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Settings {
    /// Defaults for a server whose data lives in `data_dir`: SQLite there, open sign-up,
    /// Mastodon's 500-character limit.
    pub fn with_defaults(bind: SocketAddr, data_dir: &Path, jwt_secret: Vec<u8>) -> Settings {
        Settings {
            bind,
            data_dir: data_dir.to_path_buf(),
            database_url: default_database_url(data_dir),
            replica_urls: Vec::new(),
            public_url: format!("http://{bind}"),
            jwt_secret,
            registrations_open: true,
            max_characters: 500,
            token_ttl_secs: None,
            password_cost: PasswordCost::Owasp,
            node_id: None,
            lease_ttl: std::time::Duration::from_secs(15),
            fanout_threshold: DEFAULT_FANOUT_THRESHOLD,
            title: "Starling".to_string(),
            stream_ping: std::time::Duration::from_secs(30),
            stream_queue: 1024,
            max_in_flight: 1024,
            request_timeout: std::time::Duration::from_secs(30),
            stream_replay_max: 10_000,
            redis_url: None,
            redis_prefix: "starling:".to_string(),
            home_cap: starling_core::store::HOME_TIMELINE_CAP,
            home_timelines: HomeTimelines::Auto,
            memory_homes: 20_000,
            nats_url: None,
            nats_stream: "STARLING_EVENTS".to_string(),
            pipeline_poll: std::time::Duration::from_secs(1),
            story_lifetime: std::time::Duration::from_secs(24 * 60 * 60),
            story_sweep: std::time::Duration::from_secs(60),
            media_bucket: None,
            media_max_bytes: 16 * 1024 * 1024,
            media_unattached_ttl: std::time::Duration::from_secs(24 * 60 * 60),
            trends_interval: std::time::Duration::from_secs(60),
            web_dir: None,
            rate_limits: true,
            trusted_proxies: Vec::new(),
        }
    }

    /// Where home timelines live: Redis when it is configured; with embedded SQLite (one node
    /// by construction), this process's memory; otherwise, or when the configuration asks for
    /// it, the store's own tables.
    pub fn home_source(&self) -> HomeSource {
        match (self.home_timelines, &self.redis_url) {
            (HomeTimelines::Store, _) => HomeSource::Store,
            (HomeTimelines::Auto, Some(_)) => HomeSource::Redis,
            (HomeTimelines::Auto, None) if starling_store::is_sqlite(&self.database_url) => HomeSource::Memory,
            (HomeTimelines::Auto, None) => HomeSource::Store,
        }
    }

    /// The host (and port) part of the public URL, which Mastodon calls the domain.
    pub fn domain(&self) -> &str {
        let rest = self.public_url.split_once("://").map_or(self.public_url.as_str(), |(_, r)| r);
        rest.split('/').next().unwrap_or(rest)
    }
}

pub fn default_database_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("starling.db").display())
}

/// The signing secret kept in the data directory, created on first start so that tokens stay
/// valid across restarts without any configuration.
pub fn load_or_create_secret(data_dir: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let path = data_dir.join("jwt_secret");
    match std::fs::read(&path) {
        Ok(bytes) if bytes.len() >= 32 => return Ok(bytes),
        Ok(_) => return Err(std::io::Error::other(format!("{} is shorter than 32 bytes", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::fs::create_dir_all(data_dir)?;
    let secret: [u8; 64] = rand::random();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path)?;
    file.write_all(&secret)?;
    file.sync_all()?;
    Ok(secret.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_database_urls_are_redacted() {
        assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }

    #[test]
    fn the_domain_is_the_host_and_port_of_the_public_url() {
        let s = Settings::with_defaults(([127, 0, 0, 1], 8080).into(), Path::new("/tmp"), vec![0; 32]);
        assert_eq!(s.domain(), "127.0.0.1:8080");
    }
}
