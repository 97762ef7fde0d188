//! Each scenario, at a tiny scale, against a real server started from the `starling` binary
//! next to this one: the load generator sets its world up, measures, and reports figures that
//! add up. (Speed itself is measured by running it at scale, see docs/benchmarks.md, never here.)

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn binaries() -> (PathBuf, PathBuf) {
    let loadgen = PathBuf::from(env!("CARGO_BIN_EXE_starling-loadgen"));
    let starling = loadgen.with_file_name(format!("starling{}", std::env::consts::EXE_SUFFIX));
    assert!(
        starling.exists(),
        "{} is missing: build the workspace's binaries first (`cargo test --workspace --all-targets` does)",
        starling.display()
    );
    (loadgen, starling)
}

/// Runs a scenario and returns its JSON figures.
fn run(scenario: &str, args: &[&str]) -> Value {
    let (loadgen, starling) = binaries();
    let out = std::env::temp_dir().join(format!("starling-loadgen-{}-{scenario}.json", std::process::id()));
    let output = Command::new(loadgen)
        .arg(scenario)
        .args(args)
        .arg("--starling")
        .arg(&starling)
        .arg("--out")
        .arg(&out)
        .env("STARLING_LOG", "error")
        .output()
        .expect("the load generator runs");
    assert!(
        output.status.success(),
        "{scenario} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("the JSON report")).expect("JSON");
    let _ = std::fs::remove_file(&out);
    assert_eq!(json["scenario"], scenario);
    json["figures"].clone()
}

#[test]
fn connections_opens_every_stream_from_several_processes_and_sources() {
    let f =
        run("connections", &["--streams", "40", "--accounts", "3", "--hold", "1", "--procs", "2", "--sources", "2"]);
    assert_eq!(f["streams_open"], 40);
    assert_eq!(f["streams_failed"], 0);
    assert!(f["server_rss_open_mib"].as_f64().is_some_and(|mib| mib > 0.0), "{f}");
}

#[test]
fn fanout_delivers_every_post_to_every_follower() {
    let f = run("fanout", &["--followers", "12", "--posts", "4", "--rate", "20", "--procs", "2"]);
    assert_eq!(f["deliveries"], 48);
    assert_eq!(f["deliveries_missing"], 0);
    assert_eq!(f["post_to_last_follower"]["count"], 4);
    assert!(f["server_cpu_seconds"].as_f64().is_some_and(|s| s > 0.0), "{f}");
}

#[test]
fn writes_post_without_errors_and_count_the_fan_out() {
    let f = run("writes", &["--accounts", "12", "--follows", "3", "--concurrency", "4", "--duration", "1"]);
    assert_eq!(f["follows"], 36);
    assert_eq!(f["errors"], 0);
    let posts = f["posts"].as_u64().expect("posts");
    assert!(posts > 0, "{f}");
    assert!(f["timeline_inserts_per_second"].as_f64().is_some_and(|r| r > 0.0), "{f}");
}

#[test]
fn reads_serve_homes_and_statuses_without_errors() {
    let f =
        run("reads", &["--accounts", "6", "--follows", "2", "--posts", "30", "--concurrency", "4", "--duration", "1"]);
    assert_eq!(f["statuses"], 30);
    assert_eq!(f["errors"], 0);
    assert!(f["home_read"]["count"].as_u64().is_some_and(|n| n > 0), "{f}");
    assert!(f["status_read"]["count"].as_u64().is_some_and(|n| n > 0), "{f}");
}
