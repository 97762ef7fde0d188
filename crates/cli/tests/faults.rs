//! Faults of a scale-out deployment, with `starling serve` processes as an operator runs them:
//! the database server crashes and restarts under load, the NATS server dies and comes back,
//! the link to Redis turns slow. In each, no acknowledged write is lost, and a stream client
//! that resumes after the last event it saw (`last_event_id`) whenever its socket drops gets
//! every event exactly once.
//!
//! A node killed and a Redis restarted are covered in `binary.rs`
//! (`three_nodes_share_one_database_and_lose_nothing_when_a_node_dies_or_redis_restarts`).
//!
//! Every server these tests disturb is their own: a PostgreSQL cluster in a temporary
//! directory, a nats-server, a redis-server, each on a free port. Guards stop them (and the
//! nodes) when a test ends, passed or failed.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

type Error = Box<dyn std::error::Error + Send + Sync>;
type TestResult = Result<(), Error>;

/// The same on every node, so that a token issued by one is valid on the others.
const JWT_SECRET: &str = "a shared secret for every node of the fault tests, long enough";

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Says loudly that a test does not run, and why; under `STARLING_REQUIRE_ALL`, fails instead.
/// Written to stderr directly, past the test harness's capture.
fn skip(why: &str) {
    let message = format!("*** fault test SKIPPED: {why} ***");
    assert!(std::env::var_os("STARLING_REQUIRE_ALL").is_none(), "{message}");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("\n{message}\n").as_bytes());
}

/// `name` in `PATH`, or else the first of `elsewhere` that exists.
fn find_binary(name: &str, elsewhere: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .chain(elsewhere.iter().map(PathBuf::from))
        .find(|candidate| candidate.is_file())
}

fn free_port() -> Result<u16, Error> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until something listens on `port` of 127.0.0.1.
fn wait_for_port(port: u16, what: &str, limit: Duration) -> Result<(), Error> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Err(format!("{what} did not listen on port {port} within {limit:?}").into())
}

/// Polls `done` until it holds; how long that took, or an error naming `what`.
async fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Result<Duration, Error> {
    let started = Instant::now();
    loop {
        if done() {
            return Ok(started.elapsed());
        }
        if started.elapsed() > limit {
            return Err(format!("{what}: not within {limit:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A directory of the test's own under the system's temporary directory, removed on drop.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("starling-faults-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        TempDir { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A `starling serve` process on a free port, with a data directory of its own. Dropped, it is
/// killed; dropped while a test panics, it prints the last lines it logged.
struct Node {
    name: String,
    child: Child,
    addr: String,
    log: Arc<Mutex<Vec<String>>>,
    dir: TempDir,
}

impl Node {
    /// Starts a node with the settings in `env` (on top of a shared signing secret, cheap
    /// password hashing and no rate limits) and waits for the log line that says where it listens.
    fn start(name: &str, env: &[(&str, &str)]) -> Result<Node, Error> {
        let dir = TempDir::new(name);
        let mut child = Command::new(env!("CARGO_BIN_EXE_starling"))
            .arg("serve")
            .env_clear()
            .env("STARLING_BIND", "127.0.0.1:0")
            .env("STARLING_DATA_DIR", &dir.path)
            .env("STARLING_LOG_FORMAT", "json")
            .env("STARLING_JWT_SECRET", JWT_SECRET)
            .env("STARLING_INSECURE_PASSWORD_HASHING", "true")
            .env("STARLING_RATE_LIMITS", "false")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Ok(json) = serde_json::from_str::<Value>(&line)
                        && json["message"] == "starling is listening"
                    {
                        let _ = tx.send(json["address"].as_str().unwrap_or_default().to_string());
                    }
                    lock(&log).push(line);
                }
            });
        }
        let mut node = Node { name: name.to_string(), child, addr: String::new(), log, dir };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) if !addr.is_empty() => {
                node.addr = addr;
                Ok(node)
            }
            _ => Err(format!("node {name} did not start listening within 60 s:\n{}", node.tail(30)).into()),
        }
    }

    fn tail(&self, n: usize) -> String {
        let log = lock(&self.log);
        log[log.len().saturating_sub(n)..].join("\n")
    }

    /// SIGTERM, then the exit status once the process stopped (15 s at most).
    fn stop(mut self) -> Result<std::process::ExitStatus, Error> {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status()?;
        assert!(status.success(), "kill -TERM");
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(15) {
            if let Some(exit) = self.child.try_wait()? {
                return Ok(exit);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("node {} did not stop within 15 s of SIGTERM:\n{}", self.name, self.tail(30)).into())
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            eprintln!("--- the last lines node {} logged:\n{}", self.name, self.tail(40));
        }
    }
}

/// A Redis server of the test's own, on a free port.
struct OwnRedis {
    child: Child,
    port: u16,
}

impl OwnRedis {
    fn start(binary: &Path) -> Result<OwnRedis, Error> {
        let port = free_port()?;
        let child = Command::new(binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()?;
        let redis = OwnRedis { child, port };
        wait_for_port(port, "redis-server", Duration::from_secs(10))?;
        Ok(redis)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client of a node, as an app would be: JSON in, JSON out.
struct Api {
    base: String,
    http: reqwest::Client,
}

struct User {
    id: String,
    token: String,
}

impl Api {
    fn new(node: &Node) -> Result<Api, Error> {
        // Longer than the store's wait for a connection (10 s), so that the node answers first.
        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build()?;
        Ok(Api { base: format!("http://{}", node.addr), http })
    }

    /// One call; anything but a 2xx answer is an error.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> Result<Value, Error> {
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if method != reqwest::Method::GET {
            req = req.json(&body);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or_default();
        if !status.is_success() {
            return Err(format!("{method} {path}: {status} {body}").into());
        }
        Ok(body)
    }

    /// `/api/v1/apps`, a client-credentials token, then `POST /api/v1/accounts`.
    async fn sign_up(&self, username: &str) -> Result<User, Error> {
        let scopes = "read write follow";
        let app = self
            .call(
                reqwest::Method::POST,
                "/api/v1/apps",
                None,
                json!({"client_name": "fault test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": scopes}),
            )
            .await?;
        let grant = json!({"grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": app["client_secret"], "scope": scopes});
        let app_token = self.call(reqwest::Method::POST, "/oauth/token", None, grant).await?;
        let app_token = app_token["access_token"].as_str().ok_or("no app token")?;
        let form = json!({"username": username, "email": format!("{username}@example.org"), "password": format!("password-{username}"), "agreement": true});
        let token = self.call(reqwest::Method::POST, "/api/v1/accounts", Some(app_token), form).await?;
        let token = token["access_token"].as_str().ok_or("no token")?.to_string();
        let me =
            self.call(reqwest::Method::GET, "/api/v1/accounts/verify_credentials", Some(&token), Value::Null).await?;
        Ok(User { id: me["id"].as_str().ok_or("no id")?.to_string(), token })
    }

    async fn follow(&self, follower: &User, followee: &User) -> Result<(), Error> {
        let path = format!("/api/v1/accounts/{}/follow", followee.id);
        self.call(reqwest::Method::POST, &path, Some(&follower.token), json!({})).await?;
        Ok(())
    }

    /// Posts a public status; its id once the node acknowledged it.
    async fn status(&self, author: &User, text: &str) -> Result<String, Error> {
        let status =
            self.call(reqwest::Method::POST, "/api/v1/statuses", Some(&author.token), json!({"status": text})).await?;
        Ok(status["id"].as_str().ok_or("no status id")?.to_string())
    }

    /// Reads every status in `ids` (a few at a time) as `reader`: an error lists those missing.
    async fn check_readable(&self, reader: &User, ids: &[String]) -> Result<(), Error> {
        use futures_util::StreamExt;
        let results: Vec<Result<(), String>> = futures_util::stream::iter(ids)
            .map(|id| async move {
                let path = format!("/api/v1/statuses/{id}");
                match self.call(reqwest::Method::GET, &path, Some(&reader.token), Value::Null).await {
                    Ok(status) if status["id"].as_str() == Some(id.as_str()) => Ok(()),
                    Ok(other) => Err(format!("{id}: read back as {other}")),
                    Err(e) => Err(format!("{id}: {e}")),
                }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        let missing: Vec<String> = results.into_iter().filter_map(Result::err).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("{} of {} acknowledged statuses are not readable: {missing:?}", missing.len(), ids.len())
                .into())
        }
    }

    /// The ids of the user's home timeline, newest first (40 at most), and how long the read took.
    async fn home(&self, user: &User) -> Result<(Vec<String>, Duration), Error> {
        let started = Instant::now();
        let home =
            self.call(reqwest::Method::GET, "/api/v1/timelines/home?limit=40", Some(&user.token), Value::Null).await?;
        let ids = home.as_array().ok_or("a home timeline is a list")?.iter();
        Ok((ids.filter_map(|s| s["id"].as_str().map(String::from)).collect(), started.elapsed()))
    }

    /// How many streams the node has registered.
    async fn connections(&self) -> Result<i64, Error> {
        let stats = self.call(reqwest::Method::GET, "/api/v1/stats", None, Value::Null).await?;
        Ok(stats["connections"].as_i64().unwrap_or(0))
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One stream message that belongs to an event: the event's id, the message's event, the id of
/// what it is about (a status for `update`), and when it arrived.
#[derive(Clone, Debug)]
struct Seen {
    event_id: i64,
    event: String,
    id: String,
    at: Instant,
}

/// What a stream client went through.
#[derive(Debug, Default)]
struct StreamRecord {
    seen: Vec<Seen>,
    /// Sockets that ended without the client asking.
    drops: usize,
    /// Sockets the client closed itself (`Follower::kick`).
    kicks: usize,
    /// Connections made again, resuming after the last event seen.
    reconnects: usize,
    /// Attempts to connect again that failed (the node refused or did not answer).
    failed_connects: usize,
    /// `resync` messages: the node could not replay what the client missed.
    resyncs: usize,
}

impl StreamRecord {
    fn updates(&self) -> HashSet<&str> {
        self.seen.iter().filter(|s| s.event == "update").map(|s| s.id.as_str()).collect()
    }

    /// Asserts that the stream delivered every status in `acked`, no event twice and never a
    /// `resync`; how many `update` messages it delivered.
    fn check(&self, acked: &[String]) -> usize {
        assert_eq!(self.resyncs, 0, "the node told the client to resync rather than replay what it missed");
        let mut counts = std::collections::HashMap::new();
        for seen in &self.seen {
            *counts.entry(seen.event_id).or_insert(0usize) += 1;
        }
        let mut twice: Vec<i64> = counts.iter().filter(|(_, n)| **n > 1).map(|(id, _)| *id).collect();
        twice.sort_unstable();
        assert!(twice.is_empty(), "events delivered more than once: {twice:?}");
        let updates = self.updates();
        let missing: Vec<&String> = acked.iter().filter(|id| !updates.contains(id.as_str())).collect();
        assert!(missing.is_empty(), "acknowledged statuses never delivered to the stream: {missing:?}");
        updates.len()
    }
}

/// A user stream read by a client that, whenever its socket drops, connects again with
/// `last_event_id` set to the last event it saw.
struct Follower {
    record: Arc<Mutex<StreamRecord>>,
    kick: Arc<tokio::sync::Notify>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Follower {
    /// Opens `user`'s stream on the node `api` talks to and waits until the node has registered
    /// it; then posts a status as `author` through `writer` and waits for it, so that the client
    /// has an event to resume from before any fault.
    async fn open(api: &Api, user: &User, writer: &Api, author: &User) -> Result<Follower, Error> {
        let url =
            format!("{}/api/v1/streaming?stream=user&access_token={}", api.base.replacen("http", "ws", 1), user.token);
        let (ws, _) = tokio::time::timeout(Duration::from_secs(10), tokio_tungstenite::connect_async(url.as_str()))
            .await
            .map_err(|_| "opening the stream took more than 10 s")??;
        let started = Instant::now();
        while api.connections().await? < 1 {
            if started.elapsed() > Duration::from_secs(10) {
                return Err("the node did not register the stream within 10 s".into());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let record = Arc::new(Mutex::new(StreamRecord::default()));
        let kick = Arc::new(tokio::sync::Notify::new());
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(follow(url, ws, record.clone(), kick.clone(), stopped));
        let follower = Follower { record, kick, stop, task };
        let first = writer.status(author, "before anything goes wrong").await?;
        follower.wait_for_updates(&[first], Duration::from_secs(15)).await?;
        Ok(follower)
    }

    /// Closes the client's socket, as a load balancer or a flaky network would: it connects again
    /// and resumes.
    fn kick(&self) {
        self.kick.notify_one();
    }

    /// Waits until every status in `ids` arrived as an `update`; how long that took.
    async fn wait_for_updates(&self, ids: &[String], limit: Duration) -> Result<Duration, Error> {
        let started = Instant::now();
        loop {
            let missing = {
                let record = lock(&self.record);
                let updates = record.updates();
                ids.iter().filter(|id| !updates.contains(id.as_str())).count()
            };
            if missing == 0 {
                return Ok(started.elapsed());
            }
            if started.elapsed() > limit {
                let record = lock(&self.record);
                return Err(format!(
                    "{missing} of {} acknowledged statuses did not reach the stream within {limit:?} ({} messages, \
                     {} drops, {} reconnects, {} failed connects)",
                    ids.len(),
                    record.seen.len(),
                    record.drops,
                    record.reconnects,
                    record.failed_connects
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// When the status `id` arrived, if it did.
    fn arrival(&self, id: &str) -> Option<Instant> {
        lock(&self.record).seen.iter().find(|s| s.event == "update" && s.id == id).map(|s| s.at)
    }

    /// Stops the client; what it went through.
    async fn finish(&mut self) -> StreamRecord {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.task).await;
        std::mem::take(&mut *lock(&self.record))
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn follow(
    url: String,
    mut ws: Ws,
    record: Arc<Mutex<StreamRecord>>,
    kick: Arc<tokio::sync::Notify>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let mut last: Option<i64> = None;
    loop {
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                () = kick.notified() => {
                    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
                    lock(&record).kicks += 1;
                    break;
                }
                message = ws.next() => match message {
                    Some(Ok(Message::Text(text))) => {
                        let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                        // Signals (counts, typing) carry no event id and are never replayed.
                        let Some(event_id) = v["event_id"].as_str().and_then(|s| s.parse::<i64>().ok()) else {
                            continue;
                        };
                        last = Some(event_id);
                        let event = v["event"].as_str().unwrap_or_default().to_string();
                        let mut record = lock(&record);
                        if event == "resync" {
                            record.resyncs += 1;
                            continue;
                        }
                        let payload: Value =
                            serde_json::from_str(v["payload"].as_str().unwrap_or("null")).unwrap_or_default();
                        let id = payload["id"].as_str().unwrap_or_default().to_string();
                        record.seen.push(Seen { event_id, event, id, at: Instant::now() });
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => {
                        lock(&record).drops += 1;
                        break;
                    }
                }
            }
        }
        let resume = match last {
            Some(id) => format!("{url}&last_event_id={id}"),
            None => url.clone(),
        };
        let mut backoff = Duration::from_millis(50);
        ws = loop {
            match tokio::time::timeout(Duration::from_secs(5), tokio_tungstenite::connect_async(resume.as_str())).await
            {
                Ok(Ok((ws, _))) => break ws,
                _ => lock(&record).failed_connects += 1,
            }
            tokio::select! {
                _ = stop.changed() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_millis(500));
        };
        lock(&record).reconnects += 1;
    }
}

/// A status the node acknowledged: its id, when the request started and when the answer came.
#[derive(Clone, Debug)]
struct Acked {
    id: String,
    started: Instant,
    done: Instant,
}

#[derive(Debug, Default)]
struct Posts {
    acked: Vec<Acked>,
    failed: usize,
    last_error: String,
}

impl Posts {
    fn ids(&self) -> Vec<String> {
        self.acked.iter().map(|a| a.id.clone()).collect()
    }

    /// The longest time between two acknowledgements in a row: the outage as clients saw it.
    fn longest_gap(&self) -> Duration {
        let mut done: Vec<Instant> = self.acked.iter().map(|a| a.done).collect();
        done.sort_unstable();
        done.windows(2).map(|w| w[1] - w[0]).max().unwrap_or_default()
    }
}

/// Clients posting as fast as the node answers, each on its own, until told to stop. Failed
/// posts are counted, not retried: only a 2xx answer is an acknowledged write.
struct Posters {
    posts: Arc<Mutex<Posts>>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Posters {
    fn start(api: Arc<Api>, author: Arc<User>, writers: usize) -> Posters {
        let posts = Arc::new(Mutex::new(Posts::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = (0..writers)
            .map(|w| {
                let (api, author, posts, stop) = (api.clone(), author.clone(), posts.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let started = Instant::now();
                        let result = api.status(&author, &format!("under load {w}-{i}")).await;
                        i += 1;
                        let failed = {
                            let mut posts = lock(&posts);
                            match result {
                                Ok(id) => {
                                    posts.acked.push(Acked { id, started, done: Instant::now() });
                                    false
                                }
                                Err(e) => {
                                    posts.failed += 1;
                                    posts.last_error = e.to_string();
                                    true
                                }
                            }
                        };
                        if failed {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                })
            })
            .collect();
        Posters { posts, stop, tasks }
    }

    fn acked(&self) -> usize {
        lock(&self.posts).acked.len()
    }

    /// Posts acknowledged whose request started at `since` or later.
    fn acked_since(&self, since: Instant) -> usize {
        lock(&self.posts).acked.iter().filter(|a| a.started >= since).count()
    }

    fn failed(&self) -> usize {
        lock(&self.posts).failed
    }

    fn last_error(&self) -> String {
        lock(&self.posts).last_error.clone()
    }

    /// Stops posting; waits for the requests in flight (each has a timeout).
    async fn finish(&mut self) -> Result<Posts, Error> {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks.drain(..) {
            tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .map_err(|_| "a poster did not stop within 30 s")??;
        }
        Ok(std::mem::take(&mut *lock(&self.posts)))
    }
}

impl Drop for Posters {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The newest PostgreSQL server binaries Debian installed: `/usr/lib/postgresql/<major>/bin`.
fn postgres_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let major = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((major, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A PostgreSQL cluster of the test's own (trust authentication, user `postgres`) in a temporary
/// directory, on a free port; its socket in /tmp. The server refuses to run as root: as root,
/// the directory belongs to `postgres` and every server-side command runs as that user, as in
/// `scripts/pg-replica`. Dropped, it stops at once and its directory goes.
struct OwnPostgres {
    bin: PathBuf,
    root: PathBuf,
    port: u16,
}

impl OwnPostgres {
    fn start(bin: PathBuf, name: &str) -> Result<OwnPostgres, Error> {
        let root = std::env::temp_dir().join(format!("starling-faults-pg-{name}-{}", std::process::id()));
        let pg = OwnPostgres { bin, root, port: free_port()? };
        if pg.data().join("postmaster.pid").exists() {
            let _ = pg.command("pg_ctl", &["-D", &pg.data_str(), "-m", "immediate", "-w", "stop"]).output();
        }
        let _ = std::fs::remove_dir_all(&pg.root);
        if running_as_root() {
            let made = Command::new("install")
                .args(["-d", "-o", "postgres", "-g", "postgres", "-m", "700"])
                .arg(&pg.root)
                .status()?;
            if !made.success() {
                return Err(format!("could not make {} for the postgres user", pg.root.display()).into());
            }
        } else {
            use std::os::unix::fs::PermissionsExt;
            std::fs::create_dir_all(&pg.root)?;
            std::fs::set_permissions(&pg.root, std::fs::Permissions::from_mode(0o700))?;
        }
        let data = pg.data_str();
        pg.run(
            "initdb",
            &["-D", &data, "--auth=trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
        )?;
        pg.run("pg_ctl", &["-D", &data, "-l", &pg.log_str(), "-o", &pg.options(), "-w", "-t", "30", "start"])?;
        Ok(pg)
    }

    fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    fn data_str(&self) -> String {
        self.data().display().to_string()
    }

    fn log_str(&self) -> String {
        self.root.join("server.log").display().to_string()
    }

    fn options(&self) -> String {
        format!("-p {} -k /tmp -c listen_addresses=127.0.0.1 -c shared_buffers=32MB", self.port)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// `tool` of the server's binaries, as the `postgres` user when this process is root.
    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let mut command = if running_as_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(self.bin.join(tool));
            c
        } else {
            Command::new(self.bin.join(tool))
        };
        command.args(args).stdin(Stdio::null());
        command
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<(), Error> {
        let out = self.command(tool, args).output()?;
        if out.status.success() {
            return Ok(());
        }
        let log = std::fs::read_to_string(self.root.join("server.log")).unwrap_or_default();
        Err(format!("{tool} {args:?} failed: {}\n{log}", String::from_utf8_lossy(&out.stderr)).into())
    }

    /// The command that crashes the server (`-m immediate`: no checkpoint, no goodbye to the
    /// clients) and starts it again, which then recovers from its write-ahead log.
    fn crash_restart(&self) -> Command {
        let (data, log, options) = (self.data_str(), self.log_str(), self.options());
        self.command(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-o", &options, "-m", "immediate", "-w", "-t", "30", "restart"],
        )
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl", &["-D", &self.data_str(), "-m", "immediate", "-w", "-t", "10", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A database of the test's own on the shared server `STARLING_TEST_POSTGRES_URL` names (never
/// restarted by these tests), dropped with the guard.
struct SharedDb {
    base: String,
    name: String,
    url: String,
}

impl SharedDb {
    async fn create(name: &str) -> Result<Option<SharedDb>, Error> {
        let Ok(base) = std::env::var("STARLING_TEST_POSTGRES_URL") else {
            skip("STARLING_TEST_POSTGRES_URL is not set");
            return Ok(None);
        };
        use sqlx::Connection;
        let name = format!("starling_faults_{name}_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(&base).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
            .execute(&mut admin)
            .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await?;
        admin.close().await?;
        let (prefix, _) = base.rsplit_once('/').ok_or("no database in STARLING_TEST_POSTGRES_URL")?;
        let url = format!("{prefix}/{name}");
        Ok(Some(SharedDb { base, name, url }))
    }
}

impl Drop for SharedDb {
    fn drop(&mut self) {
        // A runtime of its own, on a thread of its own: this may run inside the test's runtime.
        let (base, name) = (self.base.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || -> Result<(), Error> {
            use sqlx::Connection;
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&base).await?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await?;
                Ok(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {}: {dropped:?}", self.name);
        }
    }
}

/// A PostgreSQL server of its own (two nodes on it, and a Redis of their own to share
/// announcements) crashes and restarts while a client posts as fast as it can through one node
/// and a follower streams from the other. Posts fail while the database is away and succeed
/// again after; every acknowledged one is readable, and the follower, whose socket also drops
/// during the outage, gets each exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restarted_under_load_loses_nothing() -> TestResult {
    if std::env::var_os("STARLING_TEST_POSTGRES_URL").is_none() {
        skip("STARLING_TEST_POSTGRES_URL is not set (the PostgreSQL tests are off)");
        return Ok(());
    }
    let Some(bin) = postgres_bin() else {
        skip("no PostgreSQL server binaries in /usr/lib/postgresql/<major>/bin");
        return Ok(());
    };
    let Some(redis_server) = find_binary("redis-server", &[]) else {
        skip("redis-server is not installed");
        return Ok(());
    };
    let began = Instant::now();
    let pg = OwnPostgres::start(bin, "restart")?;
    let redis = OwnRedis::start(&redis_server)?;
    let (db_url, redis_url) = (pg.url(), redis.url());
    let env = [
        ("STARLING_DATABASE_URL", db_url.as_str()),
        ("STARLING_REDIS_URL", redis_url.as_str()),
        ("STARLING_LEASE_SECS", "5"),
    ];
    let a = Node::start("pg-a", &env)?;
    let b = Node::start("pg-b", &env)?;
    let (api_a, api_b) = (Arc::new(Api::new(&a)?), Api::new(&b)?);
    let alice = Arc::new(api_a.sign_up("alice").await?);
    let bob = api_b.sign_up("bob").await?;
    api_b.follow(&bob, &alice).await?;
    let mut follower = Follower::open(&api_b, &bob, &api_a, &alice).await?;

    let mut posters = Posters::start(api_a.clone(), alice.clone(), 3);
    wait_until("30 posts acknowledged before the restart", Duration::from_secs(30), || posters.acked() >= 30).await?;
    let mut crash = pg.crash_restart();
    let failed_before = posters.failed();
    let restart_began = Instant::now();
    let restart = tokio::task::spawn_blocking(move || crash.output());
    // The follower's socket drops while the database is away (as soon as a post fails, or else
    // once it is back): it resumes then.
    let _ = wait_until("a post failing", Duration::from_secs(30), || {
        posters.failed() > failed_before || restart.is_finished()
    })
    .await;
    follower.kick();
    let out = restart.await??;
    assert!(out.status.success(), "pg_ctl restart failed: {}", String::from_utf8_lossy(&out.stderr));
    let restart_took = restart_began.elapsed();
    let restarted = Instant::now();

    // Posting works again: a post sent after the restart is acknowledged within 30 s, or the
    // node never recovered its connections to the database.
    let recovered = wait_until("a post acknowledged after the restart", Duration::from_secs(30), || {
        posters.acked_since(restarted) >= 1
    })
    .await;
    if let Err(e) = recovered {
        panic!(
            "{e}: the node did not recover from the database restart (last error: {}); its log:\n{}",
            posters.last_error(),
            a.tail(30)
        );
    }
    let recovery = restarted.elapsed();
    wait_until("20 more posts acknowledged after the restart", Duration::from_secs(30), || {
        posters.acked_since(restarted) >= 20
    })
    .await?;
    let posts = posters.finish().await?;
    let acked = posts.ids();

    api_b.check_readable(&bob, &acked).await?;
    api_a.check_readable(&alice, &acked).await?;
    follower.wait_for_updates(&acked, Duration::from_secs(30)).await?;
    let record = follower.finish().await;
    let delivered = record.check(&acked);
    assert!(
        record.kicks >= 1 && record.reconnects >= 1,
        "the follower resumed at least once: {} kicks, {} reconnects",
        record.kicks,
        record.reconnects
    );
    eprintln!(
        "postgres restart: {} posts acknowledged and readable ({} failed); pg_ctl restart took {} ms, posting \
         worked again {} ms after it, longest gap between acknowledgements {} ms; stream: {delivered} updates, \
         {} event messages, {} drops + {} kicks, {} reconnects ({} failed attempts), no duplicate; {:.1} s",
        acked.len(),
        posts.failed,
        restart_took.as_millis(),
        recovery.as_millis(),
        posts.longest_gap().as_millis(),
        record.seen.len(),
        record.drops,
        record.kicks,
        record.reconnects,
        record.failed_connects,
        began.elapsed().as_secs_f64()
    );

    for node in [a, b] {
        let name = node.name.clone();
        let exit = node.stop()?;
        assert!(exit.success(), "node {name} exited with {exit:?} after the database restart");
    }
    Ok(())
}

/// A nats-server of the test's own, with JetStream, its store in a temporary directory that
/// outlives a kill: started again, it recovers the stream from there.
struct OwnNats {
    binary: PathBuf,
    port: u16,
    dir: TempDir,
    child: Option<Child>,
}

impl OwnNats {
    fn start(binary: PathBuf) -> Result<OwnNats, Error> {
        let dir = TempDir::new("nats");
        std::fs::create_dir_all(&dir.path)?;
        let mut nats = OwnNats { binary, port: free_port()?, dir, child: None };
        nats.run()?;
        Ok(nats)
    }

    fn run(&mut self) -> Result<(), Error> {
        let child = Command::new(&self.binary)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-js", "-sd"])
            .arg(self.dir.path.join("store"))
            .arg("-l")
            .arg(self.dir.path.join("nats.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        wait_for_port(self.port, "nats-server", Duration::from_secs(10))
    }

    /// SIGKILL: the server has no chance to tidy up.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for OwnNats {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The event log of a node on SQLite, read from outside as another process would: every
/// event's sequence, in order, and how far the NATS publisher got.
fn sqlite_log(data_dir: &Path) -> Result<(Vec<i64>, i64), Error> {
    let conn = rusqlite::Connection::open_with_flags(
        data_dir.join("starling.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let mut query = conn.prepare("SELECT seq FROM events ORDER BY seq")?;
    let seqs = query.query_map([], |row| row.get::<_, i64>(0))?.collect::<Result<Vec<_>, _>>()?;
    let published: i64 =
        conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM consumer_offsets WHERE consumer = 'nats'", [], |row| {
            row.get(0)
        })?;
    Ok((seqs, published))
}

/// One message of the JetStream stream.
#[derive(Debug)]
struct Stored {
    stream_seq: u64,
    event_seq: i64,
    message_id: String,
    subject: String,
    kind: String,
}

/// Every message the JetStream stream holds, in stream order, read one by one by sequence.
async fn jetstream_messages(url: &str, stream: &str) -> Result<Vec<Stored>, Error> {
    let js = async_nats::jetstream::new(async_nats::connect(url).await?);
    let stream = js.get_stream(stream).await?;
    let state = stream.get_info().await?.state;
    let mut stored = Vec::new();
    if state.messages > 0 {
        for seq in state.first_sequence..=state.last_sequence {
            let message = stream.get_raw_message(seq).await?;
            let event: Value = serde_json::from_slice(&message.payload)?;
            stored.push(Stored {
                stream_seq: message.sequence,
                event_seq: event["seq"].as_i64().ok_or("a message without an event seq")?,
                message_id: message
                    .headers
                    .get(async_nats::header::NATS_MESSAGE_ID)
                    .map(|v| v.as_str().to_string())
                    .unwrap_or_default(),
                subject: message.subject.to_string(),
                kind: event["kind"].as_str().unwrap_or_default().to_string(),
            });
        }
    }
    assert_eq!(stored.len() as u64, state.messages, "the stream has gaps: {state:?}");
    Ok(stored)
}

/// `starling events` with the settings in `env`: the sequences of the events it printed.
fn events_cli(env: &[(&str, &str)], args: &[&str]) -> Result<Vec<i64>, Error> {
    let out = Command::new(env!("CARGO_BIN_EXE_starling"))
        .arg("events")
        .args(args)
        .env_clear()
        .env("STARLING_JWT_SECRET", JWT_SECRET)
        .envs(env.iter().copied())
        .output()?;
    assert!(out.status.success(), "starling events failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut seqs = Vec::new();
    for line in String::from_utf8(out.stdout)?.lines() {
        let event: Value = serde_json::from_str(line)?;
        seqs.push(event["seq"].as_i64().ok_or("an event without seq")?);
    }
    Ok(seqs)
}

/// The NATS server is killed right after a burst of posts and started again on the same store;
/// posts go on while it is down and after it is back. The publisher catches up, and JetStream
/// holds every event of the node's log exactly once, in order (none lost with the server, none
/// published twice when a batch is sent again); a stream client meanwhile gets every status once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nats_restarted_loses_no_event_in_jetstream() -> TestResult {
    let Some(nats_server) = find_binary("nats-server", &["/usr/sbin/nats-server"]) else {
        skip("nats-server is not installed");
        return Ok(());
    };
    let began = Instant::now();
    let mut nats = OwnNats::start(nats_server)?;
    let nats_url = nats.url();
    let stream = format!("FAULTS_NATS_{}", std::process::id());
    let env = [("STARLING_NATS_URL", nats_url.as_str()), ("STARLING_NATS_STREAM", stream.as_str())];
    let node = Node::start("nats-node", &env)?;
    let api = Api::new(&node)?;
    let alice = api.sign_up("alice").await?;
    let bob = api.sign_up("bob").await?;
    api.follow(&bob, &alice).await?;
    let mut follower = Follower::open(&api, &bob, &api, &alice).await?;

    let mut acked = Vec::new();
    for i in 0..20 {
        acked.push(api.status(&alice, &format!("before the kill {i}")).await?);
    }
    // Right away: the publisher may be in the middle of a batch.
    let (_, published_at_kill) = sqlite_log(&node.dir.path)?;
    nats.kill();
    let killed = Instant::now();
    for i in 0..10 {
        acked.push(api.status(&alice, &format!("while NATS is down {i}")).await?);
    }
    // Long enough for the publisher to notice: it has tried and failed at least once.
    wait_until("the publisher to log a failure", Duration::from_secs(15), || {
        lock(&node.log).iter().any(|l| l.contains("publishing events to NATS failed"))
    })
    .await?;
    let down_for = killed.elapsed();
    nats.run()?;
    let back = Instant::now();
    for i in 0..10 {
        acked.push(api.status(&alice, &format!("after NATS is back {i}")).await?);
    }

    // The publisher catches up with the log (it backs off while NATS is away, 10 s at most).
    let started = Instant::now();
    let log = loop {
        let (seqs, published) = sqlite_log(&node.dir.path)?;
        if seqs.last() == Some(&published) {
            break seqs;
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!(
                "the publisher is at {published}, the log at {:?}, 30 s after NATS is back",
                seqs.last()
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let caught_up = back.elapsed();

    let stored = jetstream_messages(&nats_url, &stream).await?;
    let in_stream: Vec<i64> = stored.iter().map(|m| m.event_seq).collect();
    assert_eq!(in_stream, log, "JetStream holds every event of the log once, in order");
    let prefix = stream.to_lowercase();
    for m in &stored {
        assert_eq!(
            m.message_id,
            m.event_seq.to_string(),
            "message {} carries its event's seq as Nats-Msg-Id",
            m.stream_seq
        );
        assert_eq!(m.subject, format!("{prefix}.{}", m.kind), "message {}'s subject", m.stream_seq);
    }
    let cli_env = [
        ("STARLING_NATS_URL", nats_url.as_str()),
        ("STARLING_NATS_STREAM", stream.as_str()),
        ("STARLING_DATA_DIR", node.dir.path.to_str().ok_or("a data directory that is not UTF-8")?),
    ];
    assert_eq!(events_cli(&cli_env, &["--durable", "faults"])?, log, "a durable consumer reads the same");

    api.check_readable(&bob, &acked).await?;
    follower.wait_for_updates(&acked, Duration::from_secs(30)).await?;
    let record = follower.finish().await;
    let delivered = record.check(&acked);
    eprintln!(
        "nats restart: {} posts acknowledged and readable; NATS killed with {published_at_kill} of the log published, \
         down {} ms, the publisher caught up {} ms after it was back; {} events in the log, {} messages in \
         JetStream, each once in order; stream: {delivered} updates, {} reconnects, no duplicate; {:.1} s",
        acked.len(),
        down_for.as_millis(),
        caught_up.as_millis(),
        log.len(),
        stored.len(),
        record.reconnects,
        began.elapsed().as_secs_f64()
    );
    let exit = node.stop()?;
    assert!(exit.success(), "the node exited with {exit:?}");
    Ok(())
}

/// A TCP proxy that can make a link slow: each chunk read from either side waits `delay`
/// before it is written to the other.
struct SlowProxy {
    addr: SocketAddr,
    delay_ms: Arc<AtomicU64>,
    /// Chunks that waited.
    delayed: Arc<AtomicU64>,
    tasks: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl SlowProxy {
    async fn start(upstream: SocketAddr) -> Result<SlowProxy, Error> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (delay_ms, delayed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let tasks = Arc::new(Mutex::new(Vec::new()));
        let accept = {
            let (delay_ms, delayed, tasks) = (delay_ms.clone(), delayed.clone(), tasks.clone());
            tokio::spawn(async move {
                while let Ok((inbound, _)) = listener.accept().await {
                    let Ok(outbound) = tokio::net::TcpStream::connect(upstream).await else { continue };
                    let _ = (inbound.set_nodelay(true), outbound.set_nodelay(true));
                    let (from_client, to_client) = inbound.into_split();
                    let (from_server, to_server) = outbound.into_split();
                    let up = tokio::spawn(pump(from_client, to_server, delay_ms.clone(), delayed.clone()));
                    let down = tokio::spawn(pump(from_server, to_client, delay_ms.clone(), delayed.clone()));
                    lock(&tasks).extend([up.abort_handle(), down.abort_handle()]);
                }
            })
        };
        lock(&tasks).push(accept.abort_handle());
        Ok(SlowProxy { addr, delay_ms, delayed, tasks })
    }

    fn set_delay(&self, delay: Duration) {
        self.delay_ms.store(delay.as_millis() as u64, Ordering::Relaxed);
    }

    fn delayed(&self) -> u64 {
        self.delayed.load(Ordering::Relaxed)
    }
}

impl Drop for SlowProxy {
    fn drop(&mut self) {
        for task in lock(&self.tasks).iter() {
            task.abort();
        }
    }
}

/// Copies one direction of a proxied connection, chunk by chunk, each after the current delay.
/// Dropping the write half at the end passes the end of the stream on.
async fn pump(
    from: tokio::net::tcp::OwnedReadHalf,
    to: tokio::net::tcp::OwnedWriteHalf,
    delay_ms: Arc<AtomicU64>,
    delayed: Arc<AtomicU64>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if from.readable().await.is_err() {
            return;
        }
        let n = match from.try_read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return,
        };
        let delay = delay_ms.load(Ordering::Relaxed);
        if delay > 0 {
            delayed.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        let mut sent = 0;
        while sent < n {
            if to.writable().await.is_err() {
                return;
            }
            match to.try_write(&buf[sent..n]) {
                Ok(k) => sent += k,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return,
            }
        }
    }
}

/// Posts `n` statuses one after the other; their ids and when each was acknowledged.
async fn post_burst(api: &Api, author: &User, n: usize, label: &str) -> Result<Vec<(String, Instant)>, Error> {
    let mut acked = Vec::new();
    for i in 0..n {
        acked.push((api.status(author, &format!("{label} {i}")).await?, Instant::now()));
    }
    Ok(acked)
}

/// The longest and the mean time from a post's acknowledgement to its arrival on the stream.
fn latencies(follower: &Follower, acked: &[(String, Instant)]) -> (Duration, Duration) {
    let lags: Vec<Duration> = acked
        .iter()
        .filter_map(|(id, done)| follower.arrival(id).map(|at| at.saturating_duration_since(*done)))
        .collect();
    let max = lags.iter().max().copied().unwrap_or_default();
    let mean = lags.iter().sum::<Duration>() / u32::try_from(lags.len().max(1)).unwrap_or(1);
    (max, mean)
}

/// Two nodes reach their Redis through a proxy that delays every chunk in both directions.
/// Redis only carries announcements (and home timelines, which fall back to the database): the
/// pipeline reads the shared log, so with the link slow, statuses posted on one node still
/// reach a follower streaming from the other, each exactly once, only later; and as before
/// once the link is fast again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_link_to_redis_delays_but_loses_nothing() -> TestResult {
    let Some(redis_server) = find_binary("redis-server", &[]) else {
        skip("redis-server is not installed");
        return Ok(());
    };
    let Some(db) = SharedDb::create("slowredis").await? else { return Ok(()) };
    let began = Instant::now();
    let redis = OwnRedis::start(&redis_server)?;
    let proxy = SlowProxy::start(SocketAddr::from(([127, 0, 0, 1], redis.port))).await?;
    let redis_url = format!("redis://{}/", proxy.addr);
    let env = [
        ("STARLING_DATABASE_URL", db.url.as_str()),
        ("STARLING_REDIS_URL", redis_url.as_str()),
        ("STARLING_LEASE_SECS", "5"),
    ];
    let a = Node::start("slow-a", &env)?;
    let b = Node::start("slow-b", &env)?;
    let (api_a, api_b) = (Api::new(&a)?, Api::new(&b)?);
    let alice = api_a.sign_up("alice").await?;
    let bob = api_b.sign_up("bob").await?;
    api_b.follow(&bob, &alice).await?;
    let mut follower = Follower::open(&api_b, &bob, &api_a, &alice).await?;

    let delay = Duration::from_millis(150);
    proxy.set_delay(delay);
    let chunks_before = proxy.delayed();
    let slow = post_burst(&api_a, &alice, 25, "over a slow link").await?;
    let slow_ids: Vec<String> = slow.iter().map(|(id, _)| id.clone()).collect();
    follower.wait_for_updates(&slow_ids, Duration::from_secs(30)).await?;
    let slow_lag = latencies(&follower, &slow);
    // Home timelines live in Redis: over the slow link, or from the database when Redis is too
    // slow, the follower's home has every status, newest first.
    let (home, slow_home_read) = api_b.home(&bob).await?;
    let newest: Vec<String> = slow_ids.iter().rev().cloned().collect();
    assert_eq!(home.get(..newest.len()), Some(&newest[..]), "bob's home over the slow link");
    let chunks_delayed = proxy.delayed() - chunks_before;
    assert!(chunks_delayed > 0, "the nodes talked to Redis through the slow proxy");

    proxy.set_delay(Duration::ZERO);
    let fast = post_burst(&api_a, &alice, 25, "over a fast link again").await?;
    let fast_ids: Vec<String> = fast.iter().map(|(id, _)| id.clone()).collect();
    follower.wait_for_updates(&fast_ids, Duration::from_secs(30)).await?;
    let fast_lag = latencies(&follower, &fast);
    let (home, fast_home_read) = api_b.home(&bob).await?;
    let newest: Vec<String> = fast_ids.iter().rev().cloned().collect();
    assert_eq!(home.get(..newest.len()), Some(&newest[..]), "bob's home over the fast link");

    let acked: Vec<String> = slow_ids.iter().chain(&fast_ids).cloned().collect();
    api_b.check_readable(&bob, &acked).await?;
    let record = follower.finish().await;
    let delivered = record.check(&acked);
    eprintln!(
        "slow Redis link: {} posts acknowledged and readable; with {} ms per chunk ({chunks_delayed} chunks \
         delayed) delivery took {} ms at most, {} ms on average, a home read {} ms; with the link fast again {} ms \
         at most, {} ms on average, a home read {} ms; stream: {delivered} updates, {} reconnects, no duplicate; \
         {:.1} s",
        acked.len(),
        delay.as_millis(),
        slow_lag.0.as_millis(),
        slow_lag.1.as_millis(),
        slow_home_read.as_millis(),
        fast_lag.0.as_millis(),
        fast_lag.1.as_millis(),
        fast_home_read.as_millis(),
        record.reconnects,
        began.elapsed().as_secs_f64()
    );
    for node in [a, b] {
        let name = node.name.clone();
        let exit = node.stop()?;
        assert!(exit.success(), "node {name} exited with {exit:?}");
    }
    Ok(())
}
