//! The whole flow through HTTP, checked to the cent: a lead captured,
//! qualified and converted; a team of AR, SR and FR; a quote with a 20 %
//! line discount approved by a manager, sent and accepted; a contract with
//! 30/60/10 terms signed (the deal WON), handed over and executing; two POs
//! delivered and accepted; five receivables with their amounts and due dates;
//! invoices, partial and full payments; the contract completed; and aging,
//! DSO, the lead-to-cash trace, the pipeline and team performance on fixed dates.

use serde_json::{Value, json};

use crate::{fixtures::product, helpers::TestApp};

pub struct Deal {
    pub opportunity: String,
    pub contract: String,
    /// (contract line id, product sku)
    pub lines: Vec<(String, String)>,
}

fn id(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not an id: {v}"))
        .to_owned()
}

async fn quote_action(app: &TestApp, token: &str, action: &str, quote: &str) -> Value {
    let query = format!("mutation($id: UUID!) {{ {action}(id: $id) {{ id status }} }}");
    app.gql(token, &query, json!({ "id": quote })).await[action].clone()
}

/// Lead to signed, executing contract; returns the deal. Asserts the issue-3
/// figures on the way.
pub async fn executing_contract(app: &TestApp) -> Deal {
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let alice = app.token("alice", &["SALES"]);
    let sam = app.token("sam", &["SALES"]);
    let fred = app.token("fred", &["DELIVERY"]);
    let hook = app.token_with_scope("mktg", &["INTEGRATION"], Some("leads:write"));
    let seat = product(app, "SEAT", &[("EUR", "1199.99")]).await;
    let setup = product(app, "SETUP", &[("EUR", "15000")]).await;

    // Lead: captured by marketing automation, worked and qualified by alice, converted.
    let captured = app
        .gql(
            &hook,
            "mutation { captureLead(input: {source: MARKETING_AUTOMATION, externalRef: \"mk-1\", email: \"ann@acme.de\", firstName: \"Ann\", lastName: \"Lee\", company: \"Acme GmbH\", website: \"acme.de\"}) { lead { id } } }",
            json!({}),
        )
        .await;
    let lead = id(&captured["captureLead"]["lead"]["id"]);
    for action in ["startWorkingLead", "qualifyLead"] {
        quote_action(app, &alice, action, &lead).await;
    }
    let converted = app
        .gql(
            &alice,
            "mutation($id: UUID!) { convertLead(id: $id, input: {opportunityName: \"Acme seats\"}) { opportunity { id stage } account { name } } }",
            json!({ "id": lead }),
        )
        .await["convertLead"]
        .clone();
    assert_eq!(converted["opportunity"]["stage"], "DISCOVER");
    assert_eq!(converted["account"]["name"], "Acme GmbH");
    let opp = id(&converted["opportunity"]["id"]);

    // The iron triangle.
    for (user, role) in [("sam", "SR"), ("fred", "FR")] {
        app.gql(
            &alice,
            "mutation($o: UUID!, $u: String!, $r: TeamRole!) { addTeamMember(opportunityId: $o, userId: $u, role: $r) { id } }",
            json!({ "o": opp, "u": user, "r": role }),
        )
        .await;
    }

    // The quote: 7 seats at 1199.99 less 20 %, one setup at 15000, 19 % tax.
    let valid_until = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
    let quote = app
        .gql(
            &sam,
            "mutation($input: CreateQuoteInput!) { createQuote(input: $input) { id status subtotal { amount } discountTotal { amount } tax { amount } total { amount currency } lines { gross { amount } net { amount } } } }",
            json!({ "input": {
                "opportunityId": opp, "currency": "EUR", "validUntil": valid_until, "taxRate": "0.19",
                "lines": [
                    { "productId": seat, "quantity": "7", "discountPercent": "20" },
                    { "productId": setup, "quantity": "1" },
                ],
            }}),
        )
        .await["createQuote"]
        .clone();
    // Hand-computed: 7 × 1199.99 = 8399.93, less 20 % = 6719.944 → 6719.94;
    // subtotal 23399.93, discount 1679.99, net 21719.94, tax 4126.7886 → 4126.79.
    assert_eq!(quote["lines"][0]["gross"]["amount"], "8399.93");
    assert_eq!(quote["lines"][0]["net"]["amount"], "6719.94");
    assert_eq!(quote["subtotal"]["amount"], "23399.93");
    assert_eq!(quote["discountTotal"]["amount"], "1679.99");
    assert_eq!(quote["tax"]["amount"], "4126.79");
    assert_eq!(
        quote["total"],
        json!({ "amount": "25846.73", "currency": "EUR" })
    );
    let q = id(&quote["id"]);

    // A 20 % line discount passes the 15 % threshold: a manager approves.
    assert_eq!(
        quote_action(app, &sam, "submitQuote", &q).await["status"],
        "PENDING_APPROVAL"
    );
    let (code, _) = app
        .gql_error(
            &sam,
            "mutation($id: UUID!) { approveQuote(id: $id) { id } }",
            json!({ "id": q }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(
        quote_action(app, &manager, "approveQuote", &q).await["status"],
        "APPROVED"
    );
    assert_eq!(
        quote_action(app, &sam, "sendQuote", &q).await["status"],
        "SENT"
    );
    assert_eq!(
        quote_action(app, &sam, "acceptQuote", &q).await["status"],
        "ACCEPTED"
    );
    let deal = app
        .gql(&alice, "query($id: UUID!) { opportunity(id: $id) { stage amount { amount currency } leadingRole } }", json!({ "id": opp }))
        .await["opportunity"]
        .clone();
    assert_eq!(deal["stage"], "NEGOTIATE");
    assert_eq!(
        deal["amount"],
        json!({ "amount": "25846.73", "currency": "EUR" })
    );
    assert_eq!(deal["leadingRole"], "SR");

    // The contract, 30/60/10, signed on 1 October.
    let contract = app
        .gql(
            &alice,
            "mutation($q: UUID!) { createContractFromQuote(quoteId: $q, paymentTerms: [
                { trigger: ON_SIGNING, percent: \"30\", dueInDays: 14 },
                { trigger: ON_DELIVERY, percent: \"60\", dueInDays: 30 },
                { trigger: ON_ACCEPTANCE, percent: \"10\", dueInDays: 30 }]) {
                  id total { amount } lines { id product { sku } quantity } } }",
            json!({ "q": q }),
        )
        .await["createContractFromQuote"]
        .clone();
    assert_eq!(contract["total"]["amount"], "25846.73");
    let cid = id(&contract["id"]);
    let lines = contract["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                id(&l["id"]),
                l["product"]["sku"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let signed = app
        .gql(
            &alice,
            "mutation($id: UUID!) { signContract(id: $id, signedAt: \"2026-10-01T10:00:00Z\") { status opportunity { stage } } }",
            json!({ "id": cid }),
        )
        .await["signContract"]
        .clone();
    assert_eq!(
        signed,
        json!({ "status": "SIGNED", "opportunity": { "stage": "WON" } })
    );

    // Handover by the SR to the FR, then execution, led by the FR.
    let handed = app
        .gql(
            &sam,
            "mutation($id: UUID!) { handOverContract(id: $id, method: MEETING, notes: \"Kick-off\") { handover { method by } leadingRole } }",
            json!({ "id": cid }),
        )
        .await["handOverContract"]
        .clone();
    assert_eq!(
        handed,
        json!({ "handover": { "method": "MEETING", "by": "sam" }, "leadingRole": "FR" })
    );
    let executing = app
        .gql(
            &fred,
            "mutation($id: UUID!) { startContractExecution(id: $id) { status } }",
            json!({ "id": cid }),
        )
        .await;
    assert_eq!(executing["startContractExecution"]["status"], "EXECUTING");
    Deal {
        opportunity: opp,
        contract: cid,
        lines,
    }
}

const RECEIVABLES: &str = "query($c: UUID!) { receivables(first: 10, filter: {contractId: $c}) { totalCount edges { node {
    id trigger status dueDate amount { amount currency } paid { amount } outstanding { amount } purchaseOrderId } } } }";

async fn receivables(app: &TestApp, token: &str, contract: &str) -> Vec<Value> {
    let data = app.gql(token, RECEIVABLES, json!({ "c": contract })).await;
    data["receivables"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn po(app: &TestApp, token: &str, contract: &str, number: &str, lines: Value) -> Value {
    app.gql(
        token,
        "mutation($c: UUID!, $n: String!, $l: [PurchaseOrderLineInput!]!) { createPurchaseOrder(contractId: $c, poNumber: $n, lines: $l) { id status total { amount } lines { net { amount } } erpSync { status } } }",
        json!({ "c": contract, "n": number, "l": lines }),
    )
    .await["createPurchaseOrder"]
        .clone()
}

async fn po_step(app: &TestApp, token: &str, step: &str, po: &str, at: Option<&str>) -> Value {
    let (param, arg) = match (step, at) {
        ("markDelivered", Some(_)) => (", $at: DateTime!", ", deliveredAt: $at"),
        ("acceptDelivery", Some(_)) => (", $at: DateTime!", ", acceptedAt: $at"),
        _ => ("", ""),
    };
    let query = format!("mutation($id: UUID!{param}) {{ {step}(id: $id{arg}) {{ id status }} }}");
    app.gql(token, &query, json!({ "id": po, "at": at })).await[step].clone()
}

#[tokio::test]
async fn a_lead_becomes_cash_to_the_cent() {
    let app = TestApp::spawn().await;
    let deal = executing_contract(&app).await;
    let alice = app.token("alice", &["SALES"]);
    let fred = app.token("fred", &["DELIVERY"]);
    let finance = app.token("fiona", &["FINANCE"]);
    let line = |sku: &str| deal.lines.iter().find(|(_, s)| s == sku).unwrap().0.clone();

    // Two POs: 3 seats and the setup, then the remaining 4 seats.
    let po1 = po(
        &app,
        &alice,
        &deal.contract,
        "PO-1001",
        json!([
            { "contractLineId": line("SEAT"), "quantity": "3" },
            { "contractLineId": line("SETUP"), "quantity": "1" },
        ]),
    )
    .await;
    // 3/7 of 6719.94 = 2879.97; with the setup 17879.97 net, a share of the
    // 25846.73 total of 21277.17; the second PO takes the rest, 4569.56.
    assert_eq!(po1["lines"][0]["net"]["amount"], "2879.97");
    assert_eq!(po1["total"]["amount"], "21277.17");
    assert_eq!(po1["status"], "RECEIVED");
    assert_eq!(po1["erpSync"]["status"], "PENDING");
    let po2 = po(
        &app,
        &alice,
        &deal.contract,
        "PO-1002",
        json!([{ "contractLineId": line("SEAT"), "quantity": "4" }]),
    )
    .await;
    assert_eq!(po2["lines"][0]["net"]["amount"], "3839.97");
    assert_eq!(po2["total"]["amount"], "4569.56");
    let (po1, po2) = (id(&po1["id"]), id(&po2["id"]));

    for (order, delivered, accepted) in [
        (&po1, "2026-10-20T09:00:00Z", "2026-10-25T09:00:00Z"),
        (&po2, "2026-11-01T09:00:00Z", "2026-11-05T09:00:00Z"),
    ] {
        po_step(&app, &fred, "startFulfillment", order, None).await;
        assert_eq!(
            po_step(&app, &fred, "markDelivered", order, Some(delivered)).await["status"],
            "DELIVERED"
        );
        assert_eq!(
            po_step(&app, &fred, "acceptDelivery", order, Some(accepted)).await["status"],
            "ACCEPTED"
        );
    }

    // Five receivables, by due date. Milestone shares of 25846.73:
    // 30 % 7754.02, 60 % 15508.04, 10 % the rest, 2584.67; the PO-driven ones
    // split by PO value, the last of each taking the remainder.
    let rows = receivables(&app, &finance, &deal.contract).await;
    let summary: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["trigger"].as_str().unwrap().to_owned(),
                r["amount"]["amount"].as_str().unwrap().to_owned(),
                r["dueDate"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expect = |t: &str, a: &str, d: &str| (t.to_owned(), a.to_owned(), d.to_owned());
    assert_eq!(
        summary,
        vec![
            expect("ON_SIGNING", "7754.02", "2026-10-15"),
            expect("ON_DELIVERY", "12766.30", "2026-11-19"),
            expect("ON_ACCEPTANCE", "2127.71", "2026-11-24"),
            expect("ON_DELIVERY", "2741.74", "2026-12-01"),
            expect("ON_ACCEPTANCE", "456.96", "2026-12-05"),
        ]
    );
    let total: rust_decimal::Decimal = rows
        .iter()
        .map(|r| {
            r["amount"]["amount"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(total.to_string(), "25846.73");
    assert!(rows.iter().all(|r| r["status"] == "PLANNED"));

    // Invoices on the trigger dates; sales may not do finance's work.
    let invoice_dates = [
        "2026-10-01",
        "2026-10-20",
        "2026-10-25",
        "2026-11-01",
        "2026-11-05",
    ];
    let link = "mutation($r: UUID!, $i: String!, $at: DateTime!) { linkInvoice(receivableId: $r, billingInvoiceId: $i, invoicedAt: $at) { status } }";
    let (code, _) = app
        .gql_error(
            &alice,
            link,
            json!({ "r": rows[0]["id"], "i": "in_x", "at": "2026-10-01T12:00:00Z" }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    for (i, (row, day)) in rows.iter().zip(invoice_dates).enumerate() {
        let linked = app
            .gql(
                &finance,
                link,
                json!({ "r": row["id"], "i": format!("in_{i}"), "at": format!("{day}T12:00:00Z") }),
            )
            .await;
        assert_eq!(linked["linkInvoice"]["status"], "INVOICED");
    }

    let pay = "mutation($r: UUID!, $a: Decimal!, $at: DateTime!, $ref: String!) { recordPayment(receivableId: $r, amount: {amount: $a, currency: \"EUR\"}, receivedAt: $at, reference: $ref) { payment { id amount { amount } } receivable { status paid { amount } outstanding { amount } } } }";
    // A partial payment on the signing invoice.
    let partial = app
        .gql(&finance, pay, json!({ "r": rows[0]["id"], "a": "4000.00", "at": "2026-10-10T08:00:00Z", "ref": "BANK-1" }))
        .await["recordPayment"]
        .clone();
    assert_eq!(partial["receivable"]["status"], "PARTIALLY_PAID");
    assert_eq!(partial["receivable"]["outstanding"]["amount"], "3754.02");
    // The same reference again is the same payment.
    let again = app
        .gql(&finance, pay, json!({ "r": rows[0]["id"], "a": "4000.00", "at": "2026-10-10T08:00:00Z", "ref": "BANK-1" }))
        .await["recordPayment"]
        .clone();
    assert_eq!(again["payment"]["id"], partial["payment"]["id"]);
    assert_eq!(again["receivable"]["paid"]["amount"], "4000.00");

    // Aging at the end of 20 November: 3754.02 is 36 days late, 12766.30 is
    // 1 day late, the other three (5326.41) are not yet due.
    let aging = app
        .gql(
            &finance,
            "{ receivablesAging(asOf: \"2026-11-20\", currency: \"EUR\") { overall { current { amount } days1To30 { amount } days31To60 { amount } days61To90 { amount } over90Days { amount } total { amount } } accounts { totalCount nodes { account { name } buckets { total { amount } } } } } }",
            json!({}),
        )
        .await["receivablesAging"]
        .clone();
    assert_eq!(
        aging["overall"],
        json!({
            "current": { "amount": "5326.41" },
            "days1To30": { "amount": "12766.30" },
            "days31To60": { "amount": "3754.02" },
            "days61To90": { "amount": "0.00" },
            "over90Days": { "amount": "0.00" },
            "total": { "amount": "21846.73" },
        })
    );
    assert_eq!(
        aging["accounts"],
        json!({ "totalCount": 1, "nodes": [{ "account": { "name": "Acme GmbH" }, "buckets": { "total": { "amount": "21846.73" } } }] })
    );
    // DSO over 90 days: 21846.73 owed ÷ 25846.73 invoiced × 90 = 76.07.
    let dso = app
        .gql(&finance, "{ dso(asOf: \"2026-11-20\", days: 90, currency: \"EUR\") { days owed { amount } invoiced { amount } } }", json!({}))
        .await["dso"]
        .clone();
    assert_eq!(
        dso,
        json!({ "days": "76.07", "owed": { "amount": "21846.73" }, "invoiced": { "amount": "25846.73" } })
    );

    // Not complete while money is owed.
    let complete = "mutation($id: UUID!) { completeContract(id: $id) { status } }";
    let (code, _) = app
        .gql_error(&fred, complete, json!({ "id": deal.contract }))
        .await;
    assert_eq!(code, "VALIDATION");

    // Everything else paid in full.
    for (i, row) in rows.iter().enumerate() {
        let outstanding = if i == 0 {
            "3754.02"
        } else {
            row["amount"]["amount"].as_str().unwrap()
        };
        let paid = app
            .gql(&finance, pay, json!({ "r": row["id"], "a": outstanding, "at": "2026-11-25T08:00:00Z", "ref": format!("BANK-{}", i + 2) }))
            .await;
        assert_eq!(paid["recordPayment"]["receivable"]["status"], "PAID");
    }
    let done = app
        .gql(&fred, complete, json!({ "id": deal.contract }))
        .await;
    assert_eq!(done["completeContract"]["status"], "COMPLETED");

    // Aging as of 20 November has not changed; as of 26 November nothing is owed.
    let owed_on = |day: &'static str| {
        let app = &app;
        let finance = finance.clone();
        async move {
            app.gql(&finance, &format!("{{ receivablesAging(asOf: \"{day}\", currency: \"EUR\") {{ overall {{ total {{ amount }} }} }} }}"), json!({}))
                .await["receivablesAging"]["overall"]["total"]["amount"]
                .clone()
        }
    };
    assert_eq!(owed_on("2026-11-20").await, "21846.73");
    assert_eq!(owed_on("2026-11-26").await, "0.00");

    // The trace of the deal, end to end.
    let trace = app
        .gql(
            &alice,
            "query($o: UUID!) { leadToCash(opportunityId: $o) {
                lead { status } opportunity { stage history { to } team { userId role } }
                quotes { version status } contracts { number status handover { method } }
                purchaseOrders { poNumber status } receivables { status payments { reference } }
                timing { leadCreatedAt contractSignedAt firstDeliveryAt cashCollectedAt waitingFor leadToOpportunitySeconds } } }",
            json!({ "o": deal.opportunity }),
        )
        .await["leadToCash"]
        .clone();
    assert_eq!(trace["lead"]["status"], "CONVERTED");
    assert_eq!(trace["opportunity"]["stage"], "WON");
    let stages: Vec<&str> = trace["opportunity"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["to"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["DISCOVER", "NEGOTIATE", "WON"]);
    assert_eq!(
        trace["quotes"],
        json!([{ "version": 1, "status": "ACCEPTED" }])
    );
    assert_eq!(trace["contracts"][0]["status"], "COMPLETED");
    assert_eq!(trace["contracts"][0]["handover"]["method"], "MEETING");
    assert_eq!(trace["purchaseOrders"].as_array().unwrap().len(), 2);
    assert_eq!(trace["receivables"].as_array().unwrap().len(), 5);
    assert_eq!(
        trace["receivables"][0]["payments"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        trace["timing"]["firstDeliveryAt"],
        "2026-10-20T09:00:00+00:00"
    );
    assert_eq!(
        trace["timing"]["cashCollectedAt"],
        "2026-11-25T08:00:00+00:00"
    );
    assert_eq!(trace["timing"]["waitingFor"], Value::Null);
    assert!(
        trace["timing"]["leadToOpportunitySeconds"]
            .as_i64()
            .unwrap()
            >= 0
    );
}

#[tokio::test]
async fn the_pipeline_and_team_performance_add_up_the_deals() {
    let app = TestApp::spawn().await;
    let deal = executing_contract(&app).await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let alice = app.token("alice", &["SALES"]);
    // A second deal, open, with an entered amount and an overridden probability.
    let account = app
        .gql(
            &alice,
            "mutation { createAccount(input: {name: \"Beta\"}) { id } }",
            json!({}),
        )
        .await["createAccount"]["id"]
        .clone();
    app.gql(
        &alice,
        "mutation($a: UUID!) { createOpportunity(input: {accountId: $a, name: \"Beta pilot\", expectedCloseDate: \"2027-01-31\", amount: {amount: \"10000.00\", currency: \"EUR\"}, probability: 30}) { id } }",
        json!({ "a": account }),
    )
    .await;
    let now = chrono::Utc::now();
    let period = json!({ "from": (now - chrono::Duration::days(1)).to_rfc3339(), "to": (now + chrono::Duration::days(1)).to_rfc3339() });
    let pipeline = app
        .gql(
            &manager,
            "query($p: PeriodInput!) { pipeline(filter: {currency: \"EUR\", period: $p}) { stages { stage count amount { amount } weightedAmount { amount } } leadConversionRate winRate dealsWon leadsCreated leadsConverted } }",
            json!({ "p": period }),
        )
        .await["pipeline"]
        .clone();
    let stage = |name: &str| {
        pipeline["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stage"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        stage("DISCOVER"),
        json!({ "stage": "DISCOVER", "count": 1, "amount": { "amount": "10000.00" }, "weightedAmount": { "amount": "3000.00" } })
    );
    assert_eq!(
        stage("WON"),
        json!({ "stage": "WON", "count": 1, "amount": { "amount": "25846.73" }, "weightedAmount": { "amount": "25846.73" } })
    );
    assert_eq!(pipeline["leadConversionRate"], "1");
    assert_eq!(pipeline["winRate"], "1");
    assert_eq!(pipeline["dealsWon"], 1);

    // The signing was back-dated to 1 October, but the deal was won (its
    // stage changed) today: it counts in today's period, for all three roles.
    let lines = app
        .gql(&manager, "query($p: PeriodInput!) { teamPerformance(period: $p) { userId role won { amount } cashCollected { amount } } }", json!({ "p": period }))
        .await["teamPerformance"]
        .clone();
    let won: Vec<(String, String, String)> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["userId"].as_str().unwrap().into(),
                l["role"].as_str().unwrap().into(),
                l["won"]["amount"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        won.contains(&("alice".into(), "AR".into(), "25846.73".into())),
        "{won:?}"
    );
    assert!(
        won.contains(&("sam".into(), "SR".into(), "25846.73".into())),
        "{won:?}"
    );
    assert!(
        won.contains(&("fred".into(), "FR".into(), "25846.73".into())),
        "{won:?}"
    );
    let _ = deal;
}
