//! The catalogue: products and list prices per currency, managed by sales
//! managers and admins, read by everyone who sells.

use serde_json::{Value, json};

use crate::helpers::{TestApp, count};

const PRODUCT: &str = "id sku name unit active erpItemCode createdAt updatedAt prices { currency listPrice { amount currency } }";

const LIST: &str =
    "query($first: Int, $after: String, $filter: ProductFilter, $orderBy: ProductOrderBy) {
    products(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { sku active } }
    }
}";

fn create_query() -> String {
    format!(
        "mutation($input: CreateProductInput!) {{ createProduct(input: $input) {{ {PRODUCT} }} }}"
    )
}

fn set_price_query() -> String {
    format!(
        "mutation($id: UUID!, $c: String!, $p: Decimal!) {{ setPrice(productId: $id, currency: $c, listPrice: $p) {{ {PRODUCT} }} }}"
    )
}

fn by_id(op: &str) -> String {
    format!("mutation($id: UUID!) {{ {op}(id: $id) {{ {PRODUCT} }} }}")
}

async fn create(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(token, &create_query(), json!({ "input": input }))
        .await["createProduct"]
        .clone()
}

async fn product(app: &TestApp, sku: &str) -> Value {
    let manager = app.token("mia", &["SALES_MANAGER"]);
    create(
        app,
        &manager,
        json!({ "sku": sku, "name": format!("Product {sku}"), "unit": "each" }),
    )
    .await
}

async fn set_price(app: &TestApp, token: &str, id: &Value, currency: &str, price: &str) -> Value {
    let vars = json!({ "id": id, "c": currency, "p": price });
    app.gql(token, &set_price_query(), vars).await["setPrice"].clone()
}

async fn read(app: &TestApp, token: &str, id: &Value) -> Value {
    let query = format!("query($id: UUID!) {{ product(id: $id) {{ {PRODUCT} }} }}");
    app.gql(token, &query, json!({ "id": id })).await["product"].clone()
}

fn field(error: &Value) -> &str {
    error["extensions"]["field"].as_str().unwrap_or_default()
}

fn skus(page: &Value) -> Vec<String> {
    page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["sku"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_sales_manager_creates_a_product_and_prices_it_in_eur_and_jpy() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let input = json!({ "sku": "  CLOUD-SEAT.std_1 ", "name": " Cloud seat ", "unit": "seat",
        "erpItemCode": "ITEM-7" });
    let created = create(&app, &manager, input).await;
    assert_eq!(created["sku"], "CLOUD-SEAT.std_1");
    assert_eq!(created["name"], "Cloud seat");
    assert_eq!(created["unit"], "seat");
    assert_eq!(created["active"], true);
    assert_eq!(created["erpItemCode"], "ITEM-7");
    assert_eq!(created["prices"], json!([]));
    let id = created["id"].clone();

    set_price(&app, &manager, &id, "JPY", "1500").await;
    let priced = set_price(&app, &manager, &id, "EUR", "9.9").await;
    assert_eq!(
        priced["prices"],
        json!([
            { "currency": "EUR", "listPrice": { "amount": "9.90", "currency": "EUR" } },
            { "currency": "JPY", "listPrice": { "amount": "1500", "currency": "JPY" } },
        ])
    );
    // A unit price may be finer than the minor unit: up to 4 decimal places.
    let priced = set_price(&app, &manager, &id, "EUR", "0.0125").await;
    assert_eq!(priced["prices"][0]["listPrice"]["amount"], "0.0125");
    let priced = set_price(&app, &manager, &id, "JPY", "0.5").await;
    assert_eq!(priced["prices"][1]["listPrice"]["amount"], "0.5");
    assert_eq!(
        priced["prices"].as_array().unwrap().len(),
        2,
        "one price per currency"
    );

    // Everyone who sells reads the catalogue.
    let alice = app.token("alice", &["SALES"]);
    assert_eq!(read(&app, &alice, &id).await["prices"], priced["prices"]);
    let finance = app.token("fin", &["FINANCE"]);
    assert_eq!(read(&app, &finance, &id).await["sku"], "CLOUD-SEAT.std_1");
}

#[tokio::test]
async fn a_sales_user_cannot_change_the_catalogue_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let input = json!({ "sku": "X-1", "name": "X", "unit": "each" });
    let (code, _) = app
        .gql_error(&alice, &create_query(), json!({ "input": input }))
        .await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(count(&app, "products").await, 0);

    let id = product(&app, "P-1").await["id"].clone();
    set_price(&app, &manager, &id, "EUR", "10").await;
    let before = read(&app, &manager, &id).await;
    let (code, _) = app
        .gql_error(
            &alice,
            &set_price_query(),
            json!({ "id": id, "c": "EUR", "p": "1" }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    for op in ["deactivateProduct", "activateProduct"] {
        let (code, _) = app.gql_error(&alice, &by_id(op), json!({ "id": id })).await;
        assert_eq!(code, "FORBIDDEN", "{op}");
    }
    let update = "mutation($id: UUID!) { updateProduct(id: $id, input: {name: \"Mine\"}) { id } }";
    let (code, _) = app.gql_error(&alice, update, json!({ "id": id })).await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(read(&app, &manager, &id).await, before);

    // An admin manages the catalogue too; a read-only user only reads it.
    let admin = app.token("root", &["ADMIN"]);
    create(
        &app,
        &admin,
        json!({ "sku": "A-1", "name": "By admin", "unit": "hour" }),
    )
    .await;
    let viewer = app.token("vera", &["READONLY"]);
    assert_eq!(read(&app, &viewer, &id).await["sku"], "P-1");
}

#[tokio::test]
async fn a_duplicate_sku_is_a_conflict_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    product(&app, "SKU-1").await;
    let input = json!({ "sku": " SKU-1 ", "name": "Again", "unit": "each" });
    let (code, _) = app
        .gql_error(&manager, &create_query(), json!({ "input": input }))
        .await;
    assert_eq!(code, "CONFLICT");
    assert_eq!(count(&app, "products").await, 1);
}

#[tokio::test]
async fn a_malformed_sku_or_a_blank_name_or_unit_is_refused() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let long = "x".repeat(65);
    for (input, expected) in [
        (json!({ "sku": "", "name": "N", "unit": "each" }), "sku"),
        (
            json!({ "sku": "has space", "name": "N", "unit": "each" }),
            "sku",
        ),
        (json!({ "sku": "a/b", "name": "N", "unit": "each" }), "sku"),
        (json!({ "sku": long, "name": "N", "unit": "each" }), "sku"),
        (
            json!({ "sku": "OK-1", "name": "  ", "unit": "each" }),
            "name",
        ),
        (json!({ "sku": "OK-1", "name": "N", "unit": "" }), "unit"),
    ] {
        let (code, error) = app
            .gql_error(&manager, &create_query(), json!({ "input": input.clone() }))
            .await;
        assert_eq!(code, "VALIDATION", "{input}");
        assert_eq!(field(&error), expected, "{input}");
    }
    assert_eq!(count(&app, "products").await, 0);
}

#[tokio::test]
async fn a_price_in_a_bad_currency_or_below_zero_or_too_precise_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let id = product(&app, "P-1").await["id"].clone();
    set_price(&app, &manager, &id, "EUR", "10.00").await;
    let before = read(&app, &manager, &id).await;
    for (currency, price, expected) in [
        ("XYZ", "1", "currency"),
        ("eur", "1", "currency"),
        ("EURO", "1", "currency"),
        ("EUR", "-0.01", "listPrice"),
        ("EUR", "1.00001", "listPrice"),
        ("USD", "1000000000000", "listPrice"),
    ] {
        let vars = json!({ "id": id, "c": currency, "p": price });
        let (code, error) = app.gql_error(&manager, &set_price_query(), vars).await;
        assert_eq!(code, "VALIDATION", "{currency} {price}");
        assert_eq!(field(&error), expected, "{currency} {price}");
    }
    assert_eq!(read(&app, &manager, &id).await, before);

    let vars = json!({ "id": uuid::Uuid::now_v7(), "c": "EUR", "p": "1" });
    let (code, _) = app.gql_error(&manager, &set_price_query(), vars).await;
    assert_eq!(code, "NOT_FOUND");
}

#[tokio::test]
async fn a_product_is_updated_but_keeps_its_sku() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let created = create(
        &app,
        &manager,
        json!({ "sku": "SUP-1", "name": "Support", "unit": "month", "erpItemCode": "E-1" }),
    )
    .await;
    let query = format!(
        "mutation($id: UUID!, $input: UpdateProductInput!) {{ updateProduct(id: $id, input: $input) {{ {PRODUCT} }} }}"
    );
    let vars = json!({ "id": created["id"], "input": { "name": "Premium support", "unit": "year",
        "erpItemCode": null } });
    let updated = app.gql(&manager, &query, vars).await["updateProduct"].clone();
    assert_eq!(updated["sku"], "SUP-1");
    assert_eq!(updated["name"], "Premium support");
    assert_eq!(updated["unit"], "year");
    assert!(updated["erpItemCode"].is_null());
    let vars = json!({ "filter": { "text": "premium" } });
    let page = app.gql(&manager, LIST, vars).await["products"].clone();
    assert_eq!(
        skus(&page),
        ["SUP-1"],
        "the text filter follows the new name"
    );
}

#[tokio::test]
async fn a_deactivated_product_stays_readable_and_can_be_activated_again() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let id = product(&app, "OLD-1").await["id"].clone();
    let off = app
        .gql(&manager, &by_id("deactivateProduct"), json!({ "id": id }))
        .await["deactivateProduct"]
        .clone();
    assert_eq!(off["active"], false);
    let again = app
        .gql(&manager, &by_id("deactivateProduct"), json!({ "id": id }))
        .await["deactivateProduct"]
        .clone();
    assert_eq!(again, off, "deactivating twice changes nothing");
    let alice = app.token("alice", &["SALES"]);
    assert_eq!(read(&app, &alice, &id).await["active"], false);
    let on = app
        .gql(&manager, &by_id("activateProduct"), json!({ "id": id }))
        .await["activateProduct"]
        .clone();
    assert_eq!(on["active"], true);
    let (code, _) = app
        .gql_error(
            &manager,
            &by_id("deactivateProduct"),
            json!({ "id": uuid::Uuid::now_v7() }),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
}

#[tokio::test]
async fn products_filter_by_active_and_text_and_page_by_sku() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let mut ids = std::collections::HashMap::new();
    for sku in ["HW-3", "SW-1", "HW-1", "SVC_1", "HW-2"] {
        ids.insert(sku, product(&app, sku).await["id"].clone());
    }
    app.gql(
        &manager,
        &by_id("deactivateProduct"),
        json!({ "id": ids["SW-1"] }),
    )
    .await;

    // Default order: SKU, A to Z, across pages.
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .gql(&manager, LIST, json!({ "first": 2, "after": after }))
            .await["products"]
            .clone();
        assert_eq!(page["totalCount"], 5);
        seen.extend(skus(&page));
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, ["HW-1", "HW-2", "HW-3", "SVC_1", "SW-1"]);

    let cases = [
        (
            json!({ "active": true }),
            vec!["HW-1", "HW-2", "HW-3", "SVC_1"],
        ),
        (json!({ "active": false }), vec!["SW-1"]),
        (json!({ "text": "hw" }), vec!["HW-1", "HW-2", "HW-3"]),
        (json!({ "text": "PRODUCT S" }), vec!["SVC_1", "SW-1"]),
        (json!({ "text": "_" }), vec!["SVC_1"]),
        (json!({ "text": "s", "active": false }), vec!["SW-1"]),
    ];
    for (filter, expected) in cases {
        let page = app.gql(&manager, LIST, json!({ "filter": filter })).await["products"].clone();
        assert_eq!(skus(&page), expected, "{filter}");
        assert_eq!(page["totalCount"], expected.len(), "{filter}");
    }
    let vars = json!({ "orderBy": { "field": "SKU", "direction": "DESC" }, "first": 2 });
    let page = app.gql(&manager, LIST, vars).await["products"].clone();
    assert_eq!(skus(&page), ["SW-1", "SVC_1"]);
}

#[tokio::test]
async fn an_integration_token_reads_the_catalogue_with_products_read_only() {
    let app = TestApp::spawn().await;
    let id = product(&app, "P-1").await["id"].clone();
    let reader = app.token_with_scope("erp", &["INTEGRATION"], Some("products:read"));
    assert_eq!(read(&app, &reader, &id).await["sku"], "P-1");
    let input = json!({ "sku": "P-2", "name": "N", "unit": "each" });
    let (code, _) = app
        .gql_error(&reader, &create_query(), json!({ "input": input }))
        .await;
    assert_eq!(code, "FORBIDDEN");
    let writer = app.token_with_scope("pim", &["INTEGRATION"], Some("products:write"));
    create(
        &app,
        &writer,
        json!({ "sku": "P-2", "name": "N", "unit": "each" }),
    )
    .await;
    assert_eq!(count(&app, "products").await, 2);
}

/// SQL statements the server has run so far, from `/metrics`.
async fn statements(app: &TestApp) -> u64 {
    let text = app
        .client
        .get(format!("{}/metrics", app.metrics_address.as_ref().unwrap()))
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

#[tokio::test]
async fn a_page_of_products_with_their_prices_costs_a_fixed_number_of_statements() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let query = "{ products(first: 100) { edges { node { sku prices { currency listPrice { amount } } } } } }";
    let add = |from: usize, to: usize| {
        let app = &app;
        let manager = &manager;
        async move {
            for i in from..to {
                let id = product(app, &format!("P-{i:03}")).await["id"].clone();
                set_price(app, manager, &id, "EUR", "10").await;
                set_price(app, manager, &id, "USD", "11").await;
            }
        }
    };
    add(0, 3).await;
    let before = statements(&app).await;
    app.gql(&manager, query, json!({})).await;
    let small = statements(&app).await - before;
    add(3, 30).await;
    let before = statements(&app).await;
    let page = app.gql(&manager, query, json!({})).await;
    let large = statements(&app).await - before;
    assert_eq!(page["products"]["edges"].as_array().unwrap().len(), 30);
    assert!(
        large <= small + 2,
        "{small} statements for 3 products, {large} for 30"
    );
}
