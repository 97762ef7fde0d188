//! The moderation API over real HTTP: only moderators with an `admin:` scope; reports listed,
//! shown and resolved; an account suspended (its stream closed) and unsuspended; every action
//! in the moderator's audit trail.

use reqwest::{Method, StatusCode};
use serde_json::json;
use starling_core::Id;
use starling_core::model::Role;

use crate::helpers::*;

fn id_of(user: &User) -> Id {
    Id(user.id.parse().unwrap_or_default())
}

#[tokio::test]
async fn moderators_handle_reports_and_suspend_accounts() -> TestResult {
    let app = spawn_app().await;
    let (alice, mallory, moda) = (app.sign_up("alice").await, app.sign_up("mallory").await, app.sign_up("moda").await);
    let spam = app.say(&mallory, "buy followers").await;
    let (_, made) =
        app.post("/api/v1/reports", Some(&alice.token), json!({"account_id": mallory.id, "status_ids": [spam]})).await;
    let report = made["id"].as_str().unwrap_or_default().to_string();

    // Nobody but staff, and staff only with an admin scope.
    for user in [&alice, &moda] {
        let (status, _) = app.get("/api/v1/admin/reports", Some(&user.token)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    app.state.store.set_role(id_of(&moda), Role::Moderator, None).await?;
    let (status, _) = app.get("/api/v1/admin/reports", Some(&moda.token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "read and write grant no admin scope");
    let client = app.register_app("read write admin:read admin:write").await;
    let token = app.password_token(&client, "moda", "read write admin:read admin:write").await;
    let moda = User { id: moda.id.clone(), token };

    let (status, list) = app.get("/api/v1/admin/reports", Some(&moda.token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(ids(&list), vec![report.clone()]);
    assert_eq!(list[0]["account"]["username"], "alice");
    assert_eq!(list[0]["target_account"]["email"], "mallory@example.org");
    assert_eq!(list[0]["statuses"][0]["id"], spam.as_str());
    assert_eq!(app.get(&format!("/api/v1/admin/reports/{report}"), Some(&moda.token)).await.1["id"], report.as_str());

    // Suspending through the report: the account is cut off live, the report handled.
    let mut stream = app.stream(&format!("stream=user&access_token={}", mallory.token)).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/admin/accounts/{}/action", mallory.id),
            Some(&moda.token),
            json!({"type": "suspend", "report_id": report}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(stream.close_reason().await.is_ok(), "the suspended account's stream was closed");
    assert_eq!(app.get("/api/v1/accounts/verify_credentials", Some(&mallory.token)).await.0, StatusCode::UNAUTHORIZED);
    let (_, shown) = app.get(&format!("/api/v1/admin/accounts/{}", mallory.id), Some(&moda.token)).await;
    assert_eq!(shown["suspended"], true);
    assert_eq!(app.get("/api/v1/admin/reports", Some(&moda.token)).await.1, json!([]), "no open report left");
    let (_, handled) = app.get("/api/v1/admin/reports?resolved=true", Some(&moda.token)).await;
    assert_eq!(handled[0]["action_taken"], true);

    // Not on oneself, not on staff of one's rank; unsupported actions are said so.
    let (status, _) = app
        .post(&format!("/api/v1/admin/accounts/{}/action", moda.id), Some(&moda.token), json!({"type": "suspend"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(&format!("/api/v1/admin/accounts/{}/action", alice.id), Some(&moda.token), json!({"type": "silence"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (_, suspended) = app.get("/api/v1/admin/accounts?suspended=true", Some(&moda.token)).await;
    assert_eq!(
        suspended.as_array().map(|a| a.iter().map(|x| x["username"].clone()).collect::<Vec<_>>()),
        Some(vec![json!("mallory")])
    );
    let (_, staff) = app.get("/api/v1/admin/accounts?staff=true", Some(&moda.token)).await;
    assert_eq!(staff[0]["role"]["name"], "moderator");
    let (_, everyone) = app.get("/api/v1/admin/accounts?limit=2", Some(&moda.token)).await;
    assert_eq!(everyone.as_array().map(Vec::len), Some(2), "paged, newest first: {everyone}");
    assert_eq!(everyone[0]["username"], "moda");
    let (status, lifted) =
        app.post(&format!("/api/v1/admin/accounts/{}/unsuspend", mallory.id), Some(&moda.token), json!({})).await;
    assert_eq!((status, &lifted["suspended"]), (StatusCode::OK, &json!(false)));
    // The moderator's audit trail has every action.
    let (_, trail) = app.call(Method::GET, "/api/v1/audit", Some(&moda.token), None).await;
    let kinds: Vec<&str> = trail.as_array().into_iter().flatten().filter_map(|e| e["type"].as_str()).collect();
    for kind in ["account.suspended", "report.resolved", "account.unsuspended"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    Ok(())
}
