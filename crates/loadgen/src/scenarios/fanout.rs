//! One author, F followers streaming: how long from the post request to each follower's receipt,
//! and how many deliveries the server makes per CPU-second.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::Common;
use crate::api::{Api, run_tag};
use crate::fleet::Fleet;
use crate::report::{Latencies, Report, round};
use crate::server::Target;

pub async fn run(common: &Common, followers: usize, rate: f64, posts: usize) -> anyhow::Result<Report> {
    let target = Target::start(common).await?;
    let api = Api::new(&target.base);
    let tag = run_tag();
    let author = api.sign_up_many(&format!("a{tag}_"), 1, 1).await?.remove(0);
    let fans = api.sign_up_many(&format!("f{tag}_"), followers, 16).await?;
    let mut everyone = fans.clone();
    everyone.push(author.clone());
    let pairs: Vec<(usize, usize)> = (0..fans.len()).map(|i| (i, fans.len())).collect();
    api.follow_all(&everyone, &pairs, 32).await?;
    let tokens: Vec<String> = fans.iter().map(|f| f.token.clone()).collect();
    let mut fleet = Fleet::open(&target.base, &tokens, common.procs, common.sources).await?;

    let before = target.usage();
    let clients_before = fleet.cpu_seconds();
    let mut sent: HashMap<String, u128> = HashMap::with_capacity(posts);
    let mut request_latencies = Vec::with_capacity(posts);
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let started = Instant::now();
    let mut posting = Vec::new();
    for i in 0..posts {
        let due = started + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        let (api, author) = (api.clone(), author.clone());
        posting.push(tokio::spawn(async move {
            let at = now_nanos();
            api.post(&author, &format!("fan-out {i}")).await.map(|(id, took)| (id, at, took))
        }));
    }
    for task in posting {
        let (id, at, took) = task.await??;
        sent.insert(id, at);
        request_latencies.push(took);
    }
    // Wait until every follower has every post, or nothing arrived for five seconds.
    let expected = fleet.connected * posts;
    let mut delivery_ms = Vec::with_capacity(expected);
    let mut last_follower_ms: HashMap<&str, f64> = HashMap::with_capacity(posts);
    let mut last_receipt = Instant::now();
    while delivery_ms.len() < expected {
        match tokio::time::timeout(Duration::from_secs(5), fleet.receipts.recv()).await {
            Ok(Some(receipt)) => {
                if let Some((id, at)) = sent.get_key_value(&receipt.status_id) {
                    let ms = receipt.at_unix_nanos.saturating_sub(*at) as f64 / 1e6;
                    delivery_ms.push(ms);
                    let last = last_follower_ms.entry(id.as_str()).or_insert(0.0);
                    *last = last.max(ms);
                    last_receipt = Instant::now();
                }
            }
            Ok(None) | Err(_) => break,
        }
    }
    let wall = last_receipt.duration_since(started).as_secs_f64();
    let after = target.usage();
    let cpu = after.cpu_seconds - before.cpu_seconds;
    let clients_cpu = fleet.cpu_seconds() - clients_before;

    // The latency of a post is that of its last follower: when everyone has it.
    let mut report = Report::new("fanout", common.out.clone());
    report.add("followers_streaming", fleet.connected);
    report.add("posts", posts);
    report.add("rate_per_second", rate);
    report.add("deliveries", delivery_ms.len());
    report.add("deliveries_missing", expected - delivery_ms.len());
    report.add("post_to_receipt", Latencies::of_millis(delivery_ms.clone()));
    report.add("post_to_last_follower", Latencies::of_millis(last_follower_ms.values().copied().collect()));
    report.add("post_request", Latencies::of(&request_latencies));
    report.add("wall_seconds", round(wall));
    report.add("server_cpu_seconds", round(cpu));
    report.add("deliveries_per_server_cpu_second", round(delivery_ms.len() as f64 / cpu.max(1e-9)));
    // The followers' side shares the cores: what receiving the deliveries cost them.
    report.add("stream_clients_cpu_seconds", round(clients_cpu));
    fleet.close().await;
    target.stop().await?;
    Ok(report)
}

fn now_nanos() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}
