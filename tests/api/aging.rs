//! Receivables aging through HTTP: buckets by days past due, as of past
//! dates (receivables settled later still owed then, paid ones gone, written
//! off ones before and after), the paged accounts, what a sales user sees,
//! and a report whose statement count does not grow with the accounts owing.

use serde_json::{Value, json};

use crate::{
    fixtures::{deal, product},
    helpers::TestApp,
    loaders::cost,
    quotes::{act, sent_quote},
};

const SIGNED: &str = "2026-06-01T10:00:00Z";
const INVOICED: &str = "2026-06-01T12:00:00Z";

fn finance(app: &TestApp) -> String {
    app.token("fiona", &["FINANCE"])
}

/// A product at 1.00 EUR a unit, so a quote for `n` units is worth `n` euros.
async fn unit(app: &TestApp) -> String {
    product(app, "UNIT", &[("EUR", "1")]).await
}

/// A new account owned by `owner` with a deal worth `euros`, signed on
/// 1 June 2026 with `ON_SIGNING` terms `(percent, dueInDays)` and every
/// receivable invoiced that day. Returns the account and its receivables,
/// soonest due first.
async fn owing(
    app: &TestApp,
    unit: &str,
    owner: &str,
    name: &str,
    euros: u32,
    terms: &[(&str, i32)],
) -> (String, Vec<String>) {
    let token = app.token(owner, &["SALES"]);
    let (opp, account) = deal(app, owner, name).await;
    let quote = sent_quote(app, &token, &opp, unit, &euros.to_string()).await;
    let quote = act(app, &token, "acceptQuote", quote["id"].as_str().unwrap()).await;
    let terms: Vec<Value> = terms
        .iter()
        .map(|(p, days)| json!({ "trigger": "ON_SIGNING", "percent": p, "dueInDays": days }))
        .collect();
    let contract = app
        .gql(
            &token,
            "mutation($q: UUID!, $terms: [PaymentTermInput!]!) { createContractFromQuote(quoteId: $q, paymentTerms: $terms) { id } }",
            json!({ "q": quote["id"], "terms": terms }),
        )
        .await["createContractFromQuote"]["id"]
        .clone();
    app.gql(
        &token,
        "mutation($id: UUID!, $at: DateTime!) { signContract(id: $id, signedAt: $at) { status } }",
        json!({ "id": contract, "at": SIGNED }),
    )
    .await;
    let rows = app
        .gql(
            &finance(app),
            "query($c: UUID!) { receivables(first: 20, filter: {contractId: $c}) { edges { node { id } } } }",
            json!({ "c": contract }),
        )
        .await["receivables"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    for id in &rows {
        let linked = app
            .gql(
                &finance(app),
                "mutation($r: UUID!, $i: String!, $at: DateTime!) { linkInvoice(receivableId: $r, billingInvoiceId: $i, invoicedAt: $at) { status } }",
                json!({ "r": id, "i": format!("INV-{id}"), "at": INVOICED }),
            )
            .await;
        assert_eq!(linked["linkInvoice"]["status"], "INVOICED");
    }
    (account, rows)
}

async fn pay(app: &TestApp, receivable: &str, amount: &str, at: &str) -> Value {
    app.gql(
        &finance(app),
        "mutation($r: UUID!, $a: Decimal!, $at: DateTime!, $ref: String!) { recordPayment(receivableId: $r, amount: {amount: $a, currency: \"EUR\"}, receivedAt: $at, reference: $ref) { receivable { status } } }",
        json!({ "r": receivable, "a": amount, "at": at, "ref": format!("BANK-{at}") }),
    )
    .await["recordPayment"]["receivable"]["status"]
        .clone()
}

const BUCKETS: &str = "current { amount } days1To30 { amount } days31To60 { amount } days61To90 { amount } over90Days { amount } total { amount }";

/// The aging report as `token` sees it on `as_of`; `page` is the
/// arguments of `accounts`, e.g. `(first: 2)`.
async fn aging(app: &TestApp, token: &str, as_of: &str, page: &str) -> Value {
    let query = format!(
        "query($d: NaiveDate!) {{ receivablesAging(asOf: $d, currency: \"EUR\") {{
            overall {{ {BUCKETS} }}
            accounts{page} {{ totalCount pageInfo {{ hasNextPage hasPreviousPage endCursor }}
                edges {{ cursor node {{ accountId account {{ name }} buckets {{ total {{ amount }} }} }} }} }} }} }}"
    );
    app.gql(token, &query, json!({ "d": as_of })).await["receivablesAging"].clone()
}

/// (account id, total owed) per row of a page, in order.
fn rows(report: &Value) -> Vec<(String, String)> {
    report["accounts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["accountId"].as_str().unwrap().to_owned(),
                e["node"]["buckets"]["total"]["amount"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect()
}

fn total(report: &Value) -> &str {
    report["overall"]["total"]["amount"].as_str().unwrap()
}

#[tokio::test]
async fn each_receivable_falls_in_the_bucket_of_its_days_past_due() {
    let app = TestApp::spawn().await;
    let unit = unit(&app).await;
    // On 9 September, 100 days after signing: due in 105 and 100 days is
    // current (−5, 0), 99 and 70 are 1 and 30 days late, 69 and 40 are 31
    // and 60, 39 and 10 are 61 and 90, 9 is 91.
    let terms = [
        ("32", 9),
        ("12", 10),
        ("11", 39),
        ("10", 40),
        ("9", 69),
        ("8", 70),
        ("7", 99),
        ("6", 100),
        ("5", 105),
    ];
    owing(&app, &unit, "alice", "Acme", 1000, &terms).await;
    let report = aging(&app, &finance(&app), "2026-09-09", "").await;
    assert_eq!(
        report["overall"],
        json!({
            "current": { "amount": "110.00" },
            "days1To30": { "amount": "150.00" },
            "days31To60": { "amount": "190.00" },
            "days61To90": { "amount": "230.00" },
            "over90Days": { "amount": "320.00" },
            "total": { "amount": "1000.00" },
        })
    );
    assert_eq!(report["accounts"]["totalCount"], 1);
    // Nothing invoiced before the day of signing.
    let before = aging(&app, &finance(&app), "2026-05-31", "").await;
    assert_eq!(total(&before), "0.00");
    assert_eq!(before["accounts"]["totalCount"], 0);
    // DSO reads the same overall total: 1000.00 owed ÷ 1000.00 invoiced × 120.
    let dso = app
        .gql(
            &finance(&app),
            "{ dso(asOf: \"2026-09-09\", days: 120, currency: \"EUR\") { days owed { amount } } }",
            json!({}),
        )
        .await["dso"]
        .clone();
    assert_eq!(
        dso,
        json!({ "days": "120", "owed": { "amount": "1000.00" } })
    );
}

#[tokio::test]
async fn aging_as_of_a_past_date_counts_what_a_receivable_paid_later_still_owed_then() {
    let app = TestApp::spawn().await;
    let unit = unit(&app).await;
    let (acme, r) = owing(&app, &unit, "alice", "Acme", 1000, &[("100", 14)]).await;
    let (bolt, _) = owing(&app, &unit, "alice", "Bolt", 700, &[("100", 14)]).await;
    // The later payment is recorded first: the receivable is paid in full
    // when the earlier one is recorded, but stopped owing on 1 August.
    assert_eq!(
        pay(&app, &r[0], "600.00", "2026-08-01T09:00:00Z").await,
        "PARTIALLY_PAID"
    );
    assert_eq!(
        pay(&app, &r[0], "400.00", "2026-07-01T09:00:00Z").await,
        "PAID"
    );
    let f = finance(&app);

    let june = aging(&app, &f, "2026-06-30", "").await;
    assert_eq!(total(&june), "1700.00");
    assert_eq!(
        rows(&june),
        vec![
            (acme.clone(), "1000.00".into()),
            (bolt.clone(), "700.00".into())
        ]
    );
    // Mid July only the 400.00 had arrived: 600.00 still owed, now less than Bolt.
    let july = aging(&app, &f, "2026-07-15", "").await;
    assert_eq!(total(&july), "1300.00");
    assert_eq!(
        rows(&july),
        vec![
            (bolt.clone(), "700.00".into()),
            (acme.clone(), "600.00".into())
        ]
    );
    // Paid in full by the end of 1 August: Acme is gone from the report.
    for day in ["2026-08-01", "2026-11-01"] {
        let after = aging(&app, &f, day, "").await;
        assert_eq!(total(&after), "700.00");
        assert_eq!(rows(&after), vec![(bolt.clone(), "700.00".into())]);
        assert_eq!(after["accounts"]["totalCount"], 1);
    }
}

#[tokio::test]
async fn a_receivable_written_off_counts_before_the_write_off_and_not_after() {
    let app = TestApp::spawn().await;
    let unit = unit(&app).await;
    let (acme, r) = owing(&app, &unit, "alice", "Acme", 1000, &[("100", 14)]).await;
    assert_eq!(
        pay(&app, &r[0], "250.00", "2026-07-01T09:00:00Z").await,
        "PARTIALLY_PAID"
    );
    let written = app
        .gql(
            &finance(&app),
            "mutation($r: UUID!) { writeOffReceivable(id: $r, reason: \"Insolvent\") { status closedAt } }",
            json!({ "r": r[0] }),
        )
        .await["writeOffReceivable"]
        .clone();
    assert_eq!(written["status"], "WRITTEN_OFF");
    let closed: chrono::DateTime<chrono::Utc> =
        written["closedAt"].as_str().unwrap().parse().unwrap();
    let day = closed.date_naive();
    let before = aging(
        &app,
        &finance(&app),
        &(day - chrono::Days::new(1)).to_string(),
        "",
    )
    .await;
    assert_eq!(total(&before), "750.00");
    assert_eq!(rows(&before), vec![(acme, "750.00".into())]);
    let after = aging(&app, &finance(&app), &day.to_string(), "").await;
    assert_eq!(total(&after), "0.00");
    assert_eq!(after["accounts"]["totalCount"], 0);
    assert_eq!(rows(&after), vec![]);
}

#[tokio::test]
async fn aging_accounts_page_by_amount_owed_then_id_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let unit = unit(&app).await;
    let mut accounts = Vec::new();
    for (i, euros) in [100, 500, 300, 500, 200].into_iter().enumerate() {
        let (id, _) = owing(
            &app,
            &unit,
            "alice",
            &format!("Account {i}"),
            euros,
            &[("100", 14)],
        )
        .await;
        accounts.push((id, format!("{euros}.00")));
    }
    // Most owed first; the two owing 500.00 by id.
    let mut expected = accounts.clone();
    expected.sort_by(|a, b| {
        let owed = |x: &(String, String)| x.1.parse::<f64>().unwrap() as i64;
        owed(b).cmp(&owed(a)).then(a.0.cmp(&b.0))
    });
    let f = finance(&app);

    let mut seen = Vec::new();
    let mut page = "(first: 2)".to_owned();
    for more in [true, true, false] {
        let report = aging(&app, &f, "2026-07-01", &page).await;
        assert_eq!(report["accounts"]["totalCount"], 5);
        assert_eq!(report["accounts"]["pageInfo"]["hasNextPage"], more);
        seen.extend(rows(&report));
        let end = report["accounts"]["pageInfo"]["endCursor"]
            .as_str()
            .unwrap();
        page = format!("(first: 2, after: \"{end}\")");
    }
    assert_eq!(seen, expected);

    // The default page holds them all; the last two are the least owed.
    let all = aging(&app, &f, "2026-07-01", "").await;
    assert_eq!(rows(&all), expected);
    assert_eq!(all["accounts"]["pageInfo"]["hasNextPage"], false);
    let last = aging(&app, &f, "2026-07-01", "(last: 2)").await;
    assert_eq!(rows(&last), expected[3..].to_vec());
    assert_eq!(last["accounts"]["pageInfo"]["hasPreviousPage"], true);

    for bad in ["(first: 101)", "(first: 0)", "(after: \"not a cursor\")"] {
        let (code, _) = app
            .gql_error(
                &f,
                &format!("{{ receivablesAging(asOf: \"2026-07-01\", currency: \"EUR\") {{ accounts{bad} {{ edges {{ cursor }} }} }} }}"),
                json!({}),
            )
            .await;
        assert_eq!(code, "VALIDATION", "{bad}");
    }
}

#[tokio::test]
async fn a_sales_user_ages_only_the_receivables_of_their_own_deals() {
    let app = TestApp::spawn().await;
    let unit = unit(&app).await;
    let (acme, _) = owing(&app, &unit, "alice", "Acme", 300, &[("100", 14)]).await;
    let (bolt, _) = owing(&app, &unit, "bob", "Bolt", 400, &[("100", 14)]).await;
    let alice = aging(&app, &app.token("alice", &["SALES"]), "2026-07-01", "").await;
    assert_eq!(total(&alice), "300.00");
    assert_eq!(alice["accounts"]["totalCount"], 1);
    assert_eq!(rows(&alice), vec![(acme.clone(), "300.00".into())]);
    let all = aging(&app, &finance(&app), "2026-07-01", "").await;
    assert_eq!(total(&all), "700.00");
    assert_eq!(
        rows(&all),
        vec![(bolt, "400.00".into()), (acme, "300.00".into())]
    );
    let (code, _) = app
        .gql_error(
            &app.token("fred", &["DELIVERY"]),
            "{ receivablesAging(asOf: \"2026-07-01\", currency: \"EUR\") { overall { total { amount } } } }",
            json!({}),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
}

#[tokio::test]
async fn an_aging_report_costs_the_same_statements_with_3_accounts_owing_as_with_30() {
    let app = TestApp::spawn().await;
    let unit = unit(&app).await;
    let f = finance(&app);
    let report = "{ receivablesAging(asOf: \"2026-07-01\", currency: \"EUR\") { overall { total { amount } } accounts { totalCount edges { cursor node { accountId buckets { total { amount } } } } } } }";
    let named = "{ receivablesAging(asOf: \"2026-07-01\", currency: \"EUR\") { overall { total { amount } } accounts { edges { node { account { name } } } } } }";
    let add = |from: u32, to: u32| {
        let (app, unit) = (&app, &unit);
        async move {
            for i in from..to {
                owing(
                    app,
                    unit,
                    "alice",
                    &format!("Account {i}"),
                    100 + i,
                    &[("100", 14)],
                )
                .await;
            }
        }
    };
    add(0, 3).await;
    let (small, small_named) = (cost(&app, &f, report).await, cost(&app, &f, named).await);
    add(3, 30).await;
    let (large, large_named) = (cost(&app, &f, report).await, cost(&app, &f, named).await);
    assert_eq!(
        aging(&app, &f, "2026-07-01", "").await["accounts"]["totalCount"],
        30
    );
    // Overall, the page and its count; overall, the page and one batch of
    // account names.
    assert_eq!((small, large), (3, 3));
    assert_eq!((small_named, large_named), (3, 3));
}
