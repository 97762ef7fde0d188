//! The OpenAPI document (`openapi.json`) against the server: served as written, consistent in
//! itself, and in step with the routes in the code in both directions.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const DOCUMENT: &str = include_str!("../../openapi.json");

const HTTP_METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("openapi.json is JSON")
}

struct Operation<'a> {
    method: String,
    path: String,
    op: &'a Value,
}

impl Operation<'_> {
    fn name(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }
}

fn operations(doc: &Value) -> Vec<Operation<'_>> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            if HTTP_METHODS.contains(&method.as_str()) {
                out.push(Operation { method: method.clone(), path: path.clone(), op });
            }
        }
    }
    out
}

/// What a `$ref` points at, if it is a local reference that resolves.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

fn collect_refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v.as_str()) {
                    ("$ref", Some(reference)) => out.push(reference),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// A path template with its parameters' names left out (`/a/{}/b`, `/a/{*}` for a catch-all):
/// a name is not part of what a client sends, so the code and the document may differ in it.
/// Accepts axum's older `:id` and `*rest` spellings too.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with("{*") || segment.starts_with('*') {
                "{*}".to_string()
            } else if (segment.starts_with('{') && segment.ends_with('}')) || segment.starts_with(':') {
                "{}".to_string()
            } else {
                segment.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether the route template `route` answers requests for the documented path `documented`.
fn serves(route: &str, documented: &str) -> bool {
    let (route, documented) = (shape(route), shape(documented));
    match route.strip_suffix("{*}") {
        Some(prefix) => documented.len() > prefix.len() && documented.starts_with(prefix),
        None => route == documented,
    }
}

/// A request path for a documented template, its parameters filled with made-up values.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some("emoji") => "%F0%9F%91%8D".to_string(),
            Some("hashtag") => "rust".to_string(),
            Some(_) => "1".to_string(),
            None => segment.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The labels of every `starling_http_requests_total` series in a Prometheus text exposition.
fn counted_requests(metrics: &str) -> Vec<BTreeMap<String, String>> {
    metrics
        .lines()
        .filter_map(|line| line.strip_prefix("starling_http_requests_total{"))
        // Route templates contain braces; the value after the labels never does.
        .filter_map(|rest| rest.rsplit_once('}').map(|(labels, _)| labels))
        .map(parse_labels)
        .collect()
}

fn parse_labels(mut rest: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    while let Some((key, after)) = rest.split_once("=\"") {
        let (mut value, mut escaped, mut end) = (String::new(), false, after.len());
        for (i, c) in after.char_indices() {
            if escaped {
                value.push(c);
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                end = i;
                break;
            } else {
                value.push(c);
            }
        }
        labels.insert(key.trim_start_matches(',').trim().to_string(), value);
        rest = after.get(end + 1..).unwrap_or("");
    }
    labels
}

/// The `(path, methods)` of every `.route("…", …)` call in Rust source.
fn routes_in(source: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let Some(literal) = rest.trim_start().strip_prefix('"') else { continue };
        let Some(end) = literal.find('"') else { break };
        out.push((literal[..end].to_string(), methods_in(enclosed(&literal[end + 1..]))));
    }
    out
}

/// The text up to the parenthesis that closes the one already open, string literals skipped
/// (a closure handler may answer a string).
fn enclosed(s: &str) -> &str {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, c) in s.char_indices() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' => depth += 1,
            ')' if depth == 0 => return &s[..i],
            ')' => depth -= 1,
            _ => {}
        }
    }
    s
}

/// The HTTP methods a method-router expression (`get(show).put(edit)`) routes; `any` as such.
/// Handlers named like methods (`.delete(delete)`) are not calls, so they do not count.
fn methods_in(expr: &str) -> Vec<String> {
    expr.match_indices('(')
        .filter_map(|(i, _)| {
            let before = &expr[..i];
            let start = before.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |p| p + 1);
            let name = &before[start..];
            (HTTP_METHODS.contains(&name) || name == "any").then(|| name.to_string())
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

#[tokio::test]
async fn the_served_document_is_the_embedded_openapi_3_1_file() -> TestResult {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/api/openapi.json")).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(content_type.starts_with("application/json"), "content type {content_type}");
    let body = response.text().await?;
    assert!(body == DOCUMENT, "the served document differs from openapi.json");
    let served: Value = serde_json::from_str(&body)?;
    let version = served["openapi"].as_str().unwrap_or("");
    assert!(version.starts_with("3.1"), "openapi is {version:?}");
    Ok(())
}

#[test]
fn every_reference_resolves_to_a_component() {
    let doc = document();
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    let broken: BTreeSet<&str> =
        refs.into_iter().filter(|r| !r.starts_with("#/components/") || resolve(&doc, r).is_none()).collect();
    assert!(broken.is_empty(), "references to no component: {broken:?}");

    // Security requirements name their schemes and scopes instead of referring to them.
    let schemes = &doc["components"]["securitySchemes"];
    let mut undeclared = BTreeSet::new();
    for op in operations(&doc) {
        for requirement in op.op["security"].as_array().into_iter().flatten() {
            for (scheme, scopes) in requirement.as_object().into_iter().flatten() {
                if schemes.get(scheme).is_none() {
                    undeclared.insert(format!("{}: scheme {scheme}", op.name()));
                }
                let flows = schemes[scheme]["flows"].as_object();
                for scope in scopes.as_array().into_iter().flatten().filter_map(Value::as_str) {
                    let declared = flows.is_some_and(|f| f.values().all(|flow| flow["scopes"].get(scope).is_some()));
                    if !declared {
                        undeclared.insert(format!("{}: scope {scope}", op.name()));
                    }
                }
            }
        }
    }
    assert!(undeclared.is_empty(), "undeclared security schemes or scopes: {undeclared:?}");
}

#[test]
fn every_operation_has_a_unique_id_a_success_response_tags_and_security() {
    let doc = document();
    let ops = operations(&doc);
    assert!(ops.len() > 50, "only {} operations", ops.len());
    let declared_tags: BTreeSet<&str> =
        doc["tags"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).collect();
    let mut ids = BTreeSet::new();
    let mut problems = Vec::new();
    for op in &ops {
        let name = op.name();
        match op.op["operationId"].as_str() {
            Some(id) if !id.is_empty() => {
                if !ids.insert(id) {
                    problems.push(format!("{name}: operationId {id} is not unique"));
                }
            }
            _ => problems.push(format!("{name}: no operationId")),
        }
        let tags: Vec<&str> = op.op["tags"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        if tags.is_empty() {
            problems.push(format!("{name}: no tags"));
        }
        problems
            .extend(tags.iter().filter(|t| !declared_tags.contains(*t)).map(|t| format!("{name}: tag {t} undeclared")));
        // A WebSocket handshake succeeds with 101, never with a 2xx.
        let succeeds =
            op.op["responses"].as_object().is_some_and(|r| r.keys().any(|code| code.starts_with('2') || code == "101"));
        if !succeeds {
            problems.push(format!("{name}: no success response"));
        }
        if !op.op["security"].is_array() {
            problems.push(format!("{name}: no security requirement (an empty list means none is needed)"));
        }
        let path_params: BTreeSet<&str> = op.op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| match p["$ref"].as_str() {
                Some(reference) => resolve(&doc, reference),
                None => Some(p),
            })
            .filter(|p| p["in"] == "path")
            .filter_map(|p| p["name"].as_str())
            .collect();
        let in_template: BTreeSet<&str> =
            op.path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
        if path_params != in_template {
            problems.push(format!("{name}: path parameters {path_params:?}, template has {in_template:?}"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// An unknown route is answered by the fallback exactly as a missing record is (404, "Record
/// not found"), so the answer alone cannot tell a missing route from a made-up id. The server's
/// request metrics can: they count only requests a route matched, under that route's template.
#[tokio::test]
async fn documented_operations_are_routed() -> TestResult {
    let app = spawn_app().await;
    let fallback = json!({"error": "Record not found"});
    let (status, body) = app.get("/api/v1/no/such/route", None).await;
    assert_eq!((status, &body), (StatusCode::NOT_FOUND, &fallback), "the fallback's answer changed");

    let doc = document();
    let ops = operations(&doc);
    let mut like_fallback = Vec::new();
    for op in &ops {
        let method = Method::from_bytes(op.method.to_uppercase().as_bytes())?;
        // Stream bodies never end: only the head is read, except for a 404's short body.
        let response = app.client.request(method, app.url(&concrete(&op.path))).send().await?;
        if response.status() == StatusCode::NOT_FOUND
            && op.op["responses"].get("404").is_none()
            && response.json::<Value>().await.ok().as_ref() == Some(&fallback)
        {
            like_fallback.push(op.name());
        }
    }
    assert!(like_fallback.is_empty(), "answered as an unknown route, with no 404 documented: {like_fallback:?}");

    let metrics = app.client.get(app.url("/metrics")).send().await?.text().await?;
    let counted = counted_requests(&metrics);
    assert!(!counted.is_empty(), "no request counts in /metrics:\n{metrics}");
    let routed = |op: &Operation| {
        let method = op.method.to_uppercase();
        counted.iter().any(|labels| {
            labels.get("method") == Some(&method)
                && labels.get("route").is_some_and(|route| serves(route, &op.path))
                && labels.get("status").is_some_and(|s| s != "405")
        })
    };
    let missing: Vec<_> = ops.iter().filter(|op| !routed(op)).map(Operation::name).collect();
    assert!(missing.is_empty(), "documented but not routed: {missing:#?}");
    Ok(())
}

#[test]
fn every_route_in_the_code_is_documented() -> TestResult {
    let doc = document();
    let documented: BTreeSet<(String, String)> =
        operations(&doc).iter().map(|o| (o.method.clone(), shape(&o.path))).collect();
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files)?;
    let mut routes = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file)?;
        let name = file.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(file).display().to_string();
        routes.extend(routes_in(&source).into_iter().map(|(path, methods)| (name.clone(), path, methods)));
    }
    assert!(routes.iter().any(|(file, _, _)| file.contains("api")), "no routes found under src/api");
    let explicit: BTreeSet<String> = routes.iter().map(|(_, path, _)| shape(path)).collect();
    let mut undocumented = Vec::new();
    for (file, path, methods) in &routes {
        assert!(!methods.is_empty(), "{file}: no method found for {path}");
        assert!(!methods.iter().any(|m| m == "any"), "{file}: {path} routes every method; route each instead");
        let route = shape(path);
        for method in methods {
            let found = match route.strip_suffix("{*}") {
                // A catch-all is documented by the paths it serves that no other route does.
                Some(_) => documented.iter().any(|(m, p)| m == method && serves(path, p) && !explicit.contains(p)),
                None => documented.contains(&(method.clone(), route.clone())),
            };
            if !found {
                undocumented.push(format!("{file}: {} {path}", method.to_uppercase()));
            }
        }
    }
    assert!(undocumented.is_empty(), "routes missing from openapi.json: {undocumented:#?}");
    Ok(())
}

#[test]
fn the_route_reader_reads_chained_methods_closures_and_old_style_parameters() {
    let source = r#"Router::new()
        .route("/a/{id}", get(show).put(edit).delete(delete))
        .route(
            "/health",
            axum::routing::get(|| async { "OK (really)" }),
        )
        .route("/old/:id/*rest", post(x))"#;
    assert_eq!(
        routes_in(source),
        vec![
            ("/a/{id}".to_string(), vec!["get".to_string(), "put".to_string(), "delete".to_string()]),
            ("/health".to_string(), vec!["get".to_string()]),
            ("/old/:id/*rest".to_string(), vec!["post".to_string()]),
        ]
    );
    assert_eq!(shape("/old/:id/*rest"), "/old/{}/{*}");
    assert!(serves("/api/v1/streaming/{*stream}", "/api/v1/streaming/user/notification"));
    assert!(!serves("/api/v1/streaming/{*stream}", "/api/v1/streaming/"));
    assert!(serves("/api/v1/accounts/{account_id}", "/api/v1/accounts/{id}"));
    assert!(!serves("/api/v1/accounts/{id}", "/api/v1/accounts/lookup"));
    let labels = counted_requests(
        "# TYPE starling_http_requests_total counter\nstarling_http_requests_total{method=\"GET\",route=\"/a/{id}\",status=\"404\"} 3\n",
    );
    assert_eq!(labels.len(), 1);
    assert_eq!(labels[0].get("route").map(String::as_str), Some("/a/{id}"));
    assert_eq!(labels[0].get("status").map(String::as_str), Some("404"));
}
