use base64::Engine;
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::helpers::*;

#[tokio::test]
async fn an_app_registers_and_verifies_with_its_client_token() -> TestResult {
    let app = spawn_app().await;
    let registered = app.register_app("read write").await;
    let token = app.app_token(&registered, "read").await;
    let (status, body) = app.get("/api/v1/apps/verify_credentials", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "tests");
    assert_eq!(body["scopes"], json!(["read", "write"]));
    assert!(body.get("client_secret").is_none(), "the secret is only shown once");
    Ok(())
}

#[tokio::test]
async fn the_password_grant_accepts_username_or_email() -> TestResult {
    let app = spawn_app().await;
    app.sign_up("alice").await;
    let client = app.register_app("read write").await;
    for login in ["alice", "ALICE@example.org"] {
        let (status, token) = app
            .post(
                "/oauth/token",
                None,
                json!({"grant_type": "password", "username": login, "password": "password-alice",
                       "client_id": client.client_id, "client_secret": client.client_secret, "scope": "read write"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{token}");
        assert_eq!(token["scope"], "read write");
        assert_eq!(token["token_type"], "Bearer");
        let (status, me) = app.get("/api/v1/accounts/verify_credentials", token["access_token"].as_str()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["username"], "alice");
    }
    Ok(())
}

#[tokio::test]
async fn a_wrong_password_or_secret_gets_an_oauth_error() -> TestResult {
    let app = spawn_app().await;
    app.sign_up("alice").await;
    let client = app.register_app("read").await;
    let (status, body) = app
        .post(
            "/oauth/token",
            None,
            json!({"grant_type": "password", "username": "alice", "password": "nope-nope",
                   "client_id": client.client_id, "client_secret": client.client_secret}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    let (status, body) = app
        .post(
            "/oauth/token",
            None,
            json!({"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": "wrong"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    Ok(())
}

#[tokio::test]
async fn a_token_may_not_ask_for_more_than_its_app() -> TestResult {
    let app = spawn_app().await;
    let client = app.register_app("read").await;
    let (status, body) = app
        .post(
            "/oauth/token",
            None,
            json!({"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": client.client_secret, "scope": "read write"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_scope");
    Ok(())
}

#[tokio::test]
async fn a_revoked_token_is_refused_at_once() -> TestResult {
    let app = spawn_app().await;
    app.sign_up("alice").await;
    let client = app.register_app("read write").await;
    let (_, token) = app
        .post(
            "/oauth/token",
            None,
            json!({"grant_type": "password", "username": "alice", "password": "password-alice",
                   "client_id": client.client_id, "client_secret": client.client_secret}),
        )
        .await;
    let token = token["access_token"].as_str().unwrap_or_default().to_string();
    assert_eq!(app.get("/api/v1/accounts/verify_credentials", Some(&token)).await.0, StatusCode::OK);
    let (status, _) = app
        .post(
            "/oauth/revoke",
            None,
            json!({"token": token, "client_id": client.client_id, "client_secret": client.client_secret}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.get("/api/v1/accounts/verify_credentials", Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "The access token was revoked");
    // Revoking again is not an error (RFC 7009).
    let (status, _) = app
        .post(
            "/oauth/revoke",
            None,
            json!({"token": token, "client_id": client.client_id, "client_secret": client.client_secret}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn another_client_cannot_revoke_a_token() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let other = app.register_app("read").await;
    let (status, _) = app
        .post(
            "/oauth/revoke",
            None,
            json!({"token": alice.token, "client_id": other.client_id, "client_secret": other.client_secret}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await.0, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn an_expired_token_is_refused() -> TestResult {
    let app = spawn_app_with(|s| s.token_ttl_secs = Some(-1)).await;
    let client = app.register_app("read").await;
    let token = app.app_token(&client, "read").await;
    let (status, body) = app.get("/api/v1/apps/verify_credentials", Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "The access token expired");
    Ok(())
}

#[tokio::test]
async fn forged_tokens_are_refused() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = alice.token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT");
    let unsigned = format!("{}.{}.", b64.encode(r#"{"alg":"none","typ":"JWT"}"#), parts[1]);
    let tampered = format!("{}.{}.{}", parts[0], parts[1], b64.encode("not the signature"));
    for token in [unsigned.as_str(), tampered.as_str(), "garbage"] {
        let (status, body) = app.get("/api/v1/accounts/verify_credentials", Some(token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token}");
        assert_eq!(body["error"], "The access token is invalid");
    }
    Ok(())
}

#[tokio::test]
async fn tokens_signed_with_the_key_but_not_as_issued_are_refused() -> TestResult {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = alice.token.split('.').nth(1).ok_or("a JWT")?;
    let claims: serde_json::Value = serde_json::from_slice(&b64.decode(payload)?)?;
    // The test servers sign with this key (`helpers::spawn_app_at`): whoever holds it can
    // still only use tokens shaped exactly as the server issues them.
    let key = EncodingKey::from_secret(&[7; 32]);
    let sign = |alg: Algorithm, claims: &serde_json::Value| jsonwebtoken::encode(&Header::new(alg), claims, &key);
    let with = |field: &str, value: serde_json::Value| {
        let mut c = claims.clone();
        c[field] = value;
        c
    };
    let mut without_exp = claims.clone();
    without_exp.as_object_mut().map(|o| o.remove("exp"));
    assert_eq!(
        app.get("/api/v1/accounts/verify_credentials", Some(&sign(Algorithm::HS256, &claims)?)).await.0,
        StatusCode::OK
    );
    for (what, token) in [
        ("another algorithm", sign(Algorithm::HS512, &claims)?),
        ("another audience", sign(Algorithm::HS256, &with("aud", json!("elsewhere")))?),
        ("another type", sign(Algorithm::HS256, &with("typ", json!("refresh")))?),
        ("no expiry", sign(Algorithm::HS256, &without_exp)?),
        ("another token's id", sign(Algorithm::HS256, &with("jti", json!("1")))?),
    ] {
        let (status, body) = app.get("/api/v1/accounts/verify_credentials", Some(&token)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("The access token is invalid")),
            "{what}"
        );
    }
    let expired = sign(Algorithm::HS256, &with("exp", json!(1_000_000_000)))?;
    let (status, body) = app.get("/api/v1/accounts/verify_credentials", Some(&expired)).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("The access token expired")));
    Ok(())
}

#[tokio::test]
async fn scopes_limit_what_a_token_can_do() -> TestResult {
    let app = spawn_app().await;
    app.sign_up("alice").await;
    let client = app.register_app("read write").await;
    let (_, token) = app
        .post(
            "/oauth/token",
            None,
            json!({"grant_type": "password", "username": "alice", "password": "password-alice", "scope": "read",
                   "client_id": client.client_id, "client_secret": client.client_secret}),
        )
        .await;
    let (status, body) = app.post("/api/v1/statuses", token["access_token"].as_str(), json!({"status": "hi"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "This action is outside the authorized scopes");
    Ok(())
}

fn pkce_pair() -> (String, String) {
    let verifier = "a-long-enough-code-verifier-for-pkce-0123456789-abcdefghijklmnop".to_string();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

#[tokio::test]
async fn the_authorization_code_flow_with_pkce_signs_a_user_in_once() -> TestResult {
    let app = spawn_app().await;
    app.sign_up("alice").await;
    let redirect = "http://127.0.0.1:9/callback";
    let (_, registered) = app
        .post("/api/v1/apps", None, json!({"client_name": "web", "redirect_uris": redirect, "scopes": "read write"}))
        .await;
    let client_id = registered["client_id"].as_str().unwrap_or_default().to_string();
    let client_secret = registered["client_secret"].as_str().unwrap_or_default().to_string();
    let (verifier, challenge) = pkce_pair();

    let page = app
        .client
        .get(app.url("/oauth/authorize"))
        .query(&[
            ("client_id", client_id.as_str()),
            ("redirect_uri", redirect),
            ("response_type", "code"),
            ("scope", "read"),
        ])
        .send()
        .await?;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await?;
    assert!(html.contains("<form") && html.contains("Authorize web"), "{html}");

    let no_redirects = reqwest::Client::builder().redirect(Policy::none()).build()?;
    let form = [
        ("client_id", client_id.as_str()),
        ("redirect_uri", redirect),
        ("response_type", "code"),
        ("scope", "read"),
        ("state", "xyz"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("username", "alice"),
        ("password", "wrong-password"),
        ("decision", "approve"),
    ];
    let denied = no_redirects.post(app.url("/oauth/authorize")).form(&form).send().await?;
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);

    let mut good = form.to_vec();
    good[8] = ("password", "password-alice");
    let approved = no_redirects.post(app.url("/oauth/authorize")).form(&good).send().await?;
    assert_eq!(approved.status(), StatusCode::FOUND);
    let location = url::Url::parse(approved.headers()["location"].to_str()?)?;
    assert!(location.as_str().starts_with(redirect));
    let pairs: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(pairs.get("state").map(String::as_str), Some("xyz"));
    let code = pairs.get("code").cloned().unwrap_or_default();

    let exchange = |verifier: String| {
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
               "client_id": client_id, "client_secret": client_secret, "code_verifier": verifier})
    };
    let (status, body) =
        app.post("/oauth/token", None, exchange("the-wrong-verifier-0123456789-0123456789-0123".into())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a wrong verifier fails and uses the code up: {body}");

    // A fresh code, exchanged with the right verifier, works exactly once.
    let approved = no_redirects.post(app.url("/oauth/authorize")).form(&good).send().await?;
    let location = url::Url::parse(approved.headers()["location"].to_str()?)?;
    let code = location.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).unwrap_or_default();
    let body = json!({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
                      "client_id": client_id, "client_secret": client_secret, "code_verifier": verifier});
    let (status, token) = app.post("/oauth/token", None, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["scope"], "read");
    let (status, me) = app.get("/api/v1/accounts/verify_credentials", token["access_token"].as_str()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "alice");
    let (status, again) = app.post("/oauth/token", None, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(again["error"], "invalid_grant");
    Ok(())
}
