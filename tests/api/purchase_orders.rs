//! Purchase orders and cash: drawdown limits (also under a race), the PO
//! state machine, cancellation, payments refused for every bad reason, and
//! renewals of contracts near the end of their term.

use serde_json::{Value, json};

use crate::{helpers::TestApp, lead_to_cash::executing_contract};

fn id(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not an id: {v}"))
        .to_owned()
}

const CREATE: &str = "mutation($c: UUID!, $n: String!, $l: [PurchaseOrderLineInput!]!) { createPurchaseOrder(contractId: $c, poNumber: $n, lines: $l) { id status } }";

async fn order_count(app: &TestApp) -> i64 {
    let admin = app.token("root", &["ADMIN"]);
    app.gql(&admin, "{ purchaseOrders { totalCount } }", json!({}))
        .await["purchaseOrders"]["totalCount"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn purchase_orders_never_exceed_the_contract() {
    let app = TestApp::spawn().await;
    let deal = executing_contract(&app).await;
    let alice = app.token("alice", &["SALES"]);
    let seat = deal
        .lines
        .iter()
        .find(|(_, s)| s == "SEAT")
        .unwrap()
        .0
        .clone();
    let lines = |q: &str| json!([{ "contractLineId": seat, "quantity": q }]);

    for (quantity, code, field) in [
        ("8", "VALIDATION", "lines[0].quantity"),
        ("0", "VALIDATION", "lines[0].quantity"),
        ("-1", "VALIDATION", "lines[0].quantity"),
    ] {
        let (got, error) = app
            .gql_error(
                &alice,
                CREATE,
                json!({ "c": deal.contract, "n": "PO-X", "l": lines(quantity) }),
            )
            .await;
        assert_eq!(
            (got.as_str(), error["extensions"]["field"].as_str()),
            (code, Some(field)),
            "{quantity}"
        );
    }
    let (code, _) = app
        .gql_error(
            &alice,
            CREATE,
            json!({ "c": deal.contract, "n": "  ", "l": lines("1") }),
        )
        .await;
    assert_eq!(code, "VALIDATION");
    let (code, error) = app
        .gql_error(&alice, CREATE, json!({ "c": deal.contract, "n": "PO-X", "l": [{ "contractLineId": deal.contract, "quantity": "1" }] }))
        .await;
    assert_eq!(
        (code.as_str(), error["extensions"]["field"].as_str()),
        ("VALIDATION", Some("lines[0].contractLineId"))
    );
    assert_eq!(order_count(&app).await, 0);

    app.gql(
        &alice,
        CREATE,
        json!({ "c": deal.contract, "n": "PO-1", "l": lines("5") }),
    )
    .await;
    // Only 2 seats are left: 3 more is a conflict with the first PO.
    let (code, _) = app
        .gql_error(
            &alice,
            CREATE,
            json!({ "c": deal.contract, "n": "PO-2", "l": lines("3") }),
        )
        .await;
    assert_eq!(code, "CONFLICT");
    // The same PO number again on this account.
    let (code, _) = app
        .gql_error(
            &alice,
            CREATE,
            json!({ "c": deal.contract, "n": "PO-1", "l": lines("1") }),
        )
        .await;
    assert_eq!(code, "CONFLICT");
    assert_eq!(order_count(&app).await, 1);

    // Two POs racing for the last 2 seats: one wins, the other gets CONFLICT.
    let race = |n: &'static str| {
        app.post(
            Some(&alice),
            CREATE,
            json!({ "c": deal.contract, "n": n, "l": lines("2") }),
        )
    };
    let (a, b) = tokio::join!(race("PO-A"), race("PO-B"));
    let codes: Vec<Value> = [a.1, b.1]
        .iter()
        .map(|body| body["errors"][0]["extensions"]["code"].clone())
        .collect();
    assert_eq!(codes.iter().filter(|c| c.is_null()).count(), 1, "{codes:?}");
    assert!(codes.contains(&json!("CONFLICT")), "{codes:?}");
    assert_eq!(order_count(&app).await, 2);
}

#[tokio::test]
async fn a_po_follows_its_state_machine_and_cancelling_frees_its_quantity() {
    let app = TestApp::spawn().await;
    let deal = executing_contract(&app).await;
    let alice = app.token("alice", &["SALES"]);
    let seat = deal
        .lines
        .iter()
        .find(|(_, s)| s == "SEAT")
        .unwrap()
        .0
        .clone();
    let order = app
        .gql(&alice, CREATE, json!({ "c": deal.contract, "n": "PO-1", "l": [{ "contractLineId": seat, "quantity": "7" }] }))
        .await["createPurchaseOrder"]["id"]
        .clone();
    let step = |name: &'static str, extra: &'static str| {
        let query = format!("mutation($id: UUID!) {{ {name}(id: $id{extra}) {{ status }} }}");
        (name, query)
    };
    let (name, deliver) = step("markDelivered", ", deliveredAt: \"2026-11-01T00:00:00Z\"");
    // Not in fulfilment yet.
    let (code, error) = app
        .gql_error(&alice, &deliver, json!({ "id": order }))
        .await;
    assert_eq!(code, "INVALID_TRANSITION");
    assert_eq!(
        (
            error["extensions"]["from"].as_str(),
            error["extensions"]["to"].as_str()
        ),
        (Some("RECEIVED"), Some("DELIVERED"))
    );
    let _ = name;
    let cancel = "mutation($id: UUID!, $r: String!) { cancelPurchaseOrder(id: $id, reason: $r) { status cancelledReason history { to } } }";
    let (code, _) = app
        .gql_error(&alice, cancel, json!({ "id": order, "r": " " }))
        .await;
    assert_eq!(code, "VALIDATION");
    let cancelled = app
        .gql(
            &alice,
            cancel,
            json!({ "id": order, "r": "Customer changed plans" }),
        )
        .await["cancelPurchaseOrder"]
        .clone();
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(
        cancelled["history"],
        json!([{ "to": "RECEIVED" }, { "to": "CANCELLED" }])
    );
    // Delivering a cancelled PO is refused.
    let (code, _) = app
        .gql_error(&alice, &deliver, json!({ "id": order }))
        .await;
    assert_eq!(code, "INVALID_TRANSITION");
    // Its quantity is free again.
    let again = app
        .gql(&alice, CREATE, json!({ "c": deal.contract, "n": "PO-2", "l": [{ "contractLineId": seat, "quantity": "7" }] }))
        .await;
    assert_eq!(again["createPurchaseOrder"]["status"], "RECEIVED");
    // Delivered POs cannot be cancelled.
    let second = id(&again["createPurchaseOrder"]["id"]);
    let fred = app.token("fred", &["DELIVERY"]);
    app.gql(
        &fred,
        "mutation($id: UUID!) { startFulfillment(id: $id) { status } }",
        json!({ "id": second }),
    )
    .await;
    app.gql(&fred, &deliver, json!({ "id": second })).await;
    let (code, _) = app
        .gql_error(&alice, cancel, json!({ "id": second, "r": "late" }))
        .await;
    assert_eq!(code, "INVALID_TRANSITION");
    // A sales user who is not on the deal sees none of it.
    let bob = app.token("bob", &["SALES"]);
    let (code, _) = app
        .gql_error(
            &bob,
            "query($id: UUID!) { purchaseOrder(id: $id) { id } }",
            json!({ "id": second }),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
}

#[tokio::test]
async fn a_po_on_a_draft_contract_is_refused() {
    let app = TestApp::spawn().await;
    let deal = executing_contract(&app).await;
    let alice = app.token("alice", &["SALES"]);
    let terminated = app
        .gql(&alice, "mutation($id: UUID!) { terminateContract(id: $id, reason: \"Customer insolvent\") { status receivables { status closedReason } } }", json!({ "id": deal.contract }))
        .await["terminateContract"]
        .clone();
    assert_eq!(terminated["status"], "TERMINATED");
    // The signing receivable was not invoiced: cancelled, and kept.
    assert_eq!(
        terminated["receivables"],
        json!([{ "status": "CANCELLED", "closedReason": "Customer insolvent" }])
    );
    let seat = deal.lines[0].0.clone();
    let (code, error) = app
        .gql_error(&alice, CREATE, json!({ "c": deal.contract, "n": "PO-1", "l": [{ "contractLineId": seat, "quantity": "1" }] }))
        .await;
    assert_eq!(
        (code.as_str(), error["extensions"]["field"].as_str()),
        ("VALIDATION", Some("contractId"))
    );
}

#[tokio::test]
async fn bad_payments_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let deal = executing_contract(&app).await;
    let finance = app.token("fiona", &["FINANCE"]);
    let alice = app.token("alice", &["SALES"]);
    let receivable = app
        .gql(&finance, "query($c: UUID!) { receivables(filter: {contractId: $c}) { edges { node { id amount { amount } } } } }", json!({ "c": deal.contract }))
        .await["receivables"]["edges"][0]["node"]
        .clone();
    let r = id(&receivable["id"]);
    assert_eq!(receivable["amount"]["amount"], "7754.02");
    let pay = "mutation($r: UUID!, $a: Decimal!, $c: String!, $ref: String!) { recordPayment(receivableId: $r, amount: {amount: $a, currency: $c}, receivedAt: \"2026-11-02T00:00:00Z\", reference: $ref) { receivable { status } } }";
    // Not invoiced yet.
    let (code, _) = app
        .gql_error(
            &finance,
            pay,
            json!({ "r": r, "a": "10.00", "c": "EUR", "ref": "B-0" }),
        )
        .await;
    assert_eq!(code, "INVALID_TRANSITION");
    app.gql(&finance, "mutation($r: UUID!) { linkInvoice(receivableId: $r, billingInvoiceId: \"in_1\", invoicedAt: \"2026-11-01T00:00:00Z\") { status } }", json!({ "r": r })).await;
    for (amount, currency, code, field) in [
        ("0", "EUR", "VALIDATION", "amount.amount"),
        ("-5.00", "EUR", "VALIDATION", "amount.amount"),
        ("7754.03", "EUR", "VALIDATION", "amount.amount"),
        ("10.00", "USD", "VALIDATION", "amount.currency"),
        ("10.001", "EUR", "VALIDATION", "amount.amount"),
    ] {
        let (got, error) = app
            .gql_error(
                &finance,
                pay,
                json!({ "r": r, "a": amount, "c": currency, "ref": "B-1" }),
            )
            .await;
        assert_eq!(
            (got.as_str(), error["extensions"]["field"].as_str()),
            (code, Some(field)),
            "{amount} {currency}"
        );
    }
    // Finance's work is not sales'.
    let (code, _) = app
        .gql_error(
            &alice,
            pay,
            json!({ "r": r, "a": "10.00", "c": "EUR", "ref": "B-1" }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    let write_off = "mutation($r: UUID!) { writeOffReceivable(id: $r, reason: \"Insolvent\") { status closedReason } }";
    let (code, _) = app.gql_error(&alice, write_off, json!({ "r": r })).await;
    assert_eq!(code, "FORBIDDEN");
    let check = app
        .gql(
            &finance,
            "query($r: UUID!) { receivable(id: $r) { status paid { amount } payments { id } } }",
            json!({ "r": r }),
        )
        .await;
    assert_eq!(
        check["receivable"],
        json!({ "status": "INVOICED", "paid": { "amount": "0.00" }, "payments": [] })
    );

    let written = app.gql(&finance, write_off, json!({ "r": r })).await;
    assert_eq!(
        written["writeOffReceivable"],
        json!({ "status": "WRITTEN_OFF", "closedReason": "Insolvent" })
    );
    // No payment on a written-off receivable.
    let (code, _) = app
        .gql_error(
            &finance,
            pay,
            json!({ "r": r, "a": "10.00", "c": "EUR", "ref": "B-2" }),
        )
        .await;
    assert_eq!(code, "INVALID_TRANSITION");
}

#[tokio::test]
async fn a_contract_near_its_end_gets_one_renewal_with_its_team_and_lines() {
    let app = TestApp::spawn().await;
    let deal = executing_contract(&app).await;
    let alice = app.token("alice", &["SALES"]);
    let renew = "mutation($c: UUID!) { createRenewalOpportunity(contractId: $c) { opportunity { id name stage expectedCloseDate team { userId role } account { name } } quote { status currency lines { quantity unitPrice { amount } discountPercent } } } }";
    let (code, _) = app
        .gql_error(&alice, renew, json!({ "c": deal.contract }))
        .await;
    assert_eq!(code, "VALIDATION");
    let term_end = (chrono::Utc::now().date_naive() + chrono::Duration::days(60)).to_string();
    let (code, _) = app
        .gql_error(&alice, "mutation($c: UUID!, $e: NaiveDate!) { setContractTerm(contractId: $c, termStart: $e, termEnd: \"2026-01-01\") { id } }", json!({ "c": deal.contract, "e": term_end }))
        .await;
    assert_eq!(code, "VALIDATION");
    app.gql(&alice, "mutation($c: UUID!, $e: NaiveDate!) { setContractTerm(contractId: $c, termStart: \"2026-10-01\", termEnd: $e) { id } }", json!({ "c": deal.contract, "e": term_end }))
        .await;
    let renewal =
        app.gql(&alice, renew, json!({ "c": deal.contract })).await["createRenewalOpportunity"]
            .clone();
    let opp = &renewal["opportunity"];
    assert!(opp["name"].as_str().unwrap().starts_with("Renewal of C-"));
    assert_eq!(opp["stage"], "DISCOVER");
    assert_eq!(opp["expectedCloseDate"], json!(term_end));
    assert_eq!(opp["account"]["name"], "Acme GmbH");
    let mut team: Vec<(String, String)> = opp["team"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["userId"].as_str().unwrap().into(),
                m["role"].as_str().unwrap().into(),
            )
        })
        .collect();
    team.sort();
    assert_eq!(
        team,
        vec![
            ("alice".into(), "AR".into()),
            ("fred".into(), "FR".into()),
            ("sam".into(), "SR".into())
        ]
    );
    assert_eq!(renewal["quote"]["status"], "DRAFT");
    assert_eq!(
        renewal["quote"]["lines"][0],
        json!({ "quantity": "7", "unitPrice": { "amount": "1199.99" }, "discountPercent": "20" })
    );
    // Once per contract.
    let (code, _) = app
        .gql_error(&alice, renew, json!({ "c": deal.contract }))
        .await;
    assert_eq!(code, "CONFLICT");
}

#[tokio::test]
async fn the_servers_worker_renews_contracts_whose_term_is_ending() {
    let app = TestApp::spawn().await;
    let deal = executing_contract(&app).await;
    let alice = app.token("alice", &["SALES"]);
    let term_end = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
    app.gql(&alice, "mutation($c: UUID!, $e: NaiveDate!) { setContractTerm(contractId: $c, termStart: \"2026-10-01\", termEnd: $e) { id } }", json!({ "c": deal.contract, "e": term_end }))
        .await;
    // A scan round due now, as the worker schedules them.
    let db = ltc::db::connect(&app.settings.store, None).await.unwrap();
    ltc::outbox::repo::enqueue_at(
        &db,
        ltc::renewals::job::KIND,
        json!({}),
        Some("renewals.scan:test".into()),
        ltc::db::now(),
    )
    .await
    .unwrap();
    let renewals =
        "{ opportunities(filter: {stage: [DISCOVER]}) { totalCount edges { node { name } } } }";
    let mut found = Value::Null;
    for _ in 0..100 {
        found = app.gql(&alice, renewals, json!({})).await["opportunities"].clone();
        // The count is its own statement: the renewal may commit between the
        // page and the count, so wait for both to show it.
        if found["totalCount"] == 1 && found["edges"].as_array().is_some_and(|e| e.len() == 1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(found["totalCount"], 1, "{found}");
    assert!(
        found["edges"][0]["node"]["name"]
            .as_str()
            .unwrap()
            .starts_with("Renewal of")
    );
    // The round scheduled the next one.
    let admin = app.token("root", &["ADMIN"]);
    let jobs = app
        .gql(
            &admin,
            "{ jobs(filter: {kind: \"renewals.scan\", status: [QUEUED]}) { totalCount } }",
            json!({}),
        )
        .await;
    assert!(jobs["jobs"]["totalCount"].as_i64().unwrap() >= 1);
}
