//! The lead stream: capture, dedupe, score, work, qualify, convert, and the
//! access rules around it.

use serde_json::{Value, json};

use crate::helpers::{TestApp, count};

const CAPTURE: &str = "mutation($input: CaptureLeadInput!) {
  captureLead(input: $input) {
    created duplicate
    lead { id status score ownerId isDuplicate
           duplicateOfLead { id } duplicateOfContact { id }
           scoreFactors { factor points maxPoints reason } }
  }
}";

const LEAD: &str = "query($id: UUID!) {
  lead(id: $id) {
    id status ownerId score disqualifyReason convertedAt
    account { id name } contact { id lastName email } opportunity { id stage leadingRole team { userId role } lead { id } }
    history { from to actorId reason at }
    duplicates { id }
  }
}";

async fn capture(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(token, CAPTURE, json!({ "input": input })).await["captureLead"].clone()
}

async fn lead(app: &TestApp, token: &str, id: &str) -> Value {
    app.gql(token, LEAD, json!({ "id": id })).await["lead"].clone()
}

async fn act(app: &TestApp, token: &str, mutation: &str, id: &str) -> Value {
    let query = format!("mutation($id: UUID!) {{ {mutation}(id: $id) {{ id status ownerId }} }}");
    app.gql(token, &query, json!({ "id": id })).await[mutation].clone()
}

async fn act_error(app: &TestApp, token: &str, mutation: &str, id: &str) -> (String, Value) {
    let query = format!("mutation($id: UUID!) {{ {mutation}(id: $id) {{ id status }} }}");
    app.gql_error(token, &query, json!({ "id": id })).await
}

async fn convert_error(app: &TestApp, token: &str, id: &str) -> (String, Value) {
    let query = "mutation($id: UUID!) { convertLead(id: $id) { lead { id } } }";
    app.gql_error(token, query, json!({ "id": id })).await
}

fn id(v: &Value) -> String {
    v["lead"]["id"].as_str().expect("lead id").to_owned()
}

#[tokio::test]
async fn capturing_the_same_source_and_ref_twice_returns_the_same_lead() {
    let app = TestApp::spawn().await;
    let hook = app.token_with_scope("mktg", &["INTEGRATION"], Some("leads:write"));
    let input = json!({"source": "MARKETING_AUTOMATION", "externalRef": "hs-42", "email": "ann@acme.io", "lastName": "Lee"});
    let first = capture(&app, &hook, input.clone()).await;
    let second = capture(&app, &hook, input.clone()).await;
    assert_eq!(first["created"], true);
    assert_eq!(second["created"], false);
    assert_eq!(id(&first), id(&second));
    assert_eq!(count(&app, "leads").await, 1);
    // The same ref from another source is another lead.
    let other = capture(
        &app,
        &hook,
        json!({"source": "WEB", "externalRef": "hs-42", "email": "zed@other.io"}),
    )
    .await;
    assert_eq!(other["created"], true);
    // A re-capture with new data updates the open lead (an upsert), still one lead.
    let updated = capture(
        &app,
        &hook,
        json!({"source": "MARKETING_AUTOMATION", "externalRef": "hs-42", "phone": "+1 555 0100"}),
    )
    .await;
    assert_eq!(id(&updated), id(&first));
    assert!(updated["lead"]["score"].as_i64() > first["lead"]["score"].as_i64());
    assert_eq!(count(&app, "leads").await, 2);
}

#[tokio::test]
async fn concurrent_captures_of_one_ref_make_one_lead() {
    let app = TestApp::spawn().await;
    let hook = app.token_with_scope("mktg", &["INTEGRATION"], Some("leads:write"));
    let input = json!({"source": "WEB", "externalRef": "race-1", "email": "race@acme.io"});
    let runs = (0..8).map(|_| capture(&app, &hook, input.clone()));
    let results = futures::future::join_all(runs).await;
    let ids: std::collections::HashSet<String> = results.iter().map(id).collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(results.iter().filter(|r| r["created"] == true).count(), 1);
    assert_eq!(count(&app, "leads").await, 1);
}

#[tokio::test]
async fn two_sales_users_racing_for_one_ref_make_one_lead_and_the_other_sees_none_of_it() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let bob = app.token("bob", &["SALES"]);
    let input = json!({"source": "EVENT", "externalRef": "badge-7", "email": "kim@acme.io"});
    for round in 0..4 {
        let input = json!({"source": "EVENT", "externalRef": format!("badge-{round}"),
                           "email": format!("kim{round}@acme.io")});
        let (a, b) = tokio::join!(
            app.post(Some(&alice), CAPTURE, json!({ "input": input })),
            app.post(Some(&bob), CAPTURE, json!({ "input": input })),
        );
        let answers = [(&a.1, "alice"), (&b.1, "bob")];
        let won: Vec<_> = answers
            .iter()
            .filter(|(body, _)| body["errors"].is_null())
            .collect();
        assert_eq!(won.len(), 1, "{a:?} {b:?}");
        let (winner, owner) = won[0];
        assert_eq!(winner["data"]["captureLead"]["created"], true);
        assert_eq!(winner["data"]["captureLead"]["lead"]["ownerId"], *owner);
        let (loser, _) = answers
            .iter()
            .find(|(body, _)| !body["errors"].is_null())
            .unwrap();
        assert_eq!(
            loser["errors"][0]["extensions"]["code"], "CONFLICT",
            "{loser}"
        );
        assert!(loser["data"].is_null() || loser["data"]["captureLead"].is_null());
    }
    // Not racing, the answer is the same.
    capture(&app, &alice, input.clone()).await;
    let (code, _) = app
        .gql_error(&bob, CAPTURE, json!({ "input": input }))
        .await;
    assert_eq!(code, "CONFLICT");
    assert_eq!(count(&app, "leads").await, 5);
}

#[tokio::test]
async fn a_lead_with_an_email_already_known_is_linked_as_a_duplicate() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let original = capture(
        &app,
        &alice,
        json!({"source": "WEB", "email": "Ann@Acme.io", "lastName": "Lee"}),
    )
    .await;
    assert_eq!(original["duplicate"], false);
    let dup = capture(
        &app,
        &alice,
        json!({"source": "EVENT", "email": " ann@ACME.io ", "lastName": "Lee"}),
    )
    .await;
    assert_eq!(dup["duplicate"], true);
    assert_eq!(dup["lead"]["isDuplicate"], true);
    assert_eq!(dup["lead"]["duplicateOfLead"]["id"], original["lead"]["id"]);
    let seen = lead(&app, &alice, &id(&original)).await;
    assert_eq!(seen["duplicates"][0]["id"], dup["lead"]["id"]);

    // An email that a contact already has is a duplicate of that contact.
    let account = app
        .gql(
            &alice,
            "mutation { createAccount(input: {name: \"Beta\"}) { id } }",
            json!({}),
        )
        .await["createAccount"]["id"]
        .clone();
    let contact = app
        .gql(
            &alice,
            "mutation($a: UUID!) { createContact(input: {accountId: $a, lastName: \"Kim\", email: \"kim@beta.io\"}) { id } }",
            json!({ "a": account }),
        )
        .await["createContact"]["id"]
        .clone();
    let dup = capture(
        &app,
        &alice,
        json!({"source": "WEB", "email": "KIM@beta.io"}),
    )
    .await;
    assert_eq!(dup["lead"]["duplicateOfContact"]["id"], contact);
}

#[tokio::test]
async fn the_score_explains_itself_and_follows_changes() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    app.gql(
        &alice,
        "mutation { createAccount(input: {name: \"Acme\", website: \"acme.io\"}) { id } }",
        json!({}),
    )
    .await;
    let captured = capture(&app, &alice, json!({"source": "REFERRAL", "email": "ann@acme.io", "firstName": "Ann", "lastName": "Lee"})).await;
    let factors = captured["lead"]["scoreFactors"].as_array().unwrap().clone();
    let points = |name: &str| {
        factors.iter().find(|f| f["factor"] == name).unwrap()["points"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(points("completeness"), 15);
    assert_eq!(points("source"), 20);
    assert_eq!(points("budget"), 0);
    assert_eq!(points("timeline"), 0);
    assert_eq!(points("fit"), 10);
    assert_eq!(captured["lead"]["score"], 45);
    let sum: i64 = factors.iter().map(|f| f["points"].as_i64().unwrap()).sum();
    assert_eq!(sum, 45);

    let updated = app
        .gql(
            &alice,
            "mutation($id: UUID!) { updateLead(id: $id, input: {budget: {amount: \"50000.00\", currency: \"EUR\"}, timeline: WITHIN_QUARTER}) { score budget { amount currency } } }",
            json!({ "id": id(&captured) }),
        )
        .await;
    assert_eq!(updated["updateLead"]["score"], 80);
    assert_eq!(
        updated["updateLead"]["budget"],
        json!({"amount": "50000.00", "currency": "EUR"})
    );
}

#[tokio::test]
async fn bad_lead_input_is_refused_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let long = "x".repeat(5000);
    for (input, field) in [
        (json!({"source": "WEB", "email": "not-an-email"}), "email"),
        (json!({"source": "WEB", "lastName": long}), "lastName"),
        (json!({"source": "WEB", "company": "   "}), "email"),
        (
            json!({"source": "WEB", "email": "a@b.co", "budget": {"amount": "-5", "currency": "EUR"}}),
            "budget.amount",
        ),
        (
            json!({"source": "WEB", "email": "a@b.co", "budget": {"amount": "5", "currency": "EURO"}}),
            "budget.currency",
        ),
        (
            json!({"source": "WEB", "email": "a@b.co", "budget": {"amount": "5.5", "currency": "JPY"}}),
            "budget.amount",
        ),
        (
            json!({"source": "WEB", "email": "a@b.co", "website": "not a site"}),
            "website",
        ),
    ] {
        let (code, error) = app
            .gql_error(&alice, CAPTURE, json!({ "input": input }))
            .await;
        assert_eq!(code, "VALIDATION", "{input}");
        assert_eq!(error["extensions"]["field"], field, "{input}");
    }
    assert_eq!(count(&app, "leads").await, 0);
}

#[tokio::test]
async fn a_lead_goes_from_new_to_converted_with_its_history() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let hook = app.token_with_scope("mktg", &["INTEGRATION"], Some("leads:write"));
    let captured = capture(&app, &hook, json!({"source": "WEB", "email": "ann@acme.io", "firstName": "Ann", "lastName": "Lee", "company": "Acme", "website": "https://www.acme.io"})).await;
    let lead_id = id(&captured);
    assert_eq!(captured["lead"]["ownerId"], Value::Null);

    // Starting on an unassigned lead takes it.
    let working = act(&app, &alice, "startWorkingLead", &lead_id).await;
    assert_eq!(working["status"], "WORKING");
    assert_eq!(working["ownerId"], "alice");
    assert_eq!(
        act(&app, &alice, "qualifyLead", &lead_id).await["status"],
        "QUALIFIED"
    );

    let converted = app
        .gql(
            &alice,
            "mutation($id: UUID!) { convertLead(id: $id) { lead { status } account { id name domain ownerId } contact { lastName email } opportunity { id stage leadingRole team { userId role } } } }",
            json!({ "id": lead_id }),
        )
        .await["convertLead"]
        .clone();
    assert_eq!(converted["lead"]["status"], "CONVERTED");
    assert_eq!(converted["account"]["name"], "Acme");
    assert_eq!(converted["account"]["domain"], "acme.io");
    assert_eq!(converted["account"]["ownerId"], "alice");
    assert_eq!(converted["contact"]["email"], "ann@acme.io");
    assert_eq!(converted["opportunity"]["stage"], "DISCOVER");
    assert_eq!(converted["opportunity"]["leadingRole"], "AR");
    assert_eq!(
        converted["opportunity"]["team"],
        json!([{"userId": "alice", "role": "AR"}])
    );

    let seen = lead(&app, &alice, &lead_id).await;
    assert_eq!(seen["account"]["id"], converted["account"]["id"]);
    assert_eq!(seen["opportunity"]["id"], converted["opportunity"]["id"]);
    assert_eq!(seen["opportunity"]["lead"]["id"], json!(lead_id));
    assert!(seen["convertedAt"].is_string());
    let steps: Vec<(Value, Value, Value)> = seen["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["from"].clone(), t["to"].clone(), t["actorId"].clone()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (Value::Null, json!("NEW"), json!("mktg")),
            (json!("NEW"), json!("WORKING"), json!("alice")),
            (json!("WORKING"), json!("QUALIFIED"), json!("alice")),
            (json!("QUALIFIED"), json!("CONVERTED"), json!("alice")),
        ]
    );

    // Converting twice is refused and creates nothing more.
    let (code, error) = convert_error(&app, &alice, &lead_id).await;
    assert_eq!(code, "INVALID_TRANSITION");
    assert_eq!(error["extensions"]["from"], "CONVERTED");
    assert_eq!(count(&app, "accounts").await, 1);
    assert_eq!(count(&app, "contacts").await, 1);
    assert_eq!(count(&app, "opportunities").await, 1);
}

#[tokio::test]
async fn converting_into_an_existing_account_reuses_it() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let account = app
        .gql(
            &alice,
            "mutation { createAccount(input: {name: \"Acme\"}) { id } }",
            json!({}),
        )
        .await["createAccount"]["id"]
        .clone();
    let captured = capture(
        &app,
        &alice,
        json!({"source": "PARTNER", "lastName": "Lee", "email": "lee@acme.io"}),
    )
    .await;
    let lead_id = id(&captured);
    act(&app, &alice, "startWorkingLead", &lead_id).await;
    act(&app, &alice, "qualifyLead", &lead_id).await;
    let converted = app
        .gql(
            &alice,
            "mutation($id: UUID!, $a: UUID!) { convertLead(id: $id, input: {accountId: $a, opportunityName: \"Acme rollout\"}) { account { id } opportunity { name } } }",
            json!({ "id": lead_id, "a": account }),
        )
        .await["convertLead"]
        .clone();
    assert_eq!(converted["account"]["id"], account);
    assert_eq!(converted["opportunity"]["name"], "Acme rollout");
    assert_eq!(count(&app, "accounts").await, 1);
}

#[tokio::test]
async fn a_failed_conversion_changes_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    // No last name: the contact cannot be made, so nothing is.
    let captured = capture(
        &app,
        &alice,
        json!({"source": "WEB", "email": "x@newco.io", "company": "NewCo"}),
    )
    .await;
    let lead_id = id(&captured);
    act(&app, &alice, "startWorkingLead", &lead_id).await;
    act(&app, &alice, "qualifyLead", &lead_id).await;
    let (code, error) = convert_error(&app, &alice, &lead_id).await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(error["extensions"]["field"], "lastName");
    assert_eq!(lead(&app, &alice, &lead_id).await["status"], "QUALIFIED");
    assert_eq!(count(&app, "accounts").await, 0);
    assert_eq!(count(&app, "opportunities").await, 0);
    // A new account whose domain is taken: CONFLICT, and still nothing is made.
    app.gql(
        &alice,
        "mutation($id: UUID!) { updateLead(id: $id, input: {lastName: \"Lee\"}) { id } }",
        json!({"id": lead_id}),
    )
    .await;
    app.gql(
        &alice,
        "mutation { createAccount(input: {name: \"Taken\", website: \"taken.io\"}) { id } }",
        json!({}),
    )
    .await;
    let (code, _) = app
        .gql_error(
            &alice,
            "mutation($id: UUID!) { convertLead(id: $id, input: {newAccount: {name: \"NewCo\", website: \"taken.io\"}}) { lead { id } } }",
            json!({ "id": lead_id }),
        )
        .await;
    assert_eq!(code, "CONFLICT");
    assert_eq!(count(&app, "accounts").await, 1);
    assert_eq!(count(&app, "contacts").await, 0);
    assert_eq!(lead(&app, &alice, &lead_id).await["status"], "QUALIFIED");
}

#[tokio::test]
async fn illegal_transitions_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let captured = capture(&app, &alice, json!({"source": "WEB", "email": "no@fit.io"})).await;
    let lead_id = id(&captured);
    // Qualifying a NEW lead skips WORKING.
    let (code, error) = act_error(&app, &alice, "qualifyLead", &lead_id).await;
    assert_eq!(code, "INVALID_TRANSITION");
    assert_eq!(
        (
            error["extensions"]["from"].clone(),
            error["extensions"]["to"].clone()
        ),
        (json!("NEW"), json!("QUALIFIED"))
    );

    let (code, error) = app
        .gql_error(
            &alice,
            "mutation($id: UUID!) { disqualifyLead(id: $id, reason: \"  \") { id } }",
            json!({"id": lead_id}),
        )
        .await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(error["extensions"]["field"], "reason");
    let disqualified = app
        .gql(&alice, "mutation($id: UUID!) { disqualifyLead(id: $id, reason: \"No budget\") { status disqualifyReason } }", json!({"id": lead_id}))
        .await;
    assert_eq!(
        disqualified["disqualifyLead"]["disqualifyReason"],
        "No budget"
    );

    let (code, _) = act_error(&app, &alice, "qualifyLead", &lead_id).await;
    assert_eq!(code, "INVALID_TRANSITION");
    let (code, _) = act_error(&app, &alice, "startWorkingLead", &lead_id).await;
    assert_eq!(code, "INVALID_TRANSITION");
    let seen = lead(&app, &alice, &lead_id).await;
    assert_eq!(seen["status"], "DISQUALIFIED");
    assert_eq!(seen["history"].as_array().unwrap().len(), 2);
    assert_eq!(seen["history"][1]["reason"], "No budget");
    // A closed lead is not edited either.
    let (code, _) = app
        .gql_error(
            &alice,
            "mutation($id: UUID!) { updateLead(id: $id, input: {phone: \"1\"}) { id } }",
            json!({"id": lead_id}),
        )
        .await;
    assert_eq!(code, "VALIDATION");
}

#[tokio::test]
async fn a_sales_user_sees_only_their_own_and_unassigned_leads() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let bob = app.token("bob", &["SALES"]);
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let alices = capture(&app, &alice, json!({"source": "WEB", "email": "a1@x.io"})).await;
    let unassigned = capture(&app, &manager, json!({"source": "WEB", "email": "u1@x.io"})).await;
    assert_eq!(unassigned["lead"]["ownerId"], Value::Null);

    let (code, _) = app.gql_error(&bob, LEAD, json!({"id": id(&alices)})).await;
    assert_eq!(code, "NOT_FOUND");
    let (code, _) = act_error(&app, &bob, "startWorkingLead", &id(&alices)).await;
    assert_eq!(code, "NOT_FOUND");
    let list = app
        .gql(
            &bob,
            "{ leads(first: 100) { totalCount edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(list["leads"]["totalCount"], 1);
    assert_eq!(
        list["leads"]["edges"][0]["node"]["id"],
        unassigned["lead"]["id"]
    );
    // The duplicate link does not leak a lead bob cannot see.
    let dup = capture(&app, &bob, json!({"source": "WEB", "email": "A1@x.io"})).await;
    assert_eq!(dup["duplicate"], true);
    assert_eq!(dup["lead"]["duplicateOfLead"], Value::Null);

    // Bob may take the unassigned lead, but not give it to someone else.
    let (code, _) = app
        .gql_error(
            &bob,
            "mutation($id: UUID!) { assignLead(id: $id, userId: \"carl\") { id } }",
            json!({"id": id(&unassigned)}),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    let taken = app
        .gql(
            &bob,
            "mutation($id: UUID!) { assignLead(id: $id, userId: \"bob\") { ownerId } }",
            json!({"id": id(&unassigned)}),
        )
        .await;
    assert_eq!(taken["assignLead"]["ownerId"], "bob");
    // Now alice no longer sees it.
    let (code, _) = app
        .gql_error(&alice, LEAD, json!({"id": id(&unassigned)}))
        .await;
    assert_eq!(code, "NOT_FOUND");
    // The manager sees everything and reassigns.
    assert_eq!(
        app.gql(&manager, "{ leads { totalCount } }", json!({}))
            .await["leads"]["totalCount"],
        3
    );
    let moved = app
        .gql(
            &manager,
            "mutation($id: UUID!) { assignLead(id: $id, userId: \"alice\") { ownerId } }",
            json!({"id": id(&unassigned)}),
        )
        .await;
    assert_eq!(moved["assignLead"]["ownerId"], "alice");
    // Read-only and finance users cannot write leads; finance cannot read them.
    let ro = app.token("rita", &["READONLY"]);
    let (code, _) = app
        .gql_error(
            &ro,
            CAPTURE,
            json!({"input": {"source": "WEB", "email": "r@x.io"}}),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    let fin = app.token("fred", &["FINANCE"]);
    let (code, _) = app
        .gql_error(&fin, "{ leads { totalCount } }", json!({}))
        .await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(count(&app, "leads").await, 3);
}

#[tokio::test]
async fn leads_filter_and_order_by_score_across_pages() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    for (email, source, company) in [
        ("a@one.io", "OTHER", None),
        ("b@two.io", "REFERRAL", Some("Two Ltd")),
        ("c@three.io", "EVENT", Some("Three")),
        ("d@four.io", "WEB", None),
        ("e@five.io", "PARTNER", Some("Five")),
    ] {
        capture(
            &app,
            &alice,
            json!({"source": source, "email": email, "company": company}),
        )
        .await;
    }
    let query = "query($after: String) { leads(first: 2, after: $after, orderBy: {field: SCORE, direction: DESC}) { totalCount pageInfo { hasNextPage endCursor } edges { node { score email } } } }";
    let mut after = Value::Null;
    let mut scores = vec![];
    loop {
        let page = app.gql(&alice, query, json!({ "after": after })).await["leads"].clone();
        assert_eq!(page["totalCount"], 5);
        for edge in page["edges"].as_array().unwrap() {
            scores.push(edge["node"]["score"].as_i64().unwrap());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(scores.len(), 5);
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");

    let filtered = app
        .gql(&alice, "{ leads(filter: {source: [REFERRAL, PARTNER], text: \"TWO\"}) { totalCount edges { node { email } } } }", json!({}))
        .await;
    assert_eq!(filtered["leads"]["totalCount"], 1);
    assert_eq!(filtered["leads"]["edges"][0]["node"]["email"], "b@two.io");
    let (code, error) = app
        .gql_error(&alice, "{ leads(first: 1000) { totalCount } }", json!({}))
        .await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(error["extensions"]["field"], "first");
    let (code, _) = app
        .gql_error(
            &alice,
            "{ leads(after: \"bm9wZQ\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(code, "VALIDATION");
}
