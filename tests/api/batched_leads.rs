//! A batch of leads through `POST /webhooks/leads` is captured set-wise: its
//! cost in SQL statements does not grow with its size, and its result is the
//! one capturing the items one by one would give, also where items of the
//! batch relate to each other or to rows already stored.

use serde_json::{Value, json};

use crate::{
    fixtures,
    helpers::{TestApp, count},
    webhooks::{leads, post_leads, settings, spawn},
};

const LEAD: &str = "query($id: UUID!) { lead(id: $id) {
  id status email phone company score isDuplicate
  duplicateOfLead { id } duplicateOfContact { id }
  scoreFactors { factor points reason }
  history { to actorId }
} }";

async fn lead(app: &TestApp, id: &Value) -> Value {
    let manager = app.token("mia", &["SALES_MANAGER"]);
    app.gql(&manager, LEAD, json!({ "id": id })).await["lead"].clone()
}

fn fit(lead: &Value) -> i64 {
    lead["scoreFactors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["factor"] == "fit")
        .and_then(|f| f["points"].as_i64())
        .unwrap()
}

async fn create_account(app: &TestApp, name: &str, website: Option<&str>) -> Value {
    let manager = app.token("mia", &["SALES_MANAGER"]);
    fixtures::create_account(app, &manager, name, website)
        .await
        .into()
}

/// `n` leads that each need every lookup: an external ref, an email, a
/// website and a company; every third one repeats an earlier email.
fn batch(n: usize, tag: &str) -> Value {
    let leads: Vec<Value> = (0..n)
        .map(|i| {
            let person = if i % 3 == 2 { i - 1 } else { i };
            json!({
                "externalRef": format!("{tag}-{i}"),
                "email": format!("p{person}@{tag}{}.io", person % 7),
                "lastName": format!("P{i}"),
                "company": format!("Company {}", i % 11),
                "website": format!("www.{tag}{}.io", i % 5),
            })
        })
        .collect();
    json!({ "leads": leads })
}

async fn cost(app: &TestApp, id: &str, body: Value) -> u64 {
    let leads = body["leads"].as_array().map_or(0, Vec::len);
    let started = std::time::Instant::now();
    let reply = post_leads(app, id, body).await;
    let took = started.elapsed();
    assert_eq!(reply.status, 200, "{}", reply.body);
    println!(
        "{leads} leads: {} statements, {took:?} (debug build)",
        reply.statements
    );
    reply.statements
}

#[tokio::test]
async fn a_batch_of_leads_costs_the_same_statements_whatever_its_size() {
    let (settings, dir) = settings(None).await;
    let app = TestApp::spawn_with(settings, dir).await;
    create_account(&app, "Company 3 Ltd", None).await;
    create_account(&app, "Other", Some("small2.io")).await;
    let small = cost(&app, "msg_10", batch(10, "small")).await;
    let medium = cost(&app, "msg_500", batch(500, "medium")).await;
    let large = cost(&app, "msg_1000", batch(1000, "large")).await;
    assert_eq!(small, medium, "10 leads cost {small}, 500 cost {medium}");
    assert_eq!(small, large, "10 leads cost {small}, 1000 cost {large}");
    assert!(large <= 12, "{large} statements for 1,000 leads");
    assert_eq!(count(&app, "leads").await, 1510);
}

#[tokio::test]
async fn batches_beyond_the_concurrency_limit_wait_their_turn_and_all_land() {
    let (mut settings, dir) = settings(None).await;
    settings.webhooks.leads_webhook_concurrency = 1;
    let app = TestApp::spawn_with(settings, dir).await;
    let replies =
        futures::future::join_all(
            (0..4).map(|i| {
                let app = &app;
                async move {
                    post_leads(app, &format!("msg_turn_{i}"), batch(100, &format!("t{i}"))).await
                }
            }),
        )
        .await;
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["leads"].as_array().unwrap().len(), 100);
    }
    assert_eq!(count(&app, "leads").await, 400);
}

#[tokio::test]
async fn a_repeated_email_in_one_batch_points_at_the_earlier_item() {
    let app = spawn(None).await;
    let reply = post_leads(
        &app,
        "msg_dup",
        json!({"leads": [
            {"externalRef": "r-0", "email": "Sam@Theta.io", "lastName": "Sam"},
            {"externalRef": "r-1", "email": "other@theta.io", "lastName": "Other"},
            {"externalRef": "r-2", "email": " sam@THETA.io ", "lastName": "Sam"},
            {"email": "sam@theta.io", "lastName": "Sam again"},
        ]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let items = reply.body["leads"].as_array().unwrap();
    let duplicates: Vec<&Value> = items.iter().map(|l| &l["duplicate"]).collect();
    assert_eq!(
        duplicates,
        [&json!(false), &json!(false), &json!(true), &json!(true)]
    );
    let original = &items[0]["id"];
    for later in [&items[2]["id"], &items[3]["id"]] {
        // Both point at the original, not at each other.
        assert_eq!(lead(&app, later).await["duplicateOfLead"]["id"], *original);
    }
    assert_eq!(lead(&app, original).await["duplicateOfLead"], Value::Null);
}

#[tokio::test]
async fn a_lead_with_a_contacts_email_points_at_the_contact() {
    let app = spawn(None).await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let account = create_account(&app, "Iota", None).await;
    let contact = app
        .gql(
            &manager,
            "mutation($a: UUID!) { createContact(input: {accountId: $a, lastName: \"Ives\", email: \"ives@iota.io\"}) { id } }",
            json!({ "a": account }),
        )
        .await["createContact"]["id"]
        .clone();
    let reply = post_leads(
        &app,
        "msg_contact",
        json!({"leads": [
            {"email": "IVES@iota.io", "lastName": "Ives"},
            {"email": "ives@iota.io", "lastName": "Ives"},
        ]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let first = lead(&app, &reply.body["leads"][0]["id"]).await;
    assert_eq!(first["duplicateOfContact"]["id"], contact);
    assert_eq!(first["duplicateOfLead"], Value::Null);
    // The first lead is itself open and original: the second points at it.
    let second = lead(&app, &reply.body["leads"][1]["id"]).await;
    assert_eq!(second["duplicateOfLead"]["id"], first["id"]);
    assert_eq!(second["duplicateOfContact"], Value::Null);
}

#[tokio::test]
async fn a_repeated_external_ref_in_one_batch_answers_the_same_lead() {
    let app = spawn(None).await;
    let reply = post_leads(
        &app,
        "msg_repeat",
        json!({"leads": [
            {"externalRef": "k-1", "email": "kai@kappa.io", "lastName": "Kai"},
            {"externalRef": "k-2", "email": "lin@kappa.io", "lastName": "Lin"},
            {"externalRef": "k-1", "email": "kai@kappa.io", "lastName": "Kai", "phone": "+49 30 1234"},
            {"externalRef": "k-1", "source": "EVENT", "email": "kai@kappa.io", "lastName": "Kai"},
        ]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let items = reply.body["leads"].as_array().unwrap();
    assert_eq!(items[2]["id"], items[0]["id"]);
    assert_eq!(items[2]["created"], false);
    assert_eq!(items[2]["index"], 2);
    // Another source with the same ref is another lead, a duplicate by email.
    assert_eq!(items[3]["created"], true);
    assert_ne!(items[3]["id"], items[0]["id"]);
    assert_eq!(items[3]["duplicate"], true);
    assert_eq!(count(&app, "leads").await, 3);

    let kai = lead(&app, &items[0]["id"]).await;
    assert_eq!(kai["phone"], "+49 30 1234");
    // One history row: the upsert is not a transition.
    assert_eq!(
        kai["history"],
        json!([{"to": "NEW", "actorId": "webhook:leads"}])
    );
    let completeness = kai["scoreFactors"][0].clone();
    assert_eq!(completeness["factor"], "completeness");
    assert_eq!(completeness["points"], 15, "{completeness}");
}

#[tokio::test]
async fn an_item_naming_an_existing_lead_upserts_it() {
    let app = spawn(None).await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let first = post_leads(
        &app,
        "msg_first",
        json!({"leads": [
            {"externalRef": "m-1", "email": "max@mu.io", "lastName": "Max"},
            {"externalRef": "m-2", "email": "nia@mu.io", "lastName": "Nia"},
        ]}),
    )
    .await;
    let max = first.body["leads"][0]["id"].clone();
    let nia = first.body["leads"][1]["id"].clone();
    app.gql(
        &manager,
        "mutation($id: UUID!) { disqualifyLead(id: $id, reason: \"no budget\") { id } }",
        json!({ "id": nia }),
    )
    .await;
    let before_nia = lead(&app, &nia).await;

    let reply = post_leads(
        &app,
        "msg_second",
        json!({"leads": [
            {"externalRef": "m-3", "email": "max@mu.io", "lastName": "Max"},
            {"externalRef": "m-1", "email": "maxi@mu.io", "lastName": "Max", "company": "Mu"},
            {"externalRef": "m-4", "email": "maxi@mu.io", "lastName": "Max"},
            {"externalRef": "m-2", "email": "nia@elsewhere.io", "lastName": "Nia"},
        ]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let items = reply.body["leads"].as_array().unwrap();
    // Before the upsert, max@mu.io was the open lead m-1's email.
    assert_eq!(
        lead(&app, &items[0]["id"]).await["duplicateOfLead"]["id"],
        max
    );
    assert_eq!(items[1]["id"], max);
    assert_eq!(items[1]["created"], false);
    let upserted = lead(&app, &max).await;
    assert_eq!(upserted["email"], "maxi@mu.io");
    assert_eq!(upserted["company"], "Mu");
    // After it, maxi@mu.io is.
    assert_eq!(
        lead(&app, &items[2]["id"]).await["duplicateOfLead"]["id"],
        max
    );
    // A disqualified lead is past capturing: returned as it was.
    assert_eq!(items[3]["id"], nia);
    assert_eq!(items[3]["created"], false);
    assert_eq!(lead(&app, &nia).await, before_nia);
    assert_eq!(count(&app, "leads").await, 4);
}

#[tokio::test]
async fn a_company_matches_an_account_whose_name_starts_with_it_in_any_case() {
    let app = spawn(None).await;
    create_account(&app, "ACME GmbH", None).await;
    create_account(&app, "50% Off Ltd", None).await;
    create_account(&app, "Ölwerk AG", None).await;
    create_account(&app, "Beta", Some("beta.io")).await;
    let reply = post_leads(
        &app,
        "msg_fit",
        json!({"leads": [
            {"company": "Acme", "lastName": "A"},
            {"company": "  acme gmbh ", "lastName": "B"},
            {"company": "Acme Inc", "lastName": "C"},
            {"company": "50%", "lastName": "D"},
            {"company": "5_%", "lastName": "E"},
            {"company": "ÖLWERK", "lastName": "F"},
            {"company": "Acme", "email": "g@beta.io"},
            {"company": "Zeta", "website": "https://www.Beta.io/about", "lastName": "H"},
        ]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mut fits = Vec::new();
    for item in reply.body["leads"].as_array().unwrap() {
        fits.push(fit(&lead(&app, &item["id"]).await));
    }
    assert_eq!(fits, [5, 5, 0, 5, 0, 5, 10, 10]);
}

#[tokio::test]
async fn an_invalid_item_in_the_middle_stores_nothing() {
    let app = spawn(None).await;
    let first = post_leads(
        &app,
        "msg_before",
        json!({"externalRef": "v-0", "email": "vic@nu.io", "lastName": "Vic"}),
    )
    .await;
    let vic = first.body["leads"][0]["id"].clone();
    let before = lead(&app, &vic).await;
    let mut items: Vec<Value> = (1..300)
        .map(|i| json!({"externalRef": format!("v-{i}"), "email": format!("v{i}@nu.io"), "lastName": "V"}))
        .collect();
    items[10] = json!({"externalRef": "v-0", "email": "victor@nu.io", "lastName": "Vic"});
    items[150] = json!({"externalRef": "v-150", "website": "not a website", "lastName": "V"});
    let refused = post_leads(&app, "msg_bad", json!({ "leads": items })).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.body["error"]["code"], "VALIDATION");
    assert_eq!(refused.body["error"]["field"], "leads[150].website");
    assert_eq!(refused.body["error"]["index"], 150);
    assert_eq!(count(&app, "leads").await, 1);
    assert_eq!(lead(&app, &vic).await, before);
    assert_eq!(leads(&app).await.len(), 1);
}

#[tokio::test]
async fn signals_in_a_batch_find_the_leads_captured_in_it() {
    let app = spawn(None).await;
    let reply = post_leads(
        &app,
        "msg_signals",
        json!({
            "leads": [
                {"externalRef": "s-1", "email": "sol@sigma.io", "lastName": "Sol"},
                {"externalRef": "s-2", "email": "sam@sigma.io", "lastName": "Sam"},
            ],
            "events": [
                {"type": "FORM_FILL", "externalRef": "s-1"},
                {"type": "MEETING_BOOKED", "email": "SAM@sigma.io"},
            ],
        }),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let leads = &reply.body["leads"];
    let events = &reply.body["events"];
    assert_eq!(events[0]["leadId"], leads[0]["id"]);
    assert_eq!(events[0]["applied"], true);
    assert_eq!(events[1]["leadId"], leads[1]["id"]);
    assert_eq!(events[1]["applied"], true);
    assert_eq!(
        lead(&app, &leads[1]["id"]).await["score"],
        events[1]["score"]
    );
}
