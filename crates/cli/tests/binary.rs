//! The `starling` binary as an operator runs it: no configuration, a fresh data directory,
//! SIGTERM to stop.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("starling-bin-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

struct Server {
    child: Child,
    addr: String,
    lines: mpsc::Receiver<String>,
}

/// Starts `starling serve` on port 0 and waits for the line that says where it listens.
fn start(data_dir: &PathBuf) -> Result<Server, Box<dyn std::error::Error>> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_starling"))
        .arg("serve")
        .env_clear()
        .env("STARLING_BIND", "127.0.0.1:0")
        .env("STARLING_DATA_DIR", data_dir)
        .env("STARLING_LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    loop {
        let line = rx.recv_timeout(Duration::from_secs(60))?;
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
        if json["message"] == "starling is listening" {
            let addr = json["address"].as_str().ok_or("no address")?.to_string();
            return Ok(Server { child, addr, lines: rx });
        }
    }
}

fn terminate(mut server: Server) -> Result<(std::process::ExitStatus, Vec<String>), Box<dyn std::error::Error>> {
    let status = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status()?;
    assert!(status.success(), "kill -TERM");
    let exit = server.child.wait()?;
    let rest: Vec<String> = server.lines.try_iter().collect();
    Ok((exit, rest))
}

#[tokio::test]
async fn serve_starts_with_no_configuration_and_stops_gracefully_on_sigterm() -> TestResult {
    let dir = fresh_dir("serve");
    let server = start(&dir)?;
    let body: serde_json::Value = reqwest::get(format!("http://{}/api/v1/instance", server.addr)).await?.json().await?;
    assert!(body["version"].as_str().unwrap_or_default().contains("Starling"));
    assert!(dir.join("starling.db").exists(), "SQLite lives in the data directory");
    let secret = std::fs::read(dir.join("jwt_secret"))?;
    assert!(secret.len() >= 32, "a signing secret is generated and kept");

    let (exit, log) = terminate(server)?;
    assert!(exit.success(), "exit status {exit:?}");
    assert!(log.iter().any(|l| l.contains("\"stopped\"")), "{log:?}");

    // A restart keeps the same secret, so issued tokens stay valid.
    let server = start(&dir)?;
    assert_eq!(std::fs::read(dir.join("jwt_secret"))?, secret);
    terminate(server)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn migrate_applies_migrations_and_exits() -> TestResult {
    let dir = fresh_dir("migrate");
    let out = Command::new(env!("CARGO_BIN_EXE_starling"))
        .arg("migrate")
        .env_clear()
        .env("STARLING_DATA_DIR", &dir)
        .output()?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("starling.db").exists());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn bad_settings_are_refused_with_a_clear_message() -> TestResult {
    let out = Command::new(env!("CARGO_BIN_EXE_starling"))
        .arg("serve")
        .env_clear()
        .env("STARLING_REGISTRATIONS", "sometimes")
        .env("STARLING_DATA_DIR", fresh_dir("bad"))
        .output()?;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("STARLING_REGISTRATIONS must be open or closed"));
    Ok(())
}
