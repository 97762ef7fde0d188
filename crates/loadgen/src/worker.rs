//! A worker process: holds streaming connections for the parent (`fleet`) and reports each
//! `update` it receives with the wall-clock time of receipt.
//!
//! Protocol, one line each way: the parent writes a [`Job`] as JSON on stdin; the worker answers
//! `ready <connected> <failed>` once every stream is open (or failed), then `u <status id>
//! <unix nanos>` per update received, until the parent writes `quit` or closes stdin.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpSocket;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    /// The server's address, e.g. `127.0.0.1:8080`.
    pub server: SocketAddr,
    /// `ws://host:port/api/v1/streaming?stream=user` (the token is appended).
    pub url: String,
    pub tokens: Vec<String>,
    /// Local addresses to connect from, used in turn.
    pub sources: Vec<IpAddr>,
}

/// Connections opened at once: enough to be quick, few enough not to overrun the accept queue.
const CONNECTING_AT_ONCE: usize = 128;

pub async fn run() -> anyhow::Result<()> {
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let line = stdin.next_line().await?.context("no job on stdin")?;
    let job: Job = serde_json::from_str(&line).context("a malformed job")?;
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let failed = Arc::new(AtomicUsize::new(0));
    let sources = job.sources.clone();
    let opened: Vec<_> = stream::iter(job.tokens.iter().enumerate())
        .map(|(i, token)| {
            let source = sources[i % sources.len()];
            let url = format!("{}&access_token={token}", job.url);
            async move { connect(job.server, source, &url).await }
        })
        .buffer_unordered(CONNECTING_AT_ONCE)
        .collect()
        .await;
    let mut connected = 0;
    for result in opened {
        match result {
            Ok(ws) => {
                connected += 1;
                tokio::spawn(listen(ws, tx.clone()));
            }
            Err(e) => {
                if failed.fetch_add(1, Ordering::Relaxed) == 0 {
                    eprintln!("worker: a stream failed to open: {e:#}");
                }
            }
        }
    }
    drop(tx);
    let mut stdout = tokio::io::stdout();
    stdout.write_all(format!("ready {connected} {}\n", failed.load(Ordering::Relaxed)).as_bytes()).await?;
    stdout.flush().await?;
    // Receipts go out in batches: one write per wake-up, not per line.
    let writer = tokio::spawn(async move {
        let mut out = tokio::io::stdout();
        let mut batch = String::new();
        while let Some(line) = rx.recv().await {
            batch.push_str(&line);
            while let Ok(more) = rx.try_recv() {
                batch.push_str(&more);
            }
            if out.write_all(batch.as_bytes()).await.is_err() || out.flush().await.is_err() {
                return;
            }
            batch.clear();
        }
    });
    while let Some(line) = stdin.next_line().await? {
        if line.trim() == "quit" {
            break;
        }
    }
    writer.abort();
    Ok(())
}

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn connect(server: SocketAddr, source: IpAddr, url: &str) -> anyhow::Result<Ws> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0))?;
    let tcp = socket.connect(server).await?;
    tcp.set_nodelay(true)?;
    // Small buffers: an idle stream should cost the load generator little, too.
    let config =
        WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0).max_write_buffer_size(64 * 1024);
    let (ws, _) = tokio_tungstenite::client_async_with_config(url, tcp, Some(config)).await?;
    Ok(ws)
}

async fn listen(mut ws: Ws, tx: mpsc::UnboundedSender<String>) {
    while let Some(Ok(message)) = ws.next().await {
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message
            && let Some(id) = update_id(&text)
        {
            let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
            if tx.send(format!("u {id} {nanos}\n")).is_err() {
                return;
            }
        }
    }
}

/// The status id of an `update` event, found without parsing the whole frame: the payload is a
/// JSON string whose object starts with the status's `id`.
fn update_id(frame: &str) -> Option<&str> {
    if !frame.contains("\"event\":\"update\"") {
        return None;
    }
    let marker = "\\\"id\\\":\\\"";
    let start = frame.find(marker)? + marker.len();
    let digits = &frame[start..];
    let end = digits.find(|c: char| !c.is_ascii_digit())?;
    (end > 0).then(|| &digits[..end])
}

#[cfg(test)]
mod tests {
    use super::update_id;

    #[test]
    fn finds_the_status_id_of_an_update_and_nothing_else() {
        let update = r#"{"stream":["user"],"event":"update","payload":"{\"id\":\"12345\",\"content\":\"x\"}"}"#;
        assert_eq!(update_id(update), Some("12345"));
        let notification = r#"{"stream":["user"],"event":"notification","payload":"{\"id\":\"9\"}"}"#;
        assert_eq!(update_id(notification), None);
    }
}
