//! Contracts: made from an accepted quote with payment terms summing to
//! 100 %, unique numbers, signing wins the deal, the handover to an FR
//! before execution, completion and termination, and who may do what.

use serde_json::{Value, json};

use crate::{
    fixtures::{deal, product},
    helpers::{TestApp, count},
    quotes::{act, add_member, sent_quote},
};

const CONTRACT: &str = "id number status opportunityId accountId quoteId currency
    subtotal { amount currency } discountTotal { amount currency } tax { amount currency }
    total { amount currency } discountPercent leadingRole
    lines { position productId product { sku } quantity unitPrice { amount } discountPercent
            gross { amount } net { amount } }
    paymentTerms { position trigger percent dueInDays }
    signedAt handover { method notes by at } executionStartedAt completedAt terminatedReason
    opportunity { id stage leadingRole } quote { id version status } account { id name }
    history { from to actorId reason } createdAt updatedAt";

fn create_query() -> String {
    format!(
        "mutation($q: UUID!, $terms: [PaymentTermInput!]!) {{
            createContractFromQuote(quoteId: $q, paymentTerms: $terms) {{ {CONTRACT} }} }}"
    )
}

fn standard_terms() -> Value {
    json!([
        { "trigger": "ON_SIGNING", "percent": "30", "dueInDays": 14 },
        { "trigger": "ON_DELIVERY", "percent": "50", "dueInDays": 30 },
        { "trigger": "ON_ACCEPTANCE", "percent": "20", "dueInDays": 30 },
    ])
}

async fn create(app: &TestApp, token: &str, quote: &str, terms: Value) -> Value {
    app.gql(
        token,
        &create_query(),
        json!({ "q": quote, "terms": terms }),
    )
    .await["createContractFromQuote"]
        .clone()
}

async fn create_error(app: &TestApp, token: &str, quote: &str, terms: Value) -> (String, Value) {
    app.gql_error(
        token,
        &create_query(),
        json!({ "q": quote, "terms": terms }),
    )
    .await
}

fn mutation(name: &str, params: &str, args: &str) -> String {
    format!("mutation($id: UUID!{params}) {{ {name}(id: $id{args}) {{ {CONTRACT} }} }}")
}

async fn run(app: &TestApp, token: &str, name: &str, id: &str) -> Value {
    app.gql(token, &mutation(name, "", ""), json!({ "id": id }))
        .await[name]
        .clone()
}

async fn run_error(app: &TestApp, token: &str, name: &str, id: &str) -> (String, Value) {
    app.gql_error(token, &mutation(name, "", ""), json!({ "id": id }))
        .await
}

fn hand_over_query() -> String {
    mutation(
        "handOverContract",
        ", $m: HandoverMethod!, $n: String",
        ", method: $m, notes: $n",
    )
}

async fn read(app: &TestApp, token: &str, id: &str) -> Value {
    let query = format!("query($id: UUID!) {{ contract(id: $id) {{ {CONTRACT} }} }}");
    app.gql(token, &query, json!({ "id": id })).await["contract"].clone()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn statuses(history: &Value) -> Vec<String> {
    history
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["to"].as_str().unwrap().to_owned())
        .collect()
}

/// A deal of `owner`'s (its AR) with an accepted quote for 4 × 250 EUR.
/// Returns the deal's id and the accepted quote.
async fn accepted_quote(app: &TestApp, owner: &str, name: &str) -> (String, Value) {
    let token = app.token(owner, &["SALES"]);
    let (opp, _) = deal(app, owner, name).await;
    let seat = product(app, &format!("SEAT-{name}"), &[("EUR", "250")]).await;
    let q = sent_quote(app, &token, &opp, &seat, "4").await;
    let accepted = act(app, &token, "acceptQuote", &id(&q)).await;
    (opp, accepted)
}

#[tokio::test]
async fn a_contract_copies_its_accepted_quote() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let (opp, quote) = accepted_quote(&app, "alice", "Acme").await;
    let contract = create(&app, &alice, &id(&quote), standard_terms()).await;

    let number = contract["number"].as_str().unwrap();
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(number, format!("C-{year}-000001"));
    assert_eq!(contract["status"], "DRAFT");
    assert_eq!(contract["opportunityId"], opp.as_str());
    assert_eq!(contract["quote"]["id"], quote["id"]);
    assert_eq!(contract["quote"]["status"], "ACCEPTED");
    assert_eq!(contract["account"]["name"], "Acme");
    assert_eq!(contract["currency"], "EUR");
    for field in ["subtotal", "discountTotal", "tax", "total"] {
        assert_eq!(contract[field], quote[field], "{field}");
    }
    assert_eq!(contract["total"]["amount"], "1000.00");
    assert_eq!(contract["lines"][0]["quantity"], "4");
    assert_eq!(contract["lines"][0]["product"]["sku"], "SEAT-Acme");
    assert_eq!(contract["lines"][0]["net"]["amount"], "1000.00");
    assert_eq!(
        contract["paymentTerms"],
        json!([
            { "position": 1, "trigger": "ON_SIGNING", "percent": "30", "dueInDays": 14 },
            { "position": 2, "trigger": "ON_DELIVERY", "percent": "50", "dueInDays": 30 },
            { "position": 3, "trigger": "ON_ACCEPTANCE", "percent": "20", "dueInDays": 30 },
        ])
    );
    assert_eq!(contract["handover"], Value::Null);
    assert_eq!(contract["leadingRole"], "SR");
    assert_eq!(statuses(&contract["history"]), ["DRAFT"]);
    assert_eq!(contract["history"][0]["actorId"], "alice");

    // The account and the deal find it.
    let by_account = app
        .gql(
            &alice,
            "query($a: UUID!) { contracts(filter: {accountId: $a, status: DRAFT}) { totalCount edges { node { number } } } }",
            json!({ "a": contract["accountId"] }),
        )
        .await;
    assert_eq!(by_account["contracts"]["totalCount"], 1);
    assert_eq!(
        by_account["contracts"]["edges"][0]["node"]["number"],
        number
    );
}

#[tokio::test]
async fn only_an_accepted_quote_makes_a_contract_and_only_one() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let (opp, quote) = accepted_quote(&app, "alice", "Acme").await;
    let seat = product(&app, "OTHER", &[("EUR", "10")]).await;
    let sent = sent_quote(&app, &alice, &opp, &seat, "1").await;
    let (code, error) = create_error(&app, &alice, &id(&sent), standard_terms()).await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(error["extensions"]["field"], "quoteId");

    create(&app, &alice, &id(&quote), standard_terms()).await;
    let (code, _) = create_error(&app, &alice, &id(&quote), standard_terms()).await;
    assert_eq!(code, "CONFLICT");
    assert_eq!(count(&app, "contracts").await, 1);
}

#[tokio::test]
async fn payment_terms_must_sum_to_exactly_100_percent() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let (_, quote) = accepted_quote(&app, "alice", "Acme").await;
    let cases = [
        (
            json!([
                { "trigger": "ON_SIGNING", "percent": "50", "dueInDays": 0 },
                { "trigger": "ON_DELIVERY", "percent": "49.99", "dueInDays": 30 },
            ]),
            "paymentTerms",
        ),
        (
            json!([{ "trigger": "ON_SIGNING", "percent": "100.01", "dueInDays": 0 }]),
            "paymentTerms[0].percent",
        ),
        (json!([]), "paymentTerms"),
        (
            json!([
                { "trigger": "ON_SIGNING", "percent": "0", "dueInDays": 0 },
                { "trigger": "ON_DELIVERY", "percent": "100", "dueInDays": 0 },
            ]),
            "paymentTerms[0].percent",
        ),
        (
            json!([{ "trigger": "ON_SIGNING", "percent": "33.333", "dueInDays": 0 }]),
            "paymentTerms[0].percent",
        ),
        (
            json!([{ "trigger": "ON_SIGNING", "percent": "100", "dueInDays": 3651 }]),
            "paymentTerms[0].dueInDays",
        ),
    ];
    for (terms, field) in cases {
        let (code, error) = create_error(&app, &alice, &id(&quote), terms.clone()).await;
        assert_eq!(code, "VALIDATION", "{terms}: {error}");
        assert_eq!(error["extensions"]["field"], field, "{terms}");
    }
    assert_eq!(count(&app, "contracts").await, 0);
    // Thirds that add up exactly are fine.
    let thirds = json!([
        { "trigger": "ON_SIGNING", "percent": "33.33", "dueInDays": 0 },
        { "trigger": "ON_DELIVERY", "percent": "33.33", "dueInDays": 30 },
        { "trigger": "ON_ACCEPTANCE", "percent": "33.34", "dueInDays": 60 },
    ]);
    assert_eq!(
        create(&app, &alice, &id(&quote), thirds).await["status"],
        "DRAFT"
    );
}

#[tokio::test]
async fn contract_numbers_are_unique_even_when_made_at_once() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let mut quotes = Vec::new();
    for name in ["A", "B", "C", "D", "E"] {
        quotes.push(id(&accepted_quote(&app, "alice", name).await.1));
    }
    let query = create_query();
    let runs = quotes.iter().map(|q| {
        app.post(
            Some(&alice),
            &query,
            json!({ "q": q, "terms": standard_terms() }),
        )
    });
    let results = futures::future::join_all(runs).await;
    let mut numbers: Vec<String> = results
        .iter()
        .map(|(_, body)| {
            assert!(body.get("errors").is_none(), "{body}");
            body["data"]["createContractFromQuote"]["number"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    numbers.sort();
    let year = chrono::Utc::now().format("%Y").to_string();
    let expected: Vec<String> = (1..=5).map(|n| format!("C-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected);
}

#[tokio::test]
async fn signing_wins_the_deal_and_signing_twice_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let (opp, quote) = accepted_quote(&app, "alice", "Acme").await;
    let contract = create(&app, &alice, &id(&quote), standard_terms()).await;
    let sign = mutation("signContract", ", $at: DateTime", ", signedAt: $at");

    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let (code, error) = app
        .gql_error(&alice, &sign, json!({ "id": id(&contract), "at": future }))
        .await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(error["extensions"]["field"], "signedAt");
    assert_eq!(read(&app, &alice, &id(&contract)).await["status"], "DRAFT");

    let signed_at = "2026-01-15T10:30:00Z";
    let signed = app
        .gql(
            &alice,
            &sign,
            json!({ "id": id(&contract), "at": signed_at }),
        )
        .await["signContract"]
        .clone();
    assert_eq!(signed["status"], "SIGNED");
    assert_eq!(signed["signedAt"], "2026-01-15T10:30:00+00:00");
    assert_eq!(signed["opportunity"]["stage"], "WON");
    assert_eq!(statuses(&signed["history"]), ["DRAFT", "SIGNED"]);
    let won = app
        .gql(
            &alice,
            "query($id: UUID!) { opportunity(id: $id) { stage history { from to reason } } }",
            json!({ "id": opp }),
        )
        .await["opportunity"]
        .clone();
    let last = won["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["from"].as_str(), last["to"].as_str()),
        (Some("NEGOTIATE"), Some("WON"))
    );

    let (code, error) = app
        .gql_error(
            &alice,
            &sign,
            json!({ "id": id(&contract), "at": signed_at }),
        )
        .await;
    assert_eq!(code, "INVALID_TRANSITION");
    assert_eq!(error["extensions"]["from"], "SIGNED");
    assert_eq!(error["extensions"]["to"], "SIGNED");
    assert_eq!(
        read(&app, &alice, &id(&contract)).await["history"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn handover_needs_an_fr_and_execution_needs_the_handover() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let dana = app.token("dana", &["DELIVERY"]);
    let (opp, quote) = accepted_quote(&app, "alice", "Acme").await;
    let contract = create(&app, &alice, &id(&quote), standard_terms()).await;
    let cid = id(&contract);

    // Not before signing.
    let (code, error) = app
        .gql_error(
            &alice,
            &hand_over_query(),
            json!({ "id": cid, "m": "MEETING" }),
        )
        .await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(error["extensions"]["field"], "id");
    run(&app, &alice, "signContract", &cid).await;

    // Execution without a handover.
    let (code, error) = run_error(&app, &dana, "startContractExecution", &cid).await;
    assert_eq!(code, "INVALID_TRANSITION");
    assert_eq!(error["extensions"]["from"], "SIGNED");
    assert_eq!(error["extensions"]["to"], "EXECUTING");
    assert!(
        error["message"].as_str().unwrap().contains("hand"),
        "{error}"
    );

    // No FR on the team yet.
    let (code, _) = app
        .gql_error(
            &alice,
            &hand_over_query(),
            json!({ "id": cid, "m": "MEETING" }),
        )
        .await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(read(&app, &alice, &cid).await["handover"], Value::Null);

    add_member(&app, &alice, &opp, "dana", "FR").await;
    // Delivery cannot hand over: that is sales' side.
    let (code, _) = app
        .gql_error(
            &dana,
            &hand_over_query(),
            json!({ "id": cid, "m": "EMAIL" }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    let handed = app
        .gql(
            &alice,
            &hand_over_query(),
            json!({ "id": cid, "m": "MEETING", "n": "Kick-off with the customer's IT" }),
        )
        .await["handOverContract"]
        .clone();
    assert_eq!(handed["handover"]["method"], "MEETING");
    assert_eq!(
        handed["handover"]["notes"],
        "Kick-off with the customer's IT"
    );
    assert_eq!(handed["handover"]["by"], "alice");
    assert!(handed["handover"]["at"].is_string());
    assert_eq!(handed["leadingRole"], "FR");
    let (code, _) = app
        .gql_error(
            &alice,
            &hand_over_query(),
            json!({ "id": cid, "m": "EMAIL" }),
        )
        .await;
    assert_eq!(code, "CONFLICT");

    let executing = run(&app, &dana, "startContractExecution", &cid).await;
    assert_eq!(executing["status"], "EXECUTING");
    assert!(executing["executionStartedAt"].is_string());
    assert_eq!(executing["leadingRole"], "FR");
    assert_eq!(executing["opportunity"]["leadingRole"], "FR");
    // The signing receivable is still open: completion waits for the cash.
    let (code, error) = run_error(&app, &dana, "completeContract", &cid).await;
    assert_eq!(code, "VALIDATION");
    assert!(
        error["message"].as_str().unwrap().contains("receivable"),
        "{error}"
    );
    assert_eq!(read(&app, &alice, &cid).await["status"], "EXECUTING");
}

#[tokio::test]
async fn the_sr_may_hand_over_and_a_terminated_contract_keeps_its_reason() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let sam = app.token("sam", &["SALES"]);
    let (opp, quote) = accepted_quote(&app, "alice", "Acme").await;
    add_member(&app, &alice, &opp, "sam", "SR").await;
    add_member(&app, &alice, &opp, "fred", "FR").await;
    let cid = id(&create(&app, &sam, &id(&quote), standard_terms()).await);
    run(&app, &sam, "signContract", &cid).await;
    let handed = app
        .gql(
            &sam,
            &hand_over_query(),
            json!({ "id": cid, "m": "DOCUMENT" }),
        )
        .await["handOverContract"]
        .clone();
    assert_eq!(handed["handover"]["by"], "sam");
    assert_eq!(handed["handover"]["notes"], Value::Null);
    let terminated = app
        .gql(
            &alice,
            &mutation("terminateContract", ", $r: String!", ", reason: $r"),
            json!({ "id": cid, "r": "customer went bankrupt" }),
        )
        .await["terminateContract"]
        .clone();
    assert_eq!(terminated["status"], "TERMINATED");
    assert_eq!(terminated["terminatedReason"], "customer went bankrupt");
    let last = terminated["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["from"], "SIGNED");
    assert_eq!(last["reason"], "customer went bankrupt");
    let (code, _) = run_error(&app, &alice, "startContractExecution", &cid).await;
    assert_eq!(code, "INVALID_TRANSITION");
}

#[tokio::test]
async fn a_sales_user_cannot_act_on_someone_elses_contract() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let bob = app.token("bob", &["SALES"]);
    let (_, quote) = accepted_quote(&app, "alice", "Acme").await;

    // Bob cannot make a contract from alice's quote, nor see or sign hers.
    let (code, _) = create_error(&app, &bob, &id(&quote), standard_terms()).await;
    assert_eq!(code, "NOT_FOUND");
    let cid = id(&create(&app, &alice, &id(&quote), standard_terms()).await);
    let (code, _) = app
        .gql_error(
            &bob,
            "query($id: UUID!) { contract(id: $id) { id } }",
            json!({ "id": cid }),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
    for name in ["signContract", "terminateContract"] {
        let query = if name == "terminateContract" {
            mutation(name, ", $r: String!", ", reason: $r")
        } else {
            mutation(name, "", "")
        };
        let (code, _) = app
            .gql_error(&bob, &query, json!({ "id": cid, "r": "mine now" }))
            .await;
        assert_eq!(code, "NOT_FOUND", "{name}");
    }
    let list = "{ contracts(first: 10) { totalCount } }";
    assert_eq!(
        app.gql(&bob, list, json!({})).await["contracts"]["totalCount"],
        0
    );
    let still = read(&app, &alice, &cid).await;
    assert_eq!(still["status"], "DRAFT");
    assert_eq!(statuses(&still["history"]), ["DRAFT"]);
    // Delivery sees every contract but does not sign them.
    let dana = app.token("dana", &["DELIVERY"]);
    assert_eq!(
        app.gql(&dana, list, json!({})).await["contracts"]["totalCount"],
        1
    );
    let (code, _) = run_error(&app, &dana, "signContract", &cid).await;
    assert_eq!(code, "FORBIDDEN");
}
