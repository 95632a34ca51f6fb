//! Nested fields are batch loaded: a page costs the same number of SQL
//! statements whether it holds 5 rows or 50, one per level of nesting.

use serde_json::json;

use crate::helpers::{TestApp, statements_of};

/// Statements one GraphQL request cost, as the server reports them in its
/// `Server-Timing` header (only the request's own, not background work).
pub async fn cost(app: &TestApp, token: &str, query: &str) -> u64 {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    let statements = statements_of(&response);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    statements
}

async fn add_leads(app: &TestApp, token: &str, n: usize, offset: usize) {
    for i in offset..offset + n {
        // Every third lead repeats an earlier email: duplicates to resolve.
        let email = if i % 3 == 2 {
            format!("p{}@acme.io", i - 1)
        } else {
            format!("p{i}@acme.io")
        };
        app.gql(
            token,
            "mutation($e: String!) { captureLead(input: {source: WEB, email: $e, company: \"Acme\"}) { created } }",
            json!({ "e": email }),
        )
        .await;
    }
}

async fn add_accounts(app: &TestApp, token: &str, n: usize, offset: usize) {
    for i in offset..offset + n {
        let id = app
            .gql(
                token,
                "mutation($n: String!) { createAccount(input: {name: $n}) { id } }",
                json!({ "n": format!("Account {i}") }),
            )
            .await["createAccount"]["id"]
            .clone();
        for c in 0..2 {
            app.gql(
                token,
                "mutation($a: UUID!, $l: String!) { createContact(input: {accountId: $a, lastName: $l}) { id } }",
                json!({ "a": id, "l": format!("C{c}") }),
            )
            .await;
        }
    }
}

#[tokio::test]
async fn a_page_of_leads_with_nested_fields_costs_a_fixed_number_of_statements() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let query = "{ leads(first: 100) { edges { node { id history { to } duplicates { id } duplicateOfLead { id } duplicateOfContact { id } account { id } } } } }";
    add_leads(&app, &manager, 6, 0).await;
    let small = cost(&app, &manager, query).await;
    add_leads(&app, &manager, 45, 6).await;
    let large = cost(&app, &manager, query).await;
    assert_eq!(
        small, large,
        "{small} statements for 6 leads, {large} for 51"
    );
    assert!(large <= 8, "{large} statements for one page");
}

#[tokio::test]
async fn a_page_of_accounts_with_contacts_costs_a_fixed_number_of_statements() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let query = "{ accounts(first: 100) { edges { node { id contacts { id account { id name } } opportunities { id team { userId } } } } } }";
    add_accounts(&app, &manager, 3, 0).await;
    let small = cost(&app, &manager, query).await;
    add_accounts(&app, &manager, 20, 3).await;
    let large = cost(&app, &manager, query).await;
    assert_eq!(
        small, large,
        "{small} statements for 3 accounts, {large} for 23"
    );
    assert!(large <= 7, "{large} statements for one page");
}

/// Deals with an accepted quote each: the pipeline page of BENCHMARKS.md.
async fn add_won_quotes(app: &TestApp, n: usize, offset: usize, seat: &str) {
    let alice = app.token("alice", &["SALES"]);
    for i in offset..offset + n {
        let (opp, _) = crate::fixtures::deal(app, "alice", &format!("Deal {i}")).await;
        let q = crate::quotes::sent_quote(app, &alice, &opp, seat, "2").await;
        let id = q["id"].as_str().unwrap();
        crate::quotes::act(app, &alice, "acceptQuote", id).await;
    }
}

#[tokio::test]
async fn a_pipeline_page_with_accepted_quotes_costs_one_statement_per_level() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let seat = crate::fixtures::product(&app, "SEAT", &[("EUR", "100")]).await;
    let query = "{ opportunities(first: 50, filter: {stage: [NEGOTIATE]}) { edges { node { id
        account { name } team { userId role }
        acceptedQuote { version subtotal { amount } lines { quantity product { sku } } } } } } }";
    add_won_quotes(&app, 2, 0, &seat).await;
    let small = cost(&app, &manager, query).await;
    add_won_quotes(&app, 8, 2, &seat).await;
    let large = cost(&app, &manager, query).await;
    // The page, its count, then one per level: accounts, teams, accepted
    // quotes, their lines, the lines' products.
    assert_eq!(
        small, large,
        "{small} statements for 2 deals, {large} for 10"
    );
    assert!(large <= 7, "{large} statements for one page");
    let page = app.gql(&manager, query, json!({})).await;
    let edges = page["opportunities"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 10);
    for edge in edges {
        let quote = &edge["node"]["acceptedQuote"];
        assert_eq!(quote["lines"][0]["product"]["sku"], "SEAT");
        assert_eq!(quote["subtotal"]["amount"], "200.00");
    }
}

#[tokio::test]
async fn the_lead_to_cash_trace_reads_payments_once() {
    let app = TestApp::spawn().await;
    let deal = crate::lead_to_cash::executing_contract(&app).await;
    let finance = app.token("fiona", &["FINANCE"]);
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let rows = app
        .gql(
            &finance,
            "query($o: UUID!) { leadToCash(opportunityId: $o) { receivables { id amount { amount } } } }",
            json!({ "o": deal.opportunity }),
        )
        .await["leadToCash"]["receivables"]
        .clone();
    let first = &rows[0];
    app.gql(
        &finance,
        "mutation($r: UUID!) { linkInvoice(receivableId: $r, billingInvoiceId: \"in_1\", invoicedAt: \"2026-10-01T12:00:00Z\") { status } }",
        json!({ "r": first["id"] }),
    )
    .await;
    app.gql(
        &finance,
        "mutation($r: UUID!) { recordPayment(receivableId: $r, amount: {amount: \"100.00\", currency: \"EUR\"}, receivedAt: \"2026-10-02T00:00:00Z\", reference: \"BANK-1\") { receivable { status } } }",
        json!({ "r": first["id"] }),
    )
    .await;

    let trace = |fields: &'static str| {
        let query = format!(
            "{{ leadToCash(opportunityId: \"{}\") {{ receivables {{ id {fields} }} timing {{ firstPaymentAt }} }} }}",
            deal.opportunity
        );
        let (app, manager) = (&app, manager.clone());
        async move { cost(app, &manager, &query).await }
    };
    let without = trace("").await;
    let with = trace("payments { reference amount { amount } }").await;
    assert_eq!(
        without,
        with,
        "payments cost {} more statements",
        with - without
    );

    let answer = app
        .gql(
            &manager,
            "query($o: UUID!) { leadToCash(opportunityId: $o) { receivables { payments { reference } } timing { firstPaymentAt } } }",
            json!({ "o": deal.opportunity }),
        )
        .await["leadToCash"]
        .clone();
    assert_eq!(
        answer["receivables"][0]["payments"],
        json!([{ "reference": "BANK-1" }])
    );
    assert_eq!(
        answer["timing"]["firstPaymentAt"],
        "2026-10-02T00:00:00+00:00"
    );
    let others = answer["receivables"].as_array().unwrap();
    assert!(others[1..].iter().all(|r| r["payments"] == json!([])));
}
