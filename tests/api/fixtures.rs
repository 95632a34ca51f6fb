//! Builders the test files share: an account, a catalogue product with its
//! prices, a deal, a signed contract. Each goes through the API as a client
//! would, so a builder breaks where the behaviour it relies on does.

use serde_json::{Value, json};

use crate::{
    helpers::TestApp,
    quotes::{act, sent_quote},
};

/// Creates an account as `token` and returns its id.
pub async fn create_account(
    app: &TestApp,
    token: &str,
    name: &str,
    website: Option<&str>,
) -> String {
    app.gql(
        token,
        "mutation($n: String!, $w: String) { createAccount(input: {name: $n, website: $w}) { id } }",
        json!({ "n": name, "w": website }),
    )
    .await["createAccount"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A catalogue product with these list prices, made by a sales manager.
pub async fn product(app: &TestApp, sku: &str, prices: &[(&str, &str)]) -> String {
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let id = app
        .gql(
            &manager,
            "mutation($sku: String!) { createProduct(input: {sku: $sku, name: $sku, unit: \"each\"}) { id } }",
            json!({ "sku": sku }),
        )
        .await["createProduct"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (currency, price) in prices {
        app.gql(
            &manager,
            "mutation($id: UUID!, $c: String!, $p: Decimal!) { setPrice(productId: $id, currency: $c, listPrice: $p) { id } }",
            json!({ "id": id, "c": currency, "p": price }),
        )
        .await;
    }
    id
}

/// An account and a deal on it opened by `owner` (a sales user, its AR).
/// Returns the deal's id and the account's.
pub async fn deal(app: &TestApp, owner: &str, name: &str) -> (String, String) {
    let token = app.token(owner, &["SALES"]);
    let account = create_account(app, &token, name, None).await;
    let opp = app
        .gql(
            &token,
            "mutation($a: UUID!, $n: String!) { createOpportunity(input: {accountId: $a, name: $n, expectedCloseDate: \"2030-06-30\"}) { id } }",
            json!({ "a": account, "n": format!("{name} deal") }),
        )
        .await["createOpportunity"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (opp, account)
}

/// The deal's contract, signed by `token` (its owner): a sent quote of
/// `quantity` × `product` accepted, made a contract paid in full
/// `due_in_days` after signing. Returns the signed contract's `id` and
/// `lines { id }`.
pub async fn signed_contract(
    app: &TestApp,
    token: &str,
    opp: &str,
    product: &str,
    quantity: &str,
    due_in_days: u32,
) -> Value {
    let quote = sent_quote(app, token, opp, product, quantity).await;
    let accepted = act(app, token, "acceptQuote", quote["id"].as_str().unwrap()).await;
    let contract = app
        .gql(
            token,
            "mutation($q: UUID!, $d: Int!) { createContractFromQuote(quoteId: $q, paymentTerms: [{trigger: ON_SIGNING, percent: \"100\", dueInDays: $d}]) { id } }",
            json!({ "q": accepted["id"], "d": due_in_days }),
        )
        .await["createContractFromQuote"]["id"]
        .clone();
    let signed = app
        .gql(
            token,
            "mutation($id: UUID!) { signContract(id: $id) { id status lines { id } } }",
            json!({ "id": contract }),
        )
        .await["signContract"]
        .clone();
    assert_eq!(signed["status"], "SIGNED");
    signed
}
