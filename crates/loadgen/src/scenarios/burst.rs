//! A burst of posts sent by far more clients than the server serves at once: it sheds the
//! excess with 503 and `Retry-After` (the clients wait and send again, as well-behaved ones
//! do), its memory stays bounded while the burst lasts, and every post is drained to the
//! stream of a reader who follows every author.
//!
//! Reported: posts accepted per second, requests shed, the server's resident memory before,
//! at its peak (sampled every 100 ms) and after, and how long the stream took to receive the
//! last post after the last one was accepted.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::Common;
use crate::api::{Api, run_tag};
use crate::fleet::Fleet;
use crate::report::{Report, round};
use crate::server::{Target, rss_bytes};

const MB: f64 = 1024.0 * 1024.0;

pub async fn run(common: &Common, authors: usize, posts: usize, concurrency: usize) -> anyhow::Result<Report> {
    let target = Target::start(common).await?;
    let api = Api::new(&target.base);
    let tag = run_tag();
    let mut everyone = api.sign_up_many(&format!("b{tag}_"), authors.max(1), 16).await?;
    let reader = api.sign_up_many(&format!("r{tag}_"), 1, 1).await?.remove(0);
    everyone.push(reader.clone());
    let pairs: Vec<(usize, usize)> = (0..authors.max(1)).map(|author| (everyone.len() - 1, author)).collect();
    api.follow_all(&everyone, &pairs, 32).await?;
    everyone.pop();
    let mut fleet = Fleet::open(&target.base, std::slice::from_ref(&reader.token), 1, 1).await?;
    anyhow::ensure!(fleet.connected == 1, "the reader's stream did not open");

    // Peak memory, sampled while the burst lasts.
    let pid = target.pid();
    let before = target.usage();
    let peak = Arc::new(AtomicU64::new(before.rss_bytes));
    let sampling = Arc::new(AtomicUsize::new(1));
    let sampler = tokio::spawn({
        let (peak, sampling) = (peak.clone(), sampling.clone());
        async move {
            while sampling.load(Ordering::Relaxed) == 1 {
                if let Some(rss) = pid.and_then(rss_bytes) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });

    let next = Arc::new(AtomicUsize::new(0));
    let (shed, errors) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let authors = Arc::new(everyone);
    let started = Instant::now();
    let mut clients = Vec::with_capacity(concurrency);
    for _ in 0..concurrency.max(1) {
        let (api, authors, next, shed, errors) =
            (api.clone(), authors.clone(), next.clone(), shed.clone(), errors.clone());
        clients.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= posts {
                    return;
                }
                let author = &authors[i % authors.len()];
                loop {
                    match api.try_post(author, &format!("burst {i}")).await {
                        Ok(Ok(_)) => break,
                        Ok(Err(wait)) => {
                            shed.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(wait).await;
                        }
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                    }
                }
            }
        }));
    }
    for client in clients {
        client.await?;
    }
    let accepted_after = started.elapsed().as_secs_f64();
    let accepted = posts as u64 - errors.load(Ordering::Relaxed);

    // Drained: the reader's stream has every accepted post (or nothing came for ten seconds).
    let mut received = 0u64;
    let mut last_receipt = Instant::now();
    while received < accepted {
        match tokio::time::timeout(Duration::from_secs(10), fleet.receipts.recv()).await {
            Ok(Some(_)) => {
                received += 1;
                last_receipt = Instant::now();
            }
            Ok(None) | Err(_) => break,
        }
    }
    let drained_after = last_receipt.duration_since(started).as_secs_f64();
    sampling.store(0, Ordering::Relaxed);
    sampler.await?;
    let after = target.usage();

    let mut report = Report::new("burst", common.out.clone());
    report.add("posts", posts);
    report.add("concurrency", concurrency);
    report.add("accepted", accepted);
    report.add("errors", errors.load(Ordering::Relaxed));
    report.add("shed_503", shed.load(Ordering::Relaxed));
    report.add("accepted_per_second", round(accepted as f64 / accepted_after));
    report.add("seconds_to_accept_all", round(accepted_after));
    report.add("delivered_to_stream", received);
    report.add("seconds_to_drain_after_last_accept", round((drained_after - accepted_after).max(0.0)));
    report.add("rss_before_mb", round(before.rss_bytes as f64 / MB));
    report.add("rss_peak_mb", round(peak.load(Ordering::Relaxed) as f64 / MB));
    report.add("rss_after_mb", round(after.rss_bytes as f64 / MB));
    report.add("server_cpu_seconds", round(after.cpu_seconds - before.cpu_seconds));
    fleet.close().await;
    target.stop().await?;
    Ok(report)
}
