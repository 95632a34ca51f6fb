//! Bearer tokens: what is accepted, what is refused, and what scopes allow.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{TEST_SECRET, TestApp, count, test_settings};

const ME: &str = "{ me { id name roles scopes } }";

fn claims(sub: &str, exp_offset: i64) -> Value {
    json!({
        "sub": sub,
        "name": "Test",
        "roles": ["SALES"],
        "exp": chrono::Utc::now().timestamp() + exp_offset,
    })
}

fn sign(alg: Algorithm, key: &EncodingKey, claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, key).unwrap()
}

async fn refused(app: &TestApp, token: &str) {
    refused_because(app, token).await;
}

/// Asserts a 401 and returns `extensions.reason`.
async fn refused_because(app: &TestApp, token: &str) -> String {
    let (status, body) = app.post(Some(token), ME, json!({})).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    body["errors"][0]["extensions"]["reason"]
        .as_str()
        .unwrap_or_else(|| panic!("no reason: {body}"))
        .to_owned()
}

async fn issuer_and_audience_app() -> TestApp {
    let (mut settings, dir) = test_settings().await;
    settings.jwt.jwt_issuer = Some("https://idp.example".into());
    settings.jwt.jwt_audience = Some("ltc".into());
    TestApp::spawn_with(settings, dir).await
}

fn issued(sub: &str) -> Value {
    let mut claims = claims(sub, 600);
    claims["iss"] = json!("https://idp.example");
    claims["aud"] = json!("ltc");
    claims
}

#[tokio::test]
async fn a_token_without_iss_or_aud_is_refused_when_they_are_configured() {
    let app = issuer_and_audience_app().await;
    let key = EncodingKey::from_secret(TEST_SECRET.as_bytes());
    for missing in ["iss", "aud"] {
        let mut token = issued("alice");
        token.as_object_mut().unwrap().remove(missing);
        assert_eq!(
            refused_because(&app, &sign(Algorithm::HS256, &key, &token)).await,
            "TOKEN_INVALID",
            "without {missing}"
        );
    }
}

#[tokio::test]
async fn an_audience_list_holding_ours_is_accepted() {
    let app = issuer_and_audience_app().await;
    let key = EncodingKey::from_secret(TEST_SECRET.as_bytes());
    let mut token = issued("alice");
    token["aud"] = json!(["billing", "ltc"]);
    let data = app
        .gql(&sign(Algorithm::HS256, &key, &token), ME, json!({}))
        .await;
    assert_eq!(data["me"]["id"], "alice");
    token["aud"] = json!(["billing", "crm"]);
    refused(&app, &sign(Algorithm::HS256, &key, &token)).await;
}

#[tokio::test]
async fn a_token_not_yet_valid_is_refused() {
    let app = TestApp::spawn().await;
    let key = EncodingKey::from_secret(TEST_SECRET.as_bytes());
    let mut token = claims("alice", 3600);
    token["nbf"] = json!(chrono::Utc::now().timestamp() + 600);
    assert_eq!(
        refused_because(&app, &sign(Algorithm::HS256, &key, &token)).await,
        "TOKEN_INVALID"
    );
    token["nbf"] = json!(chrono::Utc::now().timestamp() - 10);
    let data = app
        .gql(&sign(Algorithm::HS256, &key, &token), ME, json!({}))
        .await;
    assert_eq!(data["me"]["id"], "alice");
}

#[tokio::test]
async fn a_sub_with_control_characters_or_over_255_characters_is_refused() {
    let app = TestApp::spawn().await;
    let key = EncodingKey::from_secret(TEST_SECRET.as_bytes());
    for sub in [
        "ali\u{0}ce".to_owned(),
        "alice\n".to_owned(),
        "a".repeat(256),
    ] {
        assert_eq!(
            refused_because(&app, &sign(Algorithm::HS256, &key, &claims(&sub, 600))).await,
            "TOKEN_INVALID",
            "{sub:?}"
        );
    }
    let data = app
        .gql(
            &sign(Algorithm::HS256, &key, &claims(&"a".repeat(255), 600)),
            ME,
            json!({}),
        )
        .await;
    assert_eq!(data["me"]["id"], "a".repeat(255));
}

#[tokio::test]
async fn refusals_say_why_in_a_stable_reason_without_the_parsers_words() {
    let app = TestApp::spawn().await;
    let key = EncodingKey::from_secret(TEST_SECRET.as_bytes());
    assert_eq!(
        refused_because(&app, &sign(Algorithm::HS256, &key, &claims("alice", -3600))).await,
        "TOKEN_EXPIRED"
    );
    let forged = EncodingKey::from_secret(b"another-secret-that-is-long-enough-to-sign");
    assert_eq!(
        refused_because(
            &app,
            &sign(Algorithm::HS256, &forged, &claims("alice", 600))
        )
        .await,
        "TOKEN_INVALID"
    );
    let (status, body) = app.post(Some("not.a.token"), ME, json!({})).await;
    assert_eq!(status, 401);
    assert_eq!(body["errors"][0]["extensions"]["reason"], "TOKEN_INVALID");
    let message = body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_lowercase();
    for parser_word in ["base64", "json", "invalidtoken", "signature", "utf"] {
        assert!(!message.contains(parser_word), "{message}");
    }
    let (_, body) = app.post(None, ME, json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(body["errors"][0]["extensions"]["reason"], "TOKEN_MISSING");
}

#[tokio::test]
async fn a_request_without_a_token_is_unauthenticated() {
    let app = TestApp::spawn().await;
    // Refused at the token check, before the query is validated or run.
    let (status, body) = app.post(None, ME, json!({})).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(body["errors"][0]["extensions"]["reason"], "TOKEN_MISSING");
    assert!(body.get("data").is_none(), "{body}");
    let (_, body) = app
        .post(
            None,
            "mutation { captureLead(input: {source: WEB, email: \"a@b.co\"}) { created } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(count(&app, "leads").await, 0);
}

#[tokio::test]
async fn a_valid_token_names_the_caller() {
    let app = TestApp::spawn().await;
    let token = app.token_with_scope("alice", &["SALES", "READONLY"], Some("leads:read"));
    let data = app.gql(&token, ME, json!({})).await;
    assert_eq!(data["me"]["id"], "alice");
    assert_eq!(data["me"]["roles"], json!(["SALES", "READONLY"]));
    assert_eq!(data["me"]["scopes"], json!(["leads:read"]));
}

#[tokio::test]
async fn expired_forged_malformed_and_unsigned_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let key = EncodingKey::from_secret(TEST_SECRET.as_bytes());
    refused(&app, &sign(Algorithm::HS256, &key, &claims("alice", -3600))).await;
    let forged = EncodingKey::from_secret(b"another-secret-that-is-long-enough-to-sign");
    refused(
        &app,
        &sign(Algorithm::HS256, &forged, &claims("alice", 600)),
    )
    .await;
    refused(&app, "not.a.token").await;
    refused(&app, "").await;
    // alg "none": a header and claims with an empty signature.
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims("alice", 600).to_string());
    refused(&app, &format!("{header}.{body}.")).await;
    // Another algorithm with the same secret.
    refused(&app, &sign(Algorithm::HS512, &key, &claims("alice", 600))).await;
    // Not a bearer token at all.
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("authorization", "Basic YWxpY2U6cGFzcw==")
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
}

#[tokio::test]
async fn issuer_and_audience_are_enforced_when_configured() {
    let (mut settings, dir) = test_settings().await;
    settings.jwt.jwt_issuer = Some("https://idp.example".into());
    settings.jwt.jwt_audience = Some("ltc".into());
    let app = TestApp::spawn_with(settings, dir).await;
    let key = EncodingKey::from_secret(TEST_SECRET.as_bytes());
    let mut good = claims("alice", 600);
    good["iss"] = json!("https://idp.example");
    good["aud"] = json!("ltc");
    let data = app
        .gql(&sign(Algorithm::HS256, &key, &good), ME, json!({}))
        .await;
    assert_eq!(data["me"]["id"], "alice");
    let mut wrong_iss = good.clone();
    wrong_iss["iss"] = json!("https://evil.example");
    refused(&app, &sign(Algorithm::HS256, &key, &wrong_iss)).await;
    let mut wrong_aud = good.clone();
    wrong_aud["aud"] = json!("other");
    refused(&app, &sign(Algorithm::HS256, &key, &wrong_aud)).await;
}

async fn public_key_app(alg: &str, public: &str) -> TestApp {
    let (mut settings, dir) = test_settings().await;
    settings.jwt.jwt_secret = None;
    settings.jwt.jwt_public_key =
        Some(format!("{}/tests/fixtures/{public}", env!("CARGO_MANIFEST_DIR")).into());
    settings.jwt.jwt_algorithm = Some(match alg {
        "RS256" => ltc::auth::JwtAlgorithm::Rs256,
        _ => ltc::auth::JwtAlgorithm::Es256,
    });
    TestApp::spawn_with(settings, dir).await
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[tokio::test]
async fn identity_provider_tokens_verify_with_rs256_and_es256_public_keys() {
    let rs = public_key_app("RS256", "rs256-public.pem").await;
    let rs_key = EncodingKey::from_rsa_pem(&fixture("rs256-private.pem")).unwrap();
    let data = rs
        .gql(
            &sign(Algorithm::RS256, &rs_key, &claims("carol", 600)),
            ME,
            json!({}),
        )
        .await;
    assert_eq!(data["me"]["id"], "carol");
    // An HS256 token signed with the public key as a secret: the classic confusion attack.
    let confused = EncodingKey::from_secret(&fixture("rs256-public.pem"));
    refused(
        &rs,
        &sign(Algorithm::HS256, &confused, &claims("carol", 600)),
    )
    .await;

    let es = public_key_app("ES256", "es256-public.pem").await;
    let es_key = EncodingKey::from_ec_pem(&fixture("es256-private.pem")).unwrap();
    let data = es
        .gql(
            &sign(Algorithm::ES256, &es_key, &claims("dave", 600)),
            ME,
            json!({}),
        )
        .await;
    assert_eq!(data["me"]["id"], "dave");
    refused(&es, &sign(Algorithm::RS256, &rs_key, &claims("dave", 600))).await;
}

#[tokio::test]
async fn the_embedded_default_creates_a_private_secret_once_and_reuses_it() {
    let (mut settings, dir) = test_settings().await;
    settings.jwt.jwt_secret = None;
    let app = TestApp::spawn_with(settings, dir).await;
    let secret_file = app.data_dir().join("jwt-secret");
    let first = std::fs::read_to_string(&secret_file).unwrap();
    assert!(first.len() >= 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret_file)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    let token = app.token("alice", &["SALES"]);
    assert_eq!(app.gql(&token, ME, json!({})).await["me"]["id"], "alice");
    // A second server on the same data directory reuses the secret: old tokens stay valid.
    let again = ltc::startup::Application::build(&app.settings)
        .await
        .unwrap();
    drop(again);
    assert_eq!(std::fs::read_to_string(&secret_file).unwrap(), first);
}

#[tokio::test]
async fn integration_tokens_act_only_within_their_scopes() {
    let app = TestApp::spawn().await;
    let hook = app.token_with_scope("mktg", &["INTEGRATION"], Some("leads:write"));
    let data = app
        .gql(
            &hook,
            "mutation { captureLead(input: {source: MARKETING_AUTOMATION, externalRef: \"m-1\", email: \"ann@acme.io\"}) { created lead { ownerId } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["captureLead"]["created"], true);
    assert_eq!(data["captureLead"]["lead"]["ownerId"], Value::Null);
    let (code, _) = app
        .gql_error(&hook, "{ accounts { totalCount } }", json!({}))
        .await;
    assert_eq!(code, "FORBIDDEN");
    let (code, _) = app
        .gql_error(
            &hook,
            "mutation { createAccount(input: {name: \"X\"}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(count(&app, "accounts").await, 0);

    let reader = app.token_with_scope("erp", &["INTEGRATION"], Some("accounts:read"));
    let (code, _) = app
        .gql_error(
            &reader,
            "mutation { captureLead(input: {source: WEB, email: \"b@acme.io\"}) { created } }",
            json!({}),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(count(&app, "leads").await, 1);
}
