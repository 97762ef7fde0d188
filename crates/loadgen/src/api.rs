//! The few API calls the scenarios make, as a Mastodon client makes them.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::StreamExt;
use futures_util::stream;
use serde_json::{Value, json};

#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub token: String,
}

#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
}

impl Api {
    pub fn new(base: &str) -> Api {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1024)
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a plain HTTP client builds");
        Api { client, base: base.to_string() }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let response = request.send().await?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{status}: {body}");
        }
        Ok(body)
    }

    /// A token for the client itself (no user), which may sign accounts up.
    pub async fn app_token(&self) -> anyhow::Result<String> {
        let app = self
            .send(self.client.post(format!("{}/api/v1/apps", self.base)).json(&json!({
                "client_name": "starling-loadgen",
                "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                "scopes": "read write follow push",
            })))
            .await
            .context("registering the load generator's app")?;
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", app["client_id"].as_str().unwrap_or_default()),
            ("client_secret", app["client_secret"].as_str().unwrap_or_default()),
            ("scope", "read write follow push"),
        ];
        let token = self.send(self.client.post(format!("{}/oauth/token", self.base)).form(&form)).await?;
        Ok(token["access_token"].as_str().context("no access_token")?.to_string())
    }

    pub async fn sign_up(&self, app_token: &str, username: &str) -> anyhow::Result<User> {
        let token = self
            .send(self.client.post(format!("{}/api/v1/accounts", self.base)).bearer_auth(app_token).json(&json!({
                "username": username,
                "email": format!("{username}@loadgen.invalid"),
                "password": format!("loadgen-{username}-password"),
                "agreement": true,
                "locale": "en",
            })))
            .await
            .with_context(|| format!("signing {username} up"))?;
        let token = token["access_token"].as_str().context("no access_token")?.to_string();
        let me = self
            .send(self.client.get(format!("{}/api/v1/accounts/verify_credentials", self.base)).bearer_auth(&token))
            .await?;
        Ok(User { id: me["id"].as_str().context("no id")?.to_string(), token })
    }

    /// Signs up `n` accounts named `<prefix><i>`, `concurrency` at a time, in order.
    pub async fn sign_up_many(&self, prefix: &str, n: usize, concurrency: usize) -> anyhow::Result<Vec<User>> {
        let app_token = self.app_token().await?;
        let results: Vec<anyhow::Result<User>> = stream::iter(0..n)
            .map(|i| {
                let (api, app_token) = (self.clone(), app_token.clone());
                async move { api.sign_up(&app_token, &format!("{prefix}{i}")).await }
            })
            .buffered(concurrency)
            .collect()
            .await;
        results.into_iter().collect()
    }

    pub async fn follow(&self, follower: &User, followee_id: &str) -> anyhow::Result<()> {
        self.send(
            self.client
                .post(format!("{}/api/v1/accounts/{followee_id}/follow", self.base))
                .bearer_auth(&follower.token),
        )
        .await
        .map(drop)
    }

    /// Makes every `(follower index, followee index)` follow, `concurrency` at a time.
    pub async fn follow_all(&self, users: &[User], pairs: &[(usize, usize)], concurrency: usize) -> anyhow::Result<()> {
        let results: Vec<anyhow::Result<()>> = stream::iter(pairs.iter().copied())
            .map(|(from, to)| {
                let (api, from, to) = (self.clone(), users[from].clone(), users[to].id.clone());
                async move { api.follow(&from, &to).await }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        results.into_iter().collect()
    }

    /// Posts a public status; returns its id and how long the request took.
    pub async fn post(&self, author: &User, text: &str) -> anyhow::Result<(String, Duration)> {
        let started = Instant::now();
        let status = self
            .send(
                self.client
                    .post(format!("{}/api/v1/statuses", self.base))
                    .bearer_auth(&author.token)
                    .json(&json!({ "status": text, "visibility": "public" })),
            )
            .await?;
        Ok((status["id"].as_str().context("no id")?.to_string(), started.elapsed()))
    }

    /// Posts a public status as [`post`](Api::post) does, but a server that sheds the request
    /// (503) is no error: `Ok(None)`, with how long it asked the client to wait.
    pub async fn try_post(&self, author: &User, text: &str) -> anyhow::Result<Result<String, Duration>> {
        let response = self
            .client
            .post(format!("{}/api/v1/statuses", self.base))
            .bearer_auth(&author.token)
            .json(&json!({ "status": text, "visibility": "public" }))
            .send()
            .await?;
        let status = response.status();
        if status == reqwest::StatusCode::SERVICE_UNAVAILABLE {
            let wait = response.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse().ok()).unwrap_or(1);
            return Ok(Err(Duration::from_secs(wait)));
        }
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{status}: {body}");
        }
        Ok(Ok(body["id"].as_str().context("no id")?.to_string()))
    }

    /// GETs `path` as `user`, reading the whole body; returns how long it took.
    pub async fn get(&self, user: &User, path: &str) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let response = self.client.get(format!("{}{path}", self.base)).bearer_auth(&user.token).send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        if !status.is_success() {
            bail!("{status}: {}", String::from_utf8_lossy(&body));
        }
        Ok(started.elapsed())
    }
}

/// A short random tag, so that runs against one server do not collide on usernames.
pub fn run_tag() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..6).map(|_| char::from(b'a' + rng.random_range(0..26u8))).collect()
}
