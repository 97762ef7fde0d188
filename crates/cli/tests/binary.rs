//! The `starling` binary as an operator runs it: no configuration, a fresh data directory,
//! SIGTERM to stop.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("starling-bin-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

struct Server {
    child: Child,
    addr: String,
    lines: mpsc::Receiver<String>,
}

/// Starts `starling serve` on port 0 and waits for the line that says where it listens.
fn start(data_dir: &PathBuf) -> Result<Server, Box<dyn std::error::Error>> {
    start_with(data_dir, &[])
}

/// As `start`, with more settings in the environment.
fn start_with(data_dir: &PathBuf, env: &[(&str, &str)]) -> Result<Server, Box<dyn std::error::Error>> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_starling"))
        .arg("serve")
        .env_clear()
        .env("STARLING_BIND", "127.0.0.1:0")
        .env("STARLING_DATA_DIR", data_dir)
        .env("STARLING_LOG_FORMAT", "json")
        .envs(env.iter().copied())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    loop {
        let line = rx.recv_timeout(Duration::from_secs(60))?;
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
        if json["message"] == "starling is listening" {
            let addr = json["address"].as_str().ok_or("no address")?.to_string();
            return Ok(Server { child, addr, lines: rx });
        }
    }
}

fn terminate(mut server: Server) -> Result<(std::process::ExitStatus, Vec<String>), Box<dyn std::error::Error>> {
    let status = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status()?;
    assert!(status.success(), "kill -TERM");
    let exit = server.child.wait()?;
    let rest: Vec<String> = server.lines.try_iter().collect();
    Ok((exit, rest))
}

#[tokio::test]
async fn serve_starts_with_no_configuration_and_stops_gracefully_on_sigterm() -> TestResult {
    let dir = fresh_dir("serve");
    let server = start(&dir)?;
    let body: serde_json::Value = reqwest::get(format!("http://{}/api/v1/instance", server.addr)).await?.json().await?;
    assert!(body["version"].as_str().unwrap_or_default().contains("Starling"));
    assert!(dir.join("starling.db").exists(), "SQLite lives in the data directory");
    let secret = std::fs::read(dir.join("jwt_secret"))?;
    assert!(secret.len() >= 32, "a signing secret is generated and kept");

    let (exit, log) = terminate(server)?;
    assert!(exit.success(), "exit status {exit:?}");
    assert!(log.iter().any(|l| l.contains("\"stopped\"")), "{log:?}");

    // A restart keeps the same secret, so issued tokens stay valid.
    let server = start(&dir)?;
    assert_eq!(std::fs::read(dir.join("jwt_secret"))?, secret);
    terminate(server)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn migrate_applies_migrations_and_exits() -> TestResult {
    let dir = fresh_dir("migrate");
    let out = Command::new(env!("CARGO_BIN_EXE_starling"))
        .arg("migrate")
        .env_clear()
        .env("STARLING_DATA_DIR", &dir)
        .output()?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("starling.db").exists());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn bad_settings_are_refused_with_a_clear_message() -> TestResult {
    let out = Command::new(env!("CARGO_BIN_EXE_starling"))
        .arg("serve")
        .env_clear()
        .env("STARLING_REGISTRATIONS", "sometimes")
        .env("STARLING_DATA_DIR", fresh_dir("bad"))
        .output()?;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("STARLING_REGISTRATIONS must be open or closed"));

    let out = Command::new(env!("CARGO_BIN_EXE_starling"))
        .arg("serve")
        .env_clear()
        .env("STARLING_FANOUT_THRESHOLD", "-1")
        .env("STARLING_DATA_DIR", fresh_dir("bad"))
        .output()?;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("STARLING_FANOUT_THRESHOLD must not be negative"));

    // Read replicas are PostgreSQL standbys: with the default SQLite store they make no sense.
    let out = Command::new(env!("CARGO_BIN_EXE_starling"))
        .arg("serve")
        .env_clear()
        .env("STARLING_DATABASE_REPLICA_URLS", "postgres://postgres@127.0.0.1:5433/test")
        .env("STARLING_DATA_DIR", fresh_dir("bad"))
        .output()?;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("STARLING_DATABASE_REPLICA_URLS needs a PostgreSQL"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// A client of a running server, as an app would be: JSON in, JSON out, every call must succeed.
struct Api {
    base: String,
    http: reqwest::Client,
}

struct User {
    id: String,
    token: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if method != reqwest::Method::GET {
            req = req.json(&body);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let body: serde_json::Value = resp.json().await.unwrap_or_default();
        if !status.is_success() {
            return Err(format!("{method} {path}: {status} {body}").into());
        }
        Ok(body)
    }

    async fn post(
        &self,
        path: &str,
        user: &User,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
        self.call(reqwest::Method::POST, path, Some(&user.token), body).await
    }

    /// `/api/v1/apps`, a client-credentials token, then `POST /api/v1/accounts`.
    async fn sign_up(&self, username: &str) -> Result<User, Box<dyn std::error::Error>> {
        use serde_json::json;
        let scopes = "read write follow";
        let app = self
            .call(
                reqwest::Method::POST,
                "/api/v1/apps",
                None,
                json!({"client_name": "replay test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": scopes}),
            )
            .await?;
        let grant = json!({"grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": app["client_secret"], "scope": scopes});
        let app_token = self.call(reqwest::Method::POST, "/oauth/token", None, grant).await?;
        let app_token = app_token["access_token"].as_str().ok_or("no app token")?;
        let form = json!({"username": username, "email": format!("{username}@example.org"), "password": format!("password-{username}"), "agreement": true});
        let token = self.call(reqwest::Method::POST, "/api/v1/accounts", Some(app_token), form).await?;
        let token = token["access_token"].as_str().ok_or("no token")?.to_string();
        let me =
            self.call(reqwest::Method::GET, "/api/v1/accounts/verify_credentials", Some(&token), json!(null)).await?;
        Ok(User { id: me["id"].as_str().ok_or("no id")?.to_string(), token })
    }

    async fn status(&self, user: &User, body: serde_json::Value) -> Result<String, Box<dyn std::error::Error>> {
        let status = self.post("/api/v1/statuses", user, body).await?;
        Ok(status["id"].as_str().ok_or("no status id")?.to_string())
    }

    /// The user's notifications once the notifier has stored at least `count` (it runs after
    /// each write, asynchronously).
    async fn notifications(
        &self,
        user: &User,
        count: usize,
    ) -> Result<Vec<serde_json::Value>, Box<dyn std::error::Error>> {
        for _ in 0..100 {
            let list = self
                .call(reqwest::Method::GET, "/api/v1/notifications", Some(&user.token), serde_json::Value::Null)
                .await?;
            let list = list.as_array().cloned().unwrap_or_default();
            if list.len() >= count {
                return Ok(list);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!("fewer than {count} notifications after 5 s").into())
    }
}

fn replay(data_dir: &PathBuf) -> Result<(i32, String), Box<dyn std::error::Error>> {
    replay_with(data_dir, &[])
}

fn replay_with(data_dir: &PathBuf, env: &[(&str, &str)]) -> Result<(i32, String), Box<dyn std::error::Error>> {
    let out = Command::new(env!("CARGO_BIN_EXE_starling"))
        .arg("replay")
        .env_clear()
        .env("STARLING_DATA_DIR", data_dir)
        .envs(env.iter().copied())
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let code = out.status.code().ok_or_else(|| format!("replay died: {}", String::from_utf8_lossy(&out.stderr)))?;
    Ok((code, stdout))
}

/// Runs `sql` on the data directory's database from outside the server, as an operator's
/// `sqlite3` shell or another process would.
async fn execute_sql(data_dir: &std::path::Path, sql: &str) -> Result<(), Box<dyn std::error::Error>> {
    let conn = rusqlite::Connection::open(data_dir.join("starling.db"))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch(sql)?;
    Ok(())
}

#[tokio::test]
async fn replay_matches_what_a_busy_server_wrote_and_reports_tampering() -> TestResult {
    use serde_json::json;
    let dir = fresh_dir("replay");
    // Home timelines in the database, where replay can check them too.
    let homes_in_store = [("STARLING_HOME_TIMELINES", "store")];
    let server = start_with(&dir, &homes_in_store)?;
    let api = Api { base: format!("http://{}", server.addr), http: reqwest::Client::new() };
    let alice = api.sign_up("alice").await?;
    let bob = api.sign_up("bob").await?;
    let carol = api.sign_up("carol").await?;

    for (follower, followee) in [(&bob, &alice), (&carol, &alice), (&carol, &bob)] {
        api.post(&format!("/api/v1/accounts/{}/follow", followee.id), follower, json!({})).await?;
    }
    api.post(&format!("/api/v1/accounts/{}/unfollow", bob.id), &carol, json!({})).await?;
    let doomed = api.status(&alice, json!({"status": "hello @bob"})).await?;
    let kept = api.status(&alice, json!({"status": "a quiet one", "visibility": "unlisted"})).await?;
    api.status(&bob, json!({"status": "hi alice", "in_reply_to_id": doomed})).await?;
    api.post(&format!("/api/v1/statuses/{doomed}/reblog"), &carol, json!({})).await?;
    api.post(&format!("/api/v1/statuses/{kept}/reblog"), &bob, json!({})).await?;
    api.post(&format!("/api/v1/statuses/{doomed}/favourite"), &bob, json!({})).await?;
    api.post(&format!("/api/v1/statuses/{kept}/favourite"), &carol, json!({})).await?;
    api.post(&format!("/api/v1/statuses/{kept}/favourite"), &bob, json!({})).await?;
    api.post(&format!("/api/v1/statuses/{kept}/unfavourite"), &bob, json!({})).await?;
    api.call(
        reqwest::Method::PUT,
        &format!("/api/v1/statuses/{doomed}"),
        Some(&alice.token),
        json!({"status": "hello again @bob"}),
    )
    .await?;
    let mentioned = api.notifications(&bob, 1).await?;
    let first = mentioned[0]["id"].as_str().ok_or("no notification id")?;
    api.post(&format!("/api/v1/notifications/{first}/dismiss"), &bob, json!({})).await?;
    api.call(reqwest::Method::DELETE, &format!("/api/v1/statuses/{doomed}"), Some(&alice.token), json!(null)).await?;
    // The last write is not waited for: stopping must leave its notification stored too.
    api.status(&bob, json!({"status": "@carol just between us", "visibility": "direct"})).await?;

    let (exit, log) = terminate(server)?;
    assert!(exit.success(), "exit status {exit:?}: {log:?}");
    let (code, report) = replay_with(&dir, &homes_in_store)?;
    assert_eq!(code, 0, "{report}");
    assert!(report.lines().any(|l| l == "no differences"), "{report}");
    assert!(report.contains("accounts: 3 live, 3 rebuilt"), "{report}");
    // alice and carol: kept; bob: kept, his reply and his reblog. The deleted status went with
    // its reblog, and the direct one is in nobody's home.
    assert!(report.contains("home timelines: 5 live, 5 rebuilt"), "{report}");

    let sql = format!("UPDATE accounts SET followers_count = followers_count + 5 WHERE id = {}", alice.id);
    execute_sql(&dir, &sql).await?;
    let (code, report) = replay_with(&dir, &homes_in_store)?;
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("1 difference:"), "{report}");
    let expected = format!("  account {} followers_count: live 7, rebuilt 2", alice.id);
    assert!(report.lines().any(|l| l == expected), "{report}");

    // Put the counter back and lose one home timeline entry instead.
    let sql = format!("UPDATE accounts SET followers_count = followers_count - 5 WHERE id = {}", alice.id);
    execute_sql(&dir, &sql).await?;
    let sql = format!("DELETE FROM home_entries WHERE account_id = {} AND status_id = {kept}", carol.id);
    execute_sql(&dir, &sql).await?;
    let (code, report) = replay_with(&dir, &homes_in_store)?;
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("home timelines: 4 live, 5 rebuilt"), "{report}");
    assert!(report.contains("1 difference:"), "{report}");
    let expected = format!("  home timeline of account {} misses status {kept}", carol.id);
    assert!(report.lines().any(|l| l == expected), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Events another process appends reach the notifier by its periodic poll; one appended just
/// before SIGTERM is applied by the final catch-up on the way out, not left for the next start.
#[tokio::test]
async fn stopping_applies_events_appended_just_before() -> TestResult {
    use serde_json::json;
    let dir = fresh_dir("drain");
    let server = start(&dir)?;
    let api = Api { base: format!("http://{}", server.addr), http: reqwest::Client::new() };
    let alice = api.sign_up("alice").await?;
    let bob = api.sign_up("bob").await?;
    api.post(&format!("/api/v1/accounts/{}/follow", alice.id), &bob, json!({})).await?;
    api.notifications(&alice, 1).await?;

    // What `POST /api/v1/notifications/clear` logs, without its immediate delete: only the
    // notifier applying the event removes alice's follow notification.
    let id = &alice.id;
    let sql = format!(
        "INSERT INTO events (kind, actor_id, subject_id, schema_version, payload, created_at) \
         SELECT 'notifications.cleared', {id}, {id}, 1, json_object('upto_seq', MAX(seq)), 0 FROM events"
    );
    execute_sql(&dir, &sql).await?;
    let (exit, log) = terminate(server)?;
    assert!(exit.success(), "exit status {exit:?}: {log:?}");
    let (code, report) = replay(&dir)?;
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("notifications: 0 live, 0 rebuilt"), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// A Redis server of this test's own, on a free port, so that restarting it disturbs nobody else.
struct OwnRedis {
    child: Child,
    port: u16,
}

impl OwnRedis {
    fn start(port: u16) -> Result<OwnRedis, Box<dyn std::error::Error>> {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()?;
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(OwnRedis { child, port });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err("redis-server did not start".into())
    }

    fn stop(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port
    }
}

fn free_port() -> Result<u16, Box<dyn std::error::Error>> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A fresh PostgreSQL database for this test, on the server `STARLING_TEST_POSTGRES_URL` names.
async fn fresh_postgres(name: &str) -> Result<Option<(String, String)>, Box<dyn std::error::Error>> {
    let Ok(base) = std::env::var("STARLING_TEST_POSTGRES_URL") else {
        let message = "*** multi-node PostgreSQL test SKIPPED: STARLING_TEST_POSTGRES_URL is not set ***";
        assert!(std::env::var_os("STARLING_REQUIRE_ALL").is_none(), "{message}");
        let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("\n{message}\n").as_bytes());
        return Ok(None);
    };
    use sqlx::Connection;
    let db = format!("starling_{name}_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&base).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db}"))).execute(&mut admin).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}"))).execute(&mut admin).await?;
    let (prefix, _) = base.rsplit_once('/').ok_or("no database in STARLING_TEST_POSTGRES_URL")?;
    Ok(Some((base.clone(), format!("{prefix}/{db}"))))
}

async fn drop_postgres(base: &str, url: &str) -> Result<(), Box<dyn std::error::Error>> {
    use sqlx::Connection;
    let db = url.rsplit('/').next().ok_or("no database")?;
    let mut admin = sqlx::PgConnection::connect(base).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))).execute(&mut admin).await?;
    Ok(())
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next `n` `update` and `notification` messages on a WebSocket stream (10 s each at most),
/// as (event, status id) pairs: a notification's status is the one it is about.
async fn next_messages(ws: &mut Ws, n: usize) -> Result<Vec<(String, String)>, Box<dyn std::error::Error>> {
    use futures_util::StreamExt;
    let mut got = Vec::new();
    while got.len() < n {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .map_err(|_| format!("only {got:?} of {n} messages within 10 s"))?
            .ok_or("the stream ended")??;
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            let v: serde_json::Value = serde_json::from_str(text.as_str())?;
            let payload: serde_json::Value = serde_json::from_str(v["payload"].as_str().unwrap_or("{}"))?;
            let id = match v["event"].as_str() {
                Some("update") => &payload["id"],
                Some("notification") => &payload["status"]["id"],
                _ => continue,
            };
            got.push((
                v["event"].as_str().unwrap_or_default().to_string(),
                id.as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    Ok(got)
}

/// The ids of the next `n` `update` messages on a WebSocket stream.
async fn next_updates(ws: &mut Ws, n: usize) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let messages = next_messages(ws, n).await?;
    assert!(messages.iter().all(|(event, _)| event == "update"), "only updates: {messages:?}");
    Ok(messages.into_iter().map(|(_, id)| id).collect())
}

/// The leases held now in a deployment's database, by name, with the process id of each holder
/// (holders are `host:pid:random`).
async fn leases(db_url: &str) -> Result<Vec<(String, u32)>, Box<dyn std::error::Error>> {
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(db_url).await?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT name, holder FROM leases WHERE expires_at > $1 ORDER BY name")
            .bind(now)
            .fetch_all(&mut db)
            .await?;
    db.close().await?;
    rows.into_iter()
        .map(|(name, holder)| {
            let pid = holder.split(':').nth(1).and_then(|p| p.parse().ok()).ok_or("a holder without a pid")?;
            Ok((name, pid))
        })
        .collect()
}

/// `starling events` with the settings in `env`: the sequences of the events it printed.
fn events_cli(env: &[(&str, &str)], args: &[&str]) -> Result<Vec<i64>, Box<dyn std::error::Error>> {
    let out = Command::new(env!("CARGO_BIN_EXE_starling"))
        .arg("events")
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()?;
    assert!(out.status.success(), "starling events failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut seqs = Vec::new();
    for line in String::from_utf8(out.stdout)?.lines() {
        let event: serde_json::Value = serde_json::from_str(line)?;
        seqs.push(event["seq"].as_i64().ok_or("an event without seq")?);
    }
    Ok(seqs)
}

/// Three `starling serve` processes on one PostgreSQL database, one Redis and one NATS: node ids
/// and jobs are leased and spread over the nodes; sign up on one, post on another, receive live
/// on the third; the node that stores notifications is killed mid-run and another takes over;
/// a Redis restart loses nothing; JetStream holds every event once, and a durable consumer
/// resumes where it stopped.
#[tokio::test]
async fn three_nodes_share_one_database_and_lose_nothing_when_a_node_dies_or_redis_restarts() -> TestResult {
    use serde_json::json;
    let Some((base, db_url)) = fresh_postgres("nodes").await? else { return Ok(()) };
    let Ok(nats_url) = std::env::var("STARLING_TEST_NATS_URL") else {
        let message = "*** multi-node NATS test SKIPPED: STARLING_TEST_NATS_URL is not set ***";
        assert!(std::env::var_os("STARLING_REQUIRE_ALL").is_none(), "{message}");
        let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("\n{message}\n").as_bytes());
        return Ok(());
    };
    let redis = OwnRedis::start(free_port()?)?;
    let redis_url = format!("redis://127.0.0.1:{}/", redis.port);
    let stream = format!("STARLING_NODES_TEST_{}", std::process::id());
    let env = [
        ("STARLING_DATABASE_URL", db_url.as_str()),
        ("STARLING_REDIS_URL", redis_url.as_str()),
        ("STARLING_NATS_URL", nats_url.as_str()),
        ("STARLING_NATS_STREAM", stream.as_str()),
        ("STARLING_JWT_SECRET", "a shared secret for every node of this test, long enough"),
        ("STARLING_LEASE_SECS", "3"),
    ];
    let mut nodes = Vec::new();
    for n in 0..3 {
        let dir = fresh_dir(&format!("node{n}"));
        nodes.push((start_with(&dir, &env)?, dir));
    }
    let pids: Vec<u32> = nodes.iter().map(|(server, _)| server.child.id()).collect();

    // Each node leased its own id, and the two jobs (notifier, publisher) settle on two
    // different nodes as the later ones join.
    let mut settled = None;
    for _ in 0..100 {
        let held = leases(&db_url).await?;
        let holder = |name: &str| held.iter().find(|(n, _)| n == name).map(|(_, pid)| *pid);
        let node_ids: Vec<&str> = held.iter().filter_map(|(n, _)| n.strip_prefix("node/")).collect();
        assert_eq!(node_ids, ["0", "1", "2"], "three nodes, three leased ids");
        if let (Some(notifier), Some(publisher)) = (holder("job/notifier"), holder("job/publisher"))
            && notifier != publisher
        {
            settled = Some(notifier);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let notifier = settled.ok_or("the jobs did not spread over the nodes")?;
    // The notifier's node is the one that dies; of the others, one takes writes and one streams.
    let victim = pids.iter().position(|&pid| pid == notifier).ok_or("the notifier is not one of the nodes")?;
    let (writer, streamer) = match victim {
        0 => (1, 2),
        1 => (0, 2),
        _ => (0, 1),
    };
    let addrs: Vec<String> = nodes.iter().map(|(server, _)| server.addr.clone()).collect();
    let api = |i: usize| Api { base: format!("http://{}", addrs[i]), http: reqwest::Client::new() };
    let alice = api(writer).sign_up("alice").await?;
    let bob = api(victim).sign_up("bob").await?;
    api(victim).post(&format!("/api/v1/accounts/{}/follow", alice.id), &bob, json!({})).await?;
    let ws_url = format!("ws://{}/api/v1/streaming?stream=user&access_token={}", addrs[streamer], bob.token);
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url).await?;
    // The node registers the stream just after the upgrade; its stats say when.
    let mut registered = false;
    for _ in 0..200 {
        let stats = api(streamer).call(reqwest::Method::GET, "/api/v1/stats", None, json!(null)).await?;
        if stats["connections"] == 1 {
            registered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(registered, "the streaming node registered the stream");

    let first = api(writer).status(&alice, json!({"status": "@bob written on one node"})).await?;
    let mut got = next_messages(&mut ws, 2).await?;
    got.sort();
    assert_eq!(got, [("notification".to_string(), first.clone()), ("update".to_string(), first)], "live on another");

    // Kill the notifier's node outright: its lease runs out, another node takes the job over,
    // and the notification of a mention written meanwhile still arrives.
    let (mut killed, killed_dir) = nodes.remove(victim);
    killed.child.kill()?;
    killed.child.wait()?;
    let second = api(writer).status(&alice, json!({"status": "@bob after the notifier died"})).await?;
    let mut got = next_messages(&mut ws, 2).await?;
    got.sort();
    assert_eq!(got, [("notification".to_string(), second.clone()), ("update".to_string(), second)]);
    let held = leases(&db_url).await?;
    let survivors: Vec<u32> = pids.iter().enumerate().filter(|(i, _)| *i != victim).map(|(_, p)| *p).collect();
    assert!(
        held.iter().any(|(name, pid)| name == "job/notifier" && survivors.contains(pid)),
        "a surviving node holds the notifier job: {held:?}"
    );

    // Restart Redis while the stream is open: statuses written meanwhile still arrive, in order.
    let port = redis.stop();
    let mut written = Vec::new();
    for i in 0..3 {
        written.push(api(writer).status(&alice, json!({"status": format!("while Redis is away {i}")})).await?);
    }
    // Home timelines live in Redis: while it is away, the database serves them, at once.
    let started = std::time::Instant::now();
    let away = home_ids(&api(streamer), &bob).await?;
    assert!(started.elapsed() < Duration::from_secs(5), "a home without Redis took {:?}", started.elapsed());
    assert!(written.iter().all(|id| away.contains(id)), "{away:?} lacks some of {written:?}");
    let redis = OwnRedis::start(port)?;
    for i in 0..3 {
        written.push(api(writer).status(&alice, json!({"status": format!("after Redis is back {i}")})).await?);
    }
    assert_eq!(next_updates(&mut ws, written.len()).await?, written, "every status, once, in order");
    // Redis came back empty: the homes are rebuilt from the database, complete, on every node.
    for node in [writer, streamer] {
        let home = home_ids(&api(node), &bob).await?;
        let newest: Vec<String> = written.iter().rev().cloned().collect();
        assert_eq!(home.get(..newest.len()), Some(&newest[..]), "node {node}: {home:?}");
    }

    // JetStream holds every event of the log once, whichever node published it, and a durable
    // consumer picks up where its previous run stopped.
    let all: Vec<i64> = {
        use sqlx::Connection;
        let mut db = sqlx::PgConnection::connect(&db_url).await?;
        let seqs = sqlx::query_scalar("SELECT seq FROM events ORDER BY seq").fetch_all(&mut db).await?;
        let mut published = 0;
        for _ in 0..100 {
            published =
                sqlx::query_scalar("SELECT COALESCE(max(seq), 0) FROM consumer_offsets WHERE consumer = 'nats'")
                    .fetch_one(&mut db)
                    .await?;
            if seqs.last() == Some(&published) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(seqs.last(), Some(&published), "the publisher caught up with the log");
        seqs
    };
    let cli_env = [("STARLING_NATS_URL", nats_url.as_str()), ("STARLING_NATS_STREAM", stream.as_str())];
    assert_eq!(events_cli(&cli_env, &["--durable", "everything"])?, all, "every event once, in order");
    let head = events_cli(&cli_env, &["--durable", "resumer", "--max", "3"])?;
    let rest = events_cli(&cli_env, &["--durable", "resumer"])?;
    assert_eq!(head, all[..3]);
    assert_eq!(rest, all[3..], "the second run resumes after the first one's last event");
    assert!(events_cli(&cli_env, &["--durable", "resumer"])?.is_empty(), "nothing is printed twice");

    for (server, dir) in nodes {
        terminate(server)?;
        let _ = std::fs::remove_dir_all(dir);
    }
    let _ = std::fs::remove_dir_all(killed_dir);
    redis.stop();
    drop_postgres(&base, &db_url).await?;
    delete_stream(&nats_url, &stream).await?;
    Ok(())
}

/// The ids of the user's home timeline, newest first.
async fn home_ids(api: &Api, user: &User) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let home = api
        .call(reqwest::Method::GET, "/api/v1/timelines/home?limit=40", Some(&user.token), serde_json::json!(null))
        .await?;
    Ok(home
        .as_array()
        .ok_or("a home timeline is a list")?
        .iter()
        .filter_map(|s| s["id"].as_str().map(String::from))
        .collect())
}

/// Removes a test's JetStream stream (and its consumers).
async fn delete_stream(nats_url: &str, stream: &str) -> Result<(), Box<dyn std::error::Error>> {
    let js = async_nats::jetstream::new(async_nats::connect(nats_url).await?);
    js.delete_stream(stream).await?;
    Ok(())
}

/// One stream message: its event id, event and the id of the status (or message) it is about.
type Seen = (i64, String, String);

/// Reads a WebSocket stream until it fails (the server died) or `until` says it has all it
/// needs, keeping every message.
async fn read_stream(ws: &mut Ws, seen: &mut Vec<Seen>, until: impl Fn(&[Seen]) -> bool) {
    use futures_util::StreamExt;
    while !until(seen) {
        let Ok(Some(Ok(message))) = tokio::time::timeout(Duration::from_secs(20), ws.next()).await else { return };
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(text.as_str()) else { continue };
            let payload: serde_json::Value =
                serde_json::from_str(v["payload"].as_str().unwrap_or("null")).unwrap_or_default();
            let event_id = v["event_id"].as_str().and_then(|s| s.parse().ok()).unwrap_or(-1);
            let id = payload["id"].as_str().unwrap_or_default().to_string();
            seen.push((event_id, v["event"].as_str().unwrap_or_default().to_string(), id));
        }
    }
}

/// `kill -9` while clients post, favourite and chat as fast as they can: after a restart, every
/// write the server acknowledged is there, and a stream that resumes from the last event it saw
/// gets every status it missed, none twice.
#[tokio::test]
async fn a_kill_9_loses_no_acknowledged_write_and_streams_resume_without_loss() -> TestResult {
    use std::sync::{Arc, Mutex};

    use reqwest::Method;
    use serde_json::json;
    let dir = fresh_dir("crash");
    let env = [("STARLING_INSECURE_PASSWORD_HASHING", "true"), ("STARLING_RATE_LIMITS", "false")];
    let mut server = start_with(&dir, &env)?;
    let addr = server.addr.clone();
    let api = Arc::new(Api { base: format!("http://{addr}"), http: reqwest::Client::new() });
    let alice = Arc::new(api.sign_up("alice").await?);
    let bob = Arc::new(api.sign_up("bob").await?);
    api.post(&format!("/api/v1/accounts/{}/follow", alice.id), &bob, json!({})).await?;
    let chat = api.post("/api/v1/chats", &alice, json!({"account_ids": [bob.id]})).await?;
    let chat = chat["id"].as_str().ok_or("no chat id")?.to_string();
    let stream_url = format!("ws://{addr}/api/v1/streaming?stream=user&access_token={}", bob.token);
    let (mut ws, _) = tokio_tungstenite::connect_async(stream_url.as_str()).await?;
    let reader = tokio::spawn(async move {
        let mut seen = Vec::new();
        read_stream(&mut ws, &mut seen, |_| false).await;
        seen
    });

    // Writers: each records what the server acknowledged, and stops at the first failure.
    let posted = Arc::new(Mutex::new(Vec::<String>::new()));
    let liked = Arc::new(Mutex::new(Vec::<String>::new()));
    let messaged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (api, alice, posted) = (api.clone(), alice.clone(), posted.clone());
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let Ok(id) = api.status(&alice, json!({"status": format!("post {w}-{i}")})).await else { break };
                posted.lock().map(|mut p| p.push(id)).ok();
            }
        }));
    }
    {
        let (api, bob, posted, liked) = (api.clone(), bob.clone(), posted.clone(), liked.clone());
        writers.push(tokio::spawn(async move {
            loop {
                let next = posted.lock().ok().and_then(|p| p.get(liked.lock().map(|l| l.len()).unwrap_or(0)).cloned());
                let Some(id) = next else {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                };
                if api.post(&format!("/api/v1/statuses/{id}/favourite"), &bob, json!({})).await.is_err() {
                    break;
                }
                liked.lock().map(|mut l| l.push(id)).ok();
            }
        }));
    }
    {
        let (api, alice, messaged, chat) = (api.clone(), alice.clone(), messaged.clone(), chat.clone());
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let path = format!("/api/v1/chats/{chat}/messages");
                let Ok(m) = api.post(&path, &alice, json!({"content": format!("message {i}")})).await else { break };
                messaged.lock().map(|mut l| l.push(m["id"].as_str().unwrap_or_default().to_string())).ok();
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.child.kill()?;
    server.child.wait()?;
    for writer in writers {
        writer.await?;
    }
    let before_crash = reader.await?;
    let (posted, liked, messaged) = (
        posted.lock().map(|p| p.clone()).unwrap_or_default(),
        liked.lock().map(|l| l.clone()).unwrap_or_default(),
        messaged.lock().map(|m| m.clone()).unwrap_or_default(),
    );
    assert!(posted.len() > 20 && !liked.is_empty() && !messaged.is_empty(), "{posted:?} {liked:?} {messaged:?}");

    // The same address and data after the crash.
    let server = start_with(&dir, &[env[0], env[1], ("STARLING_BIND", addr.as_str())])?;
    for id in &posted {
        let status = api.call(Method::GET, &format!("/api/v1/statuses/{id}"), Some(&bob.token), json!(null)).await?;
        assert_eq!(status["id"].as_str(), Some(id.as_str()));
    }
    for id in &liked {
        let status = api.call(Method::GET, &format!("/api/v1/statuses/{id}"), Some(&bob.token), json!(null)).await?;
        assert_eq!(status["favourited"], true, "bob's acknowledged like of {id}");
    }
    let mut stored = Vec::new();
    let mut max_id = String::new();
    loop {
        let page = format!("/api/v1/chats/{chat}/messages?limit=40{max_id}");
        let list = api.call(Method::GET, &page, Some(&bob.token), json!(null)).await?;
        let ids: Vec<String> =
            list.as_array().into_iter().flatten().filter_map(|m| m["id"].as_str().map(String::from)).collect();
        let Some(last) = ids.last() else { break };
        max_id = format!("&max_id={last}");
        stored.extend(ids);
    }
    for id in &messaged {
        assert!(stored.contains(id), "acknowledged chat message {id} is gone");
    }

    // Bob's client resumes from the last event it saw and gets every post, once.
    let last = before_crash.iter().map(|(event_id, _, _)| *event_id).max().unwrap_or(0);
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{stream_url}&last_event_id={last}")).await?;
    let mut after = Vec::new();
    let missing = |after: &[Seen]| {
        let got: std::collections::HashSet<&str> = before_crash
            .iter()
            .chain(after)
            .filter(|(_, event, _)| event == "update")
            .map(|(_, _, id)| id.as_str())
            .collect();
        posted.iter().filter(|id| !got.contains(id.as_str())).count()
    };
    read_stream(&mut ws, &mut after, |seen| missing(seen) == 0).await;
    assert_eq!(missing(&after), 0, "posts never delivered to bob's stream");
    let mut event_ids: Vec<i64> = before_crash.iter().chain(&after).map(|(e, _, _)| *e).filter(|e| *e >= 0).collect();
    let total = event_ids.len();
    event_ids.sort_unstable();
    event_ids.dedup();
    assert_eq!(event_ids.len(), total, "no event delivered twice");
    eprintln!(
        "kill -9: {} posts, {} likes and {} chat messages acknowledged, all found after the restart; \
         {} stream messages before the crash and {} after resuming",
        posted.len(),
        liked.len(),
        messaged.len(),
        before_crash.len(),
        after.len()
    );

    let (exit, log) = terminate(server)?;
    assert!(exit.success());
    // The streams were opened with the token in the query, as Mastodon clients do: the log names
    // the requests, and never the token.
    assert!(log.iter().any(|l| l.contains("/api/v1/streaming")), "the requests are logged");
    assert!(!log.iter().any(|l| l.contains(&bob.token) || l.contains("access_token")), "a token was logged");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// `starling admin` with the settings in `env`: its exit code, what it printed and what it logged.
fn admin(env: &[(&str, &str)], args: &[&str]) -> Result<(i32, String, String), Box<dyn std::error::Error>> {
    let out = Command::new(env!("CARGO_BIN_EXE_starling"))
        .arg("admin")
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()?;
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    Ok((out.status.code().unwrap_or(-1), stdout.trim_end().to_string(), stderr.to_string()))
}

/// An operator reads the reports and suspends an account from the command line while the server
/// runs: the account's open stream is closed at once and its token refused; lifting the
/// suspension lets it sign in.
#[tokio::test]
async fn an_operator_suspends_an_account_from_the_command_line_and_its_stream_closes() -> TestResult {
    use futures_util::StreamExt;
    use reqwest::Method;
    use serde_json::json;
    let dir = fresh_dir("suspend");
    let data = dir.to_string_lossy().to_string();
    let env = [("STARLING_DATA_DIR", data.as_str()), ("STARLING_INSECURE_PASSWORD_HASHING", "true")];
    let server = start_with(&dir, &env)?;
    let api = Api { base: format!("http://{}", server.addr), http: reqwest::Client::new() };
    let mallory = api.sign_up("mallory").await?;
    let stream_url = format!("ws://{}/api/v1/streaming?stream=user&access_token={}", server.addr, mallory.token);
    let (mut ws, _) = tokio_tungstenite::connect_async(stream_url.as_str()).await?;

    // A report reaches the operators on the command line.
    let alice = api.sign_up("alice").await?;
    api.post("/api/v1/reports", &alice, json!({"account_id": mallory.id, "comment": "rude", "category": "other"}))
        .await?;
    let (code, said, logged) = admin(&env, &["reports"])?;
    assert_eq!(code, 0, "{logged}");
    assert!(said.contains("@alice reported @mallory (other): rude [statuses: ]"), "{said}");

    let (code, said, logged) = admin(&env, &["suspend", "mallory"])?;
    assert_eq!((code, said.as_str()), (0, "mallory suspended"), "{logged}");
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(message)) = ws.next().await {
            if let tokio_tungstenite::tungstenite::Message::Close(frame) = message {
                return frame.map(|f| f.reason.to_string());
            }
        }
        None
    })
    .await?;
    assert_eq!(closed.as_deref(), Some("the access token was revoked"));
    let refused = api.call(Method::GET, "/api/v1/accounts/verify_credentials", Some(&mallory.token), json!(null)).await;
    assert!(refused.is_err_and(|e| e.to_string().contains("401")));

    let (code, said, logged) = admin(&env, &["unsuspend", "mallory"])?;
    assert_eq!((code, said.as_str()), (0, "mallory is no longer suspended"), "{logged}");
    let (code, said, logged) = admin(&env, &["role", "alice", "moderator"])?;
    assert_eq!((code, said.as_str()), (0, "alice is now moderator"), "{logged}");
    let (code, _, logged) = admin(&env, &["role", "alice", "king"])?;
    assert!(code != 0 && logged.contains("a role is user, moderator, admin or owner"), "{logged}");
    // An operator creates an admin, then resets its password: the old one and its sessions go.
    let (code, said, logged) = admin(&env, &["create-user", "root_admin", "root@example.org", "--role", "admin"])?;
    assert_eq!(code, 0, "{logged}");
    let password = said.rsplit(' ').next().unwrap_or_default().to_string();
    assert!(said.starts_with("created root_admin (admin) with the password ") && password.len() == 32, "{said}");
    let sign_in = |password: String| {
        let api = &api;
        async move {
            let app = api
                .call(
                    Method::POST,
                    "/api/v1/apps",
                    None,
                    json!({"client_name": "ops", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read"}),
                )
                .await?;
            api.call(
                Method::POST,
                "/oauth/token",
                None,
                json!({"grant_type": "password", "username": "root_admin", "password": password,
                       "client_id": app["client_id"], "client_secret": app["client_secret"]}),
            )
            .await
        }
    };
    let session = sign_in(password.clone()).await?;
    let session = session["access_token"].as_str().unwrap_or_default().to_string();
    let (code, said, logged) = admin(&env, &["reset-password", "root_admin"])?;
    assert_eq!(code, 0, "{logged}");
    assert!(said.ends_with("; 1 sessions were signed out"), "{said}");
    let new_password = said.split(' ').nth(4).unwrap_or_default().trim_end_matches(';').to_string();
    assert!(sign_in(password).await.is_err(), "the old password is gone");
    assert!(sign_in(new_password).await.is_ok(), "the new one signs in");
    let old = api.call(Method::GET, "/api/v1/accounts/verify_credentials", Some(&session), json!(null)).await;
    assert!(old.is_err(), "the old session is signed out");

    // Limits short of a suspension, and the deletion of an account with what it made.
    for (args, expected) in [
        (["silence", "mallory"], "mallory silenced"),
        (["unsilence", "mallory"], "mallory is no longer silenced"),
        (["disable", "mallory"], "mallory disabled"),
        (["enable", "mallory"], "mallory is no longer disabled"),
    ] {
        let (code, said, logged) = admin(&env, &args)?;
        assert_eq!((code, said.as_str()), (0, expected), "{logged}");
    }
    let (code, said, logged) = admin(&env, &["delete", "mallory"])?;
    assert_eq!(code, 0, "{logged}");
    assert!(said.starts_with("mallory deleted with "), "{said}");
    let (code, said, logged) = admin(&env, &["unsuspend", "mallory"])?;
    assert_eq!((code, said.as_str()), (0, "mallory was deleted and stays suspended"), "{logged}");

    let (code, _, logged) = admin(&env, &["suspend", "nobody"])?;
    assert_ne!(code, 0);
    assert!(logged.contains("no account is named \"nobody\""), "{logged}");
    let (exit, _) = terminate(server)?;
    assert!(exit.success());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
