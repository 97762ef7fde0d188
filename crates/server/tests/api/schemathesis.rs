//! schemathesis, from PyPI, against a live server: it generates requests for every operation
//! of `openapi.json` (valid and invalid, from the document's own schemas) and checks that no
//! answer is a 5xx, and that every answer's status, content type and body are those the
//! document promises. `scripts/test` installs it (pinned in `tests/schemathesis`) and names
//! the program in `STARLING_TEST_SCHEMATHESIS`.

use crate::helpers::*;

/// How long schemathesis fuzzes: long enough for every operation's examples, coverage cases
/// and a few hundred generated requests each.
const BUDGET_SECS: &str = "60";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_holds_for_every_generated_request() -> TestResult {
    let Some(schemathesis) = std::env::var_os("STARLING_TEST_SCHEMATHESIS") else {
        let message =
            "schemathesis test SKIPPED: STARLING_TEST_SCHEMATHESIS is not set (run scripts/test, which sets it up)";
        assert!(std::env::var_os("STARLING_REQUIRE_ALL").is_none(), "{message}");
        let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("\n*** {message} ***\n").as_bytes());
        return Ok(());
    };
    let app = spawn_app().await;
    let user = app.sign_up("fuzzer").await;
    let output = tokio::process::Command::new(schemathesis)
        .arg("run")
        .arg(app.url("/api/openapi.json"))
        .args(["--header", &format!("Authorization: Bearer {}", user.token)])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        // Streams answer with an endless body or a protocol switch; they have tests of their own.
        .args(["--exclude-path-regex", "streaming"])
        // One worker: with two, Hypothesis parses lambdas' source from two threads at once, which
        // CPython 3.11 can break off with "AST constructor recursion depth mismatch"
        // (python/cpython#106905), an error of the tool, not of the server.
        .args(["--phases", "examples,coverage,fuzzing", "--max-time", BUDGET_SECS, "--workers", "1"])
        .args(["--suppress-health-check", "all", "--no-color"])
        // It keeps notes of its runs in the working directory: the server's, removed after.
        .current_dir(&app.dir)
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "schemathesis found failures:\n{stdout}\n{stderr}");
    let summary = stdout.lines().find(|l| l.contains(" generated, ")).unwrap_or_default();
    assert!(summary.contains("passed"), "schemathesis ran no case:\n{stdout}");
    println!("schemathesis: {}", summary.trim());
    Ok(())
}
