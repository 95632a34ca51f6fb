//! Hostile documents and costly requests: each is refused before it runs, in
//! time and memory proportional to its text, with or without a token, and
//! the server keeps answering others meanwhile.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{TestApp, count, statements_of, test_settings};

/// `query{...FN} fragment F0 on Query{__typename} fragment F1 on Query{...F0 ...F0} ...`
fn doubling(levels: usize) -> String {
    let mut q = format!("query{{...F{levels}}} fragment F0 on Query{{__typename}}");
    for i in 1..=levels {
        q.push_str(&format!(
            " fragment F{i} on Query{{...F{j} ...F{j}}}",
            j = i - 1
        ));
    }
    q
}

fn aliases(n: usize, field: &str) -> String {
    let fields: String = (0..n).map(|i| format!("a{i}: {field} ")).collect();
    format!("{{ {fields} }}")
}

/// 10,000 fragments, each used once.
fn many_fragments() -> String {
    let spreads: String = (0..10_000).map(|i| format!("...F{i} ")).collect();
    let fragments: String = (0..10_000)
        .map(|i| format!("fragment F{i} on Query {{ __typename }} "))
        .collect();
    format!("{{ {spreads} }} {fragments}")
}

/// This process's resident memory in kB (the server runs in it).
fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn refused_before_running(app: &TestApp, token: Option<&str>, query: &str) -> Value {
    let started = Instant::now();
    let (status, body) = app.post(token, query, json!({})).await;
    let took = started.elapsed();
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{body}"
    );
    assert!(body.get("data").is_none(), "{body}");
    assert!(
        took < Duration::from_millis(250),
        "took {took:?} for {}",
        &query[..query.len().min(80)]
    );
    body
}

#[tokio::test]
async fn documents_that_expand_without_bound_are_refused_at_once_with_or_without_a_token() {
    let app = TestApp::spawn().await;
    let token = app.token("alice", &["SALES"]);
    let attacks = [
        doubling(22),
        doubling(30),
        aliases(1_000, "__typename"),
        many_fragments(),
    ];
    // Warm up the client and server before measuring memory.
    app.post(Some(&token), "{ __typename }", json!({})).await;
    let before = rss_kb();
    for _ in 0..3 {
        for attack in &attacks {
            refused_before_running(&app, None, attack).await;
            refused_before_running(&app, Some(&token), attack).await;
        }
    }
    let grown = rss_kb().saturating_sub(before);
    assert!(grown < 5 * 1024, "RSS grew by {grown} kB");
    // The limits leave ordinary documents alone.
    let data = app.gql(&token, &doubling(4), json!({})).await;
    assert_eq!(data["__typename"], "Query");
}

#[tokio::test]
async fn the_server_keeps_answering_while_hostile_documents_arrive() {
    let app = TestApp::spawn().await;
    let address = app.address.clone();
    let attack = doubling(30);
    let senders: Vec<_> = (0..8)
        .map(|_| {
            let (client, address, attack) = (app.client.clone(), address.clone(), attack.clone());
            tokio::spawn(async move {
                for _ in 0..20 {
                    let r = client
                        .post(format!("{address}/graphql"))
                        .json(&json!({ "query": attack }))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 400);
                }
            })
        })
        .collect();
    let mut took = Vec::new();
    for _ in 0..11 {
        let started = Instant::now();
        let r = app
            .client
            .get(format!("{address}/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        took.push(started.elapsed());
    }
    for sender in senders {
        sender.await.unwrap();
    }
    took.sort();
    // The median, as this machine may be shared; the slowest within reason.
    assert!(
        took[5] < Duration::from_millis(100),
        "healthz took {took:?}"
    );
    assert!(took[10] < Duration::from_secs(1), "healthz took {took:?}");
}

#[tokio::test]
async fn without_a_token_only_questions_about_the_schema_get_past_the_token_check() {
    let (mut settings, dir) = test_settings().await;
    settings.limits.introspection = ltc::graphql::limits::Introspection::On;
    let app = TestApp::spawn_with(settings, dir).await;
    let (status, body) = app.post(None, "{ __typename }", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .post(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
    for query in [
        "{ me { id } }",
        "{ __typename leads(first: 1) { totalCount } }",
        "mutation { captureLead(input: {source: WEB, email: \"a@b.co\"}) { created } }",
        // An unknown field still needs a token: nothing is validated for strangers.
        "{ nosuchfield }",
    ] {
        let (status, body) = app.post(None, query, json!({})).await;
        assert_eq!(status, 401, "{query}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        assert_eq!(body["errors"][0]["extensions"]["reason"], "TOKEN_MISSING");
    }
    assert_eq!(count(&app, "leads").await, 0);
}

#[tokio::test]
async fn introspection_follows_its_setting() {
    let app = TestApp::spawn().await;
    let token = app.token("alice", &["SALES"]);
    let schema = "{ __schema { queryType { name } } }";
    // The default: callers with a token.
    let (status, body) = app.post(None, schema, json!({})).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["reason"], "TOKEN_MISSING");
    let data = app.gql(&token, schema, json!({})).await;
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
    let sdl = app
        .client
        .get(format!("{}/schema.graphql", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(sdl.status(), 401);
    let sdl = app
        .client
        .get(format!("{}/schema.graphql", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(sdl.status(), 200);

    let (mut settings, dir) = test_settings().await;
    settings.limits.introspection = ltc::graphql::limits::Introspection::Off;
    let off = TestApp::spawn_with(settings, dir).await;
    let token = off.token("alice", &["ADMIN"]);
    let (status, body) = off.post(Some(&token), schema, json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{body}"
    );
    let sdl = off
        .client
        .get(format!("{}/schema.graphql", off.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(sdl.status(), 404);
}

#[tokio::test]
async fn fields_that_run_sql_are_priced_so_many_counts_or_reports_are_refused_before_running() {
    let (mut settings, dir) = test_settings().await;
    // Aliases alone would stop these; lift that bound to see the price do it.
    settings.limits.max_query_aliases = 10_000;
    settings.limits.max_query_root_fields = 10_000;
    let app = TestApp::spawn_with(settings, dir).await;
    let manager = app.token("mia", &["SALES_MANAGER"]);
    for attack in [
        aliases(1_000, "leads(first: 1) { totalCount }"),
        aliases(25, "pipeline(filter: {currency: \"EUR\"}) { winRate }"),
        aliases(
            25,
            "teamPerformance(period: {from: \"2026-01-01T00:00:00Z\", to: \"2026-12-31T00:00:00Z\"}) { userId }",
        ),
    ] {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&manager)
            .json(&json!({ "query": attack }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(statements_of(&response), 0, "it ran SQL");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_request_past_its_sql_statement_budget_is_stopped_and_its_write_undone() {
    let (mut settings, dir) = test_settings().await;
    settings.limits.max_sql_statements = 2;
    let app = TestApp::spawn_with(settings, dir).await;
    let alice = app.token("alice", &["SALES"]);
    let query = "{ a: leads(first: 5) { totalCount } b: accounts(first: 5) { totalCount } c: contacts(first: 5) { totalCount } }";
    let (status, body) = app.post(Some(&alice), query, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "COST_LIMIT_EXCEEDED",
        "{body}"
    );
    // Within the budget the same caller is served as usual.
    let data = app
        .gql(&alice, "{ leads(first: 5) { totalCount } }", json!({}))
        .await;
    assert_eq!(data["leads"]["totalCount"], 0);
}

#[tokio::test]
async fn a_caller_over_its_turns_gets_429_while_another_caller_is_served() {
    let (mut settings, dir) = test_settings().await;
    settings.limits.max_concurrent_requests_per_caller = 1;
    settings.limits.max_requests_per_second_per_caller = 1_000;
    let app = TestApp::spawn_with(settings, dir).await;
    let alice = app.token("alice", &["SALES_MANAGER"]);
    let bob = app.token("bob", &["SALES"]);
    let heavy = "{ a: leads(first: 100) { totalCount edges { node { id email } } } b: accounts(first: 100) { totalCount edges { node { id name } } } }";
    let flood: Vec<_> = (0..40)
        .map(|_| {
            let (client, address, alice) = (app.client.clone(), app.address.clone(), alice.clone());
            tokio::spawn(async move {
                let r = client
                    .post(format!("{address}/graphql"))
                    .bearer_auth(alice)
                    .json(&json!({ "query": heavy }))
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                if status == 429 {
                    assert_eq!(r.headers()["retry-after"], "1");
                    let body: Value = r.json().await.unwrap();
                    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
                } else {
                    assert_eq!(status, 200);
                }
                status
            })
        })
        .collect();
    let data = app.gql(&bob, "{ me { id } }", json!({})).await;
    assert_eq!(data["me"]["id"], "bob");
    let mut statuses = Vec::new();
    for request in flood {
        statuses.push(request.await.unwrap());
    }
    assert!(statuses.contains(&200), "{statuses:?}");
}

#[tokio::test]
async fn metrics_are_served_on_their_own_address_and_not_on_the_api_listener() {
    let app = TestApp::spawn().await;
    let on_api = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(on_api.status(), 404);
    let metrics = app
        .client
        .get(format!("{}/metrics", app.metrics_address.as_ref().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(
        metrics
            .text()
            .await
            .unwrap()
            .contains("ltc_db_statements_total")
    );

    let (mut settings, dir) = test_settings().await;
    settings.metrics_bind = ltc::metrics::MetricsBind::Off;
    let off = TestApp::spawn_with(settings, dir).await;
    assert!(off.metrics_address.is_none());
}

#[tokio::test]
async fn a_caller_past_its_rate_gets_429_with_retry_after_and_others_do_not() {
    let (mut settings, dir) = test_settings().await;
    settings.limits.max_requests_per_second_per_caller = 2;
    let app = TestApp::spawn_with(settings, dir).await;
    let alice = app.token("alice", &["SALES"]);
    let bob = app.token("bob", &["SALES"]);
    let mut limited = 0;
    for _ in 0..10 {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&alice)
            .json(&json!({ "query": "{ me { id } }" }))
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            limited += 1;
            let wait: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=2).contains(&wait), "{wait}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
        }
    }
    // A burst of twice the rate passes, the rest is refused.
    assert!(limited >= 5, "{limited} of 10 limited");
    let data = app.gql(&bob, "{ me { id } }", json!({})).await;
    assert_eq!(data["me"]["id"], "bob");
}
