//! Accounts and their contacts: creating, changing, reading, who sees what,
//! Relay paging and filters.

use serde_json::{Value, json};

use crate::{
    fixtures::create_account,
    helpers::{TestApp, count},
};

const ACCOUNT_FIELDS: &str = "id name domain industry ownerId erpCustomerRef createdAt updatedAt";

const CREATE: &str = "mutation($input: CreateAccountInput!) {
    createAccount(input: $input) { id name domain industry ownerId erpCustomerRef createdAt updatedAt }
}";

const UPDATE: &str = "mutation($id: UUID!, $input: UpdateAccountInput!) {
    updateAccount(id: $id, input: $input) { id name domain industry ownerId erpCustomerRef createdAt updatedAt }
}";

const LIST: &str = "query($first: Int, $after: String, $last: Int, $before: String,
        $filter: AccountFilter, $orderBy: AccountOrderBy) {
    accounts(first: $first, after: $after, last: $last, before: $before,
             filter: $filter, orderBy: $orderBy) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id name } }
    }
}";

const CREATE_CONTACT: &str = "mutation($input: CreateContactInput!) {
    createContact(input: $input) { id accountId firstName lastName email phone }
}";

const CONTACTS: &str = "query($filter: ContactFilter) {
    contacts(filter: $filter) { totalCount nodes { lastName } }
}";

async fn create_contact(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(token, CREATE_CONTACT, json!({ "input": input }))
        .await["createContact"]
        .clone()
}

/// One page of `accounts` with these arguments.
async fn list(app: &TestApp, token: &str, args: Value) -> Value {
    app.gql(token, LIST, args).await["accounts"].clone()
}

/// The names on a page, in order.
fn names(page: &Value) -> Vec<String> {
    page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
        .collect()
}

fn field(error: &Value) -> &str {
    error["extensions"]["field"].as_str().unwrap_or_default()
}

fn by_name() -> Value {
    json!({ "field": "NAME", "direction": "ASC" })
}

/// Seven accounts A1..A7, created out of name order.
async fn seven_accounts(app: &TestApp, token: &str) {
    for n in [4, 1, 7, 3, 6, 2, 5] {
        create_account(app, token, &format!("A{n}"), None).await;
    }
}

#[tokio::test]
async fn an_account_is_created_read_and_updated() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let input = json!({ "name": "  Acme  ", "website": "https://www.Acme.com/about",
        "industry": "Retail", "erpCustomerRef": "ERP-1" });
    let created = app.gql(&alice, CREATE, json!({ "input": input })).await["createAccount"].clone();
    assert_eq!(created["name"], "Acme");
    assert_eq!(created["domain"], "acme.com");
    assert_eq!(created["industry"], "Retail");
    assert_eq!(created["ownerId"], "alice");
    assert!(created["createdAt"].is_string() && created["updatedAt"].is_string());
    let id = created["id"].as_str().unwrap();

    let query = format!("query($id: UUID!) {{ account(id: $id) {{ {ACCOUNT_FIELDS} }} }}");
    let read = app.gql(&alice, &query, json!({ "id": id })).await["account"].clone();
    assert_eq!(read, created);

    let input = json!({ "name": "Acme Group", "website": "HTTP://shop.acme-group.io:8080/x?y",
        "industry": null });
    let updated = app
        .gql(&alice, UPDATE, json!({ "id": id, "input": input }))
        .await["updateAccount"]
        .clone();
    assert_eq!(updated["id"], id);
    assert_eq!(updated["name"], "Acme Group");
    assert_eq!(updated["domain"], "shop.acme-group.io");
    assert!(updated["industry"].is_null());
    assert_eq!(updated["erpCustomerRef"], "ERP-1", "a field left out stays");
    assert_eq!(updated["createdAt"], created["createdAt"]);
    let time = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert!(time(&updated["updatedAt"]) >= time(&created["updatedAt"]));

    let read = app.gql(&alice, &query, json!({ "id": id })).await["account"].clone();
    assert_eq!(read, updated);
}

#[tokio::test]
async fn a_second_account_with_the_same_domain_is_a_conflict() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    create_account(&app, &alice, "Example", Some("https://www.Example.com/x")).await;
    let vars = json!({ "input": { "name": "Example again", "website": "example.com" } });
    let (code, _) = app.gql_error(&alice, CREATE, vars).await;
    assert_eq!(code, "CONFLICT");
    assert_eq!(count(&app, "accounts").await, 1);
}

#[tokio::test]
async fn updating_an_account_to_another_accounts_domain_is_a_conflict() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    create_account(&app, &alice, "Example", Some("example.com")).await;
    let other = create_account(&app, &alice, "Other", Some("other.com")).await;
    let vars = json!({ "id": other, "input": { "website": "https://WWW.example.com" } });
    let (code, _) = app.gql_error(&alice, UPDATE, vars).await;
    assert_eq!(code, "CONFLICT");
    let query = "query($id: UUID!) { account(id: $id) { domain } }";
    let data = app.gql(&alice, query, json!({ "id": other })).await;
    assert_eq!(data["account"]["domain"], "other.com");
}

#[tokio::test]
async fn a_blank_or_overlong_name_is_rejected_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    create_account(&app, &alice, "Existing", None).await;
    for name in [String::new(), "   ".to_owned(), "x".repeat(5_000)] {
        let vars = json!({ "input": { "name": name } });
        let (code, error) = app.gql_error(&alice, CREATE, vars).await;
        assert_eq!(code, "VALIDATION", "{} chars", name.len());
        assert_eq!(field(&error), "name");
        assert_eq!(count(&app, "accounts").await, 1);
    }
}

#[tokio::test]
async fn a_website_that_is_not_a_domain_is_rejected_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let vars = json!({ "input": { "name": "Bad", "website": "not a domain" } });
    let (code, error) = app.gql_error(&alice, CREATE, vars).await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(field(&error), "website");
    assert_eq!(count(&app, "accounts").await, 0);
}

#[tokio::test]
async fn an_unknown_order_field_fails_validation_with_status_400() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let query = "{ accounts(orderBy: {field: NOPE}) { totalCount } }";
    let (status, body) = app.post(Some(&alice), query, json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    assert!(body.get("data").is_none());
}

#[tokio::test]
async fn a_sales_user_cannot_read_or_change_another_users_account() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let bob = app.token("bob", &["SALES"]);
    let id = create_account(&app, &alice, "Alice's", None).await;
    let query = "query($id: UUID!) { account(id: $id) { id } }";
    let (code, _) = app.gql_error(&bob, query, json!({ "id": id })).await;
    assert_eq!(code, "NOT_FOUND");
    let vars = json!({ "id": id, "input": { "name": "Bob's now" } });
    let (code, _) = app.gql_error(&bob, UPDATE, vars).await;
    assert_eq!(code, "NOT_FOUND");
}

#[tokio::test]
async fn a_sales_users_list_and_total_count_hold_only_their_accounts() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let bob = app.token("bob", &["SALES"]);
    let alices = create_account(&app, &alice, "Alice's", None).await;
    let bobs = create_account(&app, &bob, "Bob's", None).await;
    let page = list(&app, &bob, json!({})).await;
    let ids: Vec<&str> = page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [bobs.as_str()]);
    assert!(!ids.contains(&alices.as_str()));
    assert_eq!(page["totalCount"], 1);
    assert_eq!(count(&app, "accounts").await, 2);
}

#[tokio::test]
async fn a_readonly_user_sees_every_account_but_cannot_create_one() {
    let app = TestApp::spawn().await;
    create_account(&app, &app.token("alice", &["SALES"]), "Alice's", None).await;
    create_account(&app, &app.token("bob", &["SALES"]), "Bob's", None).await;
    let viewer = app.token("vera", &["READONLY"]);
    assert_eq!(list(&app, &viewer, json!({})).await["totalCount"], 2);
    let (code, _) = app
        .gql_error(&viewer, CREATE, json!({ "input": { "name": "Mine" } }))
        .await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(count(&app, "accounts").await, 2);
}

#[tokio::test]
async fn a_sales_user_cannot_give_an_account_to_someone_else() {
    let app = TestApp::spawn().await;
    let bob = app.token("bob", &["SALES"]);
    let vars = json!({ "input": { "name": "For Alice", "ownerId": "alice" } });
    let (code, _) = app.gql_error(&bob, CREATE, vars).await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(count(&app, "accounts").await, 0);

    let id = create_account(&app, &bob, "Bob's", None).await;
    let vars = json!({ "id": id, "input": { "ownerId": "alice" } });
    let (code, _) = app.gql_error(&bob, UPDATE, vars).await;
    assert_eq!(code, "FORBIDDEN");
}

#[tokio::test]
async fn a_sales_manager_may_give_an_account_to_someone_else() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let vars = json!({ "input": { "name": "For Alice", "ownerId": "alice" } });
    let created = app.gql(&manager, CREATE, vars).await["createAccount"].clone();
    assert_eq!(created["ownerId"], "alice");
    let vars = json!({ "id": created["id"], "input": { "ownerId": "bob" } });
    let updated = app.gql(&manager, UPDATE, vars).await["updateAccount"].clone();
    assert_eq!(updated["ownerId"], "bob");
    let bob = app.token("bob", &["SALES"]);
    assert_eq!(list(&app, &bob, json!({})).await["totalCount"], 1);
}

#[tokio::test]
async fn a_finance_user_can_read_accounts() {
    let app = TestApp::spawn().await;
    let id = create_account(&app, &app.token("alice", &["SALES"]), "Acme", None).await;
    let finance = app.token("fin", &["FINANCE"]);
    let query = "query($id: UUID!) { account(id: $id) { name } }";
    let data = app.gql(&finance, query, json!({ "id": id })).await;
    assert_eq!(data["account"]["name"], "Acme");
    assert_eq!(list(&app, &finance, json!({})).await["totalCount"], 1);
}

#[tokio::test]
async fn an_integration_token_without_scopes_cannot_list_accounts() {
    let app = TestApp::spawn().await;
    let hook = app.token("hook", &["INTEGRATION"]);
    let (code, _) = app.gql_error(&hook, LIST, json!({})).await;
    assert_eq!(code, "FORBIDDEN");
}

#[tokio::test]
async fn an_integration_token_with_accounts_read_lists_but_cannot_create() {
    let app = TestApp::spawn().await;
    create_account(&app, &app.token("alice", &["SALES"]), "Acme", None).await;
    let hook = app.token_with_scope("hook", &["INTEGRATION"], Some("accounts:read"));
    let page = list(&app, &hook, json!({})).await;
    assert_eq!(names(&page), ["Acme"]);
    let (code, _) = app
        .gql_error(&hook, CREATE, json!({ "input": { "name": "Hooked" } }))
        .await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(count(&app, "accounts").await, 1);
}

#[tokio::test]
async fn paging_forward_by_name_visits_every_account_once_in_order() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", &["ADMIN"]);
    seven_accounts(&app, &admin).await;
    let mut seen = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let vars = json!({ "first": 3, "after": after, "orderBy": by_name() });
        let page = list(&app, &admin, vars).await;
        assert_eq!(page["totalCount"], 7);
        assert_eq!(page["pageInfo"]["hasPreviousPage"], pages > 0);
        seen.extend(names(&page));
        pages += 1;
        assert!(pages <= 3, "too many pages: {seen:?}");
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["A1", "A2", "A3", "A4", "A5", "A6", "A7"]);
}

#[tokio::test]
async fn paging_backward_with_last_and_before_returns_the_preceding_accounts() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", &["ADMIN"]);
    seven_accounts(&app, &admin).await;
    let tail = list(&app, &admin, json!({ "last": 2, "orderBy": by_name() })).await;
    assert_eq!(names(&tail), ["A6", "A7"]);
    assert_eq!(tail["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(tail["totalCount"], 7);
    let a6 = tail["edges"][0]["cursor"].clone();
    assert_eq!(tail["pageInfo"]["startCursor"], a6);

    let vars = json!({ "last": 2, "before": a6, "orderBy": by_name() });
    let earlier = list(&app, &admin, vars).await;
    assert_eq!(names(&earlier), ["A4", "A5"]);
    assert_eq!(earlier["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(earlier["pageInfo"]["hasNextPage"], true);
    assert_eq!(earlier["totalCount"], 7);
}

#[tokio::test]
async fn page_sizes_out_of_range_or_combined_are_rejected() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", &["ADMIN"]);
    for (vars, expected_field) in [
        (json!({ "first": 1000 }), "first"),
        (json!({ "first": 0 }), "first"),
        (json!({ "last": -1 }), "last"),
        (json!({ "first": 2, "last": 2 }), ""),
    ] {
        let (code, error) = app.gql_error(&admin, LIST, vars.clone()).await;
        assert_eq!(code, "VALIDATION", "{vars}");
        if !expected_field.is_empty() {
            assert_eq!(field(&error), expected_field, "{vars}");
        }
    }
}

#[tokio::test]
async fn a_malformed_cursor_or_one_from_another_ordering_is_rejected() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", &["ADMIN"]);
    seven_accounts(&app, &admin).await;
    let (code, error) = app
        .gql_error(&admin, LIST, json!({ "first": 2, "after": "garbage" }))
        .await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(field(&error), "after");

    let page = list(&app, &admin, json!({ "first": 2, "orderBy": by_name() })).await;
    let cursor = page["pageInfo"]["endCursor"].clone();
    let by_created = json!({ "field": "CREATED_AT", "direction": "ASC" });
    let vars = json!({ "first": 2, "after": cursor, "orderBy": by_created });
    let (code, error) = app.gql_error(&admin, LIST, vars).await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(field(&error), "after");
}

#[tokio::test]
async fn the_text_filter_matches_name_and_domain_case_insensitively() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", &["ADMIN"]);
    create_account(&app, &admin, "ACME Corp", None).await;
    create_account(&app, &admin, "Roadrunner Supplies", Some("acmeroad.net")).await;
    create_account(&app, &admin, "Globex", Some("globex.com")).await;
    let vars = json!({ "filter": { "text": "acm" }, "orderBy": by_name() });
    let page = list(&app, &admin, vars).await;
    assert_eq!(names(&page), ["ACME Corp", "Roadrunner Supplies"]);
    assert_eq!(page["totalCount"], 2);
    let vars = json!({ "filter": { "text": "GLOBEX.C" } });
    assert_eq!(names(&list(&app, &admin, vars).await), ["Globex"]);
}

#[tokio::test]
async fn a_percent_sign_in_the_text_filter_matches_only_literally() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", &["ADMIN"]);
    create_account(&app, &admin, "100% Fit", None).await;
    create_account(&app, &admin, "Other", None).await;
    create_account(&app, &admin, "Under_Score", None).await;
    let page = list(&app, &admin, json!({ "filter": { "text": "%" } })).await;
    assert_eq!(names(&page), ["100% Fit"]);
    assert_eq!(page["totalCount"], 1);
    let page = list(&app, &admin, json!({ "filter": { "text": "_" } })).await;
    assert_eq!(names(&page), ["Under_Score"]);
}

#[tokio::test]
async fn a_contact_is_listed_under_its_account_and_resolves_its_account() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let account = create_account(&app, &alice, "Acme", Some("acme.com")).await;
    let input = json!({ "accountId": account, "firstName": "Ann", "lastName": "Lee",
        "email": "Ann.Lee@Acme.com", "phone": "+1 555 0100" });
    let contact = create_contact(&app, &alice, input).await;
    assert_eq!(contact["accountId"], account.as_str());
    assert_eq!(contact["email"], "Ann.Lee@Acme.com");
    create_contact(
        &app,
        &alice,
        json!({ "accountId": account, "lastName": "Zed" }),
    )
    .await;

    let query = "query($id: UUID!) { account(id: $id) { contacts { lastName } } }";
    let data = app.gql(&alice, query, json!({ "id": account })).await;
    assert_eq!(
        data["account"]["contacts"],
        json!([{ "lastName": "Lee" }, { "lastName": "Zed" }])
    );
    let query = "query($id: UUID!) { contact(id: $id) { lastName account { name } } }";
    let data = app.gql(&alice, query, json!({ "id": contact["id"] })).await;
    assert_eq!(data["contact"]["account"]["name"], "Acme");
}

#[tokio::test]
async fn a_contact_with_a_malformed_email_is_rejected_and_not_stored() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let account = create_account(&app, &alice, "Acme", None).await;
    for email in ["not-an-email", "ann@acme", "ann@@acme.com"] {
        let input = json!({ "accountId": account, "lastName": "Lee", "email": email });
        let (code, error) = app
            .gql_error(&alice, CREATE_CONTACT, json!({ "input": input }))
            .await;
        assert_eq!(code, "VALIDATION", "{email}");
        assert_eq!(field(&error), "email", "{email}");
    }
    assert_eq!(count(&app, "contacts").await, 0);
}

#[tokio::test]
async fn a_sales_user_cannot_add_a_contact_to_an_account_they_cannot_see() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let bob = app.token("bob", &["SALES"]);
    let account = create_account(&app, &alice, "Alice's", None).await;
    let input = json!({ "accountId": account, "lastName": "Sneaky" });
    let (code, error) = app
        .gql_error(&bob, CREATE_CONTACT, json!({ "input": input }))
        .await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(field(&error), "accountId");
    assert_eq!(count(&app, "contacts").await, 0);
}

#[tokio::test]
async fn updating_a_contact_with_null_clears_its_phone_and_keeps_the_rest() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let account = create_account(&app, &alice, "Acme", None).await;
    let input = json!({ "accountId": account, "firstName": "Ann", "lastName": "Lee",
        "email": "ann@acme.com", "phone": "+1 555 0100" });
    let id = create_contact(&app, &alice, input).await["id"].clone();
    let query = "mutation($id: UUID!, $input: UpdateContactInput!) {
        updateContact(id: $id, input: $input) { firstName lastName email phone }
    }";
    let vars = json!({ "id": id, "input": { "phone": null, "lastName": "Lee-Smith" } });
    let data = app.gql(&alice, query, vars).await;
    assert_eq!(
        data["updateContact"],
        json!({ "firstName": "Ann", "lastName": "Lee-Smith", "email": "ann@acme.com",
            "phone": null })
    );
}

#[tokio::test]
async fn contacts_can_be_filtered_by_account_and_text() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let acme = create_account(&app, &alice, "Acme", None).await;
    let globex = create_account(&app, &alice, "Globex", None).await;
    for (account, last, email) in [
        (&acme, "Lee", "ann@acme.com"),
        (&acme, "Park", "jo@acme.com"),
        (&globex, "Leeds", "sam@globex.com"),
    ] {
        let input = json!({ "accountId": account, "lastName": last, "email": email });
        create_contact(&app, &alice, input).await;
    }
    let last_names = |data: Value| {
        let mut names: Vec<String> = data["contacts"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["lastName"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    let cases = [
        (json!({ "accountId": acme }), vec!["Lee", "Park"]),
        (json!({ "text": "LEE" }), vec!["Lee", "Leeds"]),
        (json!({ "text": "@GLOBEX" }), vec!["Leeds"]),
        (json!({ "accountId": acme, "text": "lee" }), vec!["Lee"]),
    ];
    for (filter, expected) in cases {
        let data = app.gql(&alice, CONTACTS, json!({ "filter": filter })).await;
        assert_eq!(data["contacts"]["totalCount"], expected.len(), "{filter}");
        assert_eq!(last_names(data), expected, "{filter}");
    }
    let bob = app.token("bob", &["SALES"]);
    let data = app
        .gql(&bob, CONTACTS, json!({ "filter": { "accountId": acme } }))
        .await;
    assert_eq!(data["contacts"]["totalCount"], 0);
}

#[tokio::test]
async fn the_text_filter_finds_a_name_with_non_ascii_letters_in_any_case() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", &["ADMIN"]);
    create_account(&app, &admin, "Äpfel GmbH", None).await;
    create_account(&app, &admin, "Other", None).await;
    for text in ["Äpfel", "äpfel", "ÄPFEL"] {
        let page = list(&app, &admin, json!({ "filter": { "text": text } })).await;
        assert_eq!(names(&page), ["Äpfel GmbH"], "{text}");
    }
}

#[tokio::test]
async fn a_contact_email_whose_domain_has_no_dot_is_rejected() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let account = create_account(&app, &alice, "Acme", None).await;
    let input = json!({ "accountId": account, "lastName": "Lee", "email": "ann.lee@acme" });
    let (code, error) = app
        .gql_error(&alice, CREATE_CONTACT, json!({ "input": input }))
        .await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(field(&error), "email");
    assert_eq!(count(&app, "contacts").await, 0);
}
