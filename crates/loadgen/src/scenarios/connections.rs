//! Open and hold N idle streams: what each costs the server in memory, and what holding them
//! (heartbeats only) costs in CPU.

use std::time::Duration;

use crate::Common;
use crate::api::{Api, run_tag};
use crate::fleet::Fleet;
use crate::report::{Report, round};
use crate::server::Target;

pub async fn run(common: &Common, streams: usize, accounts: usize, hold: u64) -> anyhow::Result<Report> {
    let target = Target::start(common).await?;
    let api = Api::new(&target.base);
    let users = api.sign_up_many(&format!("c{}_", run_tag()), accounts.max(1), 16).await?;
    let tokens: Vec<String> = (0..streams).map(|i| users[i % users.len()].token.clone()).collect();
    // Let sign-up's allocations settle before the baseline.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = target.usage();
    let opening = std::time::Instant::now();
    let fleet = Fleet::open(&target.base, &tokens, common.procs, common.sources).await?;
    let open_secs = opening.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let open = target.usage();
    tokio::time::sleep(Duration::from_secs(hold)).await;
    let held = target.usage();
    let connected = fleet.connected.max(1) as f64;

    let mut report = Report::new("connections", common.out.clone());
    report.add("streams_open", fleet.connected);
    report.add("streams_failed", fleet.failed);
    report.add("open_seconds", round(open_secs));
    report.add("server_rss_baseline_mib", round(before.rss_bytes as f64 / 1048576.0));
    report.add("server_rss_open_mib", round(open.rss_bytes as f64 / 1048576.0));
    report.add(
        "server_rss_per_stream_kib",
        round((open.rss_bytes as f64 - before.rss_bytes as f64) / connected / 1024.0),
    );
    // Both ends of each loopback connection are counted: the server's and the generator's.
    report.add(
        "kernel_tcp_mem_per_stream_kib",
        round((open.tcp_mem_bytes as f64 - before.tcp_mem_bytes as f64) / connected / 1024.0),
    );
    report.add(
        "server_cpu_while_idle_percent",
        round((held.cpu_seconds - open.cpu_seconds) / hold.max(1) as f64 * 100.0),
    );
    report.add("hold_seconds", hold);
    fleet.close().await;
    target.stop().await?;
    Ok(report)
}
