//! Opportunities: opening and editing deals, the stage machine (forward
//! only, lose, reopen), probability, the deal team with its one AR, who sees
//! what, and lists with filters and orderings across pages.

use serde_json::{Value, json};

use crate::{
    fixtures::create_account,
    helpers::{TestApp, count},
};

const OPP: &str = "id accountId name stage amount { amount currency } expectedCloseDate
    probability probabilityOverride leadingRole lostReason lostFromStage updatedAt
    team { userId role } history { from to reason actorId }";

const LIST: &str = "query($first: Int, $after: String, $last: Int, $before: String,
        $filter: OpportunityFilter, $orderBy: OpportunityOrderBy) {
    opportunities(first: $first, after: $after, last: $last, before: $before,
                  filter: $filter, orderBy: $orderBy) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id name } }
    }
}";

fn create_query() -> String {
    format!(
        "mutation($input: CreateOpportunityInput!) {{ createOpportunity(input: $input) {{ {OPP} }} }}"
    )
}

/// Opens a deal with these input fields on top of a name and a close date.
async fn create(app: &TestApp, token: &str, account: &str, name: &str, extra: Value) -> Value {
    let mut input =
        json!({ "accountId": account, "name": name, "expectedCloseDate": "2030-06-30" });
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    app.gql(token, &create_query(), json!({ "input": input }))
        .await["createOpportunity"]
        .clone()
}

async fn read(app: &TestApp, token: &str, id: &str) -> Value {
    let query = format!("query($id: UUID!) {{ opportunity(id: $id) {{ {OPP} }} }}");
    app.gql(token, &query, json!({ "id": id })).await["opportunity"].clone()
}

/// Runs a mutation that takes `id` plus `args` (GraphQL argument text) and returns the deal.
fn mutation(name: &str, params: &str, args: &str) -> String {
    format!("mutation($id: UUID!{params}) {{ {name}(id: $id{args}) {{ {OPP} }} }}")
}

async fn advance(app: &TestApp, token: &str, id: &str, stage: &str) -> Value {
    let query = mutation(
        "advanceOpportunity",
        ", $s: OpportunityStage!",
        ", stage: $s",
    );
    app.gql(token, &query, json!({ "id": id, "s": stage }))
        .await["advanceOpportunity"]
        .clone()
}

async fn advance_error(app: &TestApp, token: &str, id: &str, stage: &str) -> (String, Value) {
    let query = mutation(
        "advanceOpportunity",
        ", $s: OpportunityStage!",
        ", stage: $s",
    );
    app.gql_error(token, &query, json!({ "id": id, "s": stage }))
        .await
}

async fn lose(app: &TestApp, token: &str, id: &str, reason: &str) -> Value {
    let query = mutation("loseOpportunity", ", $r: String!", ", reason: $r");
    app.gql(token, &query, json!({ "id": id, "r": reason }))
        .await["loseOpportunity"]
        .clone()
}

async fn update(app: &TestApp, token: &str, id: &str, input: Value) -> Value {
    let query = mutation(
        "updateOpportunity",
        ", $input: UpdateOpportunityInput!",
        ", input: $input",
    );
    app.gql(token, &query, json!({ "id": id, "input": input }))
        .await["updateOpportunity"]
        .clone()
}

async fn update_error(app: &TestApp, token: &str, id: &str, input: Value) -> (String, Value) {
    let query = mutation(
        "updateOpportunity",
        ", $input: UpdateOpportunityInput!",
        ", input: $input",
    );
    app.gql_error(token, &query, json!({ "id": id, "input": input }))
        .await
}

const TEAM_ARGS: &str = "$o: UUID!, $u: String!, $r: TeamRole!";

async fn team_change(
    app: &TestApp,
    token: &str,
    op: &str,
    id: &str,
    user: &str,
    role: &str,
) -> Value {
    let query = format!(
        "mutation({TEAM_ARGS}) {{ {op}(opportunityId: $o, userId: $u, role: $r) {{ {OPP} }} }}"
    );
    app.gql(token, &query, json!({ "o": id, "u": user, "r": role }))
        .await[op]
        .clone()
}

async fn team_change_error(
    app: &TestApp,
    token: &str,
    op: &str,
    id: &str,
    user: &str,
    role: &str,
) -> (String, Value) {
    let query = format!(
        "mutation({TEAM_ARGS}) {{ {op}(opportunityId: $o, userId: $u, role: $r) {{ id }} }}"
    );
    app.gql_error(token, &query, json!({ "o": id, "u": user, "r": role }))
        .await
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn field(error: &Value) -> &str {
    error["extensions"]["field"].as_str().unwrap_or_default()
}

/// The deal's history as `(from, to)` pairs, oldest first.
fn steps(opp: &Value) -> Vec<(Value, Value)> {
    opp["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["from"].clone(), t["to"].clone()))
        .collect()
}

/// The team as sorted `(userId, role)` pairs.
fn team(opp: &Value) -> Vec<(String, String)> {
    let mut members: Vec<(String, String)> = opp["team"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["userId"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    members.sort();
    members
}

fn pair(user: &str, role: &str) -> (String, String) {
    (user.to_owned(), role.to_owned())
}

async fn list(app: &TestApp, token: &str, args: Value) -> Value {
    app.gql(token, LIST, args).await["opportunities"].clone()
}

fn names(page: &Value) -> Vec<String> {
    page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Every name, following `endCursor` with pages of `size`.
async fn all_pages(app: &TestApp, token: &str, size: i64, args: Value) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after = Value::Null;
    for _ in 0..20 {
        let mut vars = args.clone();
        vars["first"] = json!(size);
        vars["after"] = after;
        let page = list(app, token, vars).await;
        seen.extend(names(&page));
        if page["pageInfo"]["hasNextPage"] != true {
            return seen;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    panic!("too many pages: {seen:?}");
}

#[tokio::test]
async fn an_opportunity_is_created_with_the_caller_as_its_only_ar_and_its_opening_recorded() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let account = create_account(&app, &alice, "Acme", None).await;
    let extra = json!({ "amount": { "amount": "12500.50", "currency": "EUR" }, "probability": 35 });
    let opp = create(&app, &alice, &account, "  Acme rollout ", extra).await;
    assert_eq!(opp["name"], "Acme rollout");
    assert_eq!(opp["accountId"], account.as_str());
    assert_eq!(opp["stage"], "DISCOVER");
    assert_eq!(
        opp["amount"],
        json!({ "amount": "12500.50", "currency": "EUR" })
    );
    assert_eq!(opp["expectedCloseDate"], "2030-06-30");
    assert_eq!(opp["probability"], 35);
    assert_eq!(opp["probabilityOverride"], 35);
    assert_eq!(opp["leadingRole"], "AR");
    assert_eq!(team(&opp), [pair("alice", "AR")]);
    assert_eq!(steps(&opp), [(Value::Null, json!("DISCOVER"))]);
    assert_eq!(opp["history"][0]["actorId"], "alice");
    assert_eq!(read(&app, &alice, &id(&opp)).await, opp);
}

#[tokio::test]
async fn bad_opportunity_input_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let account = create_account(&app, &alice, "Acme", None).await;
    let base = json!({ "accountId": account, "name": "Deal", "expectedCloseDate": "2030-01-31" });
    let cases = [
        (json!({ "name": "  " }), "name"),
        (json!({ "probability": 101 }), "probability"),
        (json!({ "probability": -1 }), "probability"),
        (
            json!({ "amount": { "amount": "-5", "currency": "EUR" } }),
            "amount.amount",
        ),
        (
            json!({ "amount": { "amount": "1.005", "currency": "EUR" } }),
            "amount.amount",
        ),
        (
            json!({ "amount": { "amount": "10", "currency": "EURO" } }),
            "amount.currency",
        ),
        (json!({ "accountId": uuid::Uuid::now_v7() }), "accountId"),
    ];
    for (change, expected) in cases {
        let mut input = base.clone();
        for (k, v) in change.as_object().unwrap() {
            input[k] = v.clone();
        }
        let (code, error) = app
            .gql_error(&alice, &create_query(), json!({ "input": input }))
            .await;
        assert_eq!(code, "VALIDATION", "{change}");
        assert_eq!(field(&error), expected, "{change}");
    }
    let viewer = app.token("vera", &["READONLY"]);
    let (code, _) = app
        .gql_error(&viewer, &create_query(), json!({ "input": base }))
        .await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(count(&app, "opportunities").await, 0);
}

#[tokio::test]
async fn updating_an_opportunity_changes_the_given_fields_and_null_clears_the_amount() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let account = create_account(&app, &alice, "Acme", None).await;
    let opp = create(&app, &alice, &account, "Deal", json!({})).await;
    let deal = id(&opp);
    assert!(opp["amount"].is_null());

    let input = json!({ "name": "Bigger deal", "expectedCloseDate": "2031-01-15",
        "amount": { "amount": "150000", "currency": "JPY" } });
    let updated = update(&app, &alice, &deal, input).await;
    assert_eq!(updated["name"], "Bigger deal");
    assert_eq!(updated["expectedCloseDate"], "2031-01-15");
    assert_eq!(
        updated["amount"],
        json!({ "amount": "150000", "currency": "JPY" })
    );
    assert_eq!(steps(&updated).len(), 1, "an edit is not a transition");

    let updated = update(&app, &alice, &deal, json!({ "amount": null })).await;
    assert!(updated["amount"].is_null());
    assert_eq!(updated["name"], "Bigger deal", "a field left out stays");

    let (code, error) = update_error(&app, &alice, &deal, json!({ "probability": 150 })).await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(field(&error), "probability");
    let (code, _) = update_error(&app, &alice, &deal, json!({ "name": "" })).await;
    assert_eq!(code, "VALIDATION");
    let after = read(&app, &alice, &deal).await;
    assert_eq!(after["name"], "Bigger deal");
    assert_eq!(after["probabilityOverride"], Value::Null);
    assert_eq!(after["updatedAt"], updated["updatedAt"]);
}

#[tokio::test]
async fn an_opportunity_with_a_quote_refuses_an_entered_amount() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, Database};
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let account = create_account(&app, &alice, "Acme", None).await;
    let amount = json!({ "amount": "100.00", "currency": "EUR" });
    let deal = id(&create(
        &app,
        &alice,
        &account,
        "Quoted",
        json!({ "amount": amount }),
    )
    .await);
    // A quote row written straight to the database: this test is about the
    // opportunity's rule, not about how quotes are made.
    let db = Database::connect(app.settings.store.database_url())
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let zero = entity::DecimalText(rust_decimal::Decimal::ZERO);
    entity::quote::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        opportunity_id: Set(deal.parse().unwrap()),
        version: Set(1),
        status: Set(entity::enums::QuoteStatus::Draft),
        currency: Set("EUR".into()),
        valid_until: Set(now.date_naive()),
        tax_rate: Set(zero),
        subtotal: Set(zero),
        discount_total: Set(zero),
        tax: Set(zero),
        total: Set(zero),
        author_id: Set("alice".into()),
        approved_by: Set(None),
        rejection_reason: Set(None),
        revises_id: Set(None),
        sent_at: Set(None),
        accepted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&db)
    .await
    .unwrap();
    db.close().await.unwrap();

    for input in [
        json!({ "amount": { "amount": "999.00", "currency": "EUR" } }),
        json!({ "amount": null }),
    ] {
        let (code, error) = update_error(&app, &alice, &deal, input.clone()).await;
        assert_eq!(code, "VALIDATION", "{input}");
        assert_eq!(field(&error), "amount", "{input}");
    }
    let after = read(&app, &alice, &deal).await;
    assert_eq!(after["amount"], amount);
    // Other fields may still change.
    let renamed = update(&app, &alice, &deal, json!({ "name": "Quoted deal" })).await;
    assert_eq!(renamed["name"], "Quoted deal");
}

#[tokio::test]
async fn an_opportunity_advances_one_or_several_stages_and_never_goes_back() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let account = create_account(&app, &alice, "Acme", None).await;
    let deal = id(&create(&app, &alice, &account, "Deal", json!({})).await);

    let opp = advance(&app, &alice, &deal, "QUALIFY").await;
    assert_eq!(opp["stage"], "QUALIFY");
    let opp = advance(&app, &alice, &deal, "NEGOTIATE").await;
    assert_eq!(opp["stage"], "NEGOTIATE");
    assert_eq!(opp["leadingRole"], "SR");
    assert_eq!(
        steps(&opp),
        [
            (Value::Null, json!("DISCOVER")),
            (json!("DISCOVER"), json!("QUALIFY")),
            (json!("QUALIFY"), json!("NEGOTIATE")),
        ]
    );

    for to in ["PROPOSE", "DISCOVER", "NEGOTIATE", "WON", "LOST"] {
        let (code, error) = advance_error(&app, &alice, &deal, to).await;
        assert_eq!(code, "INVALID_TRANSITION", "{to}");
        assert_eq!(error["extensions"]["from"], "NEGOTIATE", "{to}");
        assert_eq!(error["extensions"]["to"], to);
    }
    let after = read(&app, &alice, &deal).await;
    assert_eq!(after["stage"], "NEGOTIATE");
    assert_eq!(after["updatedAt"], opp["updatedAt"]);
    assert_eq!(steps(&after).len(), 3);
}

#[tokio::test]
async fn a_lost_opportunity_reopens_in_the_stage_it_was_lost_in_and_each_step_is_recorded() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let account = create_account(&app, &alice, "Acme", None).await;
    let deal = id(&create(&app, &alice, &account, "Deal", json!({})).await);
    advance(&app, &alice, &deal, "PROPOSE").await;

    let lost = lose(&app, &alice, &deal, "  Went with a competitor ").await;
    assert_eq!(lost["stage"], "LOST");
    assert_eq!(lost["lostReason"], "Went with a competitor");
    assert_eq!(lost["lostFromStage"], "PROPOSE");
    assert_eq!(lost["probability"], 0);
    assert_eq!(lost["leadingRole"], "AR");

    let query = mutation("reopenOpportunity", "", "");
    let reopened =
        app.gql(&alice, &query, json!({ "id": deal })).await["reopenOpportunity"].clone();
    assert_eq!(reopened["stage"], "PROPOSE");
    assert!(reopened["lostReason"].is_null());
    assert!(reopened["lostFromStage"].is_null());
    assert_eq!(
        steps(&reopened),
        [
            (Value::Null, json!("DISCOVER")),
            (json!("DISCOVER"), json!("PROPOSE")),
            (json!("PROPOSE"), json!("LOST")),
            (json!("LOST"), json!("PROPOSE")),
        ]
    );
    assert_eq!(reopened["history"][2]["reason"], "Went with a competitor");
    assert_eq!(reopened["history"][3]["actorId"], "alice");
}

#[tokio::test]
async fn losing_needs_a_reason_and_an_open_deal_and_only_a_lost_deal_reopens() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let account = create_account(&app, &alice, "Acme", None).await;
    let deal = id(&create(&app, &alice, &account, "Deal", json!({})).await);
    let lose_query = mutation("loseOpportunity", ", $r: String!", ", reason: $r");
    let reopen_query = mutation("reopenOpportunity", "", "");

    let (code, error) = app
        .gql_error(&alice, &lose_query, json!({ "id": deal, "r": "   " }))
        .await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(field(&error), "reason");
    let (code, error) = app
        .gql_error(&alice, &reopen_query, json!({ "id": deal }))
        .await;
    assert_eq!(code, "INVALID_TRANSITION");
    assert_eq!(error["extensions"]["from"], "DISCOVER");
    assert_eq!(read(&app, &alice, &deal).await["stage"], "DISCOVER");

    lose(&app, &alice, &deal, "No budget").await;
    let (code, error) = app
        .gql_error(&alice, &lose_query, json!({ "id": deal, "r": "Again" }))
        .await;
    assert_eq!(code, "INVALID_TRANSITION");
    assert_eq!(error["extensions"]["from"], "LOST");
    let (code, _) = advance_error(&app, &alice, &deal, "QUALIFY").await;
    assert_eq!(code, "INVALID_TRANSITION");
    let (code, error) = update_error(&app, &alice, &deal, json!({ "name": "Edited" })).await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(field(&error), "id");
    let after = read(&app, &alice, &deal).await;
    assert_eq!(after["lostReason"], "No budget");
    assert_eq!(after["name"], "Deal");
    assert_eq!(steps(&after).len(), 2);
}

#[tokio::test]
async fn probability_defaults_by_stage_until_overridden_and_null_clears_the_override() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let account = create_account(&app, &alice, "Acme", None).await;
    let deal = id(&create(&app, &alice, &account, "Deal", json!({})).await);
    let mut expected = vec![("DISCOVER", 10)];
    for (stage, p) in [("QUALIFY", 20), ("PROPOSE", 50), ("NEGOTIATE", 75)] {
        let opp = advance(&app, &alice, &deal, stage).await;
        assert_eq!(opp["probability"], p, "{stage}");
        assert!(opp["probabilityOverride"].is_null());
        expected.push((stage, p));
    }
    let opp = update(&app, &alice, &deal, json!({ "probability": 90 })).await;
    assert_eq!(opp["probability"], 90);
    assert_eq!(opp["probabilityOverride"], 90);
    let opp = update(&app, &alice, &deal, json!({ "name": "Renamed" })).await;
    assert_eq!(opp["probability"], 90, "left out, the override stays");
    let opp = update(&app, &alice, &deal, json!({ "probability": null })).await;
    assert_eq!(opp["probability"], 75);
    assert!(opp["probabilityOverride"].is_null());
    let opp = update(&app, &alice, &deal, json!({ "probability": 0 })).await;
    assert_eq!(opp["probability"], 0);
}

#[tokio::test]
async fn the_team_takes_several_srs_and_frs_and_refuses_a_role_a_member_already_has() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let account = create_account(&app, &alice, "Acme", None).await;
    let deal = id(&create(&app, &alice, &account, "Deal", json!({})).await);
    team_change(&app, &alice, "addTeamMember", &deal, "sam", "SR").await;
    team_change(&app, &alice, "addTeamMember", &deal, "sue", "SR").await;
    team_change(&app, &alice, "addTeamMember", &deal, "sam", "FR").await;
    let opp = team_change(&app, &alice, "addTeamMember", &deal, "fred", "FR").await;
    assert_eq!(
        team(&opp),
        [
            pair("alice", "AR"),
            pair("fred", "FR"),
            pair("sam", "FR"),
            pair("sam", "SR"),
            pair("sue", "SR"),
        ]
    );
    assert_eq!(steps(&opp).len(), 1, "team changes are not transitions");

    let (code, _) = team_change_error(&app, &alice, "addTeamMember", &deal, "sam", "SR").await;
    assert_eq!(code, "CONFLICT");
    let (code, _) = team_change_error(&app, &alice, "addTeamMember", &deal, "alice", "AR").await;
    assert_eq!(code, "CONFLICT");
    let (code, error) = team_change_error(&app, &alice, "addTeamMember", &deal, "  ", "FR").await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(field(&error), "userId");

    let opp = team_change(&app, &alice, "removeTeamMember", &deal, "sam", "SR").await;
    assert_eq!(team(&opp).len(), 4);
    assert!(!team(&opp).contains(&pair("sam", "SR")));
    assert!(team(&opp).contains(&pair("sam", "FR")));
    let (code, _) = team_change_error(&app, &alice, "removeTeamMember", &deal, "sam", "SR").await;
    assert_eq!(code, "NOT_FOUND");
    assert_eq!(team(&read(&app, &alice, &deal).await).len(), 4);
}

#[tokio::test]
async fn a_new_ar_replaces_the_old_one_in_one_step() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let account = create_account(&app, &manager, "Acme", None).await;
    let deal = id(&create(&app, &manager, &account, "Deal", json!({})).await);
    team_change(&app, &manager, "addTeamMember", &deal, "sam", "SR").await;
    let opp = team_change(&app, &manager, "addTeamMember", &deal, "sam", "AR").await;
    assert_eq!(team(&opp), [pair("sam", "AR"), pair("sam", "SR")]);
    let opp = team_change(&app, &manager, "addTeamMember", &deal, "bob", "AR").await;
    assert_eq!(team(&opp), [pair("bob", "AR"), pair("sam", "SR")]);
    let ars = team(&read(&app, &manager, &deal).await)
        .into_iter()
        .filter(|(_, role)| role == "AR")
        .count();
    assert_eq!(ars, 1);
}

#[tokio::test]
async fn removing_the_last_ar_is_refused_and_the_team_stays_as_it_was() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let account = create_account(&app, &alice, "Acme", None).await;
    let deal = id(&create(&app, &alice, &account, "Deal", json!({})).await);
    team_change(&app, &alice, "addTeamMember", &deal, "sam", "SR").await;
    let before = read(&app, &alice, &deal).await;
    let (code, error) =
        team_change_error(&app, &alice, "removeTeamMember", &deal, "alice", "AR").await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(field(&error), "role");
    let after = read(&app, &alice, &deal).await;
    assert_eq!(team(&after), [pair("alice", "AR"), pair("sam", "SR")]);
    assert_eq!(after["updatedAt"], before["updatedAt"]);
}

#[tokio::test]
async fn a_sales_user_acting_on_someone_elses_opportunity_gets_not_found_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let bob = app.token("bob", &["SALES"]);
    let account = create_account(&app, &alice, "Acme", None).await;
    let deal = id(&create(&app, &alice, &account, "Deal", json!({})).await);
    let before = read(&app, &alice, &deal).await;

    let query = "query($id: UUID!) { opportunity(id: $id) { id } }";
    let (code, _) = app.gql_error(&bob, query, json!({ "id": deal })).await;
    assert_eq!(code, "NOT_FOUND");
    let (code, _) = update_error(&app, &bob, &deal, json!({ "name": "Mine" })).await;
    assert_eq!(code, "NOT_FOUND");
    let (code, _) = advance_error(&app, &bob, &deal, "QUALIFY").await;
    assert_eq!(code, "NOT_FOUND");
    let lose_query = mutation("loseOpportunity", ", $r: String!", ", reason: $r");
    let (code, _) = app
        .gql_error(&bob, &lose_query, json!({ "id": deal, "r": "Spite" }))
        .await;
    assert_eq!(code, "NOT_FOUND");
    for (op, role) in [("addTeamMember", "AR"), ("removeTeamMember", "AR")] {
        let (code, _) = team_change_error(&app, &bob, op, &deal, "bob", role).await;
        assert_eq!(code, "NOT_FOUND", "{op}");
    }
    // Not even to make themselves AR of it with someone else's account in hand.
    let vars = json!({ "input": { "accountId": account, "name": "Sneaky",
        "expectedCloseDate": "2030-01-01" } });
    let (code, error) = app.gql_error(&bob, &create_query(), vars).await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(field(&error), "accountId");

    assert_eq!(read(&app, &alice, &deal).await, before);
    assert_eq!(count(&app, "opportunities").await, 1);
    let page = list(&app, &bob, json!({})).await;
    assert_eq!(page["totalCount"], 0);
}

#[tokio::test]
async fn a_sales_user_sees_deals_of_accounts_they_own_or_teams_they_sit_on() {
    let app = TestApp::spawn().await;
    let alice = app.token("alice", &["SALES"]);
    let bob = app.token("bob", &["SALES"]);
    let carol = app.token("carol", &["SALES"]);
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let alices = create_account(&app, &alice, "Alice's account", None).await;
    // Opened by the manager on Alice's account: Alice sees it as the owner.
    let owned = id(&create(&app, &manager, &alices, "Owned", json!({})).await);
    // Bob is only on the team of this one.
    let teamed = id(&create(&app, &alice, &alices, "Teamed", json!({})).await);
    team_change(&app, &alice, "addTeamMember", &teamed, "bob", "SR").await;

    let all = |page: Value| {
        let mut n = names(&page);
        n.sort();
        n
    };
    assert_eq!(
        all(list(&app, &alice, json!({})).await),
        ["Owned", "Teamed"]
    );
    assert_eq!(all(list(&app, &bob, json!({})).await), ["Teamed"]);
    assert_eq!(list(&app, &carol, json!({})).await["totalCount"], 0);
    assert_eq!(read(&app, &alice, &owned).await["name"], "Owned");
    assert_eq!(read(&app, &bob, &teamed).await["name"], "Teamed");

    // A team member may change what they see: Bob brings in an FR.
    let opp = team_change(&app, &bob, "addTeamMember", &teamed, "fred", "FR").await;
    assert!(team(&opp).contains(&pair("fred", "FR")));
    // Removed from the team, Bob no longer sees the deal.
    team_change(&app, &alice, "removeTeamMember", &teamed, "bob", "SR").await;
    let query = "query($id: UUID!) { opportunity(id: $id) { id } }";
    let (code, _) = app.gql_error(&bob, query, json!({ "id": teamed })).await;
    assert_eq!(code, "NOT_FOUND");
    let (code, _) = app.gql_error(&carol, query, json!({ "id": owned })).await;
    assert_eq!(code, "NOT_FOUND");
}

#[tokio::test]
async fn an_integration_token_cannot_change_a_deal_team() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let account = create_account(&app, &manager, "Acme", None).await;
    let deal = id(&create(&app, &manager, &account, "Deal", json!({})).await);
    let hook = app.token_with_scope("erp", &["INTEGRATION"], Some("accounts:write"));
    let (code, _) = team_change_error(&app, &hook, "addTeamMember", &deal, "x", "SR").await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(
        team(&read(&app, &manager, &deal).await),
        [pair("mia", "AR")]
    );
}

#[tokio::test]
async fn opportunities_filter_by_stage_account_team_member_and_close_date() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let acme = create_account(&app, &manager, "Acme", None).await;
    let globex = create_account(&app, &manager, "Globex", None).await;
    let mut ids = std::collections::HashMap::new();
    for (name, account, close) in [
        ("A", &acme, "2030-01-10"),
        ("B", &acme, "2030-02-10"),
        ("C", &globex, "2030-03-10"),
        ("D", &globex, "2030-04-10"),
    ] {
        let extra = json!({ "expectedCloseDate": close });
        ids.insert(
            name,
            id(&create(&app, &manager, account, name, extra).await),
        );
    }
    advance(&app, &manager, &ids["B"], "PROPOSE").await;
    advance(&app, &manager, &ids["C"], "NEGOTIATE").await;
    lose(&app, &manager, &ids["D"], "Timing").await;
    team_change(&app, &manager, "addTeamMember", &ids["A"], "sam", "SR").await;
    team_change(&app, &manager, "addTeamMember", &ids["C"], "sam", "FR").await;

    let by_close = json!({ "field": "CLOSE_DATE", "direction": "ASC" });
    let cases = [
        (json!({ "stage": ["PROPOSE", "NEGOTIATE"] }), vec!["B", "C"]),
        (json!({ "stage": ["LOST"] }), vec!["D"]),
        (json!({ "accountId": acme }), vec!["A", "B"]),
        (json!({ "teamMemberId": "sam" }), vec!["A", "C"]),
        (json!({ "teamMemberId": "nobody" }), vec![]),
        (
            json!({ "expectedCloseAfter": "2030-02-10", "expectedCloseBefore": "2030-04-10" }),
            vec!["B", "C"],
        ),
        (
            json!({ "accountId": globex, "stage": ["NEGOTIATE", "LOST"], "teamMemberId": "sam" }),
            vec!["C"],
        ),
    ];
    for (filter, expected) in cases {
        let page = list(
            &app,
            &manager,
            json!({ "filter": filter, "orderBy": by_close }),
        )
        .await;
        assert_eq!(names(&page), expected, "{filter}");
        assert_eq!(page["totalCount"], expected.len(), "{filter}");
    }
}

#[tokio::test]
async fn opportunities_order_by_close_date_across_pages_both_ways() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let account = create_account(&app, &manager, "Acme", None).await;
    // Created out of date order, with two deals on one day.
    for (name, close) in [
        ("d4", "2030-04-01"),
        ("d1", "2030-01-01"),
        ("d6", "2030-06-01"),
        ("d3", "2030-03-01"),
        ("d3b", "2030-03-01"),
        ("d2", "2030-02-01"),
        ("d5", "2030-05-01"),
    ] {
        create(
            &app,
            &manager,
            &account,
            name,
            json!({ "expectedCloseDate": close }),
        )
        .await;
    }
    let asc = json!({ "orderBy": { "field": "CLOSE_DATE", "direction": "ASC" } });
    let seen = all_pages(&app, &manager, 3, asc.clone()).await;
    assert_eq!(seen.len(), 7);
    assert_eq!(&seen[..2], ["d1", "d2"]);
    let mut same_day = seen[2..4].to_vec();
    same_day.sort();
    assert_eq!(same_day, ["d3", "d3b"]);
    assert_eq!(&seen[4..], ["d4", "d5", "d6"]);

    let desc = json!({ "orderBy": { "field": "CLOSE_DATE", "direction": "DESC" } });
    let mut reversed = all_pages(&app, &manager, 2, desc).await;
    reversed.reverse();
    assert_eq!(reversed, seen);

    let mut vars = asc.clone();
    vars["last"] = json!(2);
    let tail = list(&app, &manager, vars).await;
    assert_eq!(names(&tail), ["d5", "d6"]);
    assert_eq!(tail["pageInfo"]["hasPreviousPage"], true);
    let mut vars = asc.clone();
    vars["last"] = json!(3);
    vars["before"] = tail["pageInfo"]["startCursor"].clone();
    assert_eq!(
        names(&list(&app, &manager, vars).await),
        seen[2..5].to_vec()
    );

    // A cursor made under another ordering is refused.
    let mut vars = json!({ "orderBy": { "field": "UPDATED_AT", "direction": "ASC" } });
    vars["after"] = tail["pageInfo"]["startCursor"].clone();
    let (code, error) = app.gql_error(&manager, LIST, vars).await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(field(&error), "after");
}

#[tokio::test]
async fn ordering_by_amount_pages_through_the_deals_with_an_amount_in_that_currency() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let account = create_account(&app, &manager, "Acme", None).await;
    let eur = |a: &str| json!({ "amount": { "amount": a, "currency": "EUR" } });
    for (name, extra) in [
        ("e300", eur("300")),
        ("none", json!({})),
        ("e50", eur("50.00")),
        ("e1000", eur("1000.01")),
        (
            "usd10",
            json!({ "amount": { "amount": "10", "currency": "USD" } }),
        ),
        ("e300b", eur("300.00")),
        ("e0", eur("0")),
        ("e75", eur("75.5")),
    ] {
        create(&app, &manager, &account, name, extra).await;
    }
    let args = |direction: &str| {
        json!({ "filter": { "currency": "EUR" },
                "orderBy": { "field": "AMOUNT", "direction": direction } })
    };
    let asc = all_pages(&app, &manager, 2, args("ASC")).await;
    assert_eq!(asc.len(), 6, "{asc:?}");
    assert_eq!(&asc[..3], ["e0", "e50", "e75"]);
    let mut tie = asc[3..5].to_vec();
    tie.sort();
    assert_eq!(tie, ["e300", "e300b"]);
    assert_eq!(asc[5], "e1000");
    let mut desc = all_pages(&app, &manager, 4, args("DESC")).await;
    desc.reverse();
    assert_eq!(desc, asc);
    assert_eq!(list(&app, &manager, args("ASC")).await["totalCount"], 6);

    // Amounts in different currencies do not compare: the order needs one.
    let vars = json!({ "orderBy": { "field": "AMOUNT", "direction": "ASC" } });
    let (code, error) = app.gql_error(&manager, LIST, vars).await;
    assert_eq!(code, "VALIDATION");
    assert_eq!(field(&error), "filter.currency");
}

#[tokio::test]
async fn the_amount_range_compares_minor_units_within_one_currency() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let account = create_account(&app, &manager, "Acme", None).await;
    for (name, amount, currency) in [
        ("e99.99", "99.99", "EUR"),
        ("e100", "100", "EUR"),
        ("e250.50", "250.50", "EUR"),
        ("e500", "500", "EUR"),
        ("y200", "200", "JPY"),
    ] {
        let extra = json!({ "amount": { "amount": amount, "currency": currency } });
        create(&app, &manager, &account, name, extra).await;
    }
    create(&app, &manager, &account, "none", json!({})).await;
    let by_amount = json!({ "field": "AMOUNT", "direction": "ASC" });
    let cases = [
        (
            json!({ "currency": "EUR", "amountMin": "100", "amountMax": "250.50" }),
            vec!["e100", "e250.50"],
        ),
        (
            json!({ "currency": "EUR", "amountMin": "100.01" }),
            vec!["e250.50", "e500"],
        ),
        (
            json!({ "currency": "EUR", "amountMax": "99.99" }),
            vec!["e99.99"],
        ),
        (
            json!({ "currency": "JPY", "amountMin": "100" }),
            vec!["y200"],
        ),
        (json!({ "currency": "JPY", "amountMax": "100" }), vec![]),
    ];
    for (filter, expected) in cases {
        let vars = json!({ "filter": filter, "orderBy": by_amount });
        let page = list(&app, &manager, vars).await;
        assert_eq!(names(&page), expected, "{filter}");
        assert_eq!(page["totalCount"], expected.len(), "{filter}");
    }
    for (filter, expected) in [
        (json!({ "amountMin": "10" }), "filter.currency"),
        (
            json!({ "currency": "EUR", "amountMin": "-1" }),
            "filter.amountMin.amount",
        ),
        (
            json!({ "currency": "JPY", "amountMax": "1.5" }),
            "filter.amountMax.amount",
        ),
        (
            json!({ "currency": "eur", "amountMax": "1" }),
            "filter.currency",
        ),
    ] {
        let (code, error) = app
            .gql_error(&manager, LIST, json!({ "filter": filter }))
            .await;
        assert_eq!(code, "VALIDATION", "{filter}");
        assert_eq!(field(&error), expected, "{filter}");
    }
}

#[tokio::test]
async fn ordering_by_updated_at_puts_the_latest_change_first() {
    let app = TestApp::spawn().await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let account = create_account(&app, &manager, "Acme", None).await;
    let first = id(&create(&app, &manager, &account, "first", json!({})).await);
    create(&app, &manager, &account, "second", json!({})).await;
    create(&app, &manager, &account, "third", json!({})).await;
    advance(&app, &manager, &first, "QUALIFY").await;
    let vars = json!({ "orderBy": { "field": "UPDATED_AT", "direction": "DESC" } });
    let seen = all_pages(&app, &manager, 2, vars).await;
    assert_eq!(seen, ["first", "third", "second"]);
    let vars = json!({ "orderBy": { "field": "CREATED_AT", "direction": "ASC" } });
    assert_eq!(
        all_pages(&app, &manager, 2, vars).await,
        ["first", "second", "third"]
    );
}
