//! The ERP connector against fake ERPs that speak the real wire formats
//! (ERPNext's REST API, Odoo's JSON-2 API, the generic order document):
//! every PO becomes exactly one sales order however the ERP fails on the
//! way, a PO the ERP refuses or that cannot be mapped is `DEAD` with the
//! reason and is pushed again by hand once fixed, and with no ERP
//! configured nothing is queued.
//!
//! The server's own worker is off; each test runs a worker's rounds itself,
//! with backoff made tiny, so what the ERP sees is deterministic.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use ltc::connectors::erp::{ErpKind, ErpSettings};
use sea_orm::DatabaseConnection;
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, Request, ResponseTemplate,
    matchers::{any, path},
};

use crate::{
    fixtures::{self, deal},
    helpers::{TestApp, test_settings},
};

// ---------------------------------------------------------------- the app

async fn spawn(erp: ErpSettings) -> TestApp {
    let (mut settings, dir) = test_settings().await;
    settings.worker.worker_enabled = false;
    settings.worker.job_backoff_base_ms = 1;
    settings.worker.job_backoff_cap_secs = 1;
    settings.erp = erp;
    TestApp::spawn_with(settings, dir).await
}

fn settings(kind: ErpKind, url: String) -> ErpSettings {
    ErpSettings {
        erp_kind: Some(kind),
        erp_url: Some(url.parse().unwrap()),
        ..ErpSettings::default()
    }
}

fn secret(s: &str) -> Option<SecretString> {
    Some(SecretString::from(s.to_owned()))
}

async fn database(app: &TestApp) -> DatabaseConnection {
    ltc::db::connect(&app.settings.store, None).await.unwrap()
}

/// One round of the outbox worker.
async fn run_once(app: &TestApp) -> usize {
    let db = database(app).await;
    let worker = ltc::startup::worker(&app.settings, &db).unwrap();
    worker.run_once().await.unwrap()
}

/// Runs worker rounds until nothing has been due for a while.
async fn drain(app: &TestApp) {
    let db = database(app).await;
    let worker = ltc::startup::worker(&app.settings, &db).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut idle = 0;
    while idle < 20 && tokio::time::Instant::now() < deadline {
        if worker.run_once().await.unwrap() == 0 {
            idle += 1;
            tokio::time::sleep(Duration::from_millis(15)).await;
        } else {
            idle = 0;
        }
    }
}

// ------------------------------------------------------------- the deal

struct Deal {
    account: String,
    product: String,
    contract: String,
    /// The contract's line ids, in order.
    lines: Vec<String>,
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// A signed contract of alice's for 4 seats at 250 EUR; the account is
/// mapped to `customer_ref` and the product to `item_code` in the ERP.
async fn signed_contract(
    app: &TestApp,
    name: &str,
    customer_ref: Option<&str>,
    item_code: Option<&str>,
) -> Deal {
    let alice = app.token("alice", &["SALES"]);
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let product = id(&app
        .gql(
            &manager,
            "mutation($sku: String!, $code: String) { createProduct(input: {sku: $sku, name: $sku, unit: \"seat\", erpItemCode: $code}) { id } }",
            json!({ "sku": format!("SEAT-{name}"), "code": item_code }),
        )
        .await["createProduct"]);
    app.gql(
        &manager,
        "mutation($id: UUID!) { setPrice(productId: $id, currency: \"EUR\", listPrice: \"250\") { id } }",
        json!({ "id": product }),
    )
    .await;
    let (opp, account) = deal(app, "alice", name).await;
    if let Some(customer_ref) = customer_ref {
        map_account(app, &account, customer_ref).await;
    }
    let signed = fixtures::signed_contract(app, &alice, &opp, &product, "4", 14).await;
    let contract = id(&signed);
    let lines = signed["lines"].as_array().unwrap().iter().map(id).collect();
    Deal {
        account,
        product,
        contract,
        lines,
    }
}

async fn map_account(app: &TestApp, account: &str, customer_ref: &str) {
    app.gql(
        &app.token("mia", &["SALES_MANAGER"]),
        "mutation($id: UUID!, $r: String) { updateAccount(id: $id, input: {erpCustomerRef: $r}) { id } }",
        json!({ "id": account, "r": customer_ref }),
    )
    .await;
}

async fn map_product(app: &TestApp, product: &str, item_code: &str) {
    app.gql(
        &app.token("mia", &["SALES_MANAGER"]),
        "mutation($id: UUID!, $c: String) { updateProduct(id: $id, input: {erpItemCode: $c}) { id } }",
        json!({ "id": product, "c": item_code }),
    )
    .await;
}

const PO: &str =
    "id poNumber total { amount currency } erpSync { status erpOrderRef attempts lastError }";

/// A PO for 4 seats (1000.00 EUR) on the deal's contract.
async fn order(app: &TestApp, deal: &Deal, po_number: &str) -> String {
    let data = app
        .gql(
            &app.token("alice", &["SALES"]),
            &format!("mutation($c: UUID!, $n: String!, $l: UUID!) {{ createPurchaseOrder(contractId: $c, poNumber: $n, lines: [{{contractLineId: $l, quantity: \"4\"}}]) {{ {PO} }} }}"),
            json!({ "c": deal.contract, "n": po_number, "l": deal.lines[0] }),
        )
        .await;
    let po = &data["createPurchaseOrder"];
    let total: f64 = po["total"]["amount"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        (total, po["total"]["currency"].as_str()),
        (1000.0, Some("EUR"))
    );
    assert_eq!(
        po["erpSync"],
        json!({"status": "PENDING", "erpOrderRef": null, "attempts": 0, "lastError": null})
    );
    id(po)
}

async fn erp_sync(app: &TestApp, po: &str) -> Value {
    app.gql(
        &app.token("alice", &["SALES"]),
        &format!("query($id: UUID!) {{ purchaseOrder(id: $id) {{ {PO} }} }}"),
        json!({ "id": po }),
    )
    .await["purchaseOrder"]["erpSync"]
        .clone()
}

const RETRY: &str = "mutation($id: UUID!) { retryErpSync(poId: $id) { erpSync { status erpOrderRef attempts lastError } } }";

fn error_text(sync: &Value) -> String {
    sync["lastError"].as_str().unwrap_or_default().to_owned()
}

// ----------------------------------------------------- fake ERPs' moods

/// How a fake ERP answers the next request; `Normal` once the script ends.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mood {
    Normal,
    /// 503, nothing done.
    Down,
    /// Makes the order, then answers 500.
    MadeThen500,
    /// Makes the order, then answers too late for the client's timeout.
    MadeThenSlow,
    /// A lookup that misses an order that exists (replication lag).
    Lagging,
    /// 429 with `Retry-After: 1`, nothing done.
    Busy,
}

#[derive(Default)]
struct Script(Mutex<VecDeque<Mood>>);

impl Script {
    fn of(moods: &[Mood]) -> Script {
        Script(Mutex::new(moods.iter().copied().collect()))
    }

    fn next(&self) -> Mood {
        self.0.lock().unwrap().pop_front().unwrap_or(Mood::Normal)
    }
}

fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

fn posts(requests: &[Request]) -> Vec<&Request> {
    requests
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .collect()
}

// ---------------------------------------------------------------- ERPNext

/// ERPNext's `Sales Order` resource: lists filtered by `po_no` and
/// `customer`, creates with link validation of customer and items, and
/// Frappe's error bodies. Refuses a second order for the same customer PO
/// with 409 (as a site with a unique `po_no` does).
struct FakeErpNext {
    script: Script,
    customers: Vec<&'static str>,
    items: Vec<&'static str>,
    /// (name, customer, po_no, body)
    orders: Mutex<Vec<(String, String, String, Value)>>,
}

fn frappe_error(status: u16, exc_type: &str, message: &str) -> ResponseTemplate {
    let messages = json!([
        json!({ "message": message, "indicator": "red", "raise_exception": 1 }).to_string()
    ]);
    ResponseTemplate::new(status).set_body_json(json!({
        "exc_type": exc_type,
        "exception": format!("frappe.exceptions.{exc_type}: {message}"),
        "exc": "[\"Traceback (most recent call last): ...\"]",
        "_server_messages": messages.to_string(),
    }))
}

impl FakeErpNext {
    fn new(script: &[Mood]) -> Arc<FakeErpNext> {
        Arc::new(FakeErpNext {
            script: Script::of(script),
            customers: vec!["CUST-ACME"],
            items: vec!["SEAT"],
            orders: Mutex::new(Vec::new()),
        })
    }

    async fn serve(self: &Arc<Self>) -> MockServer {
        let server = MockServer::start().await;
        let fake = self.clone();
        Mock::given(path("/api/resource/Sales%20Order"))
            .respond_with(move |r: &Request| fake.answer(r))
            .mount(&server)
            .await;
        server
    }

    fn order_count(&self) -> usize {
        self.orders.lock().unwrap().len()
    }

    fn answer(&self, request: &Request) -> ResponseTemplate {
        if header(request, "authorization").as_deref() != Some("token api-key:api-secret") {
            return frappe_error(401, "AuthenticationError", "Invalid API key");
        }
        let mood = self.script.next();
        match mood {
            Mood::Down => {
                return ResponseTemplate::new(503).set_body_string("<html>502 Bad Gateway</html>");
            }
            Mood::Busy => {
                return frappe_error(429, "RateLimitExceededError", "Too many requests")
                    .insert_header("Retry-After", "1");
            }
            _ => {}
        }
        if request.method.as_str() == "GET" {
            let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
            let filters: Value =
                serde_json::from_str(&query.iter().find(|(k, _)| k == "filters").unwrap().1)
                    .unwrap();
            let wanted = |field: &str| {
                filters
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|f| f[0] == field)
                    .map(|f| f[2].as_str().unwrap().to_owned())
            };
            let (po_no, customer) = (wanted("po_no").unwrap(), wanted("customer").unwrap());
            let found: Vec<Value> = if mood == Mood::Lagging {
                vec![]
            } else {
                self.orders
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|o| o.1 == customer && o.2 == po_no)
                    .map(|o| json!({ "name": o.0 }))
                    .collect()
            };
            return ResponseTemplate::new(200).set_body_json(json!({ "data": found }));
        }
        let body: Value = request.body_json().unwrap();
        let customer = body["customer"].as_str().unwrap().to_owned();
        if !self.customers.contains(&customer.as_str()) {
            return frappe_error(
                417,
                "LinkValidationError",
                &format!("Could not find <strong>Customer</strong>: {customer}"),
            );
        }
        for item in body["items"].as_array().unwrap() {
            let code = item["item_code"].as_str().unwrap();
            if !self.items.contains(&code) {
                return frappe_error(
                    417,
                    "LinkValidationError",
                    &format!("Could not find <strong>Item</strong>: {code}"),
                );
            }
        }
        let po_no = body["po_no"].as_str().unwrap().to_owned();
        let mut orders = self.orders.lock().unwrap();
        if orders.iter().any(|o| o.1 == customer && o.2 == po_no) {
            return frappe_error(
                409,
                "DuplicateEntryError",
                &format!("Sales Order with PO {po_no} already exists"),
            );
        }
        let name = format!("SAL-ORD-2026-{:05}", orders.len() + 1);
        orders.push((name.clone(), customer, po_no, body.clone()));
        match mood {
            Mood::MadeThen500 => frappe_error(500, "OperationalError", "Lock wait timeout exceeded"),
            _ => ResponseTemplate::new(200)
                .set_body_json(json!({ "data": { "name": name, "docstatus": 0, "po_no": body["po_no"], "customer": body["customer"] } })),
        }
    }
}

fn erpnext(server: &MockServer) -> ErpSettings {
    ErpSettings {
        erp_api_key: secret("api-key"),
        erp_api_secret: secret("api-secret"),
        ..settings(ErpKind::Erpnext, server.uri())
    }
}

#[tokio::test]
async fn erpnext_down_for_three_attempts_then_up_gets_exactly_one_sales_order() {
    use Mood::*;
    let fake = FakeErpNext::new(&[Down, Down, Down]);
    let server = fake.serve().await;
    let app = spawn(erpnext(&server)).await;
    let deal = signed_contract(&app, "Acme", Some("CUST-ACME"), Some("SEAT")).await;
    let po = order(&app, &deal, "PO-4711").await;

    // Queued with the PO, in its transaction.
    let admin = app.token("root", &["ADMIN"]);
    let jobs = app
        .gql(&admin, "{ jobs(filter: {kind: \"erp.push_order\"}) { totalCount edges { node { payload status } } } }", json!({}))
        .await;
    assert_eq!(jobs["jobs"]["totalCount"], 1);
    assert_eq!(
        jobs["jobs"]["edges"][0]["node"]["payload"],
        json!({ "purchase_order_id": po })
    );

    // The first try meets a 503: FAILED, to be retried.
    assert_eq!(run_once(&app).await, 1);
    let failed = erp_sync(&app, &po).await;
    assert_eq!(failed["status"], "FAILED");
    assert_eq!(failed["attempts"], 1);
    assert!(error_text(&failed).contains("503"), "{failed}");

    drain(&app).await;
    let synced = erp_sync(&app, &po).await;
    assert_eq!(
        synced,
        json!({ "status": "SYNCED", "erpOrderRef": "SAL-ORD-2026-00001", "attempts": 4, "lastError": null })
    );
    assert_eq!(fake.order_count(), 1);

    let requests = server.received_requests().await.unwrap();
    // 3 lookups met the outage; the 4th try looked up, found nothing, created.
    assert_eq!(requests.len(), 5);
    assert!(
        requests
            .iter()
            .all(|r| header(r, "authorization").as_deref() == Some("token api-key:api-secret"))
    );
    let created = posts(&requests);
    assert_eq!(created.len(), 1);
    let body: Value = created[0].body_json().unwrap();
    let today = chrono::Utc::now().date_naive().to_string();
    assert_eq!(body["customer"], "CUST-ACME");
    assert_eq!(body["po_no"], "PO-4711");
    assert_eq!(body["currency"], "EUR");
    assert_eq!(body["delivery_date"], today.as_str());
    assert_eq!(
        body["items"],
        json!([{ "item_code": "SEAT", "qty": 4.0, "rate": 250.0, "delivery_date": today }])
    );
    let lookup = &requests[3];
    assert_eq!(lookup.method.as_str(), "GET");
    let filters: Value = serde_json::from_str(
        &lookup
            .url
            .query_pairs()
            .find(|(k, _)| k == "filters")
            .unwrap()
            .1,
    )
    .unwrap();
    assert_eq!(
        filters,
        json!([
            ["po_no", "=", "PO-4711"],
            ["customer", "=", "CUST-ACME"],
            ["docstatus", "!=", 2]
        ])
    );

    // Another round changes nothing; a synced PO is not pushed again by hand.
    drain(&app).await;
    assert_eq!(server.received_requests().await.unwrap().len(), 5);
    let (code, _) = app
        .gql_error(&app.token("alice", &["SALES"]), RETRY, json!({ "id": po }))
        .await;
    assert_eq!(code, "INVALID_TRANSITION");
}

#[tokio::test]
async fn erpnext_answering_500_after_creating_the_order_still_gets_exactly_one() {
    use Mood::*;
    // Lookup, then the create that makes the order and answers 500.
    let fake = FakeErpNext::new(&[Normal, MadeThen500]);
    let server = fake.serve().await;
    let app = spawn(erpnext(&server)).await;
    let deal = signed_contract(&app, "Acme", Some("CUST-ACME"), Some("SEAT")).await;
    let po = order(&app, &deal, "PO-500").await;

    drain(&app).await;
    let synced = erp_sync(&app, &po).await;
    assert_eq!(synced["status"], "SYNCED");
    assert_eq!(synced["erpOrderRef"], "SAL-ORD-2026-00001");
    assert_eq!(synced["attempts"], 2);
    assert_eq!(fake.order_count(), 1);
    let requests = server.received_requests().await.unwrap();
    let methods: Vec<&str> = requests.iter().map(|r| r.method.as_str()).collect();
    // The second try found the order by its PO number instead of creating it.
    assert_eq!(methods, ["GET", "POST", "GET"]);
}

#[tokio::test]
async fn erpnext_reporting_a_duplicate_is_answered_with_the_existing_order() {
    use Mood::*;
    // The order is made but its answer lost; the next lookup lags behind,
    // so the create meets ERPNext's duplicate error and looks again.
    let fake = FakeErpNext::new(&[Normal, MadeThen500, Lagging]);
    let server = fake.serve().await;
    let app = spawn(erpnext(&server)).await;
    let deal = signed_contract(&app, "Acme", Some("CUST-ACME"), Some("SEAT")).await;
    let po = order(&app, &deal, "PO-409").await;

    drain(&app).await;
    let synced = erp_sync(&app, &po).await;
    assert_eq!(synced["status"], "SYNCED");
    assert_eq!(synced["erpOrderRef"], "SAL-ORD-2026-00001");
    assert_eq!(fake.order_count(), 1);
    let methods: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.method.to_string())
        .collect();
    assert_eq!(methods, ["GET", "POST", "GET", "POST", "GET"]);
}

#[tokio::test]
async fn erpnext_rejecting_the_order_leaves_it_dead_until_retried_by_hand_after_the_fix() {
    let fake = FakeErpNext::new(&[]);
    let server = fake.serve().await;
    let app = spawn(erpnext(&server)).await;
    // The product's item code is not one ERPNext knows.
    let deal = signed_contract(&app, "Acme", Some("CUST-ACME"), Some("SEAT-OLD")).await;
    let po = order(&app, &deal, "PO-417").await;

    drain(&app).await;
    let dead = erp_sync(&app, &po).await;
    assert_eq!(dead["status"], "DEAD");
    assert_eq!(dead["attempts"], 1, "a refusal is not retried: {dead}");
    assert_eq!(dead["erpOrderRef"], Value::Null);
    assert!(
        error_text(&dead).contains("Could not find Item: SEAT-OLD"),
        "{dead}"
    );
    assert_eq!(fake.order_count(), 0);
    let alice = app.token("alice", &["SALES"]);
    let listed = app
        .gql(
            &alice,
            "{ purchaseOrders(filter: {erpSyncStatus: [DEAD]}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["purchaseOrders"]["totalCount"], 1);

    // Not by everyone: a read-only user may not retry.
    let (code, _) = app
        .gql_error(
            &app.token("rita", &["READONLY"]),
            RETRY,
            json!({ "id": po }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");

    map_product(&app, &deal.product, "SEAT").await;
    let retried =
        app.gql(&alice, RETRY, json!({ "id": po })).await["retryErpSync"]["erpSync"].clone();
    assert_eq!(retried["status"], "PENDING");
    assert_eq!(retried["attempts"], 1);
    drain(&app).await;
    let synced = erp_sync(&app, &po).await;
    assert_eq!(
        synced,
        json!({ "status": "SYNCED", "erpOrderRef": "SAL-ORD-2026-00001", "attempts": 2, "lastError": null })
    );
    assert_eq!(fake.order_count(), 1);
    assert_eq!(
        fake.orders.lock().unwrap()[0].3["items"][0]["item_code"],
        "SEAT"
    );
}

#[tokio::test]
async fn a_busy_erp_is_asked_again_no_sooner_than_it_said() {
    let fake = FakeErpNext::new(&[Mood::Busy]);
    let server = fake.serve().await;
    let app = spawn(erpnext(&server)).await;
    let deal = signed_contract(&app, "Acme", Some("CUST-ACME"), Some("SEAT")).await;
    let po = order(&app, &deal, "PO-429").await;

    let before = chrono::Utc::now();
    drain(&app).await;
    let failed = erp_sync(&app, &po).await;
    assert_eq!(failed["status"], "FAILED");
    assert!(error_text(&failed).contains("429"), "{failed}");
    let admin = app.token("root", &["ADMIN"]);
    let job = app
        .gql(
            &admin,
            "{ jobs(filter: {kind: \"erp.push_order\"}) { edges { node { status runAt } } } }",
            json!({}),
        )
        .await["jobs"]["edges"][0]["node"]
        .clone();
    assert_eq!(job["status"], "QUEUED");
    let run_at: chrono::DateTime<chrono::Utc> = job["runAt"].as_str().unwrap().parse().unwrap();
    assert!(
        run_at >= before + chrono::Duration::milliseconds(900),
        "{run_at} vs {before}"
    );

    tokio::time::sleep(Duration::from_millis(1100)).await;
    drain(&app).await;
    assert_eq!(erp_sync(&app, &po).await["status"], "SYNCED");
    assert_eq!(fake.order_count(), 1);
}

#[tokio::test]
async fn refused_credentials_are_dead_at_once_for_a_person_to_fix() {
    let fake = FakeErpNext::new(&[]);
    let server = fake.serve().await;
    let mut erp = erpnext(&server);
    erp.erp_api_secret = secret("wrong");
    let app = spawn(erp).await;
    let deal = signed_contract(&app, "Acme", Some("CUST-ACME"), Some("SEAT")).await;
    let po = order(&app, &deal, "PO-401").await;

    drain(&app).await;
    let dead = erp_sync(&app, &po).await;
    assert_eq!(dead["status"], "DEAD");
    assert_eq!(dead["attempts"], 1);
    assert!(error_text(&dead).contains("401"), "{dead}");
    assert!(error_text(&dead).contains("credentials"), "{dead}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

// ----------------------------------------------------------- the mapping

#[tokio::test]
async fn a_po_without_its_erp_mapping_is_dead_with_a_clear_message_and_retried_once_mapped() {
    let fake = FakeErpNext::new(&[]);
    let server = fake.serve().await;
    let app = spawn(erpnext(&server)).await;
    let deal = signed_contract(&app, "Acme", None, None).await;
    let po = order(&app, &deal, "PO-MAP").await;

    drain(&app).await;
    let dead = erp_sync(&app, &po).await;
    assert_eq!(dead["status"], "DEAD");
    assert_eq!(dead["attempts"], 1);
    let message = error_text(&dead);
    assert!(
        message.contains("\"Acme\" has no ERP customer ref (erpCustomerRef)"),
        "{message}"
    );
    assert!(
        message.contains("without an ERP item code (erpItemCode): SEAT-Acme"),
        "{message}"
    );
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing reaches the ERP"
    );

    // Half fixed: still dead, now naming only what is missing.
    map_account(&app, &deal.account, "CUST-ACME").await;
    let alice = app.token("alice", &["SALES"]);
    app.gql(&alice, RETRY, json!({ "id": po })).await;
    drain(&app).await;
    let dead = erp_sync(&app, &po).await;
    assert_eq!(dead["status"], "DEAD");
    assert!(!error_text(&dead).contains("erpCustomerRef"), "{dead}");
    assert!(error_text(&dead).contains("erpItemCode"), "{dead}");

    map_product(&app, &deal.product, "SEAT").await;
    app.gql(&alice, RETRY, json!({ "id": po })).await;
    drain(&app).await;
    let synced = erp_sync(&app, &po).await;
    assert_eq!(synced["status"], "SYNCED");
    assert_eq!(synced["attempts"], 3);
    assert_eq!(fake.order_count(), 1);
}

// ------------------------------------------------------------------- Odoo

/// Odoo's JSON-2 endpoints for sale orders and products.
struct FakeOdoo {
    script: Script,
    partners: Vec<i64>,
    /// (id, default_code)
    products: Vec<(i64, &'static str)>,
    /// (id, state, vals)
    orders: Mutex<Vec<(i64, String, Value)>>,
}

fn odoo_error(status: u16, name: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "name": name, "message": message, "arguments": [message], "context": {}, "debug": "Traceback ...",
    }))
}

/// The value of `field` in a domain's `[field, op, value]` terms.
fn term<'a>(domain: &'a Value, field: &str) -> &'a Value {
    domain
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t[0] == field)
        .map(|t| &t[2])
        .unwrap()
}

impl FakeOdoo {
    fn new(script: &[Mood]) -> Arc<FakeOdoo> {
        Arc::new(FakeOdoo {
            script: Script::of(script),
            partners: vec![7],
            products: vec![(41, "SEAT"), (42, "HOUR")],
            orders: Mutex::new(Vec::new()),
        })
    }

    async fn serve(self: &Arc<Self>) -> MockServer {
        let server = MockServer::start().await;
        let fake = self.clone();
        Mock::given(any())
            .respond_with(move |r: &Request| fake.answer(r))
            .mount(&server)
            .await;
        server
    }

    fn answer(&self, request: &Request) -> ResponseTemplate {
        if header(request, "authorization").as_deref() != Some("bearer odoo-key") {
            return odoo_error(401, "werkzeug.exceptions.Unauthorized", "Invalid apikey");
        }
        let mood = self.script.next();
        if mood == Mood::Down {
            return ResponseTemplate::new(503);
        }
        let args: Value = request.body_json().unwrap();
        let mut orders = self.orders.lock().unwrap();
        match request.url.path() {
            "/json/2/product.product/search_read" => {
                let codes = term(&args["domain"], "default_code");
                let rows: Vec<Value> = self
                    .products
                    .iter()
                    .filter(|(_, code)| codes.as_array().unwrap().iter().any(|c| c == code))
                    .map(|(id, code)| json!({ "id": id, "default_code": code }))
                    .collect();
                ResponseTemplate::new(200).set_body_json(rows)
            }
            "/json/2/sale.order/search_read" => {
                let reference = term(&args["domain"], "client_order_ref");
                let partner = term(&args["domain"], "partner_id");
                let rows: Vec<Value> = orders
                    .iter()
                    .filter(|o| {
                        &o.2["client_order_ref"] == reference
                            && &o.2["partner_id"] == partner
                            && o.1 != "cancel"
                    })
                    .map(|o| json!({ "id": o.0, "state": o.1 }))
                    .collect();
                ResponseTemplate::new(200).set_body_json(rows)
            }
            "/json/2/sale.order/create" => {
                let vals = args["vals_list"][0].clone();
                if !self.partners.iter().any(|p| vals["partner_id"] == json!(p)) {
                    return odoo_error(
                        422,
                        "odoo.exceptions.ValidationError",
                        "The partner does not exist.",
                    );
                }
                let id = 100 + orders.len() as i64;
                orders.push((id, "draft".into(), vals));
                match mood {
                    Mood::MadeThen500 => odoo_error(
                        500,
                        "psycopg2.OperationalError",
                        "server closed the connection",
                    ),
                    _ => ResponseTemplate::new(200).set_body_json(json!([id])),
                }
            }
            "/json/2/sale.order/action_confirm" => {
                for order in orders.iter_mut() {
                    if args["ids"].as_array().unwrap().contains(&json!(order.0)) {
                        order.1 = "sale".into();
                    }
                }
                ResponseTemplate::new(200).set_body_json(true)
            }
            other => odoo_error(404, "werkzeug.exceptions.NotFound", &format!("no {other}")),
        }
    }
}

fn odoo(server: &MockServer) -> ErpSettings {
    ErpSettings {
        erp_api_key: secret("odoo-key"),
        erp_database: Some("ltc-prod".into()),
        ..settings(ErpKind::Odoo, format!("{}/", server.uri()))
    }
}

#[tokio::test]
async fn odoo_gets_a_confirmed_sale_order_through_json_2() {
    let fake = FakeOdoo::new(&[]);
    let server = fake.serve().await;
    let app = spawn(odoo(&server)).await;
    let deal = signed_contract(&app, "Acme", Some("7"), Some("SEAT")).await;
    let po = order(&app, &deal, "PO-ODOO").await;

    drain(&app).await;
    assert_eq!(
        erp_sync(&app, &po).await,
        json!({ "status": "SYNCED", "erpOrderRef": "100", "attempts": 1, "lastError": null })
    );
    let orders = fake.orders.lock().unwrap().clone();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].1, "sale", "confirmed");

    let requests = server.received_requests().await.unwrap();
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(
        paths,
        [
            "/json/2/sale.order/search_read",
            "/json/2/product.product/search_read",
            "/json/2/sale.order/create",
            "/json/2/sale.order/action_confirm",
        ]
    );
    for r in &requests {
        assert_eq!(r.method.as_str(), "POST");
        assert_eq!(
            header(r, "authorization").as_deref(),
            Some("bearer odoo-key")
        );
        assert_eq!(header(r, "x-odoo-database").as_deref(), Some("ltc-prod"));
        assert!(
            header(r, "content-type")
                .unwrap()
                .starts_with("application/json")
        );
    }
    let search: Value = requests[0].body_json().unwrap();
    assert_eq!(
        search["domain"],
        json!([
            ["client_order_ref", "=", "PO-ODOO"],
            ["partner_id", "=", 7],
            ["state", "!=", "cancel"]
        ])
    );
    let create: Value = requests[2].body_json().unwrap();
    assert_eq!(
        create,
        json!({ "vals_list": [{
            "partner_id": 7,
            "client_order_ref": "PO-ODOO",
            "order_line": [[0, 0, { "product_id": 41, "product_uom_qty": 4.0, "price_unit": 250.0 }]],
        }] })
    );
    let confirm: Value = requests[3].body_json().unwrap();
    assert_eq!(confirm, json!({ "ids": [100] }));
}

#[tokio::test]
async fn odoo_answering_500_after_creating_the_order_still_gets_exactly_one_confirmed() {
    use Mood::*;
    // search, products, then the create that makes the order and answers 500.
    let fake = FakeOdoo::new(&[Normal, Normal, MadeThen500]);
    let server = fake.serve().await;
    let app = spawn(odoo(&server)).await;
    let deal = signed_contract(&app, "Acme", Some("7"), Some("SEAT")).await;
    let po = order(&app, &deal, "PO-ODOO-500").await;

    drain(&app).await;
    let synced = erp_sync(&app, &po).await;
    assert_eq!(synced["status"], "SYNCED");
    assert_eq!(synced["erpOrderRef"], "100");
    assert_eq!(synced["attempts"], 2);
    let orders = fake.orders.lock().unwrap().clone();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].1, "sale");
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().trim_start_matches("/json/2/").to_owned())
        .collect();
    // The second try found the draft by its client_order_ref and confirmed it.
    assert_eq!(
        paths,
        [
            "sale.order/search_read",
            "product.product/search_read",
            "sale.order/create",
            "sale.order/search_read",
            "sale.order/action_confirm",
        ]
    );
}

#[tokio::test]
async fn odoo_refs_that_are_not_odoo_ids_or_codes_are_mapping_errors() {
    let fake = FakeOdoo::new(&[]);
    let server = fake.serve().await;
    let app = spawn(odoo(&server)).await;
    let deal = signed_contract(&app, "Acme", Some("CUST-ACME"), Some("SEAT")).await;
    let po = order(&app, &deal, "PO-ODOO-MAP").await;
    drain(&app).await;
    let dead = erp_sync(&app, &po).await;
    assert_eq!(dead["status"], "DEAD");
    assert!(
        error_text(&dead).contains("not an Odoo partner id"),
        "{dead}"
    );

    map_account(&app, &deal.account, "7").await;
    map_product(&app, &deal.product, "NOPE").await;
    app.gql(&app.token("alice", &["SALES"]), RETRY, json!({ "id": po }))
        .await;
    drain(&app).await;
    let dead = erp_sync(&app, &po).await;
    assert_eq!(dead["status"], "DEAD");
    assert!(
        error_text(&dead).contains("no product with internal reference NOPE"),
        "{dead}"
    );
    assert!(fake.orders.lock().unwrap().is_empty());
}

// ---------------------------------------------------------------- generic

/// An in-house ERP taking the generic order document: one order per
/// `Idempotency-Key`, a repeated key answered with the same order.
struct FakeInHouse {
    script: Script,
    /// (key, ref, body)
    orders: Mutex<Vec<(String, String, Value)>>,
}

impl FakeInHouse {
    fn new(script: &[Mood]) -> Arc<FakeInHouse> {
        Arc::new(FakeInHouse {
            script: Script::of(script),
            orders: Mutex::new(Vec::new()),
        })
    }

    async fn serve(self: &Arc<Self>) -> MockServer {
        let server = MockServer::start().await;
        let fake = self.clone();
        Mock::given(path("/erp/orders"))
            .respond_with(move |r: &Request| fake.answer(r))
            .mount(&server)
            .await;
        server
    }

    fn answer(&self, request: &Request) -> ResponseTemplate {
        let mood = self.script.next();
        if mood == Mood::Down {
            return ResponseTemplate::new(502);
        }
        let key = header(request, "idempotency-key").unwrap();
        let body: Value = request.body_json().unwrap();
        let mut orders = self.orders.lock().unwrap();
        if let Some(existing) = orders.iter().find(|o| o.0 == key) {
            return ResponseTemplate::new(200)
                .set_body_json(json!({ "order_ref": existing.1, "replayed": true }));
        }
        if body["customer_ref"] != "CUST-ACME" {
            return ResponseTemplate::new(422).set_body_json(
                json!({ "error": format!("unknown customer {}", body["customer_ref"]) }),
            );
        }
        let order_ref = format!("SO-{}", 9000 + orders.len());
        orders.push((key, order_ref.clone(), body));
        let made = ResponseTemplate::new(201).set_body_json(json!({ "order_ref": order_ref }));
        match mood {
            Mood::MadeThenSlow => made.set_delay(Duration::from_millis(2500)),
            Mood::MadeThen500 => ResponseTemplate::new(500).set_body_string("upstream hiccup"),
            _ => made,
        }
    }
}

fn in_house(server: &MockServer) -> ErpSettings {
    ErpSettings {
        erp_api_key: secret("in-house-token"),
        erp_timeout_secs: 1,
        ..settings(ErpKind::Generic, format!("{}/erp/orders", server.uri()))
    }
}

#[tokio::test]
async fn the_generic_erp_gets_the_documented_order_document_once_even_after_a_timeout() {
    let fake = FakeInHouse::new(&[Mood::MadeThenSlow]);
    let server = fake.serve().await;
    let app = spawn(in_house(&server)).await;
    let deal = signed_contract(&app, "Acme", Some("CUST-ACME"), Some("SEAT")).await;
    let po = order(&app, &deal, "PO-GEN").await;

    // The first answer comes after the 1 s timeout: the order was made anyway.
    assert_eq!(run_once(&app).await, 1);
    let failed = erp_sync(&app, &po).await;
    assert_eq!(failed["status"], "FAILED");
    assert!(
        error_text(&failed).contains("did not answer in time"),
        "{failed}"
    );

    drain(&app).await;
    assert_eq!(
        erp_sync(&app, &po).await,
        json!({ "status": "SYNCED", "erpOrderRef": "SO-9000", "attempts": 2, "lastError": null })
    );
    assert_eq!(fake.orders.lock().unwrap().len(), 1);

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    let key = format!("ltc-po-{po}");
    for r in &requests {
        assert_eq!(header(r, "idempotency-key").as_deref(), Some(key.as_str()));
        assert_eq!(
            header(r, "authorization").as_deref(),
            Some("Bearer in-house-token")
        );
    }
    let body: Value = requests[0].body_json().unwrap();
    assert_eq!(
        body,
        json!({
            "idempotency_key": key,
            "purchase_order_id": po,
            "po_number": "PO-GEN",
            "customer_ref": "CUST-ACME",
            "currency": "EUR",
            "order_date": chrono::Utc::now().date_naive().to_string(),
            "lines": [{ "item_code": "SEAT", "quantity": "4", "unit_price": "250", "net": "1000.00" }],
            "net": "1000.00",
            "total": "1000.00",
        })
    );
    assert_eq!(
        requests[1].body, requests[0].body,
        "a retry sends the same document"
    );
}

#[tokio::test]
async fn the_generic_erp_refusing_an_order_leaves_it_dead_with_its_message() {
    let fake = FakeInHouse::new(&[]);
    let server = fake.serve().await;
    let app = spawn(in_house(&server)).await;
    let deal = signed_contract(&app, "Acme", Some("CUST-NEW"), Some("SEAT")).await;
    let po = order(&app, &deal, "PO-GEN-422").await;

    drain(&app).await;
    let dead = erp_sync(&app, &po).await;
    assert_eq!(dead["status"], "DEAD");
    assert_eq!(dead["attempts"], 1);
    assert!(
        error_text(&dead).contains("unknown customer \"CUST-NEW\""),
        "{dead}"
    );

    map_account(&app, &deal.account, "CUST-ACME").await;
    app.gql(&app.token("alice", &["SALES"]), RETRY, json!({ "id": po }))
        .await;
    drain(&app).await;
    assert_eq!(erp_sync(&app, &po).await["status"], "SYNCED");
    assert_eq!(fake.orders.lock().unwrap().len(), 1);
}

// ------------------------------------------------------------ ERP is off

#[tokio::test]
async fn with_no_erp_configured_nothing_is_queued_and_the_po_stays_pending() {
    let app = spawn(ErpSettings::default()).await;
    let deal = signed_contract(&app, "Acme", Some("CUST-ACME"), Some("SEAT")).await;
    let po = order(&app, &deal, "PO-OFF").await;
    drain(&app).await;

    assert_eq!(
        erp_sync(&app, &po).await,
        json!({ "status": "PENDING", "erpOrderRef": null, "attempts": 0, "lastError": null })
    );
    let admin = app.token("root", &["ADMIN"]);
    let jobs = app
        .gql(
            &admin,
            "{ jobs(filter: {kind: \"erp.push_order\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(jobs["jobs"]["totalCount"], 0);
    let (code, error) = app
        .gql_error(&app.token("alice", &["SALES"]), RETRY, json!({ "id": po }))
        .await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(error["extensions"]["field"], "poId");
}

#[tokio::test]
async fn an_erp_kind_without_its_url_or_keys_stops_the_start() {
    let (mut settings, _dir) = test_settings().await;
    settings.erp = ErpSettings {
        erp_kind: Some(ErpKind::Erpnext),
        ..ErpSettings::default()
    };
    let error = ltc::startup::Application::build(&settings)
        .await
        .err()
        .expect("refused");
    assert!(error.to_string().contains("LTC_ERP_URL"), "{error}");
    settings.erp.erp_url = Some("http://erp.example.com".parse().unwrap());
    let error = ltc::startup::Application::build(&settings)
        .await
        .err()
        .expect("refused");
    assert!(error.to_string().contains("LTC_ERP_API_SECRET"), "{error}");
}
