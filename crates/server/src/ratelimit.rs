//! Rate limits as Mastodon sets them (its `rack_attack.rb`): 300 API requests per 5 minutes per
//! access token, and per IP address for requests without one; sign-ups 5 per 30 minutes per IP,
//! sign-ins 25 per 5 minutes per IP, media uploads 30 per 30 minutes per token. Over a limit,
//! the answer is 429; every limited answer carries `X-RateLimit-Limit`, `-Remaining` and
//! `-Reset` (when the window ends, ISO 8601) for the request's main limit.
//!
//! Counters are fixed windows: one count per rule, identity and window. With Redis configured
//! they live there (`INCR` and an expiry, atomically), so that every node counts the same
//! requests; otherwise in this process. When Redis fails, requests pass: a limiter must not
//! take the service down with it.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sha2::{Digest, Sha256};
use starling_core::model::Timestamp;

use crate::error::ApiError;
use crate::state::AppState;

/// One limit: at most `limit` requests per `period` seconds for one identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub name: &'static str,
    pub limit: u64,
    pub period: u64,
}

pub const PER_TOKEN: Rule = Rule { name: "token", limit: 300, period: 300 };
pub const PER_IP: Rule = Rule { name: "ip", limit: 300, period: 300 };
pub const SIGN_UP: Rule = Rule { name: "sign_up", limit: 5, period: 1800 };
pub const SIGN_IN: Rule = Rule { name: "sign_in", limit: 25, period: 300 };
pub const MEDIA: Rule = Rule { name: "media", limit: 30, period: 1800 };

/// How many in-process counters are kept before those of past windows are dropped.
const MEMORY_KEYS: usize = 100_000;
const REDIS_TIMEOUT: Duration = Duration::from_millis(250);

/// The rules `method path` falls under, each with the identity it counts, the request's main
/// limit first. `None` for what is not limited (the web client's files, metrics).
pub fn rules(method: &Method, path: &str, token: Option<&str>, ip: &str) -> Option<Vec<(Rule, String)>> {
    // The live dashboard polls its figures every second; they are public and cheap.
    if !(path.starts_with("/api/") || path.starts_with("/oauth/")) || path == "/api/v1/stats" {
        return None;
    }
    let token = token.map(|t| format!("{:x}", Sha256::digest(t.as_bytes())));
    let mut out = vec![match &token {
        Some(hash) => (PER_TOKEN, hash[..32].to_string()),
        None => (PER_IP, ip.to_string()),
    }];
    if *method == Method::POST {
        match path {
            "/api/v1/accounts" => out.push((SIGN_UP, ip.to_string())),
            // Guessing a password through the password change is signing in by another door.
            "/oauth/token" | "/oauth/authorize" | "/api/v1/user/password_change" => {
                out.push((SIGN_IN, ip.to_string()));
            }
            "/api/v1/media" | "/api/v2/media" => {
                out.push((MEDIA, token.map_or_else(|| ip.to_string(), |t| t[..32].to_string())));
            }
            _ => {}
        }
    }
    Some(out)
}

/// Where the counters are.
pub enum RateLimits {
    Memory(Mutex<MemoryCounts>),
    Redis { client: redis::Client, conn: OnceLock<Result<ConnectionManager, String>>, prefix: String },
}

/// Counters in this process: per key, the count and when its window ends (Unix seconds).
#[derive(Default)]
pub struct MemoryCounts {
    counts: HashMap<String, (u64, u64)>,
    /// When windows that ended were last dropped: at most once a second, so that a map full of
    /// current windows is not scanned on every request.
    swept_at: u64,
}

impl RateLimits {
    pub fn memory() -> RateLimits {
        RateLimits::Memory(Mutex::new(MemoryCounts::default()))
    }

    /// Counters shared through Redis; only a malformed URL is an error.
    pub fn redis(url: &str, prefix: &str) -> redis::RedisResult<RateLimits> {
        Ok(RateLimits::Redis { client: redis::Client::open(url)?, conn: OnceLock::new(), prefix: prefix.to_string() })
    }

    /// Counts one request against `rule` for `identity` in the current window; the count so
    /// far and when the window ends (Unix seconds). `None` when the count could not be taken.
    pub async fn hit(&self, rule: Rule, identity: &str, now_secs: u64) -> Option<(u64, u64)> {
        let window = now_secs / rule.period;
        let ends = (window + 1) * rule.period;
        let key = format!("rl:{}:{identity}:{window}", rule.name);
        match self {
            RateLimits::Memory(memory) => {
                let mut memory = memory.lock().unwrap_or_else(PoisonError::into_inner);
                if memory.counts.len() >= MEMORY_KEYS && memory.swept_at < now_secs {
                    memory.counts.retain(|_, &mut (_, ends)| ends > now_secs);
                    memory.swept_at = now_secs;
                }
                let (count, _) = memory.counts.entry(key).or_insert((0, ends));
                *count += 1;
                Some((*count, ends))
            }
            RateLimits::Redis { client, conn, prefix } => {
                let conn = conn.get_or_init(|| {
                    let config = ConnectionManagerConfig::new()
                        .set_connection_timeout(Some(REDIS_TIMEOUT))
                        .set_response_timeout(Some(REDIS_TIMEOUT))
                        .set_number_of_retries(1);
                    ConnectionManager::new_lazy_with_config(client.clone(), config).map_err(|e| e.to_string())
                });
                let mut conn = conn.as_ref().ok()?.clone();
                let key = format!("{prefix}{key}");
                let counted: redis::RedisResult<(u64,)> = redis::pipe()
                    .atomic()
                    .incr(&key, 1)
                    .cmd("EXPIRE")
                    .arg(&key)
                    .arg(rule.period + 1)
                    .arg("NX")
                    .ignore()
                    .query_async(&mut conn)
                    .await;
                match counted {
                    Ok((count,)) => Some((count, ends)),
                    Err(e) => {
                        tracing::warn!(error = %e, "rate limit counters unavailable; letting the request through");
                        None
                    }
                }
            }
        }
    }
}

/// The client's address: the peer's, unless the peer is a trusted proxy, in which case the
/// nearest address in `X-Forwarded-For` that is not a trusted proxy (read from the right:
/// everything left of it could have been written by the client itself).
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> =
        forwarded_for.unwrap_or("").split(',').filter_map(|hop| hop.trim().parse::<IpAddr>().ok()).collect();
    hops.iter().rev().find(|hop| !trusted.contains(hop)).or(hops.first()).copied().unwrap_or(peer)
}

fn header(value: impl ToString) -> HeaderValue {
    HeaderValue::from_str(&value.to_string()).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// The middleware: counts the request against each rule it falls under, answers 429 when one
/// is exceeded, and tells the client where it stands on its main limit.
pub async fn limit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let Some(limits) = state.rate_limits.as_ref() else { return next.run(req).await };
    let token = crate::auth::bearer_from(req.headers(), req.uri());
    let forwarded_for = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let ip = client_ip(peer.ip(), forwarded_for, &state.settings.trusted_proxies).to_string();
    let Some(rules) = rules(req.method(), req.uri().path(), token.as_deref(), &ip) else {
        return next.run(req).await;
    };
    let now = u64::try_from(Timestamp::now().0 / 1000).unwrap_or(0);
    let mut main = None;
    for (rule, identity) in &rules {
        let Some((count, ends)) = limits.hit(*rule, identity, now).await else { continue };
        if count > rule.limit {
            metrics::counter!("starling_rate_limited_total", "rule" => rule.name).increment(1);
            let mut response = ApiError::TooManyRequests.into_response();
            decorate(&mut response, *rule, count, ends);
            return response;
        }
        main.get_or_insert((*rule, count, ends));
    }
    let mut response = next.run(req).await;
    if let Some((rule, count, ends)) = main {
        decorate(&mut response, rule, count, ends);
    }
    response
}

fn decorate(response: &mut Response, rule: Rule, count: u64, ends: u64) {
    let reset = Timestamp(i64::try_from(ends * 1000).unwrap_or(i64::MAX)).to_rfc3339();
    let h = response.headers_mut();
    h.insert("x-ratelimit-limit", header(rule.limit));
    h.insert("x-ratelimit-remaining", header(rule.limit.saturating_sub(count)));
    h.insert("x-ratelimit-reset", header(reset));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_fall_under_mastodons_rules() {
        let api = rules(&Method::GET, "/api/v1/timelines/home", Some("tok"), "1.2.3.4").unwrap_or_default();
        assert_eq!(api.iter().map(|(r, _)| *r).collect::<Vec<_>>(), vec![PER_TOKEN]);
        let anonymous = rules(&Method::GET, "/api/v1/timelines/public", None, "1.2.3.4").unwrap_or_default();
        assert_eq!(anonymous, vec![(PER_IP, "1.2.3.4".to_string())]);
        let sign_up = rules(&Method::POST, "/api/v1/accounts", Some("app"), "1.2.3.4").unwrap_or_default();
        assert_eq!(sign_up.iter().map(|(r, _)| *r).collect::<Vec<_>>(), vec![PER_TOKEN, SIGN_UP]);
        let sign_in = rules(&Method::POST, "/oauth/token", None, "1.2.3.4").unwrap_or_default();
        assert_eq!(sign_in.iter().map(|(r, _)| *r).collect::<Vec<_>>(), vec![PER_IP, SIGN_IN]);
        let media = rules(&Method::POST, "/api/v2/media", Some("tok"), "1.2.3.4").unwrap_or_default();
        assert_eq!(media.iter().map(|(r, _)| *r).collect::<Vec<_>>(), vec![PER_TOKEN, MEDIA]);
        assert!(rules(&Method::GET, "/web/js/app.js", None, "1.2.3.4").is_none());
        assert!(rules(&Method::GET, "/metrics", None, "1.2.3.4").is_none());
        assert!(rules(&Method::GET, "/api/v1/stats", None, "1.2.3.4").is_none());
        // The token itself is never a key: only a hash of it.
        assert!(!api[0].1.contains("tok"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_nearest_untrusted_hop() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let proxy = ip("10.0.0.1");
        let trusted = [proxy, ip("10.0.0.2")];
        assert_eq!(client_ip(ip("198.51.100.7"), Some("203.0.113.5"), &trusted), ip("198.51.100.7"), "not a proxy");
        assert_eq!(client_ip(proxy, Some("203.0.113.5"), &trusted), ip("203.0.113.5"));
        // A client-written hop on the left does not count; our second proxy's does not either.
        assert_eq!(client_ip(proxy, Some("1.1.1.1, 203.0.113.5, 10.0.0.2"), &trusted), ip("203.0.113.5"));
        assert_eq!(client_ip(proxy, Some("garbage"), &trusted), proxy);
        assert_eq!(client_ip(proxy, None, &trusted), proxy);
    }

    #[tokio::test]
    async fn a_window_counts_and_the_next_starts_afresh() {
        let limits = RateLimits::memory();
        let rule = Rule { name: "t", limit: 2, period: 60 };
        assert_eq!(limits.hit(rule, "a", 120).await, Some((1, 180)));
        assert_eq!(limits.hit(rule, "a", 150).await, Some((2, 180)));
        assert_eq!(limits.hit(rule, "b", 150).await, Some((1, 180)), "per identity");
        assert_eq!(limits.hit(rule, "a", 180).await, Some((1, 240)), "a new window");
    }
}
