//! The billing connector against wiremock servers speaking Stripe's invoice
//! API and the generic format: payments pulled on request and periodically
//! through the outbox, idempotent; void invoices flagged, never written off;
//! outages and rate limits change nothing; who may sync.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ltc::connectors::billing::BillingKind;
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path},
};

use crate::{
    fixtures::{deal, product},
    helpers::{TestApp, test_settings},
    quotes::{act, sent_quote},
};

const SECRET_KEY: &str = "sk_test_4eC39HqLyjWDarjtT1zdp7dc";

const RECEIVABLE: &str =
    "id status amount { amount currency } paid { amount } outstanding { amount }
    billingInvoiceId billingStatus billingSyncedAt billingFlag closedReason
    payments { amount { amount currency } reference source receivedAt recordedBy }
    history { from to actorId }";

/// A server with its own worker off (tests drive one), billing configured
/// as given.
async fn spawn(billing: Option<(BillingKind, String)>, interval_secs: u64) -> TestApp {
    let (mut settings, dir) = test_settings().await;
    settings.worker.worker_enabled = false;
    if let Some((kind, url)) = billing {
        settings.billing.billing_kind = Some(kind);
        settings.billing.billing_url = Some(url.parse().unwrap());
        settings.billing.billing_api_key = Some(SecretString::from(SECRET_KEY.to_owned()));
        settings.billing.billing_sync_interval_secs = interval_secs;
        settings.billing.billing_timeout_secs = 1;
    }
    TestApp::spawn_with(settings, dir).await
}

async fn stripe_app(server: &MockServer) -> TestApp {
    spawn(Some((BillingKind::Stripe, server.uri())), 300).await
}

/// A signed contract worth 1000.00 EUR whose terms raise receivables on
/// signing (one per percent given); returns them, smallest first.
async fn receivables(app: &TestApp, percents: &[&str]) -> Vec<Value> {
    let alice = app.token("alice", &["SALES"]);
    let (opp, _) = deal(app, "alice", "Acme").await;
    let seat = product(app, "SEAT", &[("EUR", "250")]).await;
    let quote = sent_quote(app, &alice, &opp, &seat, "4").await;
    let quote = act(app, &alice, "acceptQuote", quote["id"].as_str().unwrap()).await;
    let terms: Vec<Value> = percents
        .iter()
        .map(|p| json!({ "trigger": "ON_SIGNING", "percent": p, "dueInDays": 14 }))
        .collect();
    let contract = app
        .gql(
            &alice,
            "mutation($q: UUID!, $terms: [PaymentTermInput!]!) { createContractFromQuote(quoteId: $q, paymentTerms: $terms) { id } }",
            json!({ "q": quote["id"], "terms": terms }),
        )
        .await["createContractFromQuote"]["id"]
        .clone();
    app.gql(
        &alice,
        "mutation($id: UUID!) { signContract(id: $id) { status } }",
        json!({ "id": contract }),
    )
    .await;
    let query = format!(
        "query($c: UUID!) {{ receivables(first: 10, filter: {{contractId: $c}}) {{ edges {{ node {{ {RECEIVABLE} }} }} }} }}"
    );
    let data = app
        .gql(&finance(app), &query, json!({ "c": contract }))
        .await;
    let mut rows: Vec<Value> = data["receivables"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    rows.sort_by_key(|r| {
        r["amount"]["amount"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap() as i64
    });
    rows
}

/// One receivable of 1000.00 EUR, invoiced as `invoice`.
async fn invoiced(app: &TestApp, invoice: &str) -> String {
    let rows = receivables(app, &["100"]).await;
    let id = rows[0]["id"].as_str().unwrap().to_owned();
    link(app, &id, invoice).await;
    id
}

async fn link(app: &TestApp, id: &str, invoice: &str) {
    let linked = app
        .gql(
            &finance(app),
            "mutation($r: UUID!, $i: String!, $at: DateTime!) { linkInvoice(receivableId: $r, billingInvoiceId: $i, invoicedAt: $at) { status } }",
            json!({ "r": id, "i": invoice, "at": (Utc::now() - chrono::Duration::days(1)).to_rfc3339() }),
        )
        .await;
    assert_eq!(linked["linkInvoice"]["status"], "INVOICED");
}

fn finance(app: &TestApp) -> String {
    app.token("fiona", &["FINANCE"])
}

fn sync_query() -> String {
    format!("mutation($r: UUID!) {{ syncPaymentStatus(receivableId: $r) {{ {RECEIVABLE} }} }}")
}

async fn sync(app: &TestApp, id: &str) -> Value {
    app.gql(&finance(app), &sync_query(), json!({ "r": id }))
        .await["syncPaymentStatus"]
        .clone()
}

async fn sync_error(app: &TestApp, token: &str, id: &str) -> (String, Value) {
    app.gql_error(token, &sync_query(), json!({ "r": id }))
        .await
}

async fn read(app: &TestApp, id: &str) -> Value {
    let query = format!("query($r: UUID!) {{ receivable(id: $r) {{ {RECEIVABLE} }} }}");
    app.gql(&finance(app), &query, json!({ "r": id })).await["receivable"].clone()
}

/// Stripe's invoice object, as `GET /v1/invoices/{id}` returns it.
fn stripe_invoice(id: &str, status: &str, amount_paid: i64, paid_at: Option<i64>) -> Value {
    json!({
        "id": id,
        "object": "invoice",
        "account_country": "DE",
        "amount_due": 100000,
        "amount_paid": amount_paid,
        "amount_remaining": 100000 - amount_paid,
        "attempt_count": 1,
        "attempted": true,
        "auto_advance": status == "open",
        "collection_method": "send_invoice",
        "created": 1764000000,
        "currency": "eur",
        "customer": "cus_NeZwdNtLEOXuvB",
        "due_date": 1765209600,
        "livemode": false,
        "number": "A1B2C3D4-0001",
        "paid": status == "paid",
        "status": status,
        "status_transitions": {
            "finalized_at": 1764000000,
            "marked_uncollectible_at": null,
            "paid_at": paid_at,
            "voided_at": if status == "void" { json!(1764100000) } else { Value::Null }
        },
        "subtotal": 100000,
        "total": 100000
    })
}

async fn stripe_answers(server: &MockServer, invoice: Value) {
    server.reset().await;
    let id = invoice["id"].as_str().unwrap().to_owned();
    Mock::given(method("GET"))
        .and(path(format!("/v1/invoices/{id}")))
        .and(header(
            "authorization",
            format!("Bearer {SECRET_KEY}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(invoice))
        .mount(server)
        .await;
}

fn amounts(payments: &Value) -> Vec<(String, String)> {
    payments
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["amount"]["amount"].as_str().unwrap().to_owned(),
                p["reference"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn statuses(history: &Value) -> Vec<String> {
    history
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["to"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn billing_reporting_two_partial_payments_then_paid_leaves_two_payments_however_often_synced()
{
    let stripe = MockServer::start().await;
    let app = stripe_app(&stripe).await;
    let id = invoiced(&app, "in_1MtHbELkdIwHu7ix").await;

    stripe_answers(
        &stripe,
        stripe_invoice("in_1MtHbELkdIwHu7ix", "open", 30000, None),
    )
    .await;
    let first = sync(&app, &id).await;
    assert_eq!(first["status"], "PARTIALLY_PAID");
    assert_eq!(first["paid"]["amount"], "300.00");
    assert_eq!(first["outstanding"]["amount"], "700.00");
    assert_eq!(first["billingStatus"], "open");
    assert_eq!(first["billingFlag"], Value::Null);
    assert!(first["billingSyncedAt"].is_string());
    assert_eq!(
        amounts(&first["payments"]),
        [("300.00".into(), "stripe:in_1MtHbELkdIwHu7ix:30000".into())]
    );
    assert_eq!(first["payments"][0]["source"], "BILLING");
    assert_eq!(first["payments"][0]["recordedBy"], "fiona");
    // The bearer secret key reached Stripe (the mock matches on it too).
    let requests = stripe.received_requests().await.unwrap();
    assert_eq!(
        requests[0].headers["authorization"],
        format!("Bearer {SECRET_KEY}").as_str()
    );

    // The same snapshot again records nothing.
    let again = sync(&app, &id).await;
    assert_eq!(again["status"], "PARTIALLY_PAID");
    assert_eq!(again["payments"].as_array().unwrap().len(), 1);

    // Paid in full a moment after the first payment was seen.
    let paid_at = Utc::now().timestamp() + 1;
    stripe_answers(
        &stripe,
        stripe_invoice("in_1MtHbELkdIwHu7ix", "paid", 100000, Some(paid_at)),
    )
    .await;
    let paid = sync(&app, &id).await;
    assert_eq!(paid["status"], "PAID");
    assert_eq!(paid["outstanding"]["amount"], "0.00");
    assert_eq!(paid["billingStatus"], "paid");
    assert_eq!(
        amounts(&paid["payments"]),
        [
            ("300.00".into(), "stripe:in_1MtHbELkdIwHu7ix:30000".into()),
            ("700.00".into(), "stripe:in_1MtHbELkdIwHu7ix:100000".into()),
        ]
    );
    let received: DateTime<Utc> = paid["payments"][1]["receivedAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(received.timestamp(), paid_at);

    let after = sync(&app, &id).await;
    assert_eq!(after["status"], "PAID");
    assert_eq!(after["payments"], paid["payments"]);
    assert_eq!(
        statuses(&after["history"]),
        ["PLANNED", "INVOICED", "PARTIALLY_PAID", "PAID"]
    );
    assert_eq!(after["history"][3]["actorId"], "fiona");
}

#[tokio::test]
async fn a_voided_invoice_is_flagged_for_finance_and_never_written_off() {
    let stripe = MockServer::start().await;
    let app = stripe_app(&stripe).await;
    let id = invoiced(&app, "in_void").await;
    stripe_answers(&stripe, stripe_invoice("in_void", "void", 0, None)).await;

    let synced = sync(&app, &id).await;
    assert_eq!(synced["status"], "INVOICED");
    assert_eq!(synced["billingStatus"], "void");
    assert_eq!(synced["billingFlag"], "VOID");
    assert_eq!(synced["closedReason"], Value::Null);
    assert_eq!(synced["payments"], json!([]));
    assert_eq!(synced["outstanding"]["amount"], "1000.00");

    stripe_answers(&stripe, stripe_invoice("in_void", "uncollectible", 0, None)).await;
    let synced = sync(&app, &id).await;
    assert_eq!(synced["status"], "INVOICED");
    assert_eq!(synced["billingFlag"], "UNCOLLECTIBLE");
}

#[tokio::test]
async fn a_billing_outage_is_upstream_and_changes_nothing() {
    let stripe = MockServer::start().await;
    let app = stripe_app(&stripe).await;
    let id = invoiced(&app, "in_down").await;
    let before = read(&app, &id).await;

    Mock::given(method("GET"))
        .and(path("/v1/invoices/in_down"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "error": { "type": "api_error", "message": "An unknown error occurred" }
        })))
        .mount(&stripe)
        .await;
    let (code, error) = sync_error(&app, &finance(&app), &id).await;
    assert_eq!(code, "UPSTREAM");
    assert!(!error["message"].as_str().unwrap().contains("unknown error"));
    assert_eq!(read(&app, &id).await, before);

    // Slower than the 1 s timeout.
    stripe.reset().await;
    Mock::given(method("GET"))
        .and(path("/v1/invoices/in_down"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(stripe_invoice("in_down", "paid", 100000, Some(1764500000)))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&stripe)
        .await;
    let (code, _) = sync_error(&app, &finance(&app), &id).await;
    assert_eq!(code, "UPSTREAM");
    assert_eq!(read(&app, &id).await, before);
}

/// Outbox jobs of the periodic sync, oldest first.
async fn sweeps(app: &TestApp) -> Vec<Value> {
    let admin = app.token("root", &["ADMIN"]);
    let data = app
        .gql(
            &admin,
            "{ jobs(first: 20, filter: {kind: \"billing.sync\"}, direction: ASC) { edges { node { status attempts runAt lastError } } } }",
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

fn run_at(job: &Value) -> DateTime<Utc> {
    job["runAt"].as_str().unwrap().parse().unwrap()
}

async fn worker(app: &TestApp) -> ltc::outbox::worker::Worker {
    let db = ltc::db::connect(&app.settings.store, None).await.unwrap();
    ltc::startup::worker(&app.settings, &db).unwrap()
}

#[tokio::test]
async fn the_periodic_sync_runs_through_the_outbox_every_interval_and_stops_at_paid() {
    let stripe = MockServer::start().await;
    let app = spawn(Some((BillingKind::Stripe, stripe.uri())), 1).await;
    // 300.00 on an invoice Stripe does not know, 700.00 on one it does.
    let rows = receivables(&app, &["30", "70"]).await;
    let (unknown, known) = (
        rows[0]["id"].as_str().unwrap().to_owned(),
        rows[1]["id"].as_str().unwrap().to_owned(),
    );
    link(&app, &unknown, "in_unknown").await;
    link(&app, &known, "in_known").await;
    let untouched = read(&app, &unknown).await;

    let mut invoice = stripe_invoice("in_known", "open", 20000, None);
    invoice["amount_due"] = json!(70000);
    stripe_answers(&stripe, invoice).await;
    let worker = worker(&app).await;
    // `ltc serve` scheduled the first sweep at start.
    assert!(worker.run_once().await.unwrap() >= 1);
    let partly = read(&app, &known).await;
    assert_eq!(partly["status"], "PARTIALLY_PAID");
    assert_eq!(partly["payments"][0]["recordedBy"], "billing-sync");
    assert_eq!(partly["history"][2]["actorId"], "billing-sync");
    // An invoice billing cannot give is skipped, not fatal.
    assert_eq!(read(&app, &unknown).await, untouched);

    let jobs = sweeps(&app).await;
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    assert_eq!(jobs[0]["status"], "DONE");
    assert_eq!(jobs[1]["status"], "QUEUED");

    // The next round, one interval on.
    let mut invoice = stripe_invoice("in_known", "paid", 70000, Some(1764500000));
    invoice["amount_due"] = json!(70000);
    stripe_answers(&stripe, invoice).await;
    tokio::time::sleep_until(
        tokio::time::Instant::now()
            + (run_at(&jobs[1]) - Utc::now()).to_std().unwrap_or_default()
            + Duration::from_millis(50),
    )
    .await;
    assert!(worker.run_once().await.unwrap() >= 1);
    let paid = read(&app, &known).await;
    assert_eq!(paid["status"], "PAID");
    assert_eq!(paid["payments"].as_array().unwrap().len(), 2);

    // A paid receivable is no longer read.
    stripe.reset().await;
    let jobs = sweeps(&app).await;
    assert_eq!(jobs.len(), 3);
    tokio::time::sleep(
        (run_at(&jobs[2]) - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(50),
    )
    .await;
    assert!(worker.run_once().await.unwrap() >= 1);
    let asked: Vec<String> = stripe
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(asked, ["/v1/invoices/in_unknown"]);
    assert_eq!(read(&app, &known).await, paid);
}

#[tokio::test]
async fn a_rate_limited_periodic_sync_waits_as_long_as_stripe_asks() {
    let stripe = MockServer::start().await;
    let app = stripe_app(&stripe).await;
    let id = invoiced(&app, "in_busy").await;
    let before = read(&app, &id).await;
    Mock::given(method("GET"))
        .and(path("/v1/invoices/in_busy"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Stripe-Should-Retry", "true")
                .insert_header("Retry-After", "120")
                .set_body_json(json!({ "error": {
                    "type": "invalid_request_error", "code": "rate_limit",
                    "message": "Too many requests hit the API too quickly." } })),
        )
        .mount(&stripe)
        .await;

    let worker = worker(&app).await;
    assert!(worker.run_once().await.unwrap() >= 1);
    let jobs = sweeps(&app).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["status"], "QUEUED");
    assert_eq!(jobs[0]["attempts"], 1);
    assert!(jobs[0]["lastError"].as_str().unwrap().contains("429"));
    assert!(run_at(&jobs[0]) > Utc::now() + chrono::Duration::seconds(110));
    // Not before then.
    worker.run_once().await.unwrap();
    assert_eq!(sweeps(&app).await[0]["attempts"], 1);
    assert_eq!(stripe.received_requests().await.unwrap().len(), 1);
    assert_eq!(read(&app, &id).await, before);

    // Asked by hand meanwhile: the same outage, UPSTREAM.
    let (code, _) = sync_error(&app, &finance(&app), &id).await;
    assert_eq!(code, "UPSTREAM");
    assert_eq!(read(&app, &id).await, before);
}

#[tokio::test]
async fn the_generic_adapter_pulls_itemized_payments() {
    let billing = MockServer::start().await;
    let app = spawn(
        Some((BillingKind::Generic, format!("{}/api", billing.uri()))),
        300,
    )
    .await;
    let id = invoiced(&app, "INV-2026-0042").await;
    let invoice = |status: &str, payments: Value| {
        let paid: i64 = payments
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["amount"].as_i64().unwrap())
            .sum();
        json!({ "id": "INV-2026-0042", "status": status, "currency": "EUR",
                "amount_due": 100000, "amount_paid": paid, "payments": payments })
    };
    let answer = |body: Value| {
        Mock::given(method("GET"))
            .and(path("/api/invoices/INV-2026-0042"))
            .and(header(
                "authorization",
                format!("Bearer {SECRET_KEY}").as_str(),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
    };

    let first = json!([{ "id": "pay_1", "amount": 25000, "paid_at": "2026-11-20T10:00:00Z" }]);
    answer(invoice("open", first)).mount(&billing).await;
    let partly = sync(&app, &id).await;
    assert_eq!(partly["status"], "PARTIALLY_PAID");
    assert_eq!(
        amounts(&partly["payments"]),
        [("250.00".into(), "generic:INV-2026-0042:pay_1".into())]
    );
    assert_eq!(
        partly["payments"][0]["receivedAt"],
        "2026-11-20T10:00:00+00:00"
    );

    billing.reset().await;
    let both = json!([
        { "id": "pay_1", "amount": 25000, "paid_at": "2026-11-20T10:00:00Z" },
        { "id": "pay_2", "amount": 75000, "paid_at": null },
    ]);
    answer(invoice("paid", both)).mount(&billing).await;
    let paid = sync(&app, &id).await;
    assert_eq!(paid["status"], "PAID");
    assert_eq!(paid["billingFlag"], Value::Null);
    assert_eq!(
        amounts(&paid["payments"]),
        [
            ("250.00".into(), "generic:INV-2026-0042:pay_1".into()),
            ("750.00".into(), "generic:INV-2026-0042:pay_2".into()),
        ]
    );
    assert_eq!(sync(&app, &id).await["payments"], paid["payments"]);
}

#[tokio::test]
async fn only_finance_syncs_payment_status_and_a_refusal_asks_nothing_of_billing() {
    let stripe = MockServer::start().await;
    let app = stripe_app(&stripe).await;
    let id = invoiced(&app, "in_auth").await;
    stripe_answers(&stripe, stripe_invoice("in_auth", "open", 10000, None)).await;

    for token in [
        app.token("alice", &["SALES"]),
        app.token("rita", &["READONLY"]),
        app.token_with_scope("erp", &["INTEGRATION"], Some("payments:read")),
    ] {
        let (code, _) = sync_error(&app, &token, &id).await;
        assert_eq!(code, "FORBIDDEN");
    }
    assert!(stripe.received_requests().await.unwrap().is_empty());
    assert_eq!(read(&app, &id).await["status"], "INVOICED");

    let integration = app.token_with_scope("erp", &["INTEGRATION"], Some("payments:write"));
    let synced = app
        .gql(&integration, &sync_query(), json!({ "r": id }))
        .await;
    assert_eq!(synced["syncPaymentStatus"]["status"], "PARTIALLY_PAID");
}

#[tokio::test]
async fn with_billing_off_syncing_is_a_validation_error() {
    let app = spawn(None, 300).await;
    let id = invoiced(&app, "in_nowhere").await;
    let (code, error) = sync_error(&app, &finance(&app), &id).await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(error["extensions"]["field"], "receivableId");
    let unchanged = read(&app, &id).await;
    assert_eq!(unchanged["status"], "INVOICED");
    assert_eq!(unchanged["billingStatus"], Value::Null);
    assert_eq!(unchanged["billingSyncedAt"], Value::Null);
    // No periodic sync was scheduled either.
    assert!(sweeps(&app).await.is_empty());
}
