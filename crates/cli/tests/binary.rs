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
    let mut child = Command::new(env!("CARGO_BIN_EXE_starling"))
        .arg("serve")
        .env_clear()
        .env("STARLING_BIND", "127.0.0.1:0")
        .env("STARLING_DATA_DIR", data_dir)
        .env("STARLING_LOG_FORMAT", "json")
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
    let out = Command::new(env!("CARGO_BIN_EXE_starling"))
        .arg("replay")
        .env_clear()
        .env("STARLING_DATA_DIR", data_dir)
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let code = out.status.code().ok_or_else(|| format!("replay died: {}", String::from_utf8_lossy(&out.stderr)))?;
    Ok((code, stdout))
}

/// Runs `sql` on the data directory's database from outside the server, as an operator's
/// `sqlite3` shell or another process would.
async fn execute_sql(data_dir: &std::path::Path, sql: &str) -> Result<(), Box<dyn std::error::Error>> {
    use sqlx::ConnectOptions;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new().filename(data_dir.join("starling.db")).connect().await?;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut conn).await?;
    Ok(())
}

#[tokio::test]
async fn replay_matches_what_a_busy_server_wrote_and_reports_tampering() -> TestResult {
    use serde_json::json;
    let dir = fresh_dir("replay");
    let server = start(&dir)?;
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
    let (code, report) = replay(&dir)?;
    assert_eq!(code, 0, "{report}");
    assert!(report.lines().any(|l| l == "no differences"), "{report}");
    assert!(report.contains("accounts: 3 live, 3 rebuilt"), "{report}");
    // alice and carol: kept; bob: kept, his reply and his reblog. The deleted status went with
    // its reblog, and the direct one is in nobody's home.
    assert!(report.contains("home timelines: 5 live, 5 rebuilt"), "{report}");

    let sql = format!("UPDATE accounts SET followers_count = followers_count + 5 WHERE id = {}", alice.id);
    execute_sql(&dir, &sql).await?;
    let (code, report) = replay(&dir)?;
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("1 difference:"), "{report}");
    let expected = format!("  account {} followers_count: live 7, rebuilt 2", alice.id);
    assert!(report.lines().any(|l| l == expected), "{report}");

    // Put the counter back and lose one home timeline entry instead.
    let sql = format!("UPDATE accounts SET followers_count = followers_count - 5 WHERE id = {}", alice.id);
    execute_sql(&dir, &sql).await?;
    let sql = format!("DELETE FROM home_entries WHERE account_id = {} AND status_id = {kept}", carol.id);
    execute_sql(&dir, &sql).await?;
    let (code, report) = replay(&dir)?;
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
