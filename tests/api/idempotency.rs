//! Retry-safe mutations: an `Idempotency-Key` makes a retried mutation
//! return the first response without running again, per caller and key.

use reqwest::header::HeaderMap;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, count};

const CAPTURE: &str = "mutation($e: String!) { captureLead(input: {source: WEB, email: $e, lastName: \"Lee\"}) { created lead { id email } } }";

struct Answer {
    status: u16,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap()
    }

    fn replayed(&self) -> bool {
        self.headers
            .get("idempotent-replayed")
            .is_some_and(|v| v == "true")
    }

    fn code(&self) -> Value {
        self.json()["errors"][0]["extensions"]["code"].clone()
    }
}

/// POSTs `body` (raw JSON text) with an optional token and key.
async fn post(app: &TestApp, token: Option<&str>, key: Option<&str>, body: String) -> Answer {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.unwrap();
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        text: response.text().await.unwrap(),
    }
}

fn capture(email: &str) -> String {
    json!({ "query": CAPTURE, "variables": { "e": email } }).to_string()
}

#[tokio::test]
async fn a_retried_mutation_replays_the_first_response_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let hook = app.token_with_scope("hook", &["INTEGRATION"], Some("leads:write"));
    let first = post(&app, Some(&hook), Some("order-1"), capture("ann@acme.io")).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert!(!first.replayed());
    assert_eq!(first.json()["data"]["captureLead"]["created"], true);

    let retry = post(&app, Some(&hook), Some("order-1"), capture("ann@acme.io")).await;
    assert_eq!(retry.status, 200);
    assert!(retry.replayed());
    assert_eq!(retry.text, first.text, "the stored bytes, exactly");
    // The same request written differently is still the same request.
    let reordered = format!(
        "{{\"variables\": {{\"e\": \"ann@acme.io\"}}, \"query\": {}}}",
        serde_json::to_string(CAPTURE).unwrap()
    );
    let again = post(&app, Some(&hook), Some("order-1"), reordered).await;
    assert!(again.replayed());
    assert_eq!(again.text, first.text);
    assert_eq!(count(&app, "leads").await, 1);
}

#[tokio::test]
async fn the_same_key_with_another_request_is_a_conflict() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let first = post(&app, Some(&alice), Some("k"), capture("ann@acme.io")).await;
    assert_eq!(first.status, 200);
    let other = post(&app, Some(&alice), Some("k"), capture("bob@acme.io")).await;
    assert_eq!(other.status, 422, "{}", other.text);
    assert_eq!(other.code(), "CONFLICT");
    assert!(other.json().get("data").is_none());
    assert_eq!(count(&app, "leads").await, 1);
}

#[tokio::test]
async fn concurrent_requests_with_one_key_run_once() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let answers = futures::future::join_all(
        (0..6).map(|_| post(&app, Some(&alice), Some("burst"), capture("ann@acme.io"))),
    )
    .await;
    let ran: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.status == 200 && !a.replayed())
        .collect();
    assert_eq!(ran.len(), 1, "exactly one ran");
    for answer in &answers {
        if answer.replayed() {
            assert_eq!(answer.text, ran[0].text);
        } else if answer.status != 200 {
            assert_eq!(answer.status, 409, "{}", answer.text);
            assert_eq!(answer.code(), "CONFLICT");
        }
    }
    assert_eq!(count(&app, "leads").await, 1);
}

#[tokio::test]
async fn keys_belong_to_their_caller() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let bob = app.token("bob", &["SALES"]);
    let a = post(&app, Some(&alice), Some("shared"), capture("ann@acme.io")).await;
    let b = post(&app, Some(&bob), Some("shared"), capture("ann@acme.io")).await;
    assert!(!a.replayed() && !b.replayed());
    assert_eq!(a.status, 200);
    assert_eq!(b.status, 200);
    assert_ne!(
        a.json()["data"]["captureLead"]["lead"]["id"],
        b.json()["data"]["captureLead"]["lead"]["id"]
    );
    assert_eq!(count(&app, "leads").await, 2);
}

#[tokio::test]
async fn bad_keys_and_anonymous_keys_are_refused_before_anything_runs() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let long = "k".repeat(256);
    for key in [long.as_str(), ""] {
        let answer = post(&app, Some(&alice), Some(key), capture("ann@acme.io")).await;
        assert_eq!(answer.status, 400, "{key:?}: {}", answer.text);
        assert_eq!(answer.code(), "BAD_REQUEST");
    }
    let longest = post(
        &app,
        Some(&alice),
        Some(&"k".repeat(255)),
        capture("ann@acme.io"),
    )
    .await;
    assert_eq!(longest.status, 200, "{}", longest.text);
    let anonymous = post(&app, None, Some("k"), capture("bob@acme.io")).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
    assert_eq!(count(&app, "leads").await, 1);
}

#[tokio::test]
async fn queries_ignore_the_key_and_a_request_that_never_ran_leaves_it_free() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let query = json!({ "query": "{ me { id } }" }).to_string();
    for _ in 0..2 {
        let answer = post(&app, Some(&alice), Some("q"), query.clone()).await;
        assert_eq!(answer.status, 200);
        assert!(!answer.replayed());
    }
    // The query did not take the key, and a mutation that failed
    // validation (it never ran) gives it back.
    let broken = json!({ "query": "mutation { captureLead(input: {source: WEB}) { nope } }" });
    let answer = post(&app, Some(&alice), Some("q"), broken.to_string()).await;
    assert_eq!(answer.status, 400);
    let answer = post(&app, Some(&alice), Some("q"), capture("ann@acme.io")).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(!answer.replayed());
    assert_eq!(count(&app, "leads").await, 1);
}

#[tokio::test]
async fn an_expired_key_is_forgotten() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let first = post(&app, Some(&alice), Some("old"), capture("ann@acme.io")).await;
    assert_eq!(first.status, 200);
    let db = ltc::db::connect(&app.settings.store, None).await.unwrap();
    let past = ltc::db::now() - chrono::Duration::hours(25);
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        db.get_database_backend(),
        match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => "UPDATE idempotency_keys SET expires_at = $1",
            _ => "UPDATE idempotency_keys SET expires_at = ?",
        },
        [past.into()],
    ))
    .await
    .unwrap();
    let again = post(&app, Some(&alice), Some("old"), capture("ann@acme.io")).await;
    assert_eq!(again.status, 200);
    assert!(!again.replayed(), "an expired key runs the request again");
    assert_eq!(count(&app, "leads").await, 2);
    let replay = post(&app, Some(&alice), Some("old"), capture("ann@acme.io")).await;
    assert!(replay.replayed());
    assert_eq!(replay.text, again.text);
}

#[tokio::test]
async fn a_legacy_json_client_gets_the_replay_too() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let send = || {
        app.client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&alice)
            .header("accept", "application/json")
            .header("idempotency-key", "legacy")
            .json(&json!({ "query": CAPTURE, "variables": { "e": "ann@acme.io" } }))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.headers()["content-type"], "application/json");
    let first = first.text().await.unwrap();
    let retry = send().await.unwrap();
    assert_eq!(retry.status(), 200);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(retry.text().await.unwrap(), first);
}

#[tokio::test]
async fn a_retry_while_the_first_request_runs_waits_for_its_response_or_conflicts() {
    use sea_orm::{ActiveModelTrait, IntoActiveModel};
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let db = ltc::db::connect(&app.settings.store, None).await.unwrap();
    let body = capture("ann@acme.io");
    let request: async_graphql::Request = serde_json::from_str(&body).unwrap();
    let hash = ltc::http::idempotency::request_hash(&request);
    // The first request with each key is still running (on another instance, say).
    let running = |key: &str| {
        let now = ltc::db::now();
        entity::idempotency_key::Model {
            id: ltc::db::new_id(),
            caller: "alice".into(),
            key: key.into(),
            request_hash: hash.clone(),
            state: entity::idempotency_key::IdempotencyState::InProgress,
            response_status: None,
            response_body: None,
            created_at: now,
            completed_at: None,
            expires_at: now + chrono::Duration::hours(24),
        }
    };
    let first = running("slow")
        .into_active_model()
        .reset_all()
        .insert(&db)
        .await
        .unwrap();
    let finisher = {
        let db = db.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(400)).await;
            let mut done = first;
            done.state = entity::idempotency_key::IdempotencyState::Done;
            done.response_status = Some(200);
            done.response_body = Some("{\"data\":{\"first\":true}}".into());
            done.into_active_model()
                .reset_all()
                .update(&db)
                .await
                .unwrap();
        })
    };
    let answer = post(&app, Some(&alice), Some("slow"), body.clone()).await;
    finisher.await.unwrap();
    assert_eq!(answer.status, 200);
    assert!(answer.replayed());
    assert_eq!(answer.text, "{\"data\":{\"first\":true}}");

    // One that does not finish in time: CONFLICT, and nothing ran.
    running("stuck")
        .into_active_model()
        .reset_all()
        .insert(&db)
        .await
        .unwrap();
    let answer = post(&app, Some(&alice), Some("stuck"), body).await;
    assert_eq!(answer.status, 409, "{}", answer.text);
    assert_eq!(answer.code(), "CONFLICT");
    assert_eq!(count(&app, "leads").await, 0);
}

#[tokio::test]
async fn a_replay_goes_only_to_a_token_with_the_same_rights() {
    let app = TestApp::spawn().await;
    let writer = app.token_with_scope("hook", &["INTEGRATION"], Some("leads:write"));
    let first = post(&app, Some(&writer), Some("k-1"), capture("ann@acme.io")).await;
    assert_eq!(first.status, 200, "{}", first.text);

    // The same sub with a narrower scope, or another role: refused, nothing runs.
    let reader = app.token_with_scope("hook", &["INTEGRATION"], Some("leads:read"));
    let readonly = app.token("hook", &["READONLY"]);
    for token in [&reader, &readonly] {
        let retry = post(&app, Some(token), Some("k-1"), capture("ann@acme.io")).await;
        assert_eq!(retry.status, 403, "{}", retry.text);
        assert_eq!(retry.code(), "FORBIDDEN");
        assert!(!retry.replayed());
        assert!(!retry.text.contains("ann@acme.io"), "{}", retry.text);
    }
    // The first token still gets the replay.
    let again = post(&app, Some(&writer), Some("k-1"), capture("ann@acme.io")).await;
    assert!(again.replayed());
    assert_eq!(again.text, first.text);
    assert_eq!(count(&app, "leads").await, 1);
}

const CREATE_HOOK: &str = "mutation { createWebhookSubscription(url: \"https://hooks.example.com/x\", events: [\"lead.qualified\"]) { secret subscription { id } } }";

#[tokio::test]
async fn a_response_holding_a_secret_is_never_replayed() {
    let app = TestApp::spawn().await;
    let admin = app.token("root", &["ADMIN"]);
    let body = json!({ "query": CREATE_HOOK }).to_string();
    let first = post(&app, Some(&admin), Some("hook-1"), body.clone()).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let secret = first.json()["data"]["createWebhookSubscription"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(secret.starts_with("whsec_"));

    let retry = post(&app, Some(&admin), Some("hook-1"), body).await;
    assert_eq!(retry.status, 409, "{}", retry.text);
    assert_eq!(retry.code(), "CONFLICT");
    assert!(!retry.text.contains(&secret));
    // Nothing ran twice, and the stored key holds no secret.
    assert_eq!(count(&app, "webhookSubscriptions").await, 1);
    let rows =
        crate::helpers::stored_rows(&app, "SELECT response_body FROM idempotency_keys").await;
    assert_eq!(rows.len(), 1);
    let stored: Option<String> = rows[0].try_get("", "response_body").unwrap();
    assert!(stored.is_none_or(|b| !b.contains(&secret)));

    // The same for a rotated secret.
    let id = first.json()["data"]["createWebhookSubscription"]["subscription"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rotate = json!({
        "query": "mutation($id: UUID!) { rotateWebhookSubscriptionSecret(id: $id) { secret } }",
        "variables": { "id": id },
    })
    .to_string();
    let rotated = post(&app, Some(&admin), Some("rotate-1"), rotate.clone()).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let retry = post(&app, Some(&admin), Some("rotate-1"), rotate).await;
    assert_eq!(retry.status, 409, "{}", retry.text);
    assert_eq!(retry.code(), "CONFLICT");
}
