//! GraphQL over HTTP: status codes, media types, limits, health.

use serde_json::{Value, json};

use crate::helpers::{TestApp, count};

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    for (path, status) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], status);
    }
}

#[tokio::test]
async fn a_syntax_error_is_a_bad_request_without_data() {
    let app = TestApp::spawn().await;
    let token = app.token("alice", &["SALES"]);
    let (status, body) = app.post(Some(&token), "{ me { id ", json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_PARSE_FAILED"
    );
    assert!(body.get("data").is_none());
}

#[tokio::test]
async fn an_unknown_enum_value_fails_validation_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.token("alice", &["SALES"]);
    let (status, body) = app
        .post(
            Some(&token),
            "mutation { captureLead(input: {source: CARRIER_PIGEON, email: \"a@b.co\"}) { created } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    assert_eq!(count(&app, "leads").await, 0);
}

#[tokio::test]
async fn a_query_fifty_levels_deep_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.token("alice", &["SALES_MANAGER"]);
    let mut query = String::from("id");
    for _ in 0..25 {
        query = format!("account {{ opportunities {{ {query} }} }}");
    }
    let query = format!("{{ opportunities(first: 1) {{ edges {{ node {{ {query} }} }} }} }}");
    let (status, body) = app.post(Some(&token), &query, json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
}

#[tokio::test]
async fn an_overly_complex_query_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.token("alice", &["SALES_MANAGER"]);
    // 100 leads x 100 accounts' worth of nested lists would be 10,000 objects and more.
    let query = "{ leads(first: 100) { edges { node { id duplicates { id duplicates { id duplicates { id history { to } } } } } } } }";
    let (status, body) = app.post(Some(&token), query, json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
}

#[tokio::test]
async fn queries_run_over_get_and_mutations_are_refused_there() {
    let app = TestApp::spawn().await;
    let token = app.token("alice", &["SALES"]);
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "{ me { id } }")])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/graphql-response+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["me"]["id"], "alice");

    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[(
            "query",
            "mutation { captureLead(input: {source: WEB, email: \"x@y.co\"}) { created } }",
        )])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    assert_eq!(count(&app, "leads").await, 0);
}

#[tokio::test]
async fn legacy_json_clients_get_200_with_errors_in_the_body() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("accept", "application/json")
        .json(&json!({ "query": "{ me { id " }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_PARSE_FAILED"
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "text/plain")
        .body("{ me { id } }")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
}

#[tokio::test]
async fn a_browser_gets_graphiql_and_its_assets_from_the_server() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("/graphiql/graphiql.min.js"));
    assert!(
        !html.contains("https://"),
        "the page must load nothing from the internet"
    );
    let js = app
        .client
        .get(format!("{}/graphiql/graphiql.min.js", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
}
