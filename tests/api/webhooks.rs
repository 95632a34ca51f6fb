//! Inbound webhooks through real HTTP: leads signed per Standard Webhooks
//! (replayed, forged, stale and oversized ones too), engagement signals, and
//! HubSpot contact events fetched through the outbox from a fake HubSpot.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use ltc::{
    config::Settings,
    outbox::{
        backoff::Backoff,
        worker::{Worker, WorkerOptions},
    },
};
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::Sha256;
use standardwebhooks::Webhook;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path, query_param},
};

use crate::helpers::{TestApp, count, test_settings};

const PUBLIC_URL: &str = "https://ltc.example.com";
const HUBSPOT_SECRET: &str = "hubspot-app-client-secret";
const HUBSPOT_TOKEN: &str = "pat-na1-test-token";

fn leads_secret() -> String {
    format!(
        "whsec_{}",
        STANDARD.encode(b"the leads webhook key, 32 bytes!")
    )
}

fn other_secret() -> String {
    format!(
        "whsec_{}",
        STANDARD.encode(b"somebody else's key, 32 bytes!!!")
    )
}

/// A server with both webhooks on and its own worker off (tests drive one).
pub(crate) async fn spawn(hubspot_api: Option<&str>) -> TestApp {
    let (settings, dir) = settings(hubspot_api).await;
    TestApp::spawn_with(settings, dir).await
}

/// The settings of [`spawn`], for a test to change before it starts the server.
pub(crate) async fn settings(hubspot_api: Option<&str>) -> (Settings, tempfile::TempDir) {
    let (mut settings, dir) = test_settings().await;
    settings.worker.worker_enabled = false;
    let hooks = &mut settings.webhooks;
    hooks.leads_webhook_secret = Some(SecretString::from(leads_secret()));
    hooks.hubspot_app_secret = Some(SecretString::from(HUBSPOT_SECRET.to_owned()));
    hooks.hubspot_token = Some(SecretString::from(HUBSPOT_TOKEN.to_owned()));
    hooks.public_url = Some(PUBLIC_URL.to_owned());
    if let Some(api) = hubspot_api {
        hooks.hubspot_api_url = api.to_owned();
    }
    (settings, dir)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(crate) struct Reply {
    pub status: u16,
    pub body: Value,
    pub replayed: bool,
    /// SQL statements the request cost, as the server reports them.
    pub statements: u64,
}

/// POSTs `body` to /webhooks/leads, signed with `secret` as of `timestamp`.
async fn send_leads(
    app: &TestApp,
    secret: Option<&str>,
    id: &str,
    timestamp: i64,
    body: &str,
) -> Reply {
    let mut request = app
        .client
        .post(format!("{}/webhooks/leads", app.address))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(secret) = secret {
        let signature = Webhook::new(secret)
            .unwrap()
            .sign(id, timestamp, body.as_bytes())
            .unwrap();
        request = request
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let replayed = response.headers().contains_key("webhook-replayed");
    let statements = crate::helpers::statements_of(&response);
    let body = response.json().await.unwrap_or(Value::Null);
    Reply {
        status,
        body,
        replayed,
        statements,
    }
}

pub(crate) async fn post_leads(app: &TestApp, id: &str, body: Value) -> Reply {
    send_leads(app, Some(&leads_secret()), id, now(), &body.to_string()).await
}

const LEADS: &str = "{ leads(first: 100, orderBy: {field: CREATED_AT, direction: ASC}) {
  totalCount
  edges { node { id email source externalRef ownerId score isDuplicate
                 scoreFactors { factor points maxPoints reason }
                 history { to actorId } } }
} }";

/// The leads a manager sees, oldest first.
pub(crate) async fn leads(app: &TestApp) -> Vec<Value> {
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let data = app.gql(&manager, LEADS, json!({})).await;
    data["leads"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[tokio::test]
async fn a_signed_lead_is_stored_once_and_a_replay_gets_the_same_answer() {
    let app = spawn(None).await;
    let lead = json!({"externalRef": "ma-1", "email": "ann@acme.io", "firstName": "Ann", "lastName": "Lee", "company": "Acme"});
    let first = post_leads(&app, "msg_1", lead.clone()).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(!first.replayed);
    let result = &first.body["leads"][0];
    assert_eq!(result["index"], 0);
    assert_eq!(result["created"], true);
    assert_eq!(result["duplicate"], false);

    let stored = leads(&app).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["id"], result["id"]);
    assert_eq!(stored[0]["email"], "ann@acme.io");
    assert_eq!(stored[0]["source"], "MARKETING_AUTOMATION");
    assert_eq!(stored[0]["externalRef"], "ma-1");
    assert_eq!(stored[0]["ownerId"], Value::Null);
    assert_eq!(
        stored[0]["history"],
        json!([{"to": "NEW", "actorId": "webhook:leads"}])
    );

    // The sender retries the same message (a new timestamp, signed again).
    let again = post_leads(&app, "msg_1", lead.clone()).await;
    assert_eq!(again.status, 200);
    assert!(again.replayed);
    assert_eq!(again.body, first.body);
    assert_eq!(count(&app, "leads").await, 1);

    // The same id for another body is the sender's bug, not a replay.
    let reused = post_leads(&app, "msg_1", json!({"email": "bob@acme.io"})).await;
    assert_eq!(reused.status, 409);
    assert_eq!(reused.body["error"]["code"], "CONFLICT");
    assert_eq!(count(&app, "leads").await, 1);
}

#[tokio::test]
async fn two_deliveries_of_one_message_at_once_store_it_once() {
    let app = spawn(None).await;
    let body = json!({"leads": [
        {"email": "one@acme.io", "lastName": "One"},
        {"email": "two@acme.io", "lastName": "Two"},
    ]})
    .to_string();
    let secret = leads_secret();
    let at = now();
    let (a, b) = tokio::join!(
        send_leads(&app, Some(&secret), "msg_race", at, &body),
        send_leads(&app, Some(&secret), "msg_race", at, &body),
    );
    assert_eq!((a.status, b.status), (200, 200), "{} {}", a.body, b.body);
    assert_eq!(a.body, b.body);
    assert!(
        a.replayed != b.replayed,
        "exactly one of them is the replay"
    );
    assert_eq!(count(&app, "leads").await, 2);
}

#[tokio::test]
async fn a_batch_with_one_bad_lead_stores_nothing_and_names_its_index() {
    let app = spawn(None).await;
    let mut batch = json!({"leads": [
        {"externalRef": "b-0", "email": "a0@acme.io", "lastName": "Zero"},
        {"externalRef": "b-1", "email": "not-an-email", "lastName": "One"},
        {"externalRef": "b-2", "email": "a2@acme.io", "lastName": "Two"},
    ]});
    let refused = post_leads(&app, "msg_batch", batch.clone()).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    let error = &refused.body["error"];
    assert_eq!(error["code"], "VALIDATION");
    assert_eq!(error["field"], "leads[1].email");
    assert_eq!(error["index"], 1);
    assert_eq!(count(&app, "leads").await, 0);

    // A refused message leaves no receipt: fixed, the same id goes through.
    batch["leads"][1]["email"] = json!("a1@acme.io");
    let fixed = post_leads(&app, "msg_batch", batch).await;
    assert_eq!(fixed.status, 200, "{}", fixed.body);
    assert!(!fixed.replayed);
    let indexes: Vec<&Value> = fixed.body["leads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["index"])
        .collect();
    assert_eq!(indexes, [&json!(0), &json!(1), &json!(2)]);
    assert_eq!(count(&app, "leads").await, 3);

    // A lead that breaks a service rule is named the same way.
    let empty = post_leads(
        &app,
        "msg_empty",
        json!({"leads": [{"email": "x@acme.io"}, {"phone": "+1 555"}]}),
    )
    .await;
    assert_eq!(empty.status, 400);
    assert_eq!(empty.body["error"]["field"], "leads[1].email");
    assert_eq!(count(&app, "leads").await, 3);
}

#[tokio::test]
async fn a_batch_of_1000_is_stored_in_one_go_and_1001_is_too_large() {
    let app = spawn(None).await;
    // About 1.6 KiB a lead: over the GraphQL endpoint's 1 MiB, under this one's 2 MiB.
    let notes = "n".repeat(1500);
    let batch = |n: usize, tag: &str| {
        let leads: Vec<Value> = (0..n)
            .map(|i| json!({"externalRef": format!("{tag}-{i}"), "email": format!("p{i}@{tag}.io"), "lastName": format!("P{i}"), "notes": notes}))
            .collect();
        json!({ "leads": leads })
    };
    let big_body = batch(1000, "big");
    assert!(big_body.to_string().len() > 1024 * 1024);
    let big = post_leads(&app, "msg_1000", big_body).await;
    assert_eq!(big.status, 200, "{}", big.body);
    assert_eq!(big.body["leads"].as_array().unwrap().len(), 1000);
    assert_eq!(big.body["leads"][999]["index"], 999);
    assert_eq!(count(&app, "leads").await, 1000);

    let too_many = post_leads(&app, "msg_1001", batch(1001, "more")).await;
    assert_eq!(too_many.status, 413, "{}", too_many.body);
    assert_eq!(too_many.body["error"]["code"], "PAYLOAD_TOO_LARGE");
    assert_eq!(too_many.body["error"]["field"], "leads");
    assert_eq!(count(&app, "leads").await, 1000);
}

#[tokio::test]
async fn forged_stale_unsigned_and_oversized_webhooks_are_refused() {
    let app = spawn(None).await;
    let body = json!({"email": "eve@acme.io", "lastName": "Eve"}).to_string();
    let secret = leads_secret();
    let wrong = other_secret();
    for (what, reply) in [
        (
            "wrong secret",
            send_leads(&app, Some(&wrong), "m1", now(), &body).await,
        ),
        (
            "ten minutes old",
            send_leads(&app, Some(&secret), "m2", now() - 600, &body).await,
        ),
        (
            "ten minutes ahead",
            send_leads(&app, Some(&secret), "m3", now() + 600, &body).await,
        ),
        ("unsigned", send_leads(&app, None, "m4", now(), &body).await),
    ] {
        assert_eq!(reply.status, 401, "{what}: {}", reply.body);
        assert_eq!(reply.body["error"]["code"], "UNAUTHENTICATED", "{what}");
    }

    // A body changed after signing.
    let signature = Webhook::new(&secret)
        .unwrap()
        .sign("m5", now(), body.as_bytes())
        .unwrap();
    let tampered = app
        .client
        .post(format!("{}/webhooks/leads", app.address))
        .header("content-type", "application/json")
        .header("webhook-id", "m5")
        .header("webhook-timestamp", now().to_string())
        .header("webhook-signature", signature)
        .body(body.replace("eve@", "mallory@"))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status().as_u16(), 401);

    // Over the 2 MiB cap, signed or not.
    let notes = "x".repeat(ltc::webhooks::LEADS_MAX_BODY_BYTES);
    let huge = json!({"email": "big@acme.io", "notes": notes}).to_string();
    let oversized = send_leads(&app, Some(&secret), "m6", now(), &huge).await;
    assert_eq!(oversized.status, 413, "{}", oversized.body);
    assert_eq!(oversized.body["error"]["code"], "PAYLOAD_TOO_LARGE");

    // Signed, but not JSON.
    let signature = Webhook::new(&secret)
        .unwrap()
        .sign("m7", now(), b"email=a@b.co")
        .unwrap();
    let form = app
        .client
        .post(format!("{}/webhooks/leads", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("webhook-id", "m7")
        .header("webhook-timestamp", now().to_string())
        .header("webhook-signature", signature)
        .body("email=a@b.co")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status().as_u16(), 415);

    let garbage = send_leads(&app, Some(&secret), "m8", now(), "{not json").await;
    assert_eq!(garbage.status, 400);
    assert_eq!(garbage.body["error"]["code"], "BAD_REQUEST");
    assert_eq!(count(&app, "leads").await, 0);

    // Without a secret configured, the endpoint is not there.
    let plain = TestApp::spawn().await;
    let off = send_leads(&plain, Some(&secret), "m9", now(), &body).await;
    assert_eq!(off.status, 404);
    assert_eq!(count(&plain, "leads").await, 0);
}

#[tokio::test]
async fn webhook_leads_dedupe_as_captured_leads_do() {
    let app = spawn(None).await;
    let first = post_leads(
        &app,
        "d1",
        json!({"externalRef": "x-1", "email": "Kim@Beta.io", "lastName": "Kim"}),
    )
    .await;
    let id = first.body["leads"][0]["id"].clone();
    // The same source and ref in a later message: the same lead, updated.
    let again = post_leads(
        &app,
        "d2",
        json!({"externalRef": "x-1", "email": "kim@beta.io", "lastName": "Kim", "company": "Beta"}),
    )
    .await;
    assert_eq!(again.body["leads"][0]["id"], id);
    assert_eq!(again.body["leads"][0]["created"], false);
    // Another ref, same email (and twice within one batch): marked duplicates.
    let dup = post_leads(
        &app,
        "d3",
        json!({"leads": [
            {"externalRef": "x-2", "email": " KIM@beta.io ", "lastName": "Kim"},
            {"source": "EVENT", "email": "kim@beta.io", "lastName": "Kim"},
        ]}),
    )
    .await;
    assert_eq!(dup.status, 200, "{}", dup.body);
    assert_eq!(dup.body["leads"][0]["created"], true);
    assert_eq!(dup.body["leads"][0]["duplicate"], true);
    assert_eq!(dup.body["leads"][1]["duplicate"], true);
    let stored = leads(&app).await;
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[1]["isDuplicate"], true);
    assert_eq!(stored[2]["source"], "EVENT");
}

#[tokio::test]
async fn engagement_signals_raise_the_score_and_explain_it() {
    let app = spawn(None).await;
    let captured = post_leads(
        &app,
        "e0",
        json!({"externalRef": "e-1", "email": "lou@gamma.io", "firstName": "Lou", "lastName": "Ray"}),
    )
    .await;
    let id = captured.body["leads"][0]["id"].clone();
    let before = leads(&app).await[0].clone();
    let engagement = |lead: &Value| {
        lead["scoreFactors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["factor"] == "engagement")
            .cloned()
            .unwrap()
    };
    assert_eq!(
        engagement(&before),
        json!({"factor": "engagement", "points": 0, "maxPoints": 20, "reason": "no engagement recorded"})
    );

    let signals = post_leads(
        &app,
        "e1",
        json!({"events": [
            {"type": "FORM_FILL", "externalRef": "e-1"},
            {"type": "MEETING_BOOKED", "email": "LOU@gamma.io"},
            {"type": "EMAIL_CLICK", "email": "nobody@gamma.io"},
        ]}),
    )
    .await;
    assert_eq!(signals.status, 200, "{}", signals.body);
    let events = &signals.body["events"];
    assert_eq!(events[0]["leadId"], id);
    assert_eq!(events[1]["applied"], true);
    assert_eq!(
        events[2],
        json!({"index": 2, "type": "EMAIL_CLICK", "leadId": null, "applied": false, "score": null})
    );

    let after = leads(&app).await[0].clone();
    let before_score = before["score"].as_i64().unwrap();
    assert_eq!(after["score"].as_i64().unwrap(), before_score + 15);
    assert_eq!(events[1]["score"], after["score"]);
    assert_eq!(
        engagement(&after),
        json!({"factor": "engagement", "points": 15, "maxPoints": 20, "reason": "1 form fill, 1 meeting booked"})
    );
    let sum: i64 = after["scoreFactors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["points"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, after["score"].as_i64().unwrap());

    // A replayed signal counts once; more signals stop at the factor's cap.
    assert!(
        post_leads(
            &app,
            "e1",
            json!({"events": [
                {"type": "FORM_FILL", "externalRef": "e-1"},
                {"type": "MEETING_BOOKED", "email": "LOU@gamma.io"},
                {"type": "EMAIL_CLICK", "email": "nobody@gamma.io"},
            ]})
        )
        .await
        .replayed
    );
    post_leads(
        &app,
        "e2",
        json!({"events": [{"type": "MEETING_BOOKED", "externalRef": "e-1"}]}),
    )
    .await;
    let capped = leads(&app).await[0].clone();
    assert_eq!(capped["score"].as_i64().unwrap(), before_score + 20);
    assert_eq!(engagement(&capped)["points"], 20);

    let bad = post_leads(
        &app,
        "e3",
        json!({"events": [{"type": "PHONE_CALL", "externalRef": "e-1"}]}),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"]["field"], "events[0].type");
}

// --- HubSpot -------------------------------------------------------------

/// `X-HubSpot-Signature-v3` as HubSpot computes it.
fn hubspot_signature(secret: &str, uri: &str, body: &str, timestamp: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("POST{uri}{body}{timestamp}").as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

async fn send_hubspot(
    app: &TestApp,
    secret: &str,
    signed_uri: &str,
    timestamp_ms: i64,
    body: &Value,
) -> (u16, Value) {
    let body = body.to_string();
    let timestamp = timestamp_ms.to_string();
    let response = app
        .client
        .post(format!("{}/webhooks/hubspot", app.address))
        .header("content-type", "application/json")
        .header(
            "x-hubspot-signature-v3",
            hubspot_signature(secret, signed_uri, &body, &timestamp),
        )
        .header("x-hubspot-request-timestamp", timestamp)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post_hubspot(app: &TestApp, body: &Value) -> (u16, Value) {
    let uri = format!("{PUBLIC_URL}/webhooks/hubspot");
    send_hubspot(app, HUBSPOT_SECRET, &uri, now_ms(), body).await
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn hubspot_event(event_id: u64, kind: &str, contact_id: u64) -> Value {
    json!({
        "eventId": event_id, "subscriptionId": 25, "portalId": 33, "appId": 1160452,
        "occurredAt": 1_767_000_000_000_u64 + event_id, "subscriptionType": kind,
        "attemptNumber": 0, "objectId": contact_id, "changeSource": "CRM",
    })
}

async fn fetch_jobs(app: &TestApp) -> Value {
    let admin = app.token("root", &["ADMIN"]);
    app.gql(
        &admin,
        "{ jobs(filter: {kind: \"hubspot.fetch_contact\"}) { totalCount edges { node { status attempts lastError payload } } } }",
        json!({}),
    )
    .await["jobs"]
        .clone()
}

fn contact(id: u64, email: &str) -> Value {
    json!({
        "id": id.to_string(),
        "properties": {
            "email": email, "firstname": "Hana", "lastname": "Sato", "company": "Delta",
            "phone": null, "jobtitle": "CTO", "website": "delta.io",
            "hs_object_id": id.to_string(),
        },
        "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z", "archived": false,
    })
}

/// Runs a worker with the webhooks' handlers until no job is due (fast retries).
async fn drain(app: &TestApp) {
    let db = ltc::db::connect(&app.settings.store, None).await.unwrap();
    let handlers = ltc::webhooks::handlers(&app.settings.webhooks, &db).unwrap();
    let worker = Worker::new(
        db,
        handlers,
        WorkerOptions {
            concurrency: 4,
            poll: Duration::from_millis(10),
            lease: Duration::from_secs(30),
            backoff: Backoff {
                base: Duration::from_millis(2),
                cap: Duration::from_millis(10),
            },
        },
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut idle = 0;
    while tokio::time::Instant::now() < deadline && idle < 20 {
        if worker.run_once().await.unwrap() == 0 {
            idle += 1;
            tokio::time::sleep(Duration::from_millis(15)).await;
        } else {
            idle = 0;
        }
    }
}

#[tokio::test]
async fn a_signed_hubspot_batch_queues_one_job_per_contact_event() {
    let app = spawn(None).await;
    let batch = json!([
        hubspot_event(1, "contact.creation", 123),
        hubspot_event(2, "deal.creation", 9),
    ]);
    let (status, body) = post_hubspot(&app, &batch).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["events"][0]["status"], "QUEUED");
    assert_eq!(body["events"][1]["status"], "IGNORED");
    let jobs = fetch_jobs(&app).await;
    assert_eq!(jobs["totalCount"], 1);
    let job = &jobs["edges"][0]["node"];
    assert_eq!(job["status"], "QUEUED");
    assert_eq!(job["payload"]["contactId"], "123");

    // HubSpot delivers the same events again: nothing new is queued.
    let mut redelivered = batch.clone();
    redelivered[0]["attemptNumber"] = json!(1);
    let (status, body) = post_hubspot(&app, &redelivered).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["events"][0]["status"], "DUPLICATE");
    assert_eq!(fetch_jobs(&app).await["totalCount"], 1);
    assert_eq!(count(&app, "leads").await, 0);
}

#[tokio::test]
async fn the_worker_captures_the_contact_hubspot_returns() {
    let hubspot = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/crm/v3/objects/contacts/123"))
        .and(query_param(
            "properties",
            "email,firstname,lastname,company,phone,jobtitle,website",
        ))
        .and(header("authorization", format!("Bearer {HUBSPOT_TOKEN}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(contact(123, "hana@delta.io")))
        // Once per event; a third time if the two captures clashed and one retried.
        .expect(2..=3)
        .mount(&hubspot)
        .await;
    let app = spawn(Some(&hubspot.uri())).await;
    let (status, _) = post_hubspot(
        &app,
        &json!([
            hubspot_event(1, "contact.creation", 123),
            hubspot_event(2, "contact.propertyChange", 123),
        ]),
    )
    .await;
    assert_eq!(status, 200);
    drain(&app).await;

    let jobs = fetch_jobs(&app).await;
    assert!(
        jobs["edges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["node"]["status"] == "DONE"),
        "{jobs}"
    );
    // Two events for one contact: one lead.
    let stored = leads(&app).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["email"], "hana@delta.io");
    assert_eq!(stored[0]["externalRef"], "hubspot:123");
    assert_eq!(stored[0]["source"], "MARKETING_AUTOMATION");
    assert_eq!(stored[0]["history"][0]["actorId"], "webhook:hubspot");
}

#[tokio::test]
async fn a_hubspot_outage_delays_the_lead_but_loses_nothing() {
    let hubspot = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/crm/v3/objects/contacts/77"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&hubspot)
        .await;
    Mock::given(method("GET"))
        .and(path("/crm/v3/objects/contacts/77"))
        .respond_with(ResponseTemplate::new(200).set_body_json(contact(77, "ken@omega.io")))
        .expect(1)
        .mount(&hubspot)
        .await;
    // A contact deleted before we fetched it: given up at once.
    Mock::given(method("GET"))
        .and(path("/crm/v3/objects/contacts/404"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"status": "error", "category": "OBJECT_NOT_FOUND"})),
        )
        .expect(1)
        .mount(&hubspot)
        .await;
    let app = spawn(Some(&hubspot.uri())).await;
    let (status, _) = post_hubspot(
        &app,
        &json!([
            hubspot_event(5, "contact.creation", 77),
            hubspot_event(6, "contact.creation", 404),
        ]),
    )
    .await;
    assert_eq!(status, 200);
    drain(&app).await;

    let jobs = fetch_jobs(&app).await;
    let mut outcomes: Vec<(String, i64)> = jobs["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                format!(
                    "{}:{}",
                    j["node"]["payload"]["contactId"].as_str().unwrap(),
                    j["node"]["status"].as_str().unwrap()
                ),
                j["node"]["attempts"].as_i64().unwrap(),
            )
        })
        .collect();
    outcomes.sort();
    assert_eq!(
        outcomes,
        vec![("404:DEAD".to_owned(), 1), ("77:DONE".to_owned(), 3)]
    );
    let stored = leads(&app).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["email"], "ken@omega.io");
}

#[tokio::test]
async fn forged_and_stale_hubspot_requests_are_refused() {
    let app = spawn(None).await;
    let batch = json!([hubspot_event(1, "contact.creation", 123)]);
    let uri = format!("{PUBLIC_URL}/webhooks/hubspot");
    for (what, secret, signed_uri, at) in [
        ("forged", "not-the-secret", uri.as_str(), now_ms()),
        (
            "stale",
            HUBSPOT_SECRET,
            uri.as_str(),
            now_ms() - 6 * 60 * 1000,
        ),
        (
            "signed for another URL",
            HUBSPOT_SECRET,
            "https://evil.example.com/webhooks/hubspot",
            now_ms(),
        ),
    ] {
        let (status, body) = send_hubspot(&app, secret, signed_uri, at, &batch).await;
        assert_eq!(status, 401, "{what}: {body}");
        assert_eq!(body["error"]["code"], "UNAUTHENTICATED");
    }
    let unsigned = app
        .client
        .post(format!("{}/webhooks/hubspot", app.address))
        .header("content-type", "application/json")
        .body(batch.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    assert_eq!(fetch_jobs(&app).await["totalCount"], 0);
}
