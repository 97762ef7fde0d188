//! Home timelines and single statuses read as fast as the server answers them.

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
    let own_before = crate::server::own_cpu_seconds();
    let samples = closed_loop(concurrency, Duration::from_secs(duration), 2, {
        let (api, users, ids) = (api.clone(), users.clone(), ids.clone());
        move |client, n| {
            let (api, users, ids) = (api.clone(), users.clone(), ids.clone());
            async move {
                // Every other request of a client reads a home, the others a status.
                let home = (client as u64 + n).is_multiple_of(2);
                let (user, path) = {
                    let mut rng = rand::rng();
                    let user = users[rng.random_range(0..users.len())].clone();
                    let path = if home {
                        "/api/v1/timelines/home?limit=20".to_string()
                    } else {
                        format!("/api/v1/statuses/{}", ids[rng.random_range(0..ids.len())])
                    };
                    (user, path)
                };
                let took = api.get(&user, &path).await?;
                Ok(Outcome { kind: usize::from(!home), took, inserts: 0 })
            }
        }
    })
    .await?;
    let after = target.usage();
    let (homes, statuses, errors, wall) =
        (&samples.latencies[0], &samples.latencies[1], samples.errors, samples.wall_seconds);
    let cpu = after.cpu_seconds - before.cpu_seconds;

    let mut report = Report::new("reads", common.out.clone());
    report.add("accounts", users.len());
    report.add("follows", pairs.len());
    report.add("statuses", ids.len());
    report.add("concurrency", concurrency);
    report.add("home_reads_per_second", round(homes.len() as f64 / wall));
    report.add("home_read", Latencies::of(homes));
    report.add("status_reads_per_second", round(statuses.len() as f64 / wall));
    report.add("status_read", Latencies::of(statuses));
    report.add("errors", errors);
    report.add("wall_seconds", round(wall));
    report.add("server_cpu_seconds", round(cpu));
    report.add("server_cpu_percent", round(cpu / wall * 100.0));
    // The load generator shares the cores: together the two show how busy the machine was.
    report.add("loadgen_cpu_percent", round((crate::server::own_cpu_seconds() - own_before) / wall * 100.0));
    target.stop().await?;
    Ok(report)
}
