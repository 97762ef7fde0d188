//! Results: a summary for people and JSON for tools.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value, json};

pub struct Report {
    pub scenario: &'static str,
    pub out: Option<PathBuf>,
    /// Figures in the order they were added.
    pub figures: Map<String, Value>,
}

impl Report {
    pub fn new(scenario: &'static str, out: Option<PathBuf>) -> Report {
        Report { scenario, out, figures: Map::new() }
    }

    pub fn add(&mut self, name: &str, value: impl Serialize) {
        self.figures.insert(name.to_string(), serde_json::to_value(value).unwrap_or(Value::Null));
    }
}

/// Prints the summary and writes the JSON file, if one was asked for.
pub fn emit(report: &Report) -> anyhow::Result<()> {
    println!("== {}", report.scenario);
    for (name, value) in &report.figures {
        println!("{name:>32}: {value}");
    }
    if let Some(path) = &report.out {
        let document = json!({ "scenario": report.scenario, "figures": report.figures });
        std::fs::write(path, serde_json::to_string_pretty(&document)? + "\n")?;
    }
    Ok(())
}

/// Percentiles of a set of latencies, in milliseconds.
#[derive(Debug, Serialize)]
pub struct Latencies {
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latencies {
    pub fn of_millis(mut samples: Vec<f64>) -> Latencies {
        samples.sort_by(f64::total_cmp);
        let at = |q: f64| {
            if samples.is_empty() {
                return 0.0;
            }
            let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
            round(samples[i])
        };
        Latencies { count: samples.len(), p50_ms: at(0.50), p99_ms: at(0.99), max_ms: at(1.0) }
    }

    pub fn of(samples: &[Duration]) -> Latencies {
        Latencies::of_millis(samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect())
    }
}

/// Three decimals are plenty for figures read by people.
pub fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let l = Latencies::of_millis((1..=100).map(f64::from).collect());
        assert_eq!((l.count, l.p50_ms, l.p99_ms, l.max_ms), (100, 50.0, 99.0, 100.0));
        let one = Latencies::of_millis(vec![7.0]);
        assert_eq!((one.p50_ms, one.p99_ms, one.max_ms), (7.0, 7.0, 7.0));
        assert_eq!(Latencies::of_millis(Vec::new()).count, 0);
    }
}
