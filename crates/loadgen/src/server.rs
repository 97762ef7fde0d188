//! The server under load: started here on a fresh data directory, or one already running; and
//! what it spends, read from `/proc`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;
use tokio::process::{Child, Command};

use crate::Common;

pub struct Target {
    pub base: String,
    pid: Option<u32>,
    child: Option<Child>,
    dir: Option<PathBuf>,
}

/// One reading of the server process and the kernel's TCP memory.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Usage {
    /// User plus system CPU seconds since the process started.
    pub cpu_seconds: f64,
    pub rss_bytes: u64,
    /// Memory the kernel holds for all TCP sockets (`/proc/net/sockstat`), machine-wide.
    pub tcp_mem_bytes: u64,
}

impl Target {
    pub async fn start(common: &Common) -> anyhow::Result<Target> {
        if let Some(base) = &common.server {
            let base = base.trim_end_matches('/').to_string();
            return Ok(Target { base, pid: common.server_pid, child: None, dir: None });
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = std::env::temp_dir().join(format!("starling-loadgen-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let child = Command::new(&common.starling)
            .arg("serve")
            .env("STARLING_BIND", format!("127.0.0.1:{port}"))
            .env("STARLING_DATA_DIR", &dir)
            .env("STARLING_INSECURE_PASSWORD_HASHING", "true")
            // Thousands of clients from one address: Mastodon's per-IP limits would stop them.
            .env("STARLING_RATE_LIMITS", "false")
            .env("STARLING_LOG", std::env::var("STARLING_LOG").unwrap_or_else(|_| "warn".into()))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!("cannot start {} (build it with `cargo build --release`)", common.starling.display())
            })?;
        let target =
            Target { base: format!("http://127.0.0.1:{port}"), pid: child.id(), child: Some(child), dir: Some(dir) };
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client
                .get(format!("{}/api/v1/instance", target.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(target);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("the server did not answer within 10 s")
    }

    /// The server's process id, when it is known.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// The server's usage now, or zeros when its process is unknown (`--server` without
    /// `--server-pid`).
    pub fn usage(&self) -> Usage {
        let Some(pid) = self.pid else { return Usage::default() };
        Usage {
            cpu_seconds: cpu_seconds(pid).unwrap_or(0.0),
            rss_bytes: rss_bytes(pid).unwrap_or(0),
            tcp_mem_bytes: tcp_mem_bytes(),
        }
    }

    /// Stops a server started here (SIGTERM, as an operator would) and removes its data.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            if let Some(pid) = child.id() {
                let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status().await;
            }
            if tokio::time::timeout(Duration::from_secs(20), child.wait()).await.is_err() {
                child.kill().await?;
            }
        }
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        Ok(())
    }
}

/// CPU seconds this process (the load generator) has used so far.
pub(crate) fn own_cpu_seconds() -> f64 {
    cpu_seconds(std::process::id()).unwrap_or(0.0)
}

/// Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ), 100 on Linux.
const TICKS_PER_SECOND: f64 = 100.0;

pub(crate) fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / TICKS_PER_SECOND)
}

pub(crate) fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

fn tcp_mem_bytes() -> u64 {
    let Ok(sockstat) = std::fs::read_to_string("/proc/net/sockstat") else { return 0 };
    let pages = sockstat
        .lines()
        .find(|l| l.starts_with("TCP:"))
        .and_then(|l| l.split_whitespace().skip_while(|w| *w != "mem").nth(1))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    pages * 4096
}
