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
    let output = tokio::process::Command::new(node)
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .arg(root.join("tests/e2e/web.test.mjs"))
        .current_dir(root.join("tests/e2e"))
        .env("STARLING_E2E_URL", &app.base)
        .env("STARLING_E2E_CHROMIUM", chromium)
        .env("STARLING_E2E_ARTIFACTS", &artifacts)
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the web client tests failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("pass "), "node ran no test:\n{stdout}");
    println!("{stdout}");
    Ok(())
}
