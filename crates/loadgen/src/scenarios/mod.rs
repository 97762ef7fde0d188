//! One module per scenario; each sets its world up through the API, measures, and returns a
//! report.

pub mod burst;
pub mod connections;
pub mod fanout;
pub mod reads;
pub mod writes;

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use tokio::sync::Mutex;

/// What one request of a closed-loop client did.
pub struct Outcome {
    /// Which of the scenario's request kinds it was (an index into `Samples::latencies`).
    pub kind: usize,
    pub took: Duration,
    /// Home timeline entries the request wrote (writes only).
    pub inserts: u64,
}

/// What [`closed_loop`] gathered.
pub struct Samples {
    /// Per request kind, the latency of each request that succeeded.
    pub latencies: Vec<Vec<Duration>>,
    pub inserts: u64,
    pub errors: u64,
    pub wall_seconds: f64,
}

/// Runs `concurrency` clients, each sending its next request as soon as the previous one was
/// answered, until `duration` has passed. `request(client, n)` makes client's `n`th request.
pub async fn closed_loop<F, Fut>(
    concurrency: usize,
    duration: Duration,
    kinds: usize,
    request: F,
) -> anyhow::Result<Samples>
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<Outcome>> + Send,
{
    let request = Arc::new(request);
    let started = Instant::now();
    let deadline = started + duration;
    let samples =
        Arc::new(Mutex::new(Samples { latencies: vec![Vec::new(); kinds], inserts: 0, errors: 0, wall_seconds: 0.0 }));
    let mut tasks = Vec::new();
    for client in 0..concurrency.max(1) {
        let (request, samples) = (request.clone(), samples.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                let result = request(client, n).await;
                let mut samples = samples.lock().await;
                match result {
                    Ok(outcome) => {
                        samples.latencies[outcome.kind].push(outcome.took);
                        samples.inserts += outcome.inserts;
                    }
                    Err(e) => {
                        if samples.errors == 0 {
                            eprintln!("a request failed: {e:#}");
                        }
                        samples.errors += 1;
                    }
                }
                n += 1;
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let mut samples = Arc::try_unwrap(samples).map_err(|_| anyhow::anyhow!("a client is still running"))?.into_inner();
    samples.wall_seconds = started.elapsed().as_secs_f64();
    Ok(samples)
}

/// Picks `follows` distinct accounts for each of `n` accounts to follow, with popularity
/// following Zipf's law (exponent 1): account `k` is chosen with weight `1 / (k + 1)`, so a few
/// accounts gather most followers, as on real networks. Returns `(follower, followee)` pairs.
pub fn zipf_follows(n: usize, follows: usize, rng: &mut impl Rng) -> Vec<(usize, usize)> {
    let weights: Vec<f64> = (0..n).map(|k| 1.0 / (k as f64 + 1.0)).collect();
    let total: f64 = weights.iter().sum();
    let cumulative: Vec<f64> = weights
        .iter()
        .scan(0.0, |acc, w| {
            *acc += w / total;
            Some(*acc)
        })
        .collect();
    let follows = follows.min(n.saturating_sub(1));
    let mut pairs = Vec::with_capacity(n * follows);
    for follower in 0..n {
        let mut chosen = std::collections::HashSet::new();
        while chosen.len() < follows {
            let x: f64 = rng.random();
            let followee = cumulative.partition_point(|&c| c < x).min(n - 1);
            if followee != follower {
                chosen.insert(followee);
            }
        }
        pairs.extend(chosen.into_iter().map(|followee| (follower, followee)));
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_follows_are_distinct_never_self_and_favour_the_first_accounts() {
        let mut rng = rand::rng();
        let pairs = zipf_follows(200, 10, &mut rng);
        assert_eq!(pairs.len(), 2000);
        assert!(pairs.iter().all(|(a, b)| a != b));
        let unique: std::collections::HashSet<_> = pairs.iter().collect();
        assert_eq!(unique.len(), pairs.len());
        let followers_of = |k: usize| pairs.iter().filter(|(_, b)| *b == k).count();
        assert!(followers_of(0) > followers_of(150) * 5, "the head is far more followed than the tail");
    }
}
