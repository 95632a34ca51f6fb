//! Roles on one token combine per action: for every pair of roles (made
//! from the role list) and one representative mutation of each family, run
//! on a record another user owns, the pair's outcome is the best of its two
//! roles' outcomes alone (OK > NOT_FOUND > FORBIDDEN), and a refused
//! attempt changes nothing. `[SALES, READONLY]` on another's lead is
//! `NOT_FOUND`, as plain `SALES` is; `[SALES_MANAGER, READONLY]` is OK.

use std::collections::BTreeMap;

use ltc::auth::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Forbidden,
    NotFound,
    Ok,
}

#[derive(Clone, Copy, Debug)]
enum Family {
    Lead,
    Account,
    Contact,
    Opportunity,
    Team,
    Quote,
    Contract,
    PurchaseOrder,
    Cash,
}

const FAMILIES: [Family; 9] = [
    Family::Lead,
    Family::Account,
    Family::Contact,
    Family::Opportunity,
    Family::Team,
    Family::Quote,
    Family::Contract,
    Family::PurchaseOrder,
    Family::Cash,
];

fn id(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not an id: {v}"))
        .to_owned()
}

/// What alice (`SALES`) owns for one family: the record the attempts aim
/// at, and for POs the contract line fresh ones draw from.
struct Target {
    record: String,
    contract_line: Option<(String, String)>,
}

async fn setup(app: &TestApp, family: Family) -> Target {
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let alice = app.token("alice", &["SALES"]);
    let finance = app.token("fin", &["FINANCE"]);
    let gql = |token: &str, query: &str, variables: Value| {
        let token = token.to_owned();
        let query = query.to_owned();
        async move { app.gql(&token, &query, variables).await }
    };
    let target = |record: String| Target {
        record,
        contract_line: None,
    };
    if let Family::Lead = family {
        let data = gql(
            &alice,
            "mutation { captureLead(input: {source: WEB, email: \"lee@acme.test\", lastName: \"Lee\"}) { lead { id } } }",
            json!({}),
        )
        .await;
        return target(id(&data["captureLead"]["lead"]["id"]));
    }
    let account = id(&gql(
        &alice,
        "mutation { createAccount(input: {name: \"Acme\"}) { id } }",
        json!({}),
    )
    .await["createAccount"]["id"]);
    match family {
        Family::Account => return target(account),
        Family::Contact => {
            let data = gql(
                &alice,
                "mutation($a: UUID!) { createContact(input: {accountId: $a, lastName: \"Lee\"}) { id } }",
                json!({ "a": account }),
            )
            .await;
            return target(id(&data["createContact"]["id"]));
        }
        _ => {}
    }
    let deal = id(&gql(
        &alice,
        "mutation($a: UUID!) { createOpportunity(input: {accountId: $a, name: \"Seats\", expectedCloseDate: \"2030-01-01\"}) { id } }",
        json!({ "a": account }),
    )
    .await["createOpportunity"]["id"]);
    if let Family::Opportunity | Family::Team = family {
        return target(deal);
    }
    let product = id(&gql(
        &manager,
        "mutation { createProduct(input: {sku: \"SEAT\", name: \"Seat\", unit: \"each\"}) { id } }",
        json!({}),
    )
    .await["createProduct"]["id"]);
    gql(
        &manager,
        "mutation($p: UUID!) { setPrice(productId: $p, currency: \"EUR\", listPrice: \"100\") { id } }",
        json!({ "p": product }),
    )
    .await;
    let valid_until = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
    let quote = id(&gql(
        &alice,
        "mutation($input: CreateQuoteInput!) { createQuote(input: $input) { id } }",
        json!({ "input": {
            "opportunityId": deal, "currency": "EUR", "validUntil": valid_until,
            "lines": [{ "productId": product, "quantity": "100" }],
        }}),
    )
    .await["createQuote"]["id"]);
    if let Family::Quote = family {
        return target(quote);
    }
    for action in ["submitQuote", "sendQuote", "acceptQuote"] {
        gql(
            &alice,
            &format!("mutation($id: UUID!) {{ {action}(id: $id) {{ id }} }}"),
            json!({ "id": quote }),
        )
        .await;
    }
    let contract = gql(
        &alice,
        "mutation($q: UUID!) { createContractFromQuote(quoteId: $q, paymentTerms: [{ trigger: ON_SIGNING, percent: \"100\", dueInDays: 14 }]) { id lines { id } } }",
        json!({ "q": quote }),
    )
    .await["createContractFromQuote"]
        .clone();
    let contract_id = id(&contract["id"]);
    gql(
        &alice,
        "mutation($id: UUID!) { signContract(id: $id) { id } }",
        json!({ "id": contract_id }),
    )
    .await;
    match family {
        Family::Contract => target(contract_id),
        Family::PurchaseOrder => Target {
            record: contract_id.clone(),
            contract_line: Some((contract_id, id(&contract["lines"][0]["id"]))),
        },
        _ => {
            let receivables = gql(
                &alice,
                "query($c: UUID!) { receivables(first: 1, filter: {contractId: $c}) { edges { node { id } } } }",
                json!({ "c": contract_id }),
            )
            .await;
            let receivable = id(&receivables["receivables"]["edges"][0]["node"]["id"]);
            gql(
                &finance,
                "mutation($r: UUID!) { linkInvoice(receivableId: $r, billingInvoiceId: \"INV-1\", invoicedAt: \"2026-10-02T00:00:00Z\") { id } }",
                json!({ "r": receivable }),
            )
            .await;
            target(receivable)
        }
    }
}

/// The record one attempt aims at: a fresh PO for POs (starting
/// fulfilment happens once), the family's one record otherwise.
async fn aim(app: &TestApp, target: &Target, attempt: usize) -> String {
    let Some((contract, line)) = &target.contract_line else {
        return target.record.clone();
    };
    let alice = app.token("alice", &["SALES"]);
    let po = app
        .gql(
            &alice,
            "mutation($c: UUID!, $n: String!, $l: UUID!) { createPurchaseOrder(contractId: $c, poNumber: $n, lines: [{contractLineId: $l, quantity: \"1\"}]) { id } }",
            json!({ "c": contract, "n": format!("PO-{attempt}"), "l": line }),
        )
        .await;
    id(&po["createPurchaseOrder"]["id"])
}

/// The family's representative mutation, with values distinct per attempt
/// so that a change shows.
fn mutation(family: Family, record: &str, attempt: usize) -> (&'static str, Value) {
    let label = format!("attempt {attempt}");
    match family {
        Family::Lead => (
            "mutation($id: UUID!, $v: String!) { updateLead(id: $id, input: {notes: $v}) { id } }",
            json!({ "id": record, "v": label }),
        ),
        Family::Account => (
            "mutation($id: UUID!, $v: String!) { updateAccount(id: $id, input: {industry: $v}) { id } }",
            json!({ "id": record, "v": label }),
        ),
        Family::Contact => (
            "mutation($id: UUID!, $v: String!) { updateContact(id: $id, input: {title: $v}) { id } }",
            json!({ "id": record, "v": label }),
        ),
        Family::Opportunity => (
            "mutation($id: UUID!, $v: String!) { updateOpportunity(id: $id, input: {name: $v}) { id } }",
            json!({ "id": record, "v": label }),
        ),
        Family::Team => (
            "mutation($id: UUID!, $v: String!) { addTeamMember(opportunityId: $id, userId: $v, role: SR) { id } }",
            json!({ "id": record, "v": format!("user-{attempt}") }),
        ),
        Family::Quote => {
            let day = chrono::Utc::now().date_naive() + chrono::Duration::days(40 + attempt as i64);
            (
                "mutation($id: UUID!, $v: NaiveDate!) { updateQuote(id: $id, input: {validUntil: $v}) { id } }",
                json!({ "id": record, "v": day.to_string() }),
            )
        }
        Family::Contract => {
            let end = chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap()
                + chrono::Duration::days(attempt as i64);
            (
                "mutation($id: UUID!, $v: NaiveDate!) { setContractTerm(contractId: $id, termStart: \"2026-01-01\", termEnd: $v) { id } }",
                json!({ "id": record, "v": end.to_string() }),
            )
        }
        Family::PurchaseOrder => (
            "mutation($id: UUID!) { startFulfillment(id: $id) { id } }",
            json!({ "id": record }),
        ),
        Family::Cash => (
            "mutation($id: UUID!, $v: String!) { recordPayment(receivableId: $id, amount: {amount: \"0.01\", currency: \"EUR\"}, receivedAt: \"2026-10-03T00:00:00Z\", reference: $v) { payment { id } } }",
            json!({ "id": record, "v": label }),
        ),
    }
}

/// What an attempt could change, read by an admin.
async fn state(app: &TestApp, family: Family, record: &str) -> Value {
    let query = match family {
        Family::Lead => "query($id: UUID!) { r: lead(id: $id) { notes updatedAt } }",
        Family::Account => "query($id: UUID!) { r: account(id: $id) { industry updatedAt } }",
        Family::Contact => "query($id: UUID!) { r: contact(id: $id) { title updatedAt } }",
        Family::Opportunity => "query($id: UUID!) { r: opportunity(id: $id) { name updatedAt } }",
        Family::Team => "query($id: UUID!) { r: opportunity(id: $id) { team { userId role } } }",
        Family::Quote => "query($id: UUID!) { r: quote(id: $id) { validUntil updatedAt } }",
        Family::Contract => "query($id: UUID!) { r: contract(id: $id) { updatedAt } }",
        Family::PurchaseOrder => {
            "query($id: UUID!) { r: purchaseOrder(id: $id) { status updatedAt } }"
        }
        Family::Cash => {
            "query($id: UUID!) { r: receivable(id: $id) { paid { amount } payments { id } } }"
        }
    };
    let admin = app.token("root", &["ADMIN"]);
    app.gql(&admin, query, json!({ "id": record })).await["r"].clone()
}

/// Runs one attempt as `sam` with `roles`; a refused one must change nothing.
async fn attempt(
    app: &TestApp,
    family: Family,
    target: &Target,
    roles: &[Role],
    n: usize,
) -> Outcome {
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    let token = app.token("sam", &names);
    let record = aim(app, target, n).await;
    let before = state(app, family, &record).await;
    let (query, variables) = mutation(family, &record, n);
    let (status, body) = app.post(Some(&token), query, variables).await;
    assert_eq!(status, 200, "{family:?} {names:?}: {body}");
    let Some(error) = body["errors"].get(0) else {
        return Outcome::Ok;
    };
    let outcome = match error["extensions"]["code"].as_str() {
        Some("NOT_FOUND") => Outcome::NotFound,
        Some("FORBIDDEN") => Outcome::Forbidden,
        _ => panic!("{family:?} {names:?}: unexpected {body}"),
    };
    assert_eq!(
        state(app, family, &record).await,
        before,
        "{family:?} {names:?} was refused but changed the record"
    );
    outcome
}

#[tokio::test]
async fn a_pair_of_roles_may_do_exactly_what_the_better_of_its_roles_may_on_every_mutation_family()
{
    for family in FAMILIES {
        let app = TestApp::spawn().await;
        let target = setup(&app, family).await;
        let mut n = 0;
        let mut alone = BTreeMap::new();
        for role in Role::ALL {
            n += 1;
            alone.insert(role, attempt(&app, family, &target, &[role], n).await);
        }
        // Sanity of the table the pairs are measured against.
        assert_eq!(alone[&Role::Admin], Outcome::Ok, "{family:?}");
        assert_eq!(alone[&Role::Readonly], Outcome::Forbidden, "{family:?}");
        assert_ne!(
            alone[&Role::Sales],
            Outcome::Ok,
            "{family:?}: another's record"
        );
        let mut mismatches = Vec::new();
        for (i, a) in Role::ALL.iter().enumerate() {
            for b in &Role::ALL[i + 1..] {
                n += 1;
                let pair = attempt(&app, family, &target, &[*a, *b], n).await;
                let best = alone[a].max(alone[b]);
                if pair != best {
                    mismatches.push(format!("{a:?}+{b:?}: {pair:?}, alone {best:?}"));
                }
            }
        }
        assert!(
            mismatches.is_empty(),
            "{family:?}:\n{}",
            mismatches.join("\n")
        );
    }
}

#[tokio::test]
async fn cash_is_for_finance_and_admins_and_a_readonly_role_never_writes() {
    let app = TestApp::spawn().await;
    let lead = setup(&app, Family::Lead).await;
    let outcome = |roles: &'static [Role], n| {
        let app = &app;
        let lead = &lead;
        async move { attempt(app, Family::Lead, lead, roles, n).await }
    };
    assert_eq!(
        outcome(&[Role::Sales, Role::Readonly], 1).await,
        Outcome::NotFound
    );
    assert_eq!(
        outcome(&[Role::Sales, Role::Finance], 2).await,
        Outcome::NotFound
    );
    assert_eq!(
        outcome(&[Role::Sales, Role::Delivery], 3).await,
        Outcome::NotFound
    );
    assert_eq!(
        outcome(&[Role::Sales, Role::Integration], 4).await,
        Outcome::NotFound
    );
    assert_eq!(
        outcome(&[Role::SalesManager, Role::Readonly], 5).await,
        Outcome::Ok
    );

    let app = TestApp::spawn().await;
    let receivable = setup(&app, Family::Cash).await;
    for (roles, expected) in [
        (&[Role::SalesManager][..], Outcome::Forbidden),
        (&[Role::Sales][..], Outcome::Forbidden),
        (&[Role::Finance][..], Outcome::Ok),
        (&[Role::Admin][..], Outcome::Ok),
    ] {
        assert_eq!(
            attempt(&app, Family::Cash, &receivable, roles, 10).await,
            expected,
            "{roles:?}"
        );
    }
    let manager = app.token("sam", &["SALES_MANAGER"]);
    for query in [
        "mutation($id: UUID!) { syncPaymentStatus(receivableId: $id) { id } }",
        "mutation($id: UUID!) { linkInvoice(receivableId: $id, billingInvoiceId: \"INV-2\", invoicedAt: \"2026-10-02T00:00:00Z\") { id } }",
        "mutation($id: UUID!) { writeOffReceivable(id: $id, reason: \"lost\") { id } }",
    ] {
        let (code, _) = app
            .gql_error(&manager, query, json!({ "id": receivable.record }))
            .await;
        assert_eq!(code, "FORBIDDEN", "{query}");
    }
}
