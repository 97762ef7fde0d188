//! Home timelines and single statuses read as fast as the server answers them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{StreamExt, stream};
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
    posts: usize,
    concurrency: usize,
    duration: u64,
) -> anyhow::Result<Report> {
    let target = Target::start(common).await?;
    let api = Api::new(&target.base);
    let users = Arc::new(api.sign_up_many(&format!("r{}_", run_tag()), accounts.max(2), 16).await?);
    let pairs = zipf_follows(users.len(), follows, &mut rand::rng());
    api.follow_all(&users, &pairs, 32).await?;
    let written: Vec<anyhow::Result<(String, Duration)>> = stream::iter(0..posts)
        .map(|i| {
            let (api, users) = (api.clone(), users.clone());
            async move { api.post(&users[i % users.len()], &format!("status {i}")).await }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let ids: Arc<Vec<String>> = Arc::new(written.into_iter().map(|r| r.map(|(id, _)| id)).collect::<Result<_, _>>()?);

    let before = target.usage();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(duration);
    let samples = Arc::new(Mutex::new((Vec::new(), Vec::new(), 0u64)));
    let mut tasks = Vec::new();
    for worker in 0..concurrency.max(1) {
        let (api, users, ids, samples) = (api.clone(), users.clone(), ids.clone(), samples.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                let (user, home) = {
                    let mut rng = rand::rng();
                    (&users[rng.random_range(0..users.len())], (worker as u64 + n).is_multiple_of(2))
                };
                let path = if home {
                    "/api/v1/timelines/home?limit=20".to_string()
                } else {
                    format!("/api/v1/statuses/{}", ids[rand::rng().random_range(0..ids.len())])
                };
                let result = api.get(user, &path).await;
                let mut samples = samples.lock().await;
                match result {
                    Ok(took) if home => samples.0.push(took),
                    Ok(took) => samples.1.push(took),
                    Err(e) => {
                        if samples.2 == 0 {
                            eprintln!("a read failed: {e:#}");
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
    let (homes, statuses, errors) = Arc::try_unwrap(samples).map_err(|_| anyhow::anyhow!("tasks ended"))?.into_inner();
    let cpu = after.cpu_seconds - before.cpu_seconds;

    let mut report = Report::new("reads", common.out.clone());
    report.add("accounts", users.len());
    report.add("follows", pairs.len());
    report.add("statuses", ids.len());
    report.add("concurrency", concurrency);
    report.add("home_reads_per_second", round(homes.len() as f64 / wall));
    report.add("home_read", Latencies::of(&homes));
    report.add("status_reads_per_second", round(statuses.len() as f64 / wall));
    report.add("status_read", Latencies::of(&statuses));
    report.add("errors", errors);
    report.add("wall_seconds", round(wall));
    report.add("server_cpu_seconds", round(cpu));
    report.add("server_cpu_percent", round(cpu / wall * 100.0));
    target.stop().await?;
    Ok(report)
}
