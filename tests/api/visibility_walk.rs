//! Every path to a record applies the one visibility rule. The test does not
//! list queries: it introspects the served schema, generates a query for
//! every root field (ids of every record of the data set for `UUID`
//! arguments, `first: 50` for connections, other required arguments filled
//! by type) selecting, a few levels deep, every field that can lead to a
//! record and the `id` of every object that has one, and runs them as a
//! `SALES` user who must not see part of the data. No hidden id may appear
//! anywhere in any answer; errors may only be `NOT_FOUND` or `FORBIDDEN`. A
//! field added later without the rule makes this fail.
//!
//! The same walk run by a sales manager must reach every hidden record, and
//! the intruder's walk every record they do see, so the test cannot pass by
//! reaching nothing. Finance and delivery tokens walk too: no lead (nor, for
//! delivery, receivable or payment) may reach them by any path.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, test_settings},
    lead_to_cash::executing_contract,
};

/// Records below the root field's own, counted without connection wrappers.
const RECORD_DEPTH: usize = 4;

/// Fields the walk cannot fill generically (a required argument of a type it
/// has no value for). Each must be covered elsewhere; a new one fails here
/// until it is looked at and listed.
const SKIPPED: &[&str] = &[];

const INTROSPECTION: &str = "{ __schema { queryType { name } types { kind name
  fields { name args { name defaultValue type { ...T } } type { ...T } }
  inputFields { name defaultValue type { ...T } }
  enumValues { name } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }";

fn id(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not an id: {v}"))
        .to_owned()
}

/// The ids the intruder must not see, and those they must, by label.
struct World {
    hidden: BTreeMap<String, String>,
    visible: BTreeMap<String, String>,
}

async fn capture(app: &TestApp, token: &str, email: &str, last: &str) -> String {
    let data = app
        .gql(
            token,
            "mutation($e: String!, $l: String!) { captureLead(input: {source: WEB, email: $e, lastName: $l}) { lead { id } } }",
            json!({ "e": email, "l": last }),
        )
        .await;
    id(&data["captureLead"]["lead"]["id"])
}

/// Links an invoice to the receivable and pays 1.00 of it; the payment's id.
async fn pay(app: &TestApp, finance: &str, receivable: &str, reference: &str) -> String {
    app.gql(
        finance,
        "mutation($r: UUID!, $i: String!) { linkInvoice(receivableId: $r, billingInvoiceId: $i, invoicedAt: \"2026-10-02T00:00:00Z\") { id } }",
        json!({ "r": receivable, "i": reference }),
    )
    .await;
    let paid = app
        .gql(
            finance,
            "mutation($r: UUID!, $ref: String!) { recordPayment(receivableId: $r, amount: {amount: \"1.00\", currency: \"EUR\"}, receivedAt: \"2026-10-03T00:00:00Z\", reference: $ref) { payment { id } } }",
            json!({ "r": receivable, "ref": reference }),
        )
        .await;
    id(&paid["recordPayment"]["payment"]["id"])
}

async fn first_receivable(app: &TestApp, token: &str, contract: &str) -> String {
    let data = app
        .gql(
            token,
            "query($c: UUID!) { receivables(first: 1, filter: {contractId: $c}) { edges { node { id } } } }",
            json!({ "c": contract }),
        )
        .await;
    id(&data["receivables"]["edges"][0]["node"]["id"])
}

async fn purchase_order(
    app: &TestApp,
    token: &str,
    contract: &str,
    line: &str,
    number: &str,
) -> String {
    let data = app
        .gql(
            token,
            "mutation($c: UUID!, $n: String!, $l: UUID!) { createPurchaseOrder(contractId: $c, poNumber: $n, lines: [{contractLineId: $l, quantity: \"1\"}]) { id } }",
            json!({ "c": contract, "n": number, "l": line }),
        )
        .await;
    id(&data["createPurchaseOrder"]["id"])
}

/// `sam` (SALES) is the SR on alice's Acme deal. He must not see: the lead
/// that deal came from (alice's), Acme's other deal and its quote, alice's
/// Globex account with its contact, deal, quote, contract, PO, receivable,
/// payment, service case and the lead it raised, and alice's leads that his
/// own leads duplicate or are duplicated by.
async fn world(app: &TestApp) -> World {
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let alice = app.token("alice", &["SALES"]);
    let sam = app.token("sam", &["SALES"]);
    let finance = app.token("fin", &["FINANCE"]);
    let mut hidden = BTreeMap::new();
    let mut visible = BTreeMap::new();

    let deal = executing_contract(app).await;
    let acme = app
        .gql(
            &alice,
            "query($id: UUID!) { opportunity(id: $id) { account { id contacts { id } } lead { id } acceptedQuote { id } } }",
            json!({ "id": deal.opportunity }),
        )
        .await["opportunity"]
        .clone();
    let acme_id = id(&acme["account"]["id"]);
    hidden.insert("the team deal's lead".into(), id(&acme["lead"]["id"]));
    visible.insert("the team deal".into(), deal.opportunity.clone());
    visible.insert("the team deal's account".into(), acme_id.clone());
    visible.insert(
        "the team deal's contact".into(),
        id(&acme["account"]["contacts"][0]["id"]),
    );
    visible.insert(
        "the team deal's quote".into(),
        id(&acme["acceptedQuote"]["id"]),
    );
    visible.insert("the team deal's contract".into(), deal.contract.clone());
    let (line, _) = &deal.lines[0];
    visible.insert(
        "the team deal's PO".into(),
        purchase_order(app, &alice, &deal.contract, line, "PO-ACME").await,
    );
    let acme_receivable = first_receivable(app, &alice, &deal.contract).await;
    visible.insert("the team deal's receivable".into(), acme_receivable.clone());
    visible.insert(
        "the team deal's payment".into(),
        pay(app, &finance, &acme_receivable, "INV-ACME").await,
    );

    let products = app
        .gql(
            &manager,
            "{ products(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let product = id(&products["products"]["edges"][0]["node"]["id"]);
    let valid_until = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
    let open_deal = |account: String, name: &'static str| {
        let alice = alice.clone();
        async move {
            let data = app
                .gql(
                    &alice,
                    "mutation($a: UUID!, $n: String!) { createOpportunity(input: {accountId: $a, name: $n, expectedCloseDate: \"2030-01-01\"}) { id } }",
                    json!({ "a": account, "n": name }),
                )
                .await;
            id(&data["createOpportunity"]["id"])
        }
    };
    let quote = |opportunity: String| {
        let alice = alice.clone();
        let valid_until = valid_until.clone();
        let product = product.clone();
        async move {
            let data = app
                .gql(
                    &alice,
                    "mutation($input: CreateQuoteInput!) { createQuote(input: $input) { id } }",
                    json!({ "input": {
                        "opportunityId": opportunity, "currency": "EUR", "validUntil": valid_until,
                        "lines": [{ "productId": product, "quantity": "1" }],
                    }}),
                )
                .await;
            id(&data["createQuote"]["id"])
        }
    };

    // The account's other deal: sam sits on one deal's team, not this one's.
    let other = open_deal(acme_id.clone(), "Acme other").await;
    hidden.insert("the account's other deal".into(), other.clone());
    hidden.insert("the other deal's quote".into(), quote(other).await);

    // Globex, alice's alone, all the way to cash.
    let globex = app
        .gql(
            &alice,
            "mutation { createAccount(input: {name: \"Globex\", website: \"globex.test\"}) { id } }",
            json!({}),
        )
        .await;
    let globex = id(&globex["createAccount"]["id"]);
    hidden.insert("another's account".into(), globex.clone());
    let contact = app
        .gql(
            &alice,
            "mutation($a: UUID!) { createContact(input: {accountId: $a, lastName: \"Buyer\", email: \"buyer@globex.test\"}) { id } }",
            json!({ "a": globex }),
        )
        .await;
    hidden.insert(
        "another's contact".into(),
        id(&contact["createContact"]["id"]),
    );
    let globex_deal = open_deal(globex.clone(), "Globex deal").await;
    hidden.insert("another's deal".into(), globex_deal.clone());
    let globex_quote = quote(globex_deal).await;
    hidden.insert("another's quote".into(), globex_quote.clone());
    for action in ["submitQuote", "sendQuote", "acceptQuote"] {
        app.gql(
            &alice,
            &format!("mutation($id: UUID!) {{ {action}(id: $id) {{ id }} }}"),
            json!({ "id": globex_quote }),
        )
        .await;
    }
    let contract = app
        .gql(
            &alice,
            "mutation($q: UUID!) { createContractFromQuote(quoteId: $q, paymentTerms: [{ trigger: ON_SIGNING, percent: \"100\", dueInDays: 14 }]) { id lines { id } } }",
            json!({ "q": globex_quote }),
        )
        .await["createContractFromQuote"]
        .clone();
    let globex_contract = id(&contract["id"]);
    hidden.insert("another's contract".into(), globex_contract.clone());
    app.gql(
        &alice,
        "mutation($id: UUID!) { signContract(id: $id) { id } }",
        json!({ "id": globex_contract }),
    )
    .await;
    hidden.insert(
        "another's PO".into(),
        purchase_order(
            app,
            &alice,
            &globex_contract,
            &id(&contract["lines"][0]["id"]),
            "PO-GLOBEX",
        )
        .await,
    );
    let globex_receivable = first_receivable(app, &alice, &globex_contract).await;
    hidden.insert("another's receivable".into(), globex_receivable.clone());
    hidden.insert(
        "another's payment".into(),
        pay(app, &finance, &globex_receivable, "INV-GLOBEX").await,
    );
    let case = app
        .gql(
            &alice,
            "mutation($a: UUID!) { logServiceCase(accountId: $a, subject: \"More seats\", kind: UPSELL_SIGNAL) { id lead { id } } }",
            json!({ "a": globex }),
        )
        .await["logServiceCase"]
        .clone();
    hidden.insert("another's service case".into(), id(&case["id"]));
    hidden.insert(
        "the lead a service case raised".into(),
        id(&case["lead"]["id"]),
    );

    // Leads and their duplicates both ways.
    hidden.insert(
        "another's lead sam's duplicates".into(),
        capture(app, &alice, "dup@x.test", "First").await,
    );
    visible.insert(
        "sam's duplicate lead".into(),
        capture(app, &sam, "dup@x.test", "Second").await,
    );
    visible.insert(
        "sam's original lead".into(),
        capture(app, &sam, "two@x.test", "Original").await,
    );
    hidden.insert(
        "another's lead duplicating sam's".into(),
        capture(app, &alice, "two@x.test", "Later").await,
    );
    visible.insert(
        "sam's lead duplicating another's contact".into(),
        capture(app, &sam, "buyer@globex.test", "Buyer").await,
    );
    World { hidden, visible }
}

/// A type reference from introspection, unwrapped.
fn named(t: &Value) -> (&str, &str) {
    let mut t = t;
    while t["name"].is_null() {
        t = &t["ofType"];
    }
    (t["kind"].as_str().unwrap(), t["name"].as_str().unwrap())
}

fn required(arg: &Value) -> bool {
    arg["type"]["kind"] == "NON_NULL" && arg["defaultValue"].is_null()
}

struct Schema {
    types: HashMap<String, Value>,
    /// Object types from which some object with an `id` can be reached.
    leads_to_records: BTreeSet<String>,
}

impl Schema {
    fn new(introspection: &Value) -> Schema {
        let types: HashMap<String, Value> = introspection["__schema"]["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone()))
            .collect();
        let fields = |t: &Value| t["fields"].as_array().cloned().unwrap_or_default();
        let mut leads: BTreeSet<String> = types
            .iter()
            .filter(|(_, t)| fields(t).iter().any(|f| f["name"] == "id"))
            .map(|(n, _)| n.clone())
            .collect();
        loop {
            let more: Vec<String> = types
                .iter()
                .filter(|(n, t)| {
                    !leads.contains(*n)
                        && fields(t)
                            .iter()
                            .any(|f| leads.contains(named(&f["type"]).1))
                })
                .map(|(n, _)| n.clone())
                .collect();
            if more.is_empty() {
                break;
            }
            leads.extend(more);
        }
        Schema {
            types,
            leads_to_records: leads,
        }
    }

    fn fields(&self, type_name: &str) -> Vec<Value> {
        self.types[type_name]["fields"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Connection and edge wrappers do not count as a level of records.
    fn is_wrapper(&self, type_name: &str) -> bool {
        self.fields(type_name)
            .iter()
            .any(|f| f["name"] == "edges" || f["name"] == "node")
    }

    /// A GraphQL literal for a required input of this type, if the walk has one.
    fn literal(&self, t: &Value, dates: &mut usize) -> Option<String> {
        if t["kind"] == "NON_NULL" {
            return self.literal(&t["ofType"], dates);
        }
        if t["kind"] == "LIST" {
            return Some("[]".into());
        }
        let (kind, name) = named(t);
        match (kind, name) {
            ("SCALAR", "String") => Some("\"EUR\"".into()),
            ("SCALAR", "Int") => Some("1".into()),
            ("SCALAR", "Boolean") => Some("false".into()),
            ("SCALAR", "Decimal") => Some("\"1\"".into()),
            ("SCALAR", "NaiveDate") => Some("\"2099-12-31\"".into()),
            // Successive date-times rise, so a `from` comes before its `to`.
            ("SCALAR", "DateTime") => {
                *dates += 1;
                Some(if *dates % 2 == 1 {
                    "\"2000-01-01T00:00:00Z\"".into()
                } else {
                    "\"2099-12-31T00:00:00Z\"".into()
                })
            }
            ("ENUM", _) => self.types[name]["enumValues"][0]["name"]
                .as_str()
                .map(str::to_owned),
            ("INPUT_OBJECT", _) => {
                let mut parts = Vec::new();
                for field in self.types[name]["inputFields"].as_array().unwrap() {
                    if required(field) {
                        let value = self.literal(&field["type"], dates)?;
                        parts.push(format!("{}: {value}", field["name"].as_str().unwrap()));
                    }
                }
                Some(format!("{{{}}}", parts.join(", ")))
            }
            _ => None,
        }
    }

    /// The arguments of `field`, with `$id` for a required `UUID`; `None`
    /// when a required one cannot be filled.
    fn arguments(&self, field: &Value, allow_id: bool) -> Option<(String, bool)> {
        let mut parts = Vec::new();
        let mut uses_id = false;
        let mut dates = 0;
        for arg in field["args"].as_array().unwrap() {
            let name = arg["name"].as_str().unwrap();
            if required(arg) {
                if named(&arg["type"]).1 == "UUID" && arg["type"]["ofType"]["kind"] == "SCALAR" {
                    if !allow_id || uses_id {
                        return None;
                    }
                    uses_id = true;
                    parts.push(format!("{name}: $id"));
                } else {
                    parts.push(format!(
                        "{name}: {}",
                        self.literal(&arg["type"], &mut dates)?
                    ));
                }
            } else if name == "first" {
                parts.push("first: 50".into());
            }
        }
        let text = if parts.is_empty() {
            String::new()
        } else {
            format!("({})", parts.join(", "))
        };
        Some((text, uses_id))
    }

    /// The selection under an object: its `id`, and every field that can
    /// lead to a record, `depth` levels of records down.
    fn selection(&self, type_name: &str, depth: usize, skipped: &mut BTreeSet<String>) -> String {
        let mut parts = Vec::new();
        let fields = self.fields(type_name);
        if fields.iter().any(|f| f["name"] == "id") {
            parts.push("id".to_owned());
        }
        let below = if self.is_wrapper(type_name) {
            depth
        } else {
            depth + 1
        };
        if below <= RECORD_DEPTH {
            for field in &fields {
                let (kind, target) = named(&field["type"]);
                if kind != "OBJECT" || !self.leads_to_records.contains(target) {
                    continue;
                }
                let name = field["name"].as_str().unwrap();
                let Some((args, _)) = self.arguments(field, false) else {
                    skipped.insert(format!("{type_name}.{name}"));
                    continue;
                };
                let inner = self.selection(target, below, skipped);
                parts.push(format!("{name}{args} {{ {inner} }}"));
            }
        }
        if parts.is_empty() {
            parts.push("__typename".into());
        }
        parts.join(" ")
    }

    /// One query per root field: `(field, document, takes $id)`.
    fn root_queries(&self, skipped: &mut BTreeSet<String>) -> Vec<(String, String, bool)> {
        let root = self
            .types
            .values()
            .find(|t| t["name"] == "Query")
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .unwrap();
        let mut queries = Vec::new();
        for field in self.fields(&root) {
            let name = field["name"].as_str().unwrap().to_owned();
            let Some((args, uses_id)) = self.arguments(&field, true) else {
                skipped.insert(format!("{root}.{name}"));
                continue;
            };
            let (kind, target) = named(&field["type"]);
            let selection = if kind == "OBJECT" {
                format!(" {{ {} }}", self.selection(target, 0, skipped))
            } else {
                String::new()
            };
            let header = if uses_id {
                "query($id: UUID!)"
            } else {
                "query"
            };
            queries.push((
                name.clone(),
                format!("{header} {{ {name}{args}{selection} }}"),
                uses_id,
            ));
        }
        queries
    }
}

fn strings(value: &Value, into: &mut BTreeSet<String>) {
    match value {
        Value::String(s) => {
            into.insert(s.clone());
        }
        Value::Array(items) => items.iter().for_each(|v| strings(v, into)),
        Value::Object(map) => map.values().for_each(|v| strings(v, into)),
        _ => {}
    }
}

/// Runs every generated query as `token`, each id-taking one with every id
/// of the world; returns every string seen in any answer, by the root field
/// that gave it. Fails on any error other than `NOT_FOUND` and `FORBIDDEN`.
async fn walk(
    app: &TestApp,
    token: &str,
    queries: &[(String, String, bool)],
    ids: &[String],
) -> BTreeMap<String, BTreeSet<String>> {
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (field, query, uses_id) in queries {
        let runs: Vec<Value> = if *uses_id {
            ids.iter().map(|i| json!({ "id": i })).collect()
        } else {
            vec![json!({})]
        };
        for variables in runs {
            let (status, body) = app.post(Some(token), query, variables.clone()).await;
            assert_eq!(status, 200, "{field} {variables}: {body}");
            for error in body["errors"].as_array().into_iter().flatten() {
                let code = error["extensions"]["code"].as_str().unwrap_or("");
                assert!(
                    matches!(code, "NOT_FOUND" | "FORBIDDEN"),
                    "{field} {variables}: unexpected error {error}\n{query}"
                );
            }
            let mut found = BTreeSet::new();
            strings(&body["data"], &mut found);
            seen.entry(format!("{field} {variables}"))
                .or_default()
                .extend(found);
        }
    }
    seen
}

#[tokio::test]
async fn no_field_of_the_schema_shows_a_sales_user_a_record_they_may_not_see() {
    // The walk's queries are deep and wide on purpose; the cost limits are
    // tested elsewhere.
    let (mut settings, dir) = test_settings().await;
    settings.limits.max_query_depth = 64;
    settings.limits.max_query_complexity = usize::MAX / 2;
    let app = TestApp::spawn_with(settings, dir).await;
    let world = world(&app).await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let sam = app.token("sam", &["SALES"]);

    let introspection = app.gql(&manager, INTROSPECTION, json!({})).await;
    let schema = Schema::new(&introspection);
    let mut skipped = BTreeSet::new();
    let queries = schema.root_queries(&mut skipped);
    let expected: BTreeSet<String> = SKIPPED.iter().map(|s| s.to_string()).collect();
    assert_eq!(skipped, expected, "fields the walk cannot fill changed");
    assert!(queries.len() > 20, "too few root fields: {}", queries.len());

    let ids: Vec<String> = world
        .hidden
        .values()
        .chain(world.visible.values())
        .cloned()
        .collect();

    // The walk reaches every hidden record when someone may see it...
    let managers = walk(&app, &manager, &queries, &ids).await;
    let reached: BTreeSet<&String> = managers.values().flatten().collect();
    for (label, hidden) in &world.hidden {
        assert!(reached.contains(hidden), "the walk never reaches {label}");
    }

    // ...never when the caller may not, and still what the caller may.
    let sams = walk(&app, &sam, &queries, &ids).await;
    let mut leaks = Vec::new();
    for (run, found) in &sams {
        for (label, hidden) in &world.hidden {
            if found.contains(hidden) {
                leaks.push(format!("{run} shows {label}"));
            }
        }
    }
    assert!(leaks.is_empty(), "leaks:\n{}", leaks.join("\n"));
    let reached: BTreeSet<&String> = sams.values().flatten().collect();
    for (label, visible) in &world.visible {
        assert!(reached.contains(visible), "sam never sees {label}");
    }

    // Roles without a kind's read capability see none of that kind, by any path.
    let all: Vec<(&String, &String)> = world.hidden.iter().chain(&world.visible).collect();
    for (roles, kinds) in [
        (&["FINANCE"][..], &["lead"][..]),
        (&["DELIVERY"][..], &["lead", "receivable", "payment"][..]),
    ] {
        let token = app.token("outsider", roles);
        let seen = walk(&app, &token, &queries, &ids).await;
        let reached: BTreeSet<&String> = seen.values().flatten().collect();
        for (label, record) in &all {
            if kinds.iter().any(|k| label.contains(k)) {
                assert!(!reached.contains(record), "{roles:?} reach {label}");
            }
        }
    }
}

#[tokio::test]
async fn a_deal_team_member_gets_the_deals_trace_without_the_lead_they_do_not_own() {
    let app = TestApp::spawn().await;
    let deal = executing_contract(&app).await;
    let alice = app.token("alice", &["SALES"]);
    let sam = app.token("sam", &["SALES"]);
    let trace = "query($id: UUID!) { leadToCash(opportunityId: $id) {
        opportunity { id } lead { id notes email history { to } } contracts { id }
        timing { leadCreatedAt } } }";
    let vars = json!({ "id": deal.opportunity });
    let owners = app.gql(&alice, trace, vars.clone()).await["leadToCash"].clone();
    let lead = id(&owners["lead"]["id"]);

    let members = app.gql(&sam, trace, vars.clone()).await["leadToCash"].clone();
    assert_eq!(members["lead"], Value::Null);
    assert_eq!(members["timing"]["leadCreatedAt"], Value::Null);
    assert_eq!(members["contracts"], owners["contracts"]);
    let (code, _) = app
        .gql_error(
            &sam,
            "query($id: UUID!) { lead(id: $id) { id } }",
            json!({ "id": lead }),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");

    // A READONLY role beside SALES reads every lead, so the trace shows it.
    let reader = app.token("sam", &["SALES", "READONLY"]);
    let read = app.gql(&reader, trace, vars).await["leadToCash"].clone();
    assert_eq!(read["lead"]["id"], owners["lead"]["id"]);
}
