//! The committed `schema.graphql` is the schema the code builds and serves.

use crate::helpers::TestApp;

#[tokio::test]
async fn committed_schema_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql at the repository root");
    assert!(
        committed == ltc::schema::sdl(),
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql`"
    );
}

#[tokio::test]
async fn the_server_serves_the_committed_schema() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(format!("{}/schema.graphql", app.address))
        .bearer_auth(app.token("ui", &["READONLY"]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let served = response.text().await.unwrap();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert_eq!(served, committed);
}
