//! Flags and `STARLING_*` environment variables, turned into the server's `Settings`.
//! Precedence: a flag wins over its variable, which wins over the default.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use starling_server::config::{self, HomeTimelines, PasswordCost, Settings};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum HomeTimelinesArg {
    Auto,
    Store,
}

#[derive(Args, Debug)]
pub struct Options {
    /// Address to listen on.
    #[arg(long, env = "STARLING_BIND", default_value = "127.0.0.1:8080", global = true)]
    bind: SocketAddr,
    /// Where the database (by default), the signing secret and media live.
    #[arg(long, env = "STARLING_DATA_DIR", default_value = "./data", global = true)]
    data_dir: PathBuf,
    /// `sqlite://path` (default: starling.db in the data directory) or `postgres://…`.
    #[arg(long, env = "STARLING_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Comma-separated `postgres://…` URLs of streaming replicas of a PostgreSQL database, which
    /// then serve client reads (each writer still reads its own writes).
    #[arg(long, env = "STARLING_DATABASE_REPLICA_URLS", hide_env_values = true, global = true)]
    database_replica_urls: Option<String>,
    /// The URL people reach this server at (default: http://<bind>).
    #[arg(long, env = "STARLING_PUBLIC_URL", global = true)]
    public_url: Option<String>,
    /// Secret for signing access tokens (default: generated once and kept in the data directory).
    #[arg(long, env = "STARLING_JWT_SECRET", hide_env_values = true, global = true)]
    jwt_secret: Option<String>,
    /// Whether anyone may sign up: `open` or `closed`.
    #[arg(long, env = "STARLING_REGISTRATIONS", default_value = "open", global = true)]
    registrations: String,
    /// Character limit of a status.
    #[arg(long, env = "STARLING_MAX_CHARACTERS", default_value_t = 500, global = true)]
    max_characters: usize,
    /// Lifetime of access tokens in seconds; 0 keeps them valid until revoked.
    #[arg(long, env = "STARLING_TOKEN_TTL", default_value_t = 0, global = true)]
    token_ttl: i64,
    /// This node's id (0-1023), unique among the nodes sharing a database (default: the lowest
    /// id no running node holds, leased from the database at start-up).
    #[arg(long, env = "STARLING_NODE_ID", global = true)]
    node_id: Option<u16>,
    /// Seconds a node's leases (its node id, the jobs it runs) last without renewal: how long
    /// the work of a node that died waits for another to take it over.
    #[arg(long, env = "STARLING_LEASE_SECS", default_value_t = 15, global = true)]
    lease_secs: u64,
    /// Authors with more followers than this are merged into home timelines when read instead
    /// of being copied into every follower's at once.
    #[arg(long, env = "STARLING_FANOUT_THRESHOLD", default_value_t = config::DEFAULT_FANOUT_THRESHOLD, global = true)]
    fanout_threshold: i64,
    /// Hash passwords with trivially cheap parameters, for load tests that sign up thousands of
    /// accounts. Never on a server people use: such hashes fall to brute force at once.
    #[arg(long, env = "STARLING_INSECURE_PASSWORD_HASHING", hide = true, global = true)]
    insecure_password_hashing: bool,
    /// Rate limits as Mastodon sets them (300 requests per 5 minutes per token, and per IP
    /// without one; stricter for sign-up, sign-in and media). `false` for load tests.
    #[arg(long, env = "STARLING_RATE_LIMITS", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    rate_limits: bool,
    /// Addresses of load balancers in front of this node, comma-separated: for requests from
    /// them, rate limits count the client named in `X-Forwarded-For`.
    #[arg(long, env = "STARLING_TRUSTED_PROXIES", value_delimiter = ',', global = true)]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Redis for announcements between nodes and home timelines (`redis://host:6379/`); unset
    /// runs one node alone, with home timelines in the database.
    #[arg(long, env = "STARLING_REDIS_URL", global = true)]
    redis_url: Option<String>,
    /// Where home timelines live: `auto` keeps them in Redis when it is configured, in memory
    /// with embedded SQLite (rebuilt from the database when read after a restart), and in the
    /// database otherwise; `store` always keeps them in the database.
    #[arg(long, env = "STARLING_HOME_TIMELINES", value_enum, default_value_t = HomeTimelinesArg::Auto, global = true)]
    home_timelines: HomeTimelinesArg,
    /// How many home timelines memory keeps at most; the least recently read go first.
    #[arg(long, env = "STARLING_MEMORY_HOMES", default_value_t = 20_000, global = true)]
    memory_homes: usize,
    /// Starts every Redis key Starling writes, so that several deployments can share a Redis.
    #[arg(long, env = "STARLING_REDIS_PREFIX", default_value = "starling:", global = true)]
    redis_prefix: String,
    /// NATS with JetStream (`nats://host:4222`): every committed event is published there once.
    #[arg(long, env = "STARLING_NATS_URL", global = true)]
    nats_url: Option<String>,
    /// The JetStream stream for events; subjects are `<name in lower case>.<event kind>`.
    #[arg(long, env = "STARLING_NATS_STREAM", default_value = "STARLING_EVENTS", global = true)]
    nats_stream: String,
    /// Seconds between WebSocket pings; a peer that misses two in a row is dropped.
    #[arg(long, env = "STARLING_STREAM_PING_SECS", default_value_t = 30, global = true)]
    stream_ping_secs: u64,
    /// Messages that may wait for one stream connection before it counts as too slow.
    #[arg(long, env = "STARLING_STREAM_QUEUE", default_value_t = 1024, global = true)]
    stream_queue: usize,
    /// Requests served at once; past it, a node answers 503 (with Retry-After) until some finish.
    #[arg(long, env = "STARLING_MAX_IN_FLIGHT", default_value_t = 1024, global = true)]
    max_in_flight: usize,
    /// Seconds a story lasts when its author does not say, and the most it may last.
    #[arg(long, env = "STARLING_STORY_LIFETIME_SECS", default_value_t = 24 * 60 * 60, global = true)]
    story_lifetime_secs: u64,
    /// Seconds between purges of expired stories (they vanish from the API at expiry anyway).
    #[arg(long, env = "STARLING_STORY_SWEEP_SECS", default_value_t = 60, global = true)]
    story_sweep_secs: u64,
    /// The largest media upload accepted, in bytes.
    #[arg(long, env = "STARLING_MEDIA_MAX_BYTES", default_value_t = 16 * 1024 * 1024, global = true)]
    media_max_bytes: usize,
    /// An S3-compatible bucket for media files, instead of `<data dir>/media`.
    #[arg(long, env = "STARLING_S3_BUCKET", global = true)]
    s3_bucket: Option<String>,
    /// The S3-compatible service's URL (`http://…` is allowed only when named here); AWS's own
    /// endpoints when unset.
    #[arg(long, env = "STARLING_S3_ENDPOINT", global = true)]
    s3_endpoint: Option<String>,
    #[arg(long, env = "STARLING_S3_REGION", default_value = "us-east-1", global = true)]
    s3_region: String,
    #[arg(long, env = "STARLING_S3_ACCESS_KEY_ID", global = true)]
    s3_access_key_id: Option<String>,
    #[arg(long, env = "STARLING_S3_SECRET_ACCESS_KEY", hide_env_values = true, global = true)]
    s3_secret_access_key: Option<String>,
    /// Seconds an upload may stay unattached before it and its files are deleted.
    #[arg(long, env = "STARLING_MEDIA_UNATTACHED_SECS", default_value_t = 24 * 60 * 60, global = true)]
    media_unattached_secs: u64,
    /// Seconds between looks at the trending tags (public streams hear when they change).
    #[arg(long, env = "STARLING_TRENDS_SECS", default_value_t = 60, global = true)]
    trends_secs: u64,
    /// Serve the web client from this directory, read on every request, instead of the copy
    /// built into the binary (for working on the client).
    #[arg(long, env = "STARLING_WEB_DIR", global = true)]
    web_dir: Option<std::path::PathBuf>,
    /// Log filter in `tracing` syntax, e.g. `info` or `starling_server=debug`.
    #[arg(long, env = "STARLING_LOG", default_value = "info", global = true)]
    log: String,
    #[arg(long, env = "STARLING_LOG_FORMAT", value_enum, default_value = "text", global = true)]
    log_format: LogFormat,
}

pub fn init_tracing(options: &Options) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(&options.log).context("invalid STARLING_LOG filter")?;
    // Colours only for a person at a terminal; a file or a log collector gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    match options.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
    Ok(())
}

impl Options {
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let registrations_open = match self.registrations.to_ascii_lowercase().as_str() {
            "open" | "true" | "1" | "yes" => true,
            "closed" | "false" | "0" | "no" => false,
            other => anyhow::bail!("STARLING_REGISTRATIONS must be open or closed, not {other:?}"),
        };
        if self.node_id.is_some_and(|id| id > starling_core_max_node()) {
            anyhow::bail!("STARLING_NODE_ID must be at most {}", starling_core_max_node());
        }
        let jwt_secret = match &self.jwt_secret {
            Some(s) if s.len() >= 32 => s.as_bytes().to_vec(),
            Some(_) => anyhow::bail!("STARLING_JWT_SECRET must be at least 32 characters"),
            None => config::load_or_create_secret(&self.data_dir)
                .with_context(|| format!("cannot keep the signing secret in {}", self.data_dir.display()))?,
        };
        let mut settings = Settings::with_defaults(self.bind, &self.data_dir, jwt_secret);
        if let Some(url) = &self.database_url {
            settings.database_url = url.clone();
        }
        settings.replica_urls = self
            .database_replica_urls
            .iter()
            .flat_map(|urls| urls.split(','))
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(String::from)
            .collect();
        if !settings.replica_urls.is_empty() {
            let postgres = |url: &str| url.starts_with("postgres://") || url.starts_with("postgresql://");
            anyhow::ensure!(
                postgres(&settings.database_url),
                "STARLING_DATABASE_REPLICA_URLS needs a PostgreSQL STARLING_DATABASE_URL (read replicas are \
                 PostgreSQL standbys)"
            );
            anyhow::ensure!(
                settings.replica_urls.iter().all(|u| postgres(u)),
                "STARLING_DATABASE_REPLICA_URLS must be postgres:// URLs, separated by commas"
            );
        }
        if let Some(url) = &self.public_url {
            let parsed = url::Url::parse(url).context("STARLING_PUBLIC_URL is not a URL")?;
            anyhow::ensure!(matches!(parsed.scheme(), "http" | "https"), "STARLING_PUBLIC_URL must be http(s)");
            settings.public_url = url.trim_end_matches('/').to_string();
        }
        settings.registrations_open = registrations_open;
        anyhow::ensure!(self.max_characters >= 1, "STARLING_MAX_CHARACTERS must be positive");
        settings.max_characters = self.max_characters;
        settings.token_ttl_secs = (self.token_ttl > 0).then_some(self.token_ttl);
        settings.password_cost = if self.insecure_password_hashing {
            tracing::warn!(
                "STARLING_INSECURE_PASSWORD_HASHING is set: passwords are hashed for load tests, not for people"
            );
            PasswordCost::Insecure
        } else {
            PasswordCost::Owasp
        };
        settings.node_id = self.node_id;
        anyhow::ensure!(self.lease_secs >= 3, "STARLING_LEASE_SECS must be at least 3");
        settings.lease_ttl = std::time::Duration::from_secs(self.lease_secs);
        settings.redis_url = self.redis_url.clone().filter(|u| !u.trim().is_empty());
        settings.redis_prefix = self.redis_prefix.clone();
        settings.home_timelines = match self.home_timelines {
            HomeTimelinesArg::Auto => HomeTimelines::Auto,
            HomeTimelinesArg::Store => HomeTimelines::Store,
        };
        anyhow::ensure!(self.memory_homes >= 1, "STARLING_MEMORY_HOMES must be at least 1");
        settings.memory_homes = self.memory_homes;
        settings.nats_url = self.nats_url.clone().filter(|u| !u.trim().is_empty());
        anyhow::ensure!(
            !self.nats_stream.is_empty()
                && self.nats_stream.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
            "STARLING_NATS_STREAM must be letters, digits, '_' or '-'"
        );
        settings.nats_stream = self.nats_stream.clone();
        anyhow::ensure!(self.fanout_threshold >= 0, "STARLING_FANOUT_THRESHOLD must not be negative");
        settings.fanout_threshold = self.fanout_threshold;
        anyhow::ensure!(self.stream_ping_secs >= 1, "STARLING_STREAM_PING_SECS must be at least 1");
        settings.stream_ping = std::time::Duration::from_secs(self.stream_ping_secs);
        anyhow::ensure!(self.stream_queue >= 1, "STARLING_STREAM_QUEUE must be at least 1");
        settings.stream_queue = self.stream_queue;
        anyhow::ensure!(self.max_in_flight >= 1, "STARLING_MAX_IN_FLIGHT must be at least 1");
        settings.max_in_flight = self.max_in_flight;
        anyhow::ensure!(self.story_lifetime_secs >= 1, "STARLING_STORY_LIFETIME_SECS must be at least 1");
        settings.story_lifetime = std::time::Duration::from_secs(self.story_lifetime_secs);
        anyhow::ensure!(self.story_sweep_secs >= 1, "STARLING_STORY_SWEEP_SECS must be at least 1");
        settings.story_sweep = std::time::Duration::from_secs(self.story_sweep_secs);
        anyhow::ensure!(self.media_max_bytes >= 1024, "STARLING_MEDIA_MAX_BYTES must be at least 1024");
        settings.media_max_bytes = self.media_max_bytes;
        settings.media_bucket = self.media_bucket()?;
        anyhow::ensure!(self.media_unattached_secs >= 1, "STARLING_MEDIA_UNATTACHED_SECS must be at least 1");
        settings.media_unattached_ttl = std::time::Duration::from_secs(self.media_unattached_secs);
        anyhow::ensure!(self.trends_secs >= 1, "STARLING_TRENDS_SECS must be at least 1");
        settings.trends_interval = std::time::Duration::from_secs(self.trends_secs);
        settings.web_dir = self.web_dir.clone();
        settings.rate_limits = self.rate_limits;
        settings.trusted_proxies = self.trusted_proxies.clone();
        if !self.rate_limits {
            tracing::warn!("STARLING_RATE_LIMITS is false: requests are not rate limited");
        }
        Ok(settings)
    }
}

impl Options {
    /// The media bucket, when one is named: with its keys, and buildable (no request is sent).
    fn media_bucket(&self) -> anyhow::Result<Option<starling_server::media::s3::Bucket>> {
        let Some(name) = self.s3_bucket.clone().filter(|b| !b.trim().is_empty()) else { return Ok(None) };
        let (Some(access_key_id), Some(secret_access_key)) =
            (self.s3_access_key_id.clone(), self.s3_secret_access_key.clone())
        else {
            anyhow::bail!("STARLING_S3_BUCKET needs STARLING_S3_ACCESS_KEY_ID and STARLING_S3_SECRET_ACCESS_KEY");
        };
        let endpoint = self.s3_endpoint.clone().filter(|e| !e.trim().is_empty());
        if let Some(endpoint) = &endpoint {
            let url = url::Url::parse(endpoint).context("STARLING_S3_ENDPOINT is not a URL")?;
            anyhow::ensure!(
                matches!(url.scheme(), "http" | "https"),
                "STARLING_S3_ENDPOINT must be an http:// or https:// URL"
            );
        }
        let bucket = starling_server::media::s3::Bucket {
            name,
            endpoint,
            region: self.s3_region.clone(),
            access_key_id,
            secret_access_key,
        };
        starling_server::media::s3::store(&bucket).map_err(|e| anyhow::anyhow!("STARLING_S3_BUCKET: {e}"))?;
        Ok(Some(bucket))
    }
}

fn starling_core_max_node() -> u16 {
    starling_server::MAX_NODE
}
