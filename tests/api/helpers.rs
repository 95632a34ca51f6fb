//! `TestApp`: a real server on a random port with its own database, and a
//! GraphQL client for it.

use std::{path::PathBuf, sync::Once};

use ltc::{
    auth::{Role, TokenSigner},
    config::Settings,
    startup::Application,
};
use secrecy::SecretString;
use serde_json::{Value, json};

pub const TEST_SECRET: &str = "test-secret-that-is-long-enough-for-hs256!";

pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    /// `http://127.0.0.1:PORT` of `/metrics`, when served.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    pub settings: Settings,
    _data_dir: tempfile::TempDir,
}

static TRACING: Once = Once::new();

/// Fresh settings: a new data directory, port 0, and a new database.
pub async fn test_settings() -> (Settings, tempfile::TempDir) {
    TRACING.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            ltc::telemetry::init(ltc::telemetry::LogFormat::Text);
        }
    });
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::embedded(data_dir.path());
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.metrics_bind = ltc::metrics::MetricsBind::At("127.0.0.1:0".parse().unwrap());
    // Tests send bursts from one token; the per-caller limits have their own tests.
    settings.limits.max_requests_per_second_per_caller = 100_000;
    settings.limits.max_concurrent_requests_per_caller = 64;
    settings.jwt.jwt_secret = Some(SecretString::from(TEST_SECRET.to_owned()));
    if let Some(url) = postgres_url() {
        settings.store.database_url = Some(SecretString::from(fresh_postgres_database(&url).await));
        settings.store.db_max_connections = 5;
    }
    (settings, data_dir)
}

fn postgres_url() -> Option<String> {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

/// Creates `ltc_test_<uuid>` next to the database in `url` and returns its URL.
async fn fresh_postgres_database(url: &str) -> String {
    use sea_orm::{ConnectionTrait, Database};
    let admin = Database::connect(url)
        .await
        .expect("connect to DATABASE_URL");
    let name = format!("ltc_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    let _ = admin.close().await;
    let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(url);
    format!("{base}/{name}")
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let (settings, dir) = test_settings().await;
        Self::spawn_with(settings, dir).await
    }

    pub async fn spawn_with(settings: Settings, data_dir: tempfile::TempDir) -> TestApp {
        let app = Application::build(&settings).await.expect("build app");
        let address = format!("http://127.0.0.1:{}", app.port());
        let metrics_address = app
            .metrics_port()
            .map(|port| format!("http://127.0.0.1:{port}"));
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        TestApp {
            address,
            metrics_address,
            client: reqwest::Client::new(),
            settings,
            _data_dir: data_dir,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.settings.store.data_dir.clone()
    }

    /// A token for `sub` with these roles (names as in the schema).
    pub fn token(&self, sub: &str, roles: &[&str]) -> String {
        self.token_with_scope(sub, roles, None)
    }

    pub fn token_with_scope(&self, sub: &str, roles: &[&str], scope: Option<&str>) -> String {
        let roles: Vec<Role> = roles
            .iter()
            .map(|r| Role::parse(r).expect("role"))
            .collect();
        TokenSigner::from_settings(&self.settings.jwt, &self.settings.store.data_dir)
            .expect("signer")
            .sign(sub, Some(sub), &roles, scope, chrono::Duration::minutes(10))
            .expect("sign")
    }

    /// POSTs a GraphQL request and returns the HTTP status and JSON body.
    pub async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let body = response.json().await.expect("json body");
        (status, body)
    }

    /// Runs a GraphQL operation that must succeed; returns its `data`.
    pub async fn gql(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(Some(token), query, variables).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// Runs a GraphQL operation that must fail; returns `errors[0].extensions.code`
    /// and the whole error.
    pub async fn gql_error(&self, token: &str, query: &str, variables: Value) -> (String, Value) {
        let (_, body) = self.post(Some(token), query, variables).await;
        let error = body["errors"][0].clone();
        assert!(!error.is_null(), "expected an error: {body}");
        let code = error["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("error without code: {body}"))
            .to_owned();
        (code, error)
    }
}

/// Rows of a raw SQL query on the app's own database, to check what is stored.
pub async fn stored_rows(app: &TestApp, sql: &str) -> Vec<sea_orm::QueryResult> {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(app.settings.store.database_url())
        .await
        .unwrap();
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap();
    let _ = db.close().await;
    rows
}

/// Everything a manager sees, to check what a change left behind.
pub async fn count(app: &TestApp, list: &str) -> i64 {
    let admin = app.token("admin", &["ADMIN"]);
    let data = app
        .gql(
            &admin,
            &format!("{{ {list}(first: 1) {{ totalCount }} }}"),
            json!({}),
        )
        .await;
    data[list]["totalCount"].as_i64().expect("count")
}

/// The SQL statements a response says its request cost, from its
/// `Server-Timing` header (`sql;dur=1.84;desc="7 statements"`); 0 without one.
pub fn statements_of(response: &reqwest::Response) -> u64 {
    let Some(timing) = response.headers().get("server-timing") else {
        return 0;
    };
    let timing = timing.to_str().unwrap();
    timing
        .split("desc=\"")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no statement count in Server-Timing {timing:?}"))
}
