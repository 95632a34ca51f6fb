//! After the sale: service cases, and upsell signals that become pipeline.

use serde_json::{Value, json};

use crate::helpers::{TestApp, count};

const LOG: &str = "mutation($a: UUID!, $s: String!, $k: ServiceCaseKind!) {
  logServiceCase(accountId: $a, subject: $s, kind: $k, description: \"seen on a call\") {
    id kind subject account { id }
    lead { id source status ownerId company notes }
  }
}";

async fn account(app: &TestApp, token: &str, name: &str) -> Value {
    app.gql(
        token,
        "mutation($n: String!) { createAccount(input: {name: $n}) { id } }",
        json!({ "n": name }),
    )
    .await["createAccount"]["id"]
        .clone()
}

#[tokio::test]
async fn an_upsell_signal_becomes_a_lead_for_the_accounts_owner() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let acme = account(&app, &alice, "Acme").await;
    // A manager on the service desk logs it; the lead goes to the account's owner.
    let case = app
        .gql(
            &manager,
            LOG,
            json!({"a": acme, "s": "Wants 50 more seats", "k": "UPSELL_SIGNAL"}),
        )
        .await["logServiceCase"]
        .clone();
    assert_eq!(case["kind"], "UPSELL_SIGNAL");
    let lead = &case["lead"];
    assert_eq!(lead["source"], "OTHER");
    assert_eq!(lead["status"], "NEW");
    assert_eq!(lead["ownerId"], "alice");
    assert_eq!(lead["company"], "Acme");
    assert!(
        lead["notes"]
            .as_str()
            .unwrap()
            .contains("Wants 50 more seats")
    );
    // Alice finds it in her leads.
    let mine = app
        .gql(
            &alice,
            "{ leads(filter: {ownerId: \"alice\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(mine["leads"]["totalCount"], 1);
    let seen = app
        .gql(
            &alice,
            "query($id: UUID!) { serviceCase(id: $id) { lead { id } } }",
            json!({"id": case["id"]}),
        )
        .await;
    assert_eq!(seen["serviceCase"]["lead"]["id"], lead["id"]);
}

#[tokio::test]
async fn other_cases_make_no_lead_and_bad_ones_store_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let bob = app.token("bob", &["SALES"]);
    let acme = account(&app, &alice, "Acme").await;
    let case = app
        .gql(
            &alice,
            LOG,
            json!({"a": acme, "s": "Printer jam", "k": "ISSUE"}),
        )
        .await["logServiceCase"]
        .clone();
    assert_eq!(case["lead"], Value::Null);
    assert_eq!(count(&app, "leads").await, 0);

    let (code, error) = app
        .gql_error(
            &alice,
            LOG,
            json!({"a": acme, "s": "  ", "k": "UPSELL_SIGNAL"}),
        )
        .await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(error["extensions"]["field"], "subject");
    // Bob cannot log against an account he does not see.
    let (code, error) = app
        .gql_error(
            &bob,
            LOG,
            json!({"a": acme, "s": "More", "k": "UPSELL_SIGNAL"}),
        )
        .await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(error["extensions"]["field"], "accountId");
    let fin = app.token("fred", &["FINANCE"]);
    let (code, _) = app
        .gql_error(
            &fin,
            LOG,
            json!({"a": acme, "s": "More", "k": "UPSELL_SIGNAL"}),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(count(&app, "leads").await, 0);
}
