//! Drives the web client in real headless Chromium (Debian's) through `tests/e2e`, whose tests
//! use playwright-core from npm. `scripts/test` installs both and names them in
//! `STARLING_TEST_CHROMIUM` and `STARLING_TEST_NODE`; screenshots of each main screen are
//! saved under `target/e2e-artifacts`.

use std::path::PathBuf;

use crate::helpers::*;

fn skipped(message: &str) {
    assert!(std::env::var_os("STARLING_REQUIRE_ALL").is_none(), "{message}");
    // Straight to the process's stderr: the test harness would swallow `eprintln!`.
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("\n*** {message} ***\n").as_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_client_works_in_headless_chromium() -> TestResult {
    let (Some(node), Some(chromium)) =
        (std::env::var_os("STARLING_TEST_NODE"), std::env::var_os("STARLING_TEST_CHROMIUM"))
    else {
        skipped(
            "web client tests in Chromium SKIPPED: STARLING_TEST_NODE or STARLING_TEST_CHROMIUM is not set (run scripts/test, which sets them up)",
        );
        return Ok(());
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let artifacts =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from).join("e2e-artifacts");
    std::fs::create_dir_all(&artifacts)?;
    let app = spawn_app().await;
    // The tests ask for a server restart through files: they run in a process of their own
    // that node's test runner starts, whose output only the runner reads.
    let request = artifacts.join("restart-request");
    let done = artifacts.join("restart-done");
    for stale in [&request, &done] {
        let _ = std::fs::remove_file(stale);
    }
    let mut child = tokio::process::Command::new(node)
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .arg(root.join("tests/e2e/web.test.mjs"))
        .current_dir(root.join("tests/e2e"))
        .env("STARLING_E2E_URL", &app.base)
        .env("STARLING_E2E_CHROMIUM", chromium)
        .env("STARLING_E2E_ARTIFACTS", &artifacts)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let stdout = tokio::spawn(read_all(child.stdout.take()));
    let stderr = tokio::spawn(read_all(child.stderr.take()));
    let mut app = Some(app);
    let status = loop {
        tokio::select! {
            status = child.wait() => break status?,
            () = tokio::time::sleep(std::time::Duration::from_millis(100)) => {
                if std::fs::remove_file(&request).is_ok()
                    && let Some(running) = app.take()
                {
                    let addr = running.base.trim_start_matches("http://").to_string();
                    let dir = running.stop().await;
                    app = Some(spawn_app_at(&addr, dir, |_| {}).await);
                    std::fs::write(&done, b"")?;
                }
            }
        }
    };
    let (stdout, stderr) = (stdout.await?, stderr.await?);
    assert!(status.success(), "the web client tests failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("pass "), "node ran no test:\n{stdout}");
    println!("{stdout}");
    Ok(())
}

async fn read_all(pipe: Option<impl tokio::io::AsyncRead + Unpin>) -> String {
    use tokio::io::AsyncReadExt;
    let mut out = String::new();
    if let Some(mut pipe) = pipe {
        let _ = pipe.read_to_string(&mut out).await;
    }
    out
}
