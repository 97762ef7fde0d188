//! Many authors posting at once over a follow graph with Zipf follower counts: posts per second,
//! request latency, and the home timeline entries the fan-out writes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use tokio::sync::Mutex;

use crate::Common;
use crate::api::{Api, run_tag};
use crate::report::{Latencies, Report, round};
use crate::scenarios::zipf_follows;
use crate::server::Target;

pub async fn run(
    common: &Common,
    accounts: usize,
    follows: usize,
    concurrency: usize,
    duration: u64,
) -> anyhow::Result<Report> {
    let target = Target::start(common).await?;
    let api = Api::new(&target.base);
    let users = api.sign_up_many(&format!("w{}_", run_tag()), accounts.max(2), 16).await?;
    let pairs = zipf_follows(users.len(), follows, &mut rand::rng());
    api.follow_all(&users, &pairs, 32).await?;
    let mut followers = vec![0u64; users.len()];
    for &(_, followee) in &pairs {
        followers[followee] += 1;
    }
    let (users, followers) = (Arc::new(users), Arc::new(followers));

    let before = target.usage();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(duration);
    let samples = Arc::new(Mutex::new((Vec::new(), 0u64, 0u64)));
    let mut tasks = Vec::new();
    for worker in 0..concurrency.max(1) {
        let (api, users, followers, samples) = (api.clone(), users.clone(), followers.clone(), samples.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                let author = rand::rng().random_range(0..users.len());
                let result = api.post(&users[author], &format!("post {worker}-{n} #loadgen")).await;
                let mut samples = samples.lock().await;
                match result {
                    Ok((_, took)) => {
                        samples.0.push(took);
                        // The author's own home, and one entry per follower.
                        samples.1 += followers[author] + 1;
                    }
                    Err(e) => {
                        if samples.2 == 0 {
                            eprintln!("a post failed: {e:#}");
                        }
                        samples.2 += 1;
                    }
                }
                n += 1;
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let wall = started.elapsed().as_secs_f64();
    let after = target.usage();
    let (latencies, inserts, errors) =
        Arc::try_unwrap(samples).map_err(|_| anyhow::anyhow!("tasks ended"))?.into_inner();
    let cpu = after.cpu_seconds - before.cpu_seconds;

    let mut report = Report::new("writes", common.out.clone());
    report.add("accounts", users.len());
    report.add("follows", pairs.len());
    report.add("max_followers", followers.iter().max().copied().unwrap_or(0));
    report.add("concurrency", concurrency);
    report.add("posts", latencies.len());
    report.add("errors", errors);
    report.add("posts_per_second", round(latencies.len() as f64 / wall));
    report.add("post_request", Latencies::of(&latencies));
    report.add("timeline_inserts_per_second", round(inserts as f64 / wall));
    report.add("wall_seconds", round(wall));
    report.add("server_cpu_seconds", round(cpu));
    report.add("server_cpu_percent", round(cpu / wall * 100.0));
    target.stop().await?;
    Ok(report)
}
