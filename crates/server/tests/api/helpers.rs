//! Starting a server per test and speaking to it as a client would.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use starling_server::config::{PasswordCost, Settings};
use starling_server::{AppState, serve, start_node};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    pub dir: PathBuf,
    keep_dir: bool,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if !self.keep_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

pub fn temp_dir() -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!("starling-test-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)))
}

/// A Redis key prefix no other test (nor another run) uses.
/// The Redis server the tests of `what` use; `None`, said loudly, when there is none (and a
/// failure instead when every test is required, as in CI).
pub fn redis_url(what: &str) -> Option<String> {
    match std::env::var("STARLING_TEST_REDIS_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            let message = format!("*** {what} tests SKIPPED: STARLING_TEST_REDIS_URL is not set ***");
            assert!(std::env::var_os("STARLING_REQUIRE_ALL").is_none(), "{message}");
            // Straight to the process's stderr: the test harness would swallow `eprintln!`.
            let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("\n{message}\n").as_bytes());
            None
        }
    }
}

pub fn unique_redis_prefix() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!("starling-test:{}:{}:{:08x}:", std::process::id(), N.fetch_add(1, Ordering::Relaxed), rand::random::<u32>())
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server whose settings `configure` may adjust.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_in(temp_dir(), configure).await
}

/// Starts a server on the data in `dir` (which it removes when dropped).
pub async fn spawn_app_in(dir: PathBuf, configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_at("127.0.0.1:0", dir, configure).await
}

/// Starts a server listening on `addr` (a restart of one that listened there keeps its clients'
/// address) on the data in `dir`.
pub async fn spawn_app_at(addr: &str, dir: PathBuf, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let listener = TcpListener::bind(addr).await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let mut settings = Settings::with_defaults(addr, &dir, vec![7; 32]);
    settings.password_cost = PasswordCost::Insecure;
    // Tests send many requests from one address; the rate limit tests turn limits back on.
    settings.rate_limits = false;
    configure(&mut settings);
    let state = start_node(settings).await.expect("a node starts");
    let (tx, rx) = oneshot::channel();
    let server = tokio::spawn(serve(listener, state.clone(), async {
        let _ = rx.await;
    }));
    TestApp {
        base: format!("http://{addr}"),
        client: Client::new(),
        state,
        shutdown: Some(tx),
        server: Some(server),
        dir,
        keep_dir: false,
    }
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub token: String,
}

pub struct RegisteredApp {
    pub client_id: String,
    pub client_secret: String,
}

impl TestApp {
    /// Stops the server gracefully and waits for it, keeping its data for a restart.
    /// Keeps the data directory when this server is dropped (another server shares it).
    pub fn share_dir(&mut self) -> PathBuf {
        self.keep_dir = true;
        self.dir.clone()
    }

    pub async fn stop(mut self) -> PathBuf {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.keep_dir = true;
        self.dir.clone()
    }

    /// Waits until every event committed so far has been through the pipeline: notifications
    /// stored and live messages queued for their connections.
    pub async fn settle(&self) {
        let last = self.state.store.last_event_seq().await.expect("last event seq");
        tokio::time::timeout(std::time::Duration::from_secs(10), self.state.hub.wait_processed(last))
            .await
            .expect("the pipeline caught up");
    }

    pub fn ws_url(&self, query: &str) -> String {
        format!("{}/api/v1/streaming?{query}", self.base.replacen("http", "ws", 1))
    }

    /// Opens a WebSocket stream with `query` (e.g. `stream=user&access_token=…`) and waits
    /// until the server has registered it, so that nothing written afterwards can miss it.
    pub async fn stream(&self, query: &str) -> WsClient {
        // Events already committed are delivered (or not) before this stream exists.
        self.settle().await;
        let before = self.state.hub.connections();
        let (socket, _) = tokio_tungstenite::connect_async(self.ws_url(query)).await.expect("websocket connects");
        tokio::time::timeout(std::time::Duration::from_secs(10), self.state.hub.wait_connections(|n| *n > before))
            .await
            .expect("the stream registered");
        WsClient { socket }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request sent")
    }

    /// Sends a request and returns status and JSON body (`Null` when the body is not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let resp = self.request(method, path, token, body).await;
        let status = resp.status();
        let body = resp.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn register_app(&self, scopes: &str) -> RegisteredApp {
        let (status, app) = self
            .post(
                "/api/v1/apps",
                None,
                json!({"client_name": "tests", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": scopes}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{app}");
        RegisteredApp {
            client_id: app["client_id"].as_str().expect("client_id").to_string(),
            client_secret: app["client_secret"].as_str().expect("client_secret").to_string(),
        }
    }

    pub async fn app_token(&self, app: &RegisteredApp, scopes: &str) -> String {
        let (status, token) = self
            .post(
                "/oauth/token",
                None,
                json!({"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": app.client_secret, "scope": scopes}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{token}");
        token["access_token"].as_str().expect("access_token").to_string()
    }

    /// A token for `username` (signed up by [`TestApp::sign_up`]) from `app` by the password
    /// grant, with `scopes`.
    pub async fn password_token(&self, app: &RegisteredApp, username: &str, scopes: &str) -> String {
        let (status, token) = self
            .post(
                "/oauth/token",
                None,
                json!({"grant_type": "password", "username": username, "password": format!("password-{username}"),
                       "client_id": app.client_id, "client_secret": app.client_secret, "scope": scopes}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{token}");
        token["access_token"].as_str().expect("access_token").to_string()
    }

    /// Signs up `username` (password `password-<username>`) through the API.
    pub async fn sign_up(&self, username: &str) -> User {
        let app = self.register_app("read write follow").await;
        let app_token = self.app_token(&app, "read write follow").await;
        let (status, token) = self
            .post(
                "/api/v1/accounts",
                Some(&app_token),
                json!({"username": username, "email": format!("{username}@example.org"), "password": format!("password-{username}"), "agreement": true, "locale": "en"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{token}");
        let token = token["access_token"].as_str().expect("access_token").to_string();
        let (status, me) = self.get("/api/v1/accounts/verify_credentials", Some(&token)).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        User { id: me["id"].as_str().expect("id").to_string(), token }
    }

    pub async fn post_status(&self, user: &User, body: Value) -> Value {
        let (status, created) = self.post("/api/v1/statuses", Some(&user.token), body).await;
        assert_eq!(status, StatusCode::OK, "{created}");
        created
    }

    pub async fn say(&self, user: &User, text: &str) -> String {
        self.post_status(user, json!({ "status": text })).await["id"].as_str().expect("status id").to_string()
    }

    pub async fn follow(&self, follower: &User, followee: &User) {
        let (status, rel) =
            self.post(&format!("/api/v1/accounts/{}/follow", followee.id), Some(&follower.token), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{rel}");
        assert_eq!(rel["following"], true);
    }

    pub async fn account(&self, user: &User) -> Value {
        let (status, account) = self.get(&format!("/api/v1/accounts/{}", user.id), None).await;
        assert_eq!(status, StatusCode::OK, "{account}");
        account
    }
}

/// The ids on `user`'s home timeline, with `query` (`?max_id=…`) appended.
pub async fn home(app: &TestApp, user: &User, query: &str) -> Vec<String> {
    let (status, list) = app.get(&format!("/api/v1/timelines/home{query}"), Some(&user.token)).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{list}");
    ids(&list)
}

/// The ids in a JSON list of statuses or accounts.
pub fn ids(list: &Value) -> Vec<String> {
    list.as_array().map(|a| a.iter().filter_map(|v| v["id"].as_str().map(String::from)).collect()).unwrap_or_default()
}

pub struct WsClient {
    pub socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
}

/// One message from a stream.
#[derive(Debug, Clone)]
pub struct StreamMessage {
    pub stream: Vec<String>,
    pub event: String,
    pub payload: String,
    pub event_id: i64,
}

impl StreamMessage {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.payload).unwrap_or(Value::Null)
    }
}

impl WsClient {
    /// The next message, skipping pings; panics after 10 s without one.
    pub async fn next(&mut self) -> StreamMessage {
        use futures_util::StreamExt;
        loop {
            let msg = tokio::time::timeout(std::time::Duration::from_secs(10), self.socket.next())
                .await
                .expect("a stream message within 10 s")
                .expect("the stream is open")
                .expect("a valid frame");
            if let tokio_tungstenite::tungstenite::Message::Text(text) = msg {
                let v: Value = serde_json::from_str(text.as_str()).expect("JSON message");
                return StreamMessage {
                    stream: serde_json::from_value(v["stream"].clone()).unwrap_or_default(),
                    event: v["event"].as_str().unwrap_or_default().to_string(),
                    payload: v["payload"].as_str().unwrap_or_default().to_string(),
                    event_id: v["event_id"].as_str().and_then(|s| s.parse().ok()).unwrap_or(-1),
                };
            }
        }
    }

    /// Reads until the server closes the stream (within 5 s, else `Err`): the close frame's
    /// reason, or `None` when the connection ended without one.
    pub async fn close_reason(&mut self) -> Result<Option<String>, tokio::time::error::Elapsed> {
        use futures_util::StreamExt;
        tokio::time::timeout(std::time::Duration::from_secs(5), async {
            while let Some(Ok(message)) = self.socket.next().await {
                if let tokio_tungstenite::tungstenite::Message::Close(frame) = message {
                    return frame.map(|f| f.reason.to_string());
                }
            }
            None
        })
        .await
    }

    /// Reads for half a second and panics if any message of `events` arrives (pings and other
    /// events are skipped): for what must not reach this connection.
    pub async fn expect_nothing_of(&mut self, events: &[&str]) {
        use futures_util::StreamExt;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(500);
        while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(deadline, self.socket.next()).await {
            if let tokio_tungstenite::tungstenite::Message::Text(text) = msg {
                let v: Value = serde_json::from_str(text.as_str()).expect("JSON message");
                let event = v["event"].as_str().unwrap_or_default();
                assert!(!events.contains(&event), "unexpected {event}: {v}");
            }
        }
    }

    /// The next message whose event is one of `events`, skipping any other (such as the
    /// presence signals a chat's participants cause by connecting).
    pub async fn next_of(&mut self, events: &[&str]) -> StreamMessage {
        loop {
            let msg = self.next().await;
            if events.contains(&msg.event.as_str()) {
                return msg;
            }
        }
    }

    pub async fn send_json(&mut self, v: Value) {
        use futures_util::SinkExt;
        self.socket
            .send(tokio_tungstenite::tungstenite::Message::Text(v.to_string().into()))
            .await
            .expect("send on the stream");
    }
}
