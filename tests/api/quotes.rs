//! Quotes (configure, price, quote): exact totals from the catalogue, the
//! approval thresholds, the state machine with its history, revisions, one
//! accepted quote per deal and what acceptance does to the deal, bad input,
//! and who may act on which quotes.
//!
//! Expiry past `validUntil` cannot be reached through HTTP (a quote cannot
//! be made valid until yesterday, and a test cannot wait a day): the rule is
//! unit-tested in `quotes::lifecycle` and exercised on a stored lapsed quote
//! in `quotes::expiry_tests`; here only the boundary (valid until today is
//! still open) is checked.

use serde_json::{Value, json};

use crate::{
    fixtures::{deal, product},
    helpers::{TestApp, count},
};

pub const QUOTE: &str = "id opportunityId version status currency validUntil taxRate
    subtotal { amount currency } discountTotal { amount currency } tax { amount currency }
    total { amount currency } discountPercent authorId approvedBy rejectionReason
    lines { position productId product { id sku name } quantity listPrice { amount currency }
            unitPrice { amount currency } priceOverridden discountPercent
            gross { amount currency } net { amount currency } }
    revises { id version }
    opportunity { id stage amount { amount currency } }
    history { from to actorId reason }";

/// A date `days` from today (UTC), as the API takes it.
pub fn in_days(days: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(days)).to_string()
}

pub async fn add_member(app: &TestApp, token: &str, opp: &str, user: &str, role: &str) {
    app.gql(
        token,
        "mutation($o: UUID!, $u: String!, $r: TeamRole!) { addTeamMember(opportunityId: $o, userId: $u, role: $r) { id } }",
        json!({ "o": opp, "u": user, "r": role }),
    )
    .await;
}

fn create_query() -> String {
    format!("mutation($input: CreateQuoteInput!) {{ createQuote(input: $input) {{ {QUOTE} }} }}")
}

pub fn quote_input(opp: &str, currency: &str, lines: Value) -> Value {
    json!({ "opportunityId": opp, "currency": currency, "validUntil": in_days(30), "lines": lines })
}

pub async fn create(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(token, &create_query(), json!({ "input": input }))
        .await["createQuote"]
        .clone()
}

pub async fn create_error(app: &TestApp, token: &str, input: Value) -> (String, Value) {
    app.gql_error(token, &create_query(), json!({ "input": input }))
        .await
}

pub async fn read(app: &TestApp, token: &str, id: &str) -> Value {
    let query = format!("query($id: UUID!) {{ quote(id: $id) {{ {QUOTE} }} }}");
    app.gql(token, &query, json!({ "id": id })).await["quote"].clone()
}

/// A mutation taking the quote's `id` plus `args` (GraphQL argument text).
fn mutation(name: &str, params: &str, args: &str) -> String {
    format!("mutation($id: UUID!{params}) {{ {name}(id: $id{args}) {{ {QUOTE} }} }}")
}

/// `submitQuote`, `sendQuote`, ...: a transition that takes only the id.
pub async fn act(app: &TestApp, token: &str, name: &str, id: &str) -> Value {
    app.gql(token, &mutation(name, "", ""), json!({ "id": id }))
        .await[name]
        .clone()
}

pub async fn act_error(app: &TestApp, token: &str, name: &str, id: &str) -> (String, Value) {
    app.gql_error(token, &mutation(name, "", ""), json!({ "id": id }))
        .await
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

fn money(amount: &str, currency: &str) -> Value {
    json!({ "amount": amount, "currency": currency })
}

/// A quote the customer has in hand (`SENT`), made by `token` with one
/// undiscounted line of `quantity` × the product's price.
pub async fn sent_quote(
    app: &TestApp,
    token: &str,
    opp: &str,
    product: &str,
    quantity: &str,
) -> Value {
    let q = create(
        app,
        token,
        quote_input(
            opp,
            "EUR",
            json!([{ "productId": product, "quantity": quantity }]),
        ),
    )
    .await;
    assert_eq!(
        act(app, token, "submitQuote", &id(&q)).await["status"],
        "APPROVED"
    );
    act(app, token, "sendQuote", &id(&q)).await
}

#[tokio::test]
async fn a_quote_is_priced_exactly_from_the_catalogue() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let (opp, _) = deal(&app, "alice", "Acme").await;
    let seat = product(&app, "SEAT", &[("EUR", "19.99"), ("USD", "21.50")]).await;
    let hour = product(&app, "HOUR", &[("EUR", "12.00")]).await;
    let mut input = quote_input(
        &opp,
        "EUR",
        json!([
            { "productId": seat, "quantity": "3", "discountPercent": "12.5" },
            { "productId": hour, "quantity": "2.5", "unitPrice": "10.01", "discountPercent": "10" },
        ]),
    );
    input["taxRate"] = json!("0.19");
    let q = create(&app, &alice, input).await;

    // By hand: 3 × 19.99 = 59.97, net 52.47375 → 52.47; 2.5 × 10.01 = 25.025
    // → 25.02 (half to even), net 22.5225 → 22.52; subtotal 84.99, discount
    // 10.00, tax 74.99 × 0.19 = 14.2481 → 14.25, total 89.24.
    assert_eq!(q["version"], 1);
    assert_eq!(q["status"], "DRAFT");
    assert_eq!(q["authorId"], "alice");
    assert_eq!(q["subtotal"], money("84.99", "EUR"));
    assert_eq!(q["discountTotal"], money("10.00", "EUR"));
    assert_eq!(q["tax"], money("14.25", "EUR"));
    assert_eq!(q["total"], money("89.24", "EUR"));
    assert_eq!(q["discountPercent"], "11.77");
    assert_eq!(q["taxRate"], "0.19");
    let lines = q["lines"].as_array().unwrap();
    assert_eq!(lines[0]["product"]["sku"], "SEAT");
    assert_eq!(lines[0]["listPrice"], money("19.99", "EUR"));
    assert_eq!(lines[0]["priceOverridden"], false);
    assert_eq!(lines[0]["gross"], money("59.97", "EUR"));
    assert_eq!(lines[0]["net"], money("52.47", "EUR"));
    assert_eq!(lines[1]["position"], 2);
    assert_eq!(lines[1]["listPrice"], money("12.00", "EUR"));
    assert_eq!(lines[1]["unitPrice"], money("10.01", "EUR"));
    assert_eq!(lines[1]["priceOverridden"], true);
    assert_eq!(lines[1]["gross"], money("25.02", "EUR"));
    assert_eq!(lines[1]["net"], money("22.52", "EUR"));
    assert_eq!(statuses(&q["history"]), ["DRAFT"]);
    // The deal's amount follows its latest quote.
    assert_eq!(q["opportunity"]["amount"], money("89.24", "EUR"));

    // The same products in yen round to whole yen.
    let yen = product(&app, "YEN", &[("JPY", "333.5")]).await;
    let q2 = create(
        &app,
        &alice,
        quote_input(
            &opp,
            "JPY",
            json!([{ "productId": yen, "quantity": "3", "discountPercent": "5" }]),
        ),
    )
    .await;
    assert_eq!(q2["version"], 2);
    assert_eq!(q2["subtotal"], money("1000", "JPY"));
    assert_eq!(q2["total"], money("950", "JPY"));
    assert_eq!(q2["opportunity"]["amount"], money("950", "JPY"));
}

#[tokio::test]
async fn a_quote_under_the_thresholds_is_approved_on_submit() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let (opp, _) = deal(&app, "alice", "Acme").await;
    let seat = product(&app, "SEAT", &[("EUR", "100")]).await;
    // 15 % on a line and 10 % overall are at the thresholds, not past them.
    let q = create(
        &app,
        &alice,
        quote_input(
            &opp,
            "EUR",
            json!([
                { "productId": seat, "quantity": "1", "discountPercent": "15" },
                { "productId": seat, "quantity": "1", "discountPercent": "5" },
            ]),
        ),
    )
    .await;
    assert_eq!(q["discountPercent"], "10.00");
    let submitted = act(&app, &alice, "submitQuote", &id(&q)).await;
    assert_eq!(submitted["status"], "APPROVED");
    assert_eq!(submitted["approvedBy"], Value::Null);
    assert_eq!(statuses(&submitted["history"]), ["DRAFT", "APPROVED"]);
}

#[tokio::test]
async fn a_quote_over_a_threshold_waits_for_a_manager_who_is_not_its_author() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let mia = app.token("mia", &["SALES_MANAGER"]);
    let (opp, _) = deal(&app, "alice", "Acme").await;
    let seat = product(&app, "SEAT", &[("EUR", "100")]).await;

    // One line past 15 %.
    let line_heavy = create(
        &app,
        &alice,
        quote_input(
            &opp,
            "EUR",
            json!([{ "productId": seat, "quantity": "1", "discountPercent": "15.01" }]),
        ),
    )
    .await;
    let pending = act(&app, &alice, "submitQuote", &id(&line_heavy)).await;
    assert_eq!(pending["status"], "PENDING_APPROVAL");
    // A sales user cannot approve at all.
    let (code, _) = act_error(&app, &alice, "approveQuote", &id(&line_heavy)).await;
    assert_eq!(code, "FORBIDDEN");
    let approved = act(&app, &mia, "approveQuote", &id(&line_heavy)).await;
    assert_eq!(approved["status"], "APPROVED");
    assert_eq!(approved["approvedBy"], "mia");
    assert_eq!(
        statuses(&approved["history"]),
        ["DRAFT", "PENDING_APPROVAL", "APPROVED"]
    );

    // Every line within 15 %, but 12 % overall: past the 10 % threshold.
    let overall = create(
        &app,
        &alice,
        quote_input(
            &opp,
            "EUR",
            json!([
                { "productId": seat, "quantity": "1", "discountPercent": "12" },
                { "productId": seat, "quantity": "1", "discountPercent": "12" },
            ]),
        ),
    )
    .await;
    assert_eq!(
        act(&app, &alice, "submitQuote", &id(&overall)).await["status"],
        "PENDING_APPROVAL"
    );
    let rejected = app
        .gql(
            &mia,
            &mutation("rejectQuote", ", $r: String!", ", reason: $r"),
            json!({ "id": id(&overall), "r": "12 % is too generous" }),
        )
        .await["rejectQuote"]
        .clone();
    assert_eq!(rejected["status"], "REJECTED");
    assert_eq!(rejected["rejectionReason"], "12 % is too generous");
    assert_eq!(rejected["history"][2]["reason"], "12 % is too generous");
}

#[tokio::test]
async fn approving_ones_own_quote_is_forbidden_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let mia = app.token("mia", &["SALES_MANAGER"]);
    let max = app.token("max", &["ADMIN"]);
    let (opp, _) = deal(&app, "alice", "Acme").await;
    let seat = product(&app, "SEAT", &[("EUR", "100")]).await;
    let q = create(
        &app,
        &mia,
        quote_input(
            &opp,
            "EUR",
            json!([{ "productId": seat, "quantity": "1", "discountPercent": "50" }]),
        ),
    )
    .await;
    act(&app, &mia, "submitQuote", &id(&q)).await;
    let (code, _) = act_error(&app, &mia, "approveQuote", &id(&q)).await;
    assert_eq!(code, "FORBIDDEN");
    let (code, _) = app
        .gql_error(
            &mia,
            &mutation("rejectQuote", ", $r: String!", ", reason: $r"),
            json!({ "id": id(&q), "r": "no" }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    let unchanged = read(&app, &mia, &id(&q)).await;
    assert_eq!(unchanged["status"], "PENDING_APPROVAL");
    assert_eq!(unchanged["approvedBy"], Value::Null);
    assert_eq!(unchanged["history"].as_array().unwrap().len(), 2);
    // Another manager may.
    assert_eq!(
        act(&app, &max, "approveQuote", &id(&q)).await["approvedBy"],
        "max"
    );
}

#[tokio::test]
async fn bad_quote_input_is_refused_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let (opp, _) = deal(&app, "alice", "Acme").await;
    let seat = product(&app, "SEAT", &[("EUR", "100")]).await;
    let dollars_only = product(&app, "USONLY", &[("USD", "100")]).await;
    let retired = product(&app, "OLD", &[("EUR", "100")]).await;
    let mia = app.token("mia", &["SALES_MANAGER"]);
    app.gql(
        &mia,
        "mutation($id: UUID!) { deactivateProduct(id: $id) { id } }",
        json!({ "id": retired }),
    )
    .await;
    let unknown = "0190a000-0000-7000-8000-000000000000";
    let line = |extra: Value| {
        let mut l = json!({ "productId": seat, "quantity": "1" });
        for (k, v) in extra.as_object().unwrap() {
            l[k] = v.clone();
        }
        json!([l])
    };
    let cases = [
        (line(json!({ "quantity": "0" })), "lines[0].quantity"),
        (line(json!({ "quantity": "-1" })), "lines[0].quantity"),
        (line(json!({ "quantity": "1.00001" })), "lines[0].quantity"),
        (
            line(json!({ "discountPercent": "100.5" })),
            "lines[0].discountPercent",
        ),
        (
            line(json!({ "discountPercent": "-5" })),
            "lines[0].discountPercent",
        ),
        (line(json!({ "unitPrice": "-0.01" })), "lines[0].unitPrice"),
        (line(json!({ "productId": unknown })), "lines[0].productId"),
        (line(json!({ "productId": retired })), "lines[0].productId"),
        (
            line(json!({ "productId": dollars_only })),
            "lines[0].productId",
        ),
        (json!([]), "lines"),
    ];
    for (lines, field) in cases {
        let (code, error) =
            create_error(&app, &alice, quote_input(&opp, "EUR", lines.clone())).await;
        assert_eq!(code, "VALIDATION", "{lines}: {error}");
        assert_eq!(error["extensions"]["field"], field, "{lines}");
    }
    let good = line(json!({}));
    for (input, field) in [
        (json!({ "validUntil": in_days(-1) }), "validUntil"),
        (json!({ "taxRate": "1" }), "taxRate"),
        (json!({ "taxRate": "-0.1" }), "taxRate"),
        (json!({ "currency": "EURO" }), "currency"),
    ] {
        let mut full = quote_input(&opp, "EUR", good.clone());
        for (k, v) in input.as_object().unwrap() {
            full[k] = v.clone();
        }
        let (code, error) = create_error(&app, &alice, full).await;
        assert_eq!(code, "VALIDATION", "{input}: {error}");
        assert_eq!(error["extensions"]["field"], field, "{input}");
    }
    assert_eq!(count(&app, "quotes").await, 0);
    let deal = app
        .gql(
            &alice,
            "query($id: UUID!) { opportunity(id: $id) { amount { amount } } }",
            json!({ "id": opp }),
        )
        .await;
    assert_eq!(deal["opportunity"]["amount"], Value::Null);
}

#[tokio::test]
async fn only_a_draft_quote_can_be_edited() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let (opp, _) = deal(&app, "alice", "Acme").await;
    let seat = product(&app, "SEAT", &[("EUR", "100")]).await;
    let hour = product(&app, "HOUR", &[("EUR", "80")]).await;
    let q = create(
        &app,
        &alice,
        quote_input(&opp, "EUR", json!([{ "productId": seat, "quantity": "2" }])),
    )
    .await;
    let update = mutation(
        "updateQuote",
        ", $input: UpdateQuoteInput!",
        ", input: $input",
    );
    let edited = app
        .gql(
            &alice,
            &update,
            json!({ "id": id(&q), "input": {
                "taxRate": "0.2",
                "validUntil": in_days(10),
                "lines": [{ "productId": hour, "quantity": "3", "discountPercent": "10" }],
            }}),
        )
        .await["updateQuote"]
        .clone();
    // 3 × 80 = 240, net 216, tax 43.20, total 259.20.
    assert_eq!(edited["lines"].as_array().unwrap().len(), 1);
    assert_eq!(edited["lines"][0]["product"]["sku"], "HOUR");
    assert_eq!(edited["subtotal"], money("240.00", "EUR"));
    assert_eq!(edited["total"], money("259.20", "EUR"));
    assert_eq!(edited["validUntil"], in_days(10));
    assert_eq!(edited["opportunity"]["amount"], money("259.20", "EUR"));
    // Only the tax rate: the totals follow.
    let retaxed = app
        .gql(
            &alice,
            &update,
            json!({ "id": id(&q), "input": { "taxRate": "0" } }),
        )
        .await["updateQuote"]
        .clone();
    assert_eq!(retaxed["total"], money("216.00", "EUR"));

    act(&app, &alice, "submitQuote", &id(&q)).await;
    act(&app, &alice, "sendQuote", &id(&q)).await;
    let (code, error) = app
        .gql_error(
            &alice,
            &update,
            json!({ "id": id(&q), "input": { "lines": [{ "productId": seat, "quantity": "9" }] } }),
        )
        .await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(error["extensions"]["field"], "id");
    let unchanged = read(&app, &alice, &id(&q)).await;
    assert_eq!(unchanged["status"], "SENT");
    assert_eq!(unchanged["lines"][0]["quantity"], "3");
    assert_eq!(unchanged["total"], money("216.00", "EUR"));
}

#[tokio::test]
async fn illegal_quote_transitions_are_refused_naming_both_states() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let (opp, _) = deal(&app, "alice", "Acme").await;
    let seat = product(&app, "SEAT", &[("EUR", "100")]).await;
    let q = create(
        &app,
        &alice,
        quote_input(&opp, "EUR", json!([{ "productId": seat, "quantity": "1" }])),
    )
    .await;
    let (code, error) = act_error(&app, &alice, "sendQuote", &id(&q)).await;
    assert_eq!(code, "INVALID_TRANSITION");
    assert_eq!(error["extensions"]["from"], "DRAFT");
    assert_eq!(error["extensions"]["to"], "SENT");
    // A manager's approval is for quotes waiting for one, not a way around submitting.
    let mia = app.token("mia", &["SALES_MANAGER"]);
    let (code, error) = act_error(&app, &mia, "approveQuote", &id(&q)).await;
    assert_eq!(code, "INVALID_TRANSITION");
    assert_eq!(error["extensions"]["from"], "DRAFT");
    assert_eq!(error["extensions"]["to"], "APPROVED");
    act(&app, &alice, "submitQuote", &id(&q)).await;
    let (code, error) = act_error(&app, &alice, "acceptQuote", &id(&q)).await;
    assert_eq!(code, "INVALID_TRANSITION");
    assert_eq!(error["extensions"]["from"], "APPROVED");
    assert_eq!(error["extensions"]["to"], "ACCEPTED");
    let (code, _) = act_error(&app, &alice, "submitQuote", &id(&q)).await;
    assert_eq!(code, "INVALID_TRANSITION");
    act(&app, &alice, "sendQuote", &id(&q)).await;
    // Rejecting is a manager's answer to an approval request, not to a sent quote.
    let (code, error) = app
        .gql_error(
            &mia,
            &mutation("rejectQuote", ", $r: String!", ", reason: $r"),
            json!({ "id": id(&q), "r": "no" }),
        )
        .await;
    assert_eq!(code, "INVALID_TRANSITION");
    assert_eq!(error["extensions"]["from"], "SENT");
    // The customer declines; the reason is kept.
    let declined = app
        .gql(
            &alice,
            &mutation("declineQuote", ", $r: String", ", reason: $r"),
            json!({ "id": id(&q), "r": "went with a competitor" }),
        )
        .await["declineQuote"]
        .clone();
    assert_eq!(declined["status"], "REJECTED");
    assert_eq!(declined["rejectionReason"], "went with a competitor");
    assert_eq!(
        statuses(&declined["history"]),
        ["DRAFT", "APPROVED", "SENT", "REJECTED"]
    );
    let (code, error) = act_error(&app, &alice, "acceptQuote", &id(&q)).await;
    assert_eq!(code, "INVALID_TRANSITION");
    assert_eq!(error["extensions"]["from"], "REJECTED");
}

#[tokio::test]
async fn revising_a_quote_makes_a_draft_copy_and_supersedes_it() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let sam = app.token("sam", &["SALES"]);
    let (opp, _) = deal(&app, "alice", "Acme").await;
    add_member(&app, &alice, &opp, "sam", "SR").await;
    let seat = product(&app, "SEAT", &[("EUR", "100")]).await;
    let v1 = sent_quote(&app, &alice, &opp, &seat, "4").await;

    let v2 = act(&app, &sam, "reviseQuote", &id(&v1)).await;
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["status"], "DRAFT");
    assert_eq!(v2["authorId"], "sam");
    assert_eq!(v2["revises"], json!({ "id": id(&v1), "version": 1 }));
    assert_eq!(v2["validUntil"], v1["validUntil"]);
    assert_eq!(v2["total"], v1["total"]);
    assert_eq!(v2["lines"][0]["quantity"], "4");
    assert_eq!(statuses(&v2["history"]), ["DRAFT"]);
    let old = read(&app, &alice, &id(&v1)).await;
    assert_eq!(old["status"], "SUPERSEDED");
    assert_eq!(
        statuses(&old["history"]),
        ["DRAFT", "APPROVED", "SENT", "SUPERSEDED"]
    );
    // A superseded quote is settled.
    for name in ["reviseQuote", "acceptQuote", "sendQuote"] {
        let (code, error) = act_error(&app, &alice, name, &id(&v1)).await;
        assert_eq!(code, "INVALID_TRANSITION", "{name}");
        assert_eq!(error["extensions"]["from"], "SUPERSEDED");
    }
    // The draft can now be edited; the deal's amount follows the latest version.
    let update = mutation(
        "updateQuote",
        ", $input: UpdateQuoteInput!",
        ", input: $input",
    );
    let edited = app
        .gql(
            &sam,
            &update,
            json!({ "id": id(&v2), "input": { "lines": [{ "productId": seat, "quantity": "5" }] } }),
        )
        .await["updateQuote"]
        .clone();
    assert_eq!(edited["opportunity"]["amount"], money("500.00", "EUR"));
}

#[tokio::test]
async fn accepting_a_quote_sets_the_deal_amount_and_moves_it_to_negotiate() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let (opp, _) = deal(&app, "alice", "Acme").await;
    let seat = product(&app, "SEAT", &[("EUR", "250")]).await;
    let q = sent_quote(&app, &alice, &opp, &seat, "4").await;
    // A later quote became the deal's amount meanwhile.
    create(
        &app,
        &alice,
        quote_input(&opp, "EUR", json!([{ "productId": seat, "quantity": "1" }])),
    )
    .await;

    let accepted = act(&app, &alice, "acceptQuote", &id(&q)).await;
    assert_eq!(accepted["status"], "ACCEPTED");
    assert_eq!(accepted["opportunity"]["stage"], "NEGOTIATE");
    assert_eq!(accepted["opportunity"]["amount"], money("1000.00", "EUR"));
    let deal = app
        .gql(
            &alice,
            "query($id: UUID!) { opportunity(id: $id) { stage leadingRole history { from to reason } } }",
            json!({ "id": opp }),
        )
        .await["opportunity"]
        .clone();
    assert_eq!(deal["leadingRole"], "SR");
    let last = deal["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["from"], "DISCOVER");
    assert_eq!(last["to"], "NEGOTIATE");

    // Once a quote is accepted it is the primary one: new quotes leave the amount alone.
    let later = create(
        &app,
        &alice,
        quote_input(&opp, "EUR", json!([{ "productId": seat, "quantity": "7" }])),
    )
    .await;
    assert_eq!(later["opportunity"]["amount"], money("1000.00", "EUR"));
    let (code, _) = act_error(&app, &alice, "reviseQuote", &id(&q)).await;
    assert_eq!(code, "INVALID_TRANSITION");
}

#[tokio::test]
async fn a_second_accepted_quote_on_a_deal_is_a_conflict() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let (opp, _) = deal(&app, "alice", "Acme").await;
    let seat = product(&app, "SEAT", &[("EUR", "100")]).await;
    let first = sent_quote(&app, &alice, &opp, &seat, "1").await;
    let second = sent_quote(&app, &alice, &opp, &seat, "2").await;
    act(&app, &alice, "acceptQuote", &id(&first)).await;
    let (code, _) = act_error(&app, &alice, "acceptQuote", &id(&second)).await;
    assert_eq!(code, "CONFLICT");
    let unchanged = read(&app, &alice, &id(&second)).await;
    assert_eq!(unchanged["status"], "SENT");
    assert_eq!(unchanged["opportunity"]["amount"], money("100.00", "EUR"));
    let accepted = app
        .gql(
            &alice,
            "query($o: UUID!) { quotes(filter: {opportunityId: $o, status: ACCEPTED}) { totalCount } }",
            json!({ "o": opp }),
        )
        .await;
    assert_eq!(accepted["quotes"]["totalCount"], 1);
}

#[tokio::test]
async fn concurrent_accepts_on_one_deal_accept_one_quote() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let (opp, _) = deal(&app, "alice", "Acme").await;
    let seat = product(&app, "SEAT", &[("EUR", "100")]).await;
    let mut ids = Vec::new();
    for quantity in ["1", "2", "3", "4"] {
        ids.push(id(&sent_quote(&app, &alice, &opp, &seat, quantity).await));
    }
    let query = mutation("acceptQuote", "", "");
    let runs = ids
        .iter()
        .map(|q| app.post(Some(&alice), &query, json!({ "id": q })));
    let results = futures::future::join_all(runs).await;
    let ok = results
        .iter()
        .filter(|(_, b)| b.get("errors").is_none())
        .count();
    assert_eq!(ok, 1, "{results:?}");
    for (_, body) in results.iter().filter(|(_, b)| b.get("errors").is_some()) {
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "CONFLICT",
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_quote_valid_until_today_is_still_open() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let (opp, _) = deal(&app, "alice", "Acme").await;
    let seat = product(&app, "SEAT", &[("EUR", "100")]).await;
    let mut input = quote_input(&opp, "EUR", json!([{ "productId": seat, "quantity": "1" }]));
    input["validUntil"] = json!(in_days(0));
    let q = create(&app, &alice, input).await;
    act(&app, &alice, "submitQuote", &id(&q)).await;
    act(&app, &alice, "sendQuote", &id(&q)).await;
    assert_eq!(
        act(&app, &alice, "acceptQuote", &id(&q)).await["status"],
        "ACCEPTED"
    );
}

#[tokio::test]
async fn sales_users_work_only_on_quotes_of_deals_they_see() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let bob = app.token("bob", &["SALES"]);
    let (opp, _) = deal(&app, "alice", "Acme").await;
    let seat = product(&app, "SEAT", &[("EUR", "100")]).await;
    let q = create(
        &app,
        &alice,
        quote_input(&opp, "EUR", json!([{ "productId": seat, "quantity": "1" }])),
    )
    .await;

    let (code, _) = create_error(
        &app,
        &bob,
        quote_input(&opp, "EUR", json!([{ "productId": seat, "quantity": "1" }])),
    )
    .await;
    assert_eq!(code, "NOT_FOUND");
    let (code, _) = app
        .gql_error(
            &bob,
            "query($id: UUID!) { quote(id: $id) { id } }",
            json!({ "id": id(&q) }),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
    for name in ["submitQuote", "reviseQuote"] {
        let (code, _) = act_error(&app, &bob, name, &id(&q)).await;
        assert_eq!(code, "NOT_FOUND", "{name}");
    }
    let list = "{ quotes(first: 10) { totalCount edges { node { id } } } }";
    assert_eq!(
        app.gql(&bob, list, json!({})).await["quotes"]["totalCount"],
        0
    );
    let unchanged = read(&app, &alice, &id(&q)).await;
    assert_eq!(unchanged["status"], "DRAFT");
    assert_eq!(count(&app, "quotes").await, 1);

    // On the team, bob works on it.
    add_member(&app, &alice, &opp, "bob", "SR").await;
    assert_eq!(
        app.gql(&bob, list, json!({})).await["quotes"]["totalCount"],
        1
    );
    assert_eq!(
        act(&app, &bob, "submitQuote", &id(&q)).await["status"],
        "APPROVED"
    );

    // Delivery reads every quote but writes none.
    let dana = app.token("dana", &["DELIVERY"]);
    assert_eq!(read(&app, &dana, &id(&q)).await["status"], "APPROVED");
    let (code, _) = act_error(&app, &dana, "sendQuote", &id(&q)).await;
    assert_eq!(code, "FORBIDDEN");
}

#[tokio::test]
async fn quotes_list_by_deal_and_shown_status_across_pages() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let (acme, _) = deal(&app, "alice", "Acme").await;
    let (beta, _) = deal(&app, "alice", "Beta").await;
    let seat = product(&app, "SEAT", &[("EUR", "100")]).await;
    for _ in 0..3 {
        create(
            &app,
            &alice,
            quote_input(
                &acme,
                "EUR",
                json!([{ "productId": seat, "quantity": "1" }]),
            ),
        )
        .await;
    }
    sent_quote(&app, &alice, &beta, &seat, "1").await;
    let query = "query($f: QuoteFilter, $after: String) {
        quotes(first: 2, after: $after, filter: $f) {
            totalCount pageInfo { hasNextPage endCursor } edges { node { version status } } } }";
    let page1 = app
        .gql(&alice, query, json!({ "f": { "opportunityId": acme } }))
        .await["quotes"]
        .clone();
    assert_eq!(page1["totalCount"], 3);
    assert_eq!(page1["edges"][0]["node"]["version"], 3);
    assert_eq!(page1["pageInfo"]["hasNextPage"], true);
    let page2 = app
        .gql(
            &alice,
            query,
            json!({ "f": { "opportunityId": acme }, "after": page1["pageInfo"]["endCursor"] }),
        )
        .await["quotes"]
        .clone();
    assert_eq!(page2["edges"].as_array().unwrap().len(), 1);
    assert_eq!(page2["edges"][0]["node"]["version"], 1);
    let sent = app
        .gql(&alice, query, json!({ "f": { "status": "SENT" } }))
        .await["quotes"]
        .clone();
    assert_eq!(sent["totalCount"], 1);
    let expired = app
        .gql(&alice, query, json!({ "f": { "status": "EXPIRED" } }))
        .await["quotes"]
        .clone();
    assert_eq!(expired["totalCount"], 0);
}

#[tokio::test]
async fn a_page_of_quotes_with_lines_and_products_costs_a_fixed_number_of_statements() {
    let app = TestApp::spawn().await;
    let mia = app.token("mia", &["SALES_MANAGER"]);
    let (opp, _) = deal(&app, "alice", "Acme").await;
    let seat = product(&app, "SEAT", &[("EUR", "100")]).await;
    let hour = product(&app, "HOUR", &[("EUR", "80")]).await;
    let query =
        "{ quotes(first: 100) { edges { node { id lines { product { sku } gross { amount } }
        history { to } revises { id } opportunity { id } } } } }";
    let add = |n: usize| {
        let app = &app;
        let mia = mia.clone();
        let opp = opp.clone();
        let (seat, hour) = (seat.clone(), hour.clone());
        async move {
            for _ in 0..n {
                create(
                    app,
                    &mia,
                    quote_input(
                        &opp,
                        "EUR",
                        json!([{ "productId": seat, "quantity": "1" }, { "productId": hour, "quantity": "2" }]),
                    ),
                )
                .await;
            }
        }
    };
    add(3).await;
    let small = crate::loaders::cost(&app, &mia, query).await;
    add(20).await;
    let large = crate::loaders::cost(&app, &mia, query).await;
    assert_eq!(
        small, large,
        "{small} statements for 3 quotes, {large} for 23"
    );
    // The page, then lines, products, history, revised quotes, deals.
    assert!(large <= 7, "{large} statements for one page");
}

#[tokio::test]
async fn a_lost_deal_takes_no_new_quotes_edits_or_acceptances() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let (opp, _) = deal(&app, "alice", "Acme").await;
    let seat = product(&app, "SEAT", &[("EUR", "100")]).await;
    let sent = sent_quote(&app, &alice, &opp, &seat, "1").await;
    let draft = create(
        &app,
        &alice,
        quote_input(&opp, "EUR", json!([{ "productId": seat, "quantity": "2" }])),
    )
    .await;
    app.gql(
        &alice,
        "mutation($id: UUID!) { loseOpportunity(id: $id, reason: \"budget cut\") { stage } }",
        json!({ "id": opp }),
    )
    .await;

    let (code, error) = create_error(
        &app,
        &alice,
        quote_input(&opp, "EUR", json!([{ "productId": seat, "quantity": "1" }])),
    )
    .await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(error["extensions"]["field"], "opportunityId");
    let (code, error) = act_error(&app, &alice, "acceptQuote", &id(&sent)).await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(error["extensions"]["field"], "id");
    let update = mutation(
        "updateQuote",
        ", $input: UpdateQuoteInput!",
        ", input: $input",
    );
    let (code, _) = app
        .gql_error(
            &alice,
            &update,
            json!({ "id": id(&draft), "input": { "taxRate": "0.1" } }),
        )
        .await;
    assert_eq!(code, "VALIDATION");
    let deal = app
        .gql(
            &alice,
            "query($id: UUID!) { opportunity(id: $id) { stage amount { amount } } }",
            json!({ "id": opp }),
        )
        .await["opportunity"]
        .clone();
    assert_eq!(deal["stage"], "LOST");
    assert_eq!(deal["amount"]["amount"], "200.00");
    assert_eq!(read(&app, &alice, &id(&sent)).await["status"], "SENT");
}
