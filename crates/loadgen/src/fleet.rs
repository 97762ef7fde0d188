//! The parent's side of the worker processes: spreads streams over them and gathers what they
//! receive.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Stdio;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

use crate::worker::Job;

/// One update received by one stream: the status id and the wall-clock time of receipt.
pub struct Receipt {
    pub status_id: String,
    pub at_unix_nanos: u128,
}

pub struct Fleet {
    workers: Vec<(Child, ChildStdin)>,
    pub connected: usize,
    pub failed: usize,
    pub receipts: mpsc::UnboundedReceiver<Receipt>,
}

impl Fleet {
    /// Opens one `user` stream per token, spread over `procs` processes and `sources` loopback
    /// addresses, and returns once every stream is open or has failed.
    pub async fn open(base: &str, tokens: &[String], procs: usize, sources: u8) -> anyhow::Result<Fleet> {
        let server: SocketAddr = base
            .trim_start_matches("http://")
            .parse()
            .with_context(|| format!("streams need a server at an IP address and port, not {base}"))?;
        let sources: Vec<IpAddr> = (1..=sources.max(1)).map(|n| IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))).collect();
        let url = format!("{}/api/v1/streaming?stream=user", base.replacen("http", "ws", 1));
        let exe = std::env::current_exe()?;
        let (tx, receipts) = mpsc::unbounded_channel();
        let procs = procs.clamp(1, tokens.len().max(1));
        let per = tokens.len().div_ceil(procs);
        let mut workers = Vec::new();
        let mut readies = Vec::new();
        for chunk in tokens.chunks(per.max(1)) {
            let mut child = Command::new(&exe)
                .arg("worker")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .kill_on_drop(true)
                .spawn()?;
            let mut stdin = child.stdin.take().context("worker stdin")?;
            let stdout = child.stdout.take().context("worker stdout")?;
            let job = Job { server, url: url.clone(), tokens: chunk.to_vec(), sources: sources.clone() };
            stdin.write_all(format!("{}\n", serde_json::to_string(&job)?).as_bytes()).await?;
            stdin.flush().await?;
            let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
            tokio::spawn(read_worker(stdout, ready_tx, tx.clone()));
            readies.push(ready_rx);
            workers.push((child, stdin));
        }
        let (mut connected, mut failed) = (0, 0);
        for ready in readies {
            let (ok, bad) = ready.await.context("a worker died before its streams were open")?;
            connected += ok;
            failed += bad;
        }
        if connected == 0 && !tokens.is_empty() {
            bail!("no stream could be opened");
        }
        Ok(Fleet { workers, connected, failed, receipts })
    }

    /// CPU seconds the worker processes have used so far.
    pub fn cpu_seconds(&self) -> f64 {
        self.workers.iter().filter_map(|(child, _)| crate::server::cpu_seconds(child.id()?)).sum()
    }

    /// Closes every stream and waits for the workers to exit.
    pub async fn close(self) {
        for (mut child, mut stdin) in self.workers {
            let _ = stdin.write_all(b"quit\n").await;
            drop(stdin);
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait()).await;
        }
    }
}

async fn read_worker(
    stdout: tokio::process::ChildStdout,
    ready: tokio::sync::oneshot::Sender<(usize, usize)>,
    tx: mpsc::UnboundedSender<Receipt>,
) {
    let mut lines = BufReader::new(stdout).lines();
    let mut ready = Some(ready);
    while let Ok(Some(line)) = lines.next_line().await {
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("ready"), Some(ok), Some(bad)) => {
                if let Some(ready) = ready.take() {
                    let _ = ready.send((ok.parse().unwrap_or(0), bad.parse().unwrap_or(0)));
                }
            }
            (Some("u"), Some(id), Some(at)) => {
                let receipt = Receipt { status_id: id.to_string(), at_unix_nanos: at.parse().unwrap_or(0) };
                if tx.send(receipt).is_err() {
                    return;
                }
            }
            _ => {}
        }
    }
}
