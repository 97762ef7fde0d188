//! One module per scenario; each sets its world up through the API, measures, and returns a
//! report.

pub mod connections;
pub mod fanout;
pub mod reads;
pub mod writes;

use rand::Rng;

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
