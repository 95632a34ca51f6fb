//! Nested fields are batch loaded: a page costs about the same number of SQL
//! statements whether it holds 5 rows or 50, never one more per row.
//!
//! A loader collects keys for a millisecond before it queries; on a loaded
//! machine a slow pass over a big page can split one batch in two, so the
//! bound allows a little slack. An N+1 pattern would cost 45 more.

use serde_json::json;

use crate::helpers::TestApp;

async fn statements(app: &TestApp) -> u64 {
    let text = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("ltc_db_statements_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no statement counter in:\n{text}"))
}

/// Statements one GraphQL request cost.
async fn cost(app: &TestApp, token: &str, query: &str) -> u64 {
    let before = statements(app).await;
    app.gql(token, query, json!({})).await;
    statements(app).await - before
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
    assert!(
        large <= small + 3,
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
    assert!(
        large <= small + 3,
        "{small} statements for 3 accounts, {large} for 23"
    );
    assert!(large <= 7, "{large} statements for one page");
}
