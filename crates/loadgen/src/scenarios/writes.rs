//! Many authors posting at once over a follow graph with Zipf follower counts: posts per second,
//! request latency, and the home timeline entries the fan-out writes.
//!
//! Every account reads its home once before the posting starts, as active users would: home
//! timelines kept in a cache (memory, Redis) are only written for homes that exist. After the
//! last post is answered, one more home read shows how far the home timeline worker lagged.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, stream};
use rand::Rng;

use crate::Common;
use crate::api::{Api, run_tag};
use crate::report::{Latencies, Report, round};
use crate::scenarios::{Outcome, closed_loop, zipf_follows};
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
    let warm: Vec<anyhow::Result<Duration>> = stream::iter(users.iter())
        .map(|user| api.get(user, "/api/v1/timelines/home?limit=1"))
        .buffer_unordered(32)
        .collect()
        .await;
    warm.into_iter().collect::<anyhow::Result<Vec<_>>>()?;

    let before = target.usage();
    let own_before = crate::server::own_cpu_seconds();
    let samples = closed_loop(concurrency, Duration::from_secs(duration), 1, {
        let (api, users, followers) = (api.clone(), users.clone(), followers.clone());
        move |client, n| {
            let (api, users, followers) = (api.clone(), users.clone(), followers.clone());
            async move {
                let author = rand::rng().random_range(0..users.len());
                let (_, took) = api.post(&users[author], &format!("post {client}-{n} #loadgen")).await?;
                // The author's own home, and one entry per follower.
                Ok(Outcome { kind: 0, took, inserts: followers[author] + 1 })
            }
        }
    })
    .await?;
    let after = target.usage();
    // The most followed account's home: it holds the newest posts of many authors.
    let busiest = followers.iter().enumerate().max_by_key(|(_, n)| **n).map_or(0, |(i, _)| i);
    let caught_up = api.get(&users[busiest], "/api/v1/timelines/home?limit=20").await?;
    let (latencies, inserts, errors, wall) =
        (&samples.latencies[0], samples.inserts, samples.errors, samples.wall_seconds);
    let cpu = after.cpu_seconds - before.cpu_seconds;

    let mut report = Report::new("writes", common.out.clone());
    report.add("accounts", users.len());
    report.add("follows", pairs.len());
    report.add("max_followers", followers.iter().max().copied().unwrap_or(0));
    report.add("concurrency", concurrency);
    report.add("posts", latencies.len());
    report.add("errors", errors);
    report.add("posts_per_second", round(latencies.len() as f64 / wall));
    report.add("post_request", Latencies::of(latencies));
    report.add("timeline_inserts_per_second", round(inserts as f64 / wall));
    report.add("home_read_after_last_post_ms", round(caught_up.as_secs_f64() * 1000.0));
    report.add("wall_seconds", round(wall));
    report.add("server_cpu_seconds", round(cpu));
    report.add("server_cpu_percent", round(cpu / wall * 100.0));
    // The load generator shares the cores: together the two show how busy the machine was.
    report.add("loadgen_cpu_percent", round((crate::server::own_cpu_seconds() - own_before) / wall * 100.0));
    target.stop().await?;
    Ok(report)
}
