//! Outbound events: webhook subscriptions (signed per Standard Webhooks,
//! delivered through the outbox with retries, disabled by a 410), GraphQL
//! subscriptions over WebSocket filtered by what the subscriber may see,
//! nothing for a rolled-back change, and events crossing instances on
//! PostgreSQL.

use std::time::Duration;

use base64::Engine;
use futures::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use ltc::events::{Event, publish};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest},
};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::{
    fixtures::{self, deal, product},
    helpers::{TestApp, test_settings},
};

const SUBSCRIPTION: &str =
    "id url events description status disabledReason disabledAt createdBy createdAt updatedAt";

fn tune(settings: &mut ltc::config::Settings) {
    settings.worker.worker_poll_ms = 10;
    settings.worker.job_backoff_base_ms = 10;
    settings.worker.job_backoff_cap_secs = 1;
    settings.events.events_poll_ms = 20;
}

/// An app whose worker and event relay react within milliseconds.
async fn spawn() -> TestApp {
    let (mut settings, dir) = test_settings().await;
    tune(&mut settings);
    TestApp::spawn_with(settings, dir).await
}

fn admin(app: &TestApp) -> String {
    app.token("root", &["ADMIN"])
}

/// Subscribes `url` to `events`; returns the subscription's id and secret.
async fn subscribe(app: &TestApp, url: &str, events: &[&str]) -> (String, String) {
    let data = app
        .gql(
            &admin(app),
            &format!(
                "mutation($u: String!, $e: [String!]!) {{ createWebhookSubscription(url: $u, events: $e, description: \"test\") {{ secret subscription {{ {SUBSCRIPTION} }} }} }}"
            ),
            json!({ "u": url, "e": events }),
        )
        .await;
    let created = &data["createWebhookSubscription"];
    assert_eq!(created["subscription"]["status"], "ACTIVE");
    assert_eq!(created["subscription"]["events"], json!(events));
    assert_eq!(created["subscription"]["createdBy"], "root");
    (
        created["subscription"]["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

/// A new lead, captured by `token`; returns its id.
async fn capture(app: &TestApp, token: &str, email: &str) -> String {
    app.gql(
        token,
        "mutation($e: String!) { captureLead(input: {source: WEB, email: $e, lastName: \"Lee\", company: \"Acme\"}) { lead { id } } }",
        json!({ "e": email }),
    )
    .await["captureLead"]["lead"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `NEW → WORKING → QUALIFIED`, by `token`.
async fn qualify(app: &TestApp, token: &str, lead: &str) {
    for step in ["startWorkingLead", "qualifyLead"] {
        app.gql(
            token,
            &format!("mutation($id: UUID!) {{ {step}(id: $id) {{ id status }} }}"),
            json!({ "id": lead }),
        )
        .await;
    }
}

/// A qualified lead, by a sales manager; returns its id.
async fn qualified_lead(app: &TestApp, email: &str) -> String {
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let lead = capture(app, &manager, email).await;
    qualify(app, &manager, &lead).await;
    lead
}

/// A signed contract of alice's deal with Acme; returns its id.
async fn signed_contract(app: &TestApp) -> String {
    let alice = app.token("alice", &["SALES"]);
    let (opp, _) = deal(app, "alice", "Acme").await;
    let seat = product(app, "SEAT", &[("EUR", "250")]).await;
    let signed = fixtures::signed_contract(app, &alice, &opp, &seat, "4", 30).await;
    signed["id"].as_str().unwrap().to_owned()
}

/// The event deliveries in the outbox, oldest first.
async fn deliveries(app: &TestApp) -> Vec<Value> {
    let data = app
        .gql(
            &admin(app),
            "{ jobs(first: 100, direction: ASC, filter: {kind: \"events.deliver\"}) { edges { node { status attempts lastError payload } } } }",
            json!({}),
        )
        .await;
    data["jobs"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// Waits until the deliveries satisfy `done`; returns them.
async fn deliveries_until(app: &TestApp, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let jobs = deliveries(app).await;
        if done(&jobs) {
            return jobs;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "deliveries never got there: {jobs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A webhook receiver that takes every POST to `/hooks` with 204.
async fn accepting_receiver() -> MockServer {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&receiver)
        .await;
    receiver
}

/// Waits until `server` has received `n` requests; returns them.
async fn received(server: &MockServer, n: usize) -> Vec<wiremock::Request> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let requests = server.received_requests().await.unwrap();
        if requests.len() >= n {
            return requests;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {n} requests arrived",
            requests.len()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Checks a delivery's Standard Webhooks signature twice: with the reference
/// library, and by hand (HMAC-SHA256 of `id.timestamp.body` with the
/// base64-decoded secret). Returns the body.
fn verified(secret: &str, request: &wiremock::Request) -> Value {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(&request.body, &request.headers)
        .expect("a valid Standard Webhooks signature");
    let header = |name: &str| request.headers[name].to_str().unwrap().to_owned();
    let (id, timestamp) = (header("webhook-id"), header("webhook-timestamp"));
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&request.body);
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    assert_eq!(header("webhook-signature"), expected);
    assert_eq!(header("content-type"), "application/json");
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["id"], id.as_str(), "webhook-id is the event's id");
    body
}

#[tokio::test]
async fn a_subscriber_gets_signed_posts_when_a_lead_is_qualified_and_a_contract_signed() {
    let app = spawn().await;
    let receiver = accepting_receiver().await;
    let (_, secret) = subscribe(
        &app,
        &format!("{}/hooks", receiver.uri()),
        &["lead.qualified", "contract.signed"],
    )
    .await;
    assert!(secret.starts_with("whsec_"));

    let lead = qualified_lead(&app, "ann@acme.io").await;
    let contract = signed_contract(&app).await;

    let requests = received(&receiver, 2).await;
    let bodies: Vec<Value> = requests.iter().map(|r| verified(&secret, r)).collect();
    let lead_event = bodies
        .iter()
        .find(|b| b["type"] == "lead.qualified")
        .expect("lead.qualified delivered");
    assert_eq!(lead_event["data"]["leadId"], lead.as_str());
    assert_eq!(lead_event["data"]["status"], "QUALIFIED");
    assert_eq!(lead_event["data"]["email"], "ann@acme.io");
    assert!(
        chrono::DateTime::parse_from_rfc3339(lead_event["timestamp"].as_str().unwrap()).is_ok()
    );
    let contract_event = bodies
        .iter()
        .find(|b| b["type"] == "contract.signed")
        .expect("contract.signed delivered");
    assert_eq!(contract_event["data"]["contractId"], contract.as_str());
    assert_eq!(
        contract_event["data"]["total"],
        json!({"amount": "1000.00", "currency": "EUR"})
    );

    // Signing also won the deal, but nobody subscribed to opportunity.won.
    let jobs = deliveries_until(&app, |jobs| {
        jobs.len() == 2 && jobs.iter().all(|j| j["status"] == "DONE")
    })
    .await;
    assert!(jobs.iter().all(|j| j["attempts"] == 1));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_failing_receiver_gets_the_event_once_after_retries() {
    let app = spawn().await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&receiver)
        .await;
    let (_, secret) = subscribe(&app, &receiver.uri(), &["lead.qualified"]).await;

    let lead = qualified_lead(&app, "bob@acme.io").await;

    let jobs = deliveries_until(&app, |jobs| jobs.len() == 1 && jobs[0]["status"] == "DONE").await;
    assert_eq!(jobs[0]["attempts"], 3);
    let requests = received(&receiver, 3).await;
    assert_eq!(requests.len(), 3);
    let bodies: Vec<Value> = requests.iter().map(|r| verified(&secret, r)).collect();
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "every retry sends the same event"
    );
    assert_eq!(bodies[0]["data"]["leadId"], lead.as_str());
    receiver.verify().await;
}

#[tokio::test]
async fn a_410_disables_the_subscription_and_no_more_deliveries_are_queued() {
    let app = spawn().await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(410))
        .mount(&receiver)
        .await;
    let (id, _) = subscribe(&app, &receiver.uri(), &["lead.qualified"]).await;

    qualified_lead(&app, "gone@acme.io").await;
    let jobs = deliveries_until(&app, |jobs| jobs.len() == 1 && jobs[0]["status"] == "DEAD").await;
    assert_eq!(jobs[0]["attempts"], 1, "a 410 is not retried");
    assert!(jobs[0]["lastError"].as_str().unwrap().contains("410"));
    let query =
        format!("query($id: UUID!) {{ webhookSubscription(id: $id) {{ {SUBSCRIPTION} }} }}");
    let sub =
        app.gql(&admin(&app), &query, json!({ "id": id })).await["webhookSubscription"].clone();
    assert_eq!(sub["status"], "DISABLED");
    assert!(sub["disabledReason"].as_str().unwrap().contains("410"));
    assert!(sub["disabledAt"].is_string());

    qualified_lead(&app, "more@acme.io").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        deliveries(&app).await.len(),
        1,
        "no job for a disabled subscription"
    );
    assert_eq!(receiver.received_requests().await.unwrap().len(), 1);

    // An admin turns it back on once the receiver is fixed.
    let enabled = app
        .gql(
            &admin(&app),
            "mutation($id: UUID!) { enableWebhookSubscription(id: $id) { status disabledReason } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        enabled["enableWebhookSubscription"],
        json!({"status": "ACTIVE", "disabledReason": null})
    );
}

const ROTATE: &str = "mutation($id: UUID!) { rotateWebhookSubscriptionSecret(id: $id) { secret subscription { id previousSecretExpiresAt } } }";
const ROTATE_KEEPING: &str = "mutation($id: UUID!, $h: Int!) { rotateWebhookSubscriptionSecret(id: $id, keepPreviousForHours: $h) { secret subscription { id previousSecretExpiresAt } } }";

/// Whether `secret` verifies the delivery (any of its signatures).
fn signed_with(secret: &str, request: &wiremock::Request) -> bool {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(&request.body, &request.headers)
        .is_ok()
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_new_one_until_it_ends() {
    let app = spawn().await;
    let root = admin(&app);
    let receiver = accepting_receiver().await;
    let (id, first) = subscribe(
        &app,
        &format!("{}/hooks", receiver.uri()),
        &["lead.qualified"],
    )
    .await;

    // By default the old secret keeps signing for a day.
    let rotated =
        app.gql(&root, ROTATE, json!({ "id": id })).await["rotateWebhookSubscriptionSecret"]
            .clone();
    let second = rotated["secret"].as_str().unwrap().to_owned();
    assert!(second.starts_with("whsec_"));
    assert_ne!(second, first);
    let until = chrono::DateTime::parse_from_rfc3339(
        rotated["subscription"]["previousSecretExpiresAt"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let left = until.signed_duration_since(chrono::Utc::now());
    assert!(
        left > chrono::Duration::hours(23) && left <= chrono::Duration::hours(24),
        "{left}"
    );
    qualified_lead(&app, "ann@acme.io").await;
    let delivered = received(&receiver, 1).await;
    let signatures = delivered[0].headers["webhook-signature"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        signatures
            .split(' ')
            .filter(|s| s.starts_with("v1,"))
            .count(),
        2,
        "{signatures}"
    );
    assert!(signed_with(&second, &delivered[0]));
    assert!(signed_with(&first, &delivered[0]));

    // Bad rotations are refused and change nothing.
    for hours in [-1, 169] {
        let (code, error) = app
            .gql_error(&root, ROTATE_KEEPING, json!({ "id": id, "h": hours }))
            .await;
        assert_eq!(code, "VALIDATION");
        assert_eq!(error["extensions"]["field"], "keepPreviousForHours");
    }
    let sales = app.token("sam", &["SALES"]);
    let (code, _) = app.gql_error(&sales, ROTATE, json!({ "id": id })).await;
    assert_eq!(code, "FORBIDDEN");
    let (code, _) = app
        .gql_error(&root, ROTATE, json!({ "id": uuid::Uuid::new_v4() }))
        .await;
    assert_eq!(code, "NOT_FOUND");

    // 0 hours: the old secret stops at once.
    let rotated = app
        .gql(&root, ROTATE_KEEPING, json!({ "id": id, "h": 0 }))
        .await["rotateWebhookSubscriptionSecret"]
        .clone();
    let third = rotated["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        rotated["subscription"]["previousSecretExpiresAt"],
        Value::Null
    );
    qualified_lead(&app, "ben@acme.io").await;
    let delivered = received(&receiver, 2).await;
    let last = delivered
        .iter()
        .find(|r| !signed_with(&second, r) && !signed_with(&first, r))
        .expect("a delivery signed with neither earlier secret");
    assert!(signed_with(&third, last));
    verified(&third, last);
}

#[tokio::test]
async fn subscriptions_are_managed_by_admins_with_checked_urls_and_event_names() {
    let app = spawn().await;
    let root = admin(&app);
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let sales = app.token("sam", &["SALES"]);
    let create = "mutation($u: String!, $e: [String!]!) { createWebhookSubscription(url: $u, events: $e) { secret subscription { id } } }";
    for token in [&manager, &sales] {
        let (code, _) = app
            .gql_error(
                token,
                create,
                json!({ "u": "https://hooks.example.com", "e": ["lead.qualified"] }),
            )
            .await;
        assert_eq!(code, "FORBIDDEN");
        let (code, _) = app
            .gql_error(token, "{ webhookSubscriptions { totalCount } }", json!({}))
            .await;
        assert_eq!(code, "FORBIDDEN");
    }
    for (url, events, field) in [
        (
            "https://hooks.example.com",
            json!(["lead.qualified", "lead.eaten"]),
            "events[1]",
        ),
        ("https://hooks.example.com", json!([]), "events"),
        ("ftp://hooks.example.com", json!(["lead.qualified"]), "url"),
        ("not a url", json!(["lead.qualified"]), "url"),
    ] {
        let (code, error) = app
            .gql_error(&root, create, json!({ "u": url, "e": events }))
            .await;
        assert_eq!(code, "VALIDATION", "{url} {events}");
        assert_eq!(error["extensions"]["field"], field, "{url} {events}");
    }

    let (id, secret) = subscribe(&app, "https://hooks.example.com/a", &["receivable.paid"]).await;
    subscribe(
        &app,
        "http://127.0.0.1:9/b",
        &["opportunity.won", "purchase_order.created"],
    )
    .await;
    let list = app
        .gql(
            &root,
            &format!("{{ webhookSubscriptions(first: 10) {{ totalCount edges {{ node {{ {SUBSCRIPTION} }} }} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(list["webhookSubscriptions"]["totalCount"], 2);
    assert!(
        !list.to_string().contains(&secret),
        "the secret is shown once only"
    );
    let (code, _) = app
        .gql_error(
            &manager,
            "{ webhookSubscriptions { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");

    let disabled = app
        .gql(
            &root,
            "mutation($id: UUID!) { disableWebhookSubscription(id: $id, reason: \"maintenance\") { status disabledReason } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        disabled["disableWebhookSubscription"],
        json!({"status": "DISABLED", "disabledReason": "maintenance"})
    );
    let delete = "mutation($id: UUID!) { deleteWebhookSubscription(id: $id) }";
    let deleted = app.gql(&root, delete, json!({ "id": id })).await;
    assert_eq!(deleted["deleteWebhookSubscription"], id.as_str());
    let (code, _) = app.gql_error(&root, delete, json!({ "id": id })).await;
    assert_eq!(code, "NOT_FOUND");

    let types = app
        .gql(&manager, "{ eventTypes { name description } }", json!({}))
        .await;
    let names: Vec<&str> = types["eventTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "lead.qualified",
            "opportunity.won",
            "contract.signed",
            "purchase_order.created",
            "receivable.paid"
        ]
    );
}

/// A `graphql-transport-ws` client.
struct Subscriber {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Subscriber {
    /// Opens a WebSocket on `GET /graphql`, sending nothing yet.
    async fn open(app: &TestApp) -> Subscriber {
        let url = format!("{}/graphql", app.address.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
        assert_eq!(
            response.headers()["sec-websocket-protocol"],
            "graphql-transport-ws"
        );
        Subscriber { socket }
    }

    /// Connects to `GET /graphql` and sends `connection_init` with `token`.
    async fn connect(app: &TestApp, token: Option<&str>) -> (Subscriber, Value) {
        let mut subscriber = Subscriber::open(app).await;
        let payload = match token {
            Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        subscriber
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let answer = subscriber.next().await.unwrap_or(Value::Null);
        (subscriber, answer)
    }

    async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .unwrap();
    }

    /// The next message within five seconds (`{"close": code}` for a close
    /// frame); `None` if none came.
    async fn next(&mut self) -> Option<Value> {
        self.next_within(Duration::from_secs(5)).await
    }

    async fn next_within(&mut self, limit: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let message = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()??;
            match message {
                Ok(Message::Text(text)) => {
                    return Some(serde_json::from_str(text.as_str()).unwrap());
                }
                Ok(Message::Close(frame)) => {
                    return Some(json!({ "close": frame.map(|f| u16::from(f.code)) }));
                }
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// Starts `query` as subscription `id`, and waits until the server has
    /// surely taken it up.
    async fn subscribe(&mut self, id: &str, query: &str) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query } }))
            .await;
        self.send(json!({ "type": "ping" })).await;
        assert_eq!(self.next().await.unwrap()["type"], "pong");
        // The server starts the subscription's stream right after; give it a moment.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    /// The data of the next `next` message of subscription `id`.
    async fn event(&mut self, id: &str) -> Value {
        let message = self.next().await.expect("an event");
        assert_eq!(message["type"], "next", "{message}");
        assert_eq!(message["id"], id);
        assert!(message["payload"].get("errors").is_none(), "{message}");
        message["payload"]["data"]["events"].clone()
    }
}

const EVENTS: &str =
    "subscription { events(types: [\"lead.qualified\"]) { id type at subjectId accountId data } }";

#[tokio::test]
async fn a_websocket_subscriber_gets_events_about_leads_it_may_see_and_no_others() {
    let app = spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let sam = app.token("sam", &["SALES"]);
    let (mut sams, ack) = Subscriber::connect(&app, Some(&sam)).await;
    assert_eq!(ack["type"], "connection_ack");
    sams.subscribe("s", EVENTS).await;
    let (mut managers, _) = Subscriber::connect(&app, Some(&manager)).await;
    managers.subscribe("m", EVENTS).await;

    // Olga's lead: sam may not see it.
    let hidden = capture(&app, &manager, "olga-lead@acme.io").await;
    app.gql(
        &manager,
        "mutation($id: UUID!) { assignLead(id: $id, userId: \"olga\") { id } }",
        json!({ "id": hidden }),
    )
    .await;
    qualify(&app, &manager, &hidden).await;
    // An unassigned lead sam takes and qualifies.
    let visible = capture(&app, &manager, "sam-lead@acme.io").await;
    qualify(&app, &sam, &visible).await;

    let first = sams.event("s").await;
    assert_eq!(
        first["subjectId"],
        visible.as_str(),
        "sam got only his lead's event"
    );
    assert_eq!(first["type"], "lead.qualified");
    assert_eq!(first["data"]["ownerId"], "sam");
    assert!(first["at"].is_string() && first["id"].is_string());
    // The manager sees both, in commit order.
    assert_eq!(managers.event("m").await["subjectId"], hidden.as_str());
    assert_eq!(managers.event("m").await["subjectId"], visible.as_str());
    assert_eq!(sams.next_within(Duration::from_millis(300)).await, None);
}

#[tokio::test]
async fn a_websocket_is_closed_when_its_token_ends() {
    let app = spawn().await;
    // Expired two seconds short of the 30 s of clock-skew leeway: accepted
    // now, refused two seconds from now.
    let now = chrono::Utc::now().timestamp();
    let ending = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({ "sub": "sam", "roles": ["SALES"], "exp": now - 28 }),
        &jsonwebtoken::EncodingKey::from_secret(crate::helpers::TEST_SECRET.as_bytes()),
    )
    .unwrap();
    let lasting = app.token("kim", &["SALES"]);
    let (mut ending, ack) = Subscriber::connect(&app, Some(&ending)).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    let (mut lasting, ack) = Subscriber::connect(&app, Some(&lasting)).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    ending.subscribe("e", EVENTS).await;
    lasting.subscribe("l", EVENTS).await;

    let closed = ending.next_within(Duration::from_secs(8)).await;
    assert_eq!(closed, Some(json!({ "close": 4403 })));
    // The other connection's token runs for minutes: it still answers.
    lasting.send(json!({ "type": "ping" })).await;
    assert_eq!(lasting.next().await.unwrap()["type"], "pong");
}

#[tokio::test]
async fn a_websocket_needs_a_token_and_the_right_to_the_events() {
    let app = spawn().await;
    let (_, refused) = Subscriber::connect(&app, None).await;
    assert!(refused["close"].is_number(), "{refused}");
    let (_, forged) = Subscriber::connect(&app, Some("not.a.token")).await;
    assert!(forged["close"].is_number(), "{forged}");

    let hook = app.token_with_scope("hook", &["INTEGRATION"], Some("leads:read"));
    let (mut socket, ack) = Subscriber::connect(&app, Some(&hook)).await;
    assert_eq!(ack["type"], "connection_ack");
    socket
        .send(json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { events(types: [\"receivable.paid\"]) { id } }" } }))
        .await;
    let answer = socket.next().await.unwrap();
    assert_eq!(answer["type"], "next", "{answer}");
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"],
        "FORBIDDEN"
    );
    socket
        .send(json!({ "id": "2", "type": "subscribe", "payload": { "query": "subscription { events(types: [\"lead.sold\"]) { id } }" } }))
        .await;
    let mut answer = socket.next().await.unwrap();
    if answer["type"] == "complete" {
        answer = socket.next().await.unwrap();
    }
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"],
        "VALIDATION"
    );
}

/// Publishes a bare event of `lead.qualified` in a transaction of its own.
async fn publish_raw(db: &DatabaseConnection, note: &str, commit: bool) {
    let txn = db.begin().await.unwrap();
    publish(
        &txn,
        Event {
            name: "lead.qualified",
            subject_id: ltc::db::new_id(),
            account_id: None,
            data: json!({ "note": note }),
        },
    )
    .await
    .unwrap();
    if commit {
        txn.commit().await.unwrap();
    } else {
        txn.rollback().await.unwrap();
    }
}

#[tokio::test]
async fn a_rolled_back_change_publishes_nothing() {
    let app = spawn().await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    subscribe(&app, &receiver.uri(), &["lead.qualified"]).await;
    let (mut socket, _) = Subscriber::connect(&app, Some(&admin(&app))).await;
    socket.subscribe("a", EVENTS).await;
    let db = ltc::db::connect(&app.settings.store, None).await.unwrap();

    publish_raw(&db, "rolled back", false).await;
    publish_raw(&db, "committed", true).await;

    let event = socket.event("a").await;
    assert_eq!(event["data"]["note"], "committed");
    assert_eq!(socket.next_within(Duration::from_millis(300)).await, None);
    let requests = received(&receiver, 1).await;
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["data"]["note"], "committed");
    let jobs = deliveries_until(&app, |jobs| jobs.iter().all(|j| j["status"] == "DONE")).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(receiver.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_event_raised_on_one_instance_reaches_subscribers_on_another() {
    let (mut settings, dir) = test_settings().await;
    if settings.store.database_url.is_none() {
        eprintln!("note: the two-instance event test runs on PostgreSQL only (set DATABASE_URL)");
        return;
    }
    tune(&mut settings);
    let mut other = settings.clone();
    let other_dir = tempfile::tempdir().unwrap();
    other.store.data_dir = other_dir.path().to_path_buf();
    let a = TestApp::spawn_with(settings, dir).await;
    let b = TestApp::spawn_with(other, other_dir).await;
    assert_ne!(a.address, b.address);

    let (mut on_b, _) = Subscriber::connect(&b, Some(&admin(&b))).await;
    on_b.subscribe("b", EVENTS).await;
    let lead = qualified_lead(&a, "far@acme.io").await;

    let event = on_b.event("b").await;
    assert_eq!(event["subjectId"], lead.as_str());
}

/// The `secret` and `previous_secret` columns of every subscription, as stored.
async fn stored_secrets(app: &TestApp) -> Vec<(String, Option<String>)> {
    let rows = crate::helpers::stored_rows(
        app,
        "SELECT secret, previous_secret FROM webhook_subscriptions",
    )
    .await;
    rows.iter()
        .map(|row| {
            (
                row.try_get("", "secret").unwrap(),
                row.try_get("", "previous_secret").unwrap(),
            )
        })
        .collect()
}

/// The key id of a sealed value, `enc:v1:<id>:...`.
fn key_id(stored: &str) -> &str {
    stored
        .strip_prefix("enc:v1:")
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("not sealed: {stored}"))
}

#[tokio::test]
async fn webhook_secrets_are_stored_encrypted_and_deliveries_still_verify() {
    let app = spawn().await;
    let receiver = accepting_receiver().await;
    let (id, secret) = subscribe(
        &app,
        &format!("{}/hooks", receiver.uri()),
        &["lead.qualified"],
    )
    .await;
    let rotated = app
        .gql(
            &admin(&app),
            "mutation($id: UUID!) { rotateWebhookSubscriptionSecret(id: $id, keepPreviousForHours: 1) { secret } }",
            json!({ "id": id }),
        )
        .await["rotateWebhookSubscriptionSecret"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let stored = stored_secrets(&app).await;
    let (current, previous) = &stored[0];
    let previous = previous.as_deref().unwrap();
    for (column, plain) in [(current.as_str(), &rotated), (previous, &secret)] {
        assert!(column.starts_with("enc:v1:"), "{column}");
        assert!(!column.contains(plain.as_str()));
        let key = plain.strip_prefix("whsec_").unwrap();
        assert!(!column.contains(key), "the key itself is not stored");
    }
    // The key was generated into the data directory, owner-only.
    let key_file = app.data_dir().join("secret-key");
    assert!(key_file.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    qualified_lead(&app, "ann@acme.io").await;
    let requests = received(&receiver, 1).await;
    assert!(signed_with(&rotated, &requests[0]));
    assert!(signed_with(&secret, &requests[0]));
}

#[tokio::test]
async fn a_new_secret_key_reseals_stored_secrets_when_the_old_one_is_named_previous() {
    use base64::engine::general_purpose::STANDARD;
    let (old, new) = (STANDARD.encode([7_u8; 32]), STANDARD.encode([9_u8; 32]));
    let (mut settings, dir) = test_settings().await;
    tune(&mut settings);
    settings.secrets.secret_key = Some(old.clone().into());
    // This instance only writes; the next one delivers.
    settings.worker.worker_enabled = false;
    let first = TestApp::spawn_with(settings.clone(), dir).await;
    let receiver = accepting_receiver().await;
    let (_, secret) = subscribe(
        &first,
        &format!("{}/hooks", receiver.uri()),
        &["lead.qualified"],
    )
    .await;
    let sealed_with_old = stored_secrets(&first).await[0].0.clone();

    // Without the old key the stored secret cannot be opened: refuse to start.
    let mut forgetting = settings.clone();
    forgetting.secrets.secret_key = Some(new.clone().into());
    assert!(ltc::startup::Application::build(&forgetting).await.is_err());

    let mut rotated = settings.clone();
    rotated.secrets.secret_key = Some(new.into());
    rotated.secrets.secret_key_previous = Some(old.into());
    rotated.worker.worker_enabled = true;
    let second = TestApp::spawn_with(rotated, tempfile::tempdir().unwrap()).await;
    let resealed = stored_secrets(&second).await[0].0.clone();
    assert_ne!(key_id(&resealed), key_id(&sealed_with_old));
    assert!(!resealed.contains(&secret));

    qualified_lead(&second, "ann@acme.io").await;
    let requests = received(&receiver, 1).await;
    verified(&secret, &requests[0]);
}

#[tokio::test]
async fn a_websocket_without_connection_init_is_closed_with_4408() {
    let (mut settings, dir) = test_settings().await;
    settings.transport.ws_init_timeout_secs = 1;
    let app = TestApp::spawn_with(settings, dir).await;
    let mut silent = Subscriber::open(&app).await;
    let started = tokio::time::Instant::now();
    let closed = silent.next_within(Duration::from_secs(4)).await;
    assert_eq!(closed, Some(json!({ "close": 4408 })));
    assert!(started.elapsed() >= Duration::from_millis(900));
    // One that says hello in time stays.
    let (mut prompt, ack) = Subscriber::connect(&app, Some(&admin(&app))).await;
    assert_eq!(ack["type"], "connection_ack");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    prompt.send(json!({ "type": "ping" })).await;
    assert_eq!(prompt.next().await.unwrap()["type"], "pong");
}

#[tokio::test]
async fn a_refused_token_closes_the_websocket_with_4403() {
    let app = spawn().await;
    let (_, missing) = Subscriber::connect(&app, None).await;
    assert_eq!(missing, json!({ "close": 4403 }));
    let (_, forged) = Subscriber::connect(&app, Some("not.a.token")).await;
    assert_eq!(forged, json!({ "close": 4403 }));
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({ "sub": "sam", "roles": ["SALES"], "exp": chrono::Utc::now().timestamp() - 3600 }),
        &jsonwebtoken::EncodingKey::from_secret(crate::helpers::TEST_SECRET.as_bytes()),
    )
    .unwrap();
    let (_, expired) = Subscriber::connect(&app, Some(&expired)).await;
    assert_eq!(expired, json!({ "close": 4403 }));
}

#[tokio::test]
async fn queries_and_mutations_over_websocket_are_refused_and_nothing_runs() {
    let app = spawn().await;
    let (mut socket, ack) = Subscriber::connect(&app, Some(&admin(&app))).await;
    assert_eq!(ack["type"], "connection_ack");
    let mutation =
        "mutation { captureLead(input: {source: WEB, email: \"ws@acme.io\"}) { created } }";
    for (id, query) in [
        ("m", mutation),
        (
            "q",
            "{ leads(first: 5) { edges { node { id owner { id } } } } }",
        ),
    ] {
        socket
            .send(json!({ "id": id, "type": "subscribe", "payload": { "query": query } }))
            .await;
        let answer = socket.next().await.unwrap();
        assert_eq!(answer["type"], "error", "{answer}");
        assert_eq!(answer["id"], id);
        assert_eq!(answer["payload"][0]["extensions"]["code"], "BAD_REQUEST");
    }
    // Named operations are told apart too.
    socket
        .send(json!({ "id": "n", "type": "subscribe", "payload": {
            "query": format!("subscription S {{ events {{ id }} }} {mutation}"),
            "operationName": null,
        } }))
        .await;
    socket.send(json!({ "type": "ping" })).await;
    let mut seen = Vec::new();
    while let Some(message) = socket.next_within(Duration::from_millis(500)).await {
        seen.push(message);
    }
    assert!(seen.iter().any(|m| m["type"] == "pong"), "{seen:?}");
    assert_eq!(crate::helpers::count(&app, "leads").await, 0);
    // The socket still serves subscriptions.
    socket.subscribe("s", EVENTS).await;
}

#[tokio::test]
async fn one_caller_holds_at_most_its_share_of_websockets() {
    let (mut settings, dir) = test_settings().await;
    settings.transport.ws_max_connections_per_caller = 2;
    let app = TestApp::spawn_with(settings, dir).await;
    let sam = app.token("sam", &["SALES"]);
    let (first, ack) = Subscriber::connect(&app, Some(&sam)).await;
    assert_eq!(ack["type"], "connection_ack");
    let (_second, ack) = Subscriber::connect(&app, Some(&sam)).await;
    assert_eq!(ack["type"], "connection_ack");
    let (_, over) = Subscriber::connect(&app, Some(&sam)).await;
    assert_eq!(over, json!({ "close": 4429 }));
    // Another caller is not held back by sam.
    let (_kim, ack) = Subscriber::connect(&app, Some(&app.token("kim", &["SALES"]))).await;
    assert_eq!(ack["type"], "connection_ack");
    // A socket closed gives its place back.
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (_again, ack) = Subscriber::connect(&app, Some(&sam)).await;
        if ack["type"] == "connection_ack" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{ack}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_message_over_64_kib_closes_the_websocket_unread() {
    let app = spawn().await;
    let (mut socket, ack) = Subscriber::connect(&app, Some(&admin(&app))).await;
    assert_eq!(ack["type"], "connection_ack");
    let padding = "x".repeat(100 * 1024);
    let big = json!({ "id": "big", "type": "subscribe", "payload": {
        "query": format!("subscription {{ events {{ id }} }} # {padding}"),
    } });
    // The server may close before the whole message is written.
    let _ = socket.socket.send(Message::text(big.to_string())).await;
    let answer = socket.next().await;
    assert!(
        answer.is_none() || answer == Some(json!({ "close": 1009 })),
        "{answer:?}"
    );
}

#[tokio::test]
async fn an_instance_serves_at_most_its_share_of_websockets() {
    let (mut settings, dir) = test_settings().await;
    settings.transport.ws_max_connections = 1;
    let app = TestApp::spawn_with(settings, dir).await;
    let first = Subscriber::open(&app).await;
    let url = format!("{}/graphql", app.address.replacen("http://", "ws://", 1));
    let upgrade = || {
        let mut request = url.as_str().into_client_request().unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        tokio_tungstenite::connect_async(request)
    };
    match upgrade().await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503);
            assert!(response.headers().contains_key("retry-after"));
        }
        other => panic!("expected 503, got {:?}", other.map(|(_, r)| r.status())),
    }
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while upgrade().await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the place never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_secret_stored_in_plain_text_is_encrypted_at_start() {
    use base64::engine::general_purpose::STANDARD;
    use sea_orm::ConnectionTrait;
    let (mut settings, dir) = test_settings().await;
    tune(&mut settings);
    settings.worker.worker_enabled = false;
    let first = TestApp::spawn_with(settings.clone(), dir).await;
    let receiver = accepting_receiver().await;
    subscribe(
        &first,
        &format!("{}/hooks", receiver.uri()),
        &["lead.qualified"],
    )
    .await;
    // As an older version stored it.
    let plain = format!("whsec_{}", STANDARD.encode([1_u8; 32]));
    let db = sea_orm::Database::connect(first.settings.store.database_url())
        .await
        .unwrap();
    db.execute_unprepared(&format!(
        "UPDATE webhook_subscriptions SET secret = '{plain}'"
    ))
    .await
    .unwrap();
    assert_eq!(stored_secrets(&first).await[0].0, plain);

    settings.worker.worker_enabled = true;
    let second = TestApp::spawn_with(settings, tempfile::tempdir().unwrap()).await;
    let stored = stored_secrets(&second).await[0].0.clone();
    assert!(stored.starts_with("enc:v1:"), "{stored}");
    assert!(!stored.contains(&plain));
    qualified_lead(&second, "ann@acme.io").await;
    let requests = received(&receiver, 1).await;
    verified(&plain, &requests[0]);
}
