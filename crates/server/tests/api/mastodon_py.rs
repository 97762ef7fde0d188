//! Drives a live server with Mastodon.py, a real Mastodon client library from PyPI, through
//! `tests/mastodon_py`. `scripts/test` prepares the Python environment and names its
//! interpreter in `STARLING_TEST_PYTHON`.

use std::path::PathBuf;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_works_against_starling() -> TestResult {
    let Some(python) = std::env::var_os("STARLING_TEST_PYTHON") else {
        let message = "Mastodon.py compatibility test SKIPPED: STARLING_TEST_PYTHON is not set (run scripts/test, which sets it up)";
        assert!(std::env::var_os("STARLING_REQUIRE_ALL").is_none(), "{message}");
        // Straight to the process's stderr: the test harness would swallow `eprintln!`.
        let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("\n*** {message} ***\n").as_bytes());
        return Ok(());
    };
    let app = spawn_app().await;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = tokio::process::Command::new(python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/mastodon_py"])
        .current_dir(&root)
        .env("STARLING_URL", &app.base)
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "Mastodon.py tests failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(" passed"), "pytest ran no test:\n{stdout}");
    println!("{stdout}");
    Ok(())
}
