//! Random and hostile values for every argument of every query and mutation,
//! read from the schema itself: whatever a client sends, the answer is a
//! client error with a code, never a 500, a panic or `INTERNAL`. A field or
//! input type added later is covered without touching this test.

use std::collections::HashMap;

use rand::{Rng, SeedableRng, rngs::StdRng, seq::IndexedRandom};
use serde_json::{Value, json};

use crate::helpers::TestApp;

const INTROSPECTION: &str = r#"{ __schema {
  queryType { name } mutationType { name }
  types { kind name
    fields { name args { name type { ...T } } type { ...T } }
    inputFields { name type { ...T } }
    enumValues { name } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"#;

struct Schema {
    types: HashMap<String, Value>,
}

/// A type reference as a GraphQL type string (`[ID!]!`).
fn spelled(ty: &Value) -> String {
    match ty["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", spelled(&ty["ofType"])),
        Some("LIST") => format!("[{}]", spelled(&ty["ofType"])),
        _ => ty["name"].as_str().unwrap_or_default().to_owned(),
    }
}

fn named(ty: &Value) -> &Value {
    if ty["ofType"].is_null() {
        ty
    } else {
        named(&ty["ofType"])
    }
}

fn hostile_scalar(name: &str, rng: &mut StdRng) -> Value {
    let long = "x".repeat(100_000);
    let choices: Vec<Value> = match name {
        "UUID" => vec![
            json!("not-a-uuid"),
            json!(""),
            json!("0190f4c2-8b1e-7c3a-9d4e-5f6a7b8c9d0\u{0}"),
            json!(uuid::Uuid::new_v4().to_string()),
            json!(12),
        ],
        "Decimal" => vec![
            json!("NaN"),
            json!("79228162514264337593543950335"),
            json!("-79228162514264337593543950335"),
            json!("99999999999999.99"),
            json!("100000000000000"),
            json!("0.0000000001"),
            json!(12.5),
            json!(1e300),
            json!("-1"),
            json!("10"),
            json!("abc"),
        ],
        "DateTime" => vec![
            json!("-262143-01-01T00:00:00Z"),
            json!("2024-02-30T00:00:00Z"),
            json!("9999-12-31T23:59:59Z"),
            json!("2026-06-01T00:00:00Z"),
            json!("yesterday"),
        ],
        "NaiveDate" => vec![
            json!("-262143-01-01"),
            json!("+262142-12-31"),
            json!("2024-02-30"),
            json!("2999-12-31"),
            json!("1900-01-01"),
            json!("2026-06-01"),
        ],
        "Int" => vec![
            json!(2147483647),
            json!(-2147483648),
            json!(0),
            json!(-1),
            json!(1),
        ],
        "Float" => vec![json!(1e308), json!(-1e308), json!(0.5)],
        "Boolean" => vec![json!(true), json!(false)],
        "JSON" => vec![json!({"a": "\u{0}"}), json!(null), json!([1, 2])],
        // String, ID and anything else textual.
        _ => vec![
            json!("\u{0}"),
            json!("a\u{0}b"),
            json!("\u{1b}[31mred"),
            json!(long),
            json!(""),
            json!("EUR"),
            json!("ann@acme.io"),
            json!("'; DROP TABLE leads; --"),
        ],
    };
    choices.choose(rng).cloned().unwrap_or(Value::Null)
}

impl Schema {
    fn value(&self, ty: &Value, rng: &mut StdRng, depth: usize) -> Value {
        match ty["kind"].as_str() {
            Some("NON_NULL") => self.value(&ty["ofType"], rng, depth),
            Some("LIST") => {
                let n = rng.random_range(0..3);
                Value::Array(
                    (0..n)
                        .map(|_| self.value(&ty["ofType"], rng, depth + 1))
                        .collect(),
                )
            }
            Some("ENUM") => {
                let name = ty["name"].as_str().unwrap_or_default();
                let values = self.types[name]["enumValues"].as_array().unwrap();
                let value = values.choose(rng).unwrap();
                value["name"].clone()
            }
            Some("INPUT_OBJECT") => {
                let name = ty["name"].as_str().unwrap_or_default();
                let mut object = serde_json::Map::new();
                if depth > 4 {
                    return Value::Object(object);
                }
                for field in self.types[name]["inputFields"].as_array().unwrap() {
                    let required = field["type"]["kind"] == "NON_NULL";
                    if required || rng.random_bool(0.6) {
                        let value = self.value(&field["type"], rng, depth + 1);
                        object.insert(field["name"].as_str().unwrap().to_owned(), value);
                    }
                }
                Value::Object(object)
            }
            _ => hostile_scalar(ty["name"].as_str().unwrap_or_default(), rng),
        }
    }

    /// `{ __typename }` for a composite result, nothing for a leaf.
    fn selection(&self, ty: &Value) -> &'static str {
        match named(ty)["kind"].as_str() {
            Some("OBJECT" | "INTERFACE" | "UNION") => "{ __typename }",
            _ => "",
        }
    }
}

async fn assert_answers_as_a_client_error(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
) {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert!(
        status < 500,
        "{status} for {query} with {variables}: {text}"
    );
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("not JSON for {query} with {variables}: {text}"));
    for error in body["errors"].as_array().into_iter().flatten() {
        let code = error["extensions"]["code"].as_str();
        assert!(
            code.is_some(),
            "error without a code for {query} with {variables}: {text}"
        );
        assert_ne!(code, Some("INTERNAL"), "{query} with {variables}: {text}");
        assert!(
            !error["message"]
                .as_str()
                .unwrap_or_default()
                .contains("Failed to parse"),
            "a parser's message for {query} with {variables}: {text}"
        );
    }
}

#[tokio::test]
async fn every_argument_of_every_field_survives_random_and_hostile_values() {
    let app = TestApp::spawn().await;
    let admin = app.token("root", &["ADMIN"]);
    let sales = app.token("sam", &["SALES"]);
    let data = app.gql(&admin, INTROSPECTION, json!({})).await;
    let schema = Schema {
        types: data["__schema"]["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone()))
            .collect(),
    };
    let mut rng = StdRng::seed_from_u64(
        std::env::var("HOSTILE_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(20261201),
    );
    let mut tried = 0;
    for (root, keyword) in [("Query", "query"), ("Mutation", "mutation")] {
        let fields = schema.types[root]["fields"].as_array().unwrap().clone();
        for field in fields {
            let args = field["args"].as_array().unwrap();
            if args.is_empty() {
                continue;
            }
            let name = field["name"].as_str().unwrap();
            let declared: Vec<String> = args
                .iter()
                .map(|a| format!("${}: {}", a["name"].as_str().unwrap(), spelled(&a["type"])))
                .collect();
            let passed: Vec<String> = args
                .iter()
                .map(|a| format!("{0}: ${0}", a["name"].as_str().unwrap()))
                .collect();
            let query = format!(
                "{keyword}({}) {{ {name}({}) {} }}",
                declared.join(", "),
                passed.join(", "),
                schema.selection(&field["type"])
            );
            for round in 0..6 {
                let variables: serde_json::Map<String, Value> = args
                    .iter()
                    .map(|a| {
                        (
                            a["name"].as_str().unwrap().to_owned(),
                            schema.value(&a["type"], &mut rng, 0),
                        )
                    })
                    .collect();
                let token = if round % 2 == 0 { &admin } else { &sales };
                assert_answers_as_a_client_error(&app, token, &query, Value::Object(variables))
                    .await;
                tried += 1;
            }
        }
    }
    assert!(
        tried > 200,
        "only {tried} requests: did the schema walk find the fields?"
    );
}

#[tokio::test]
async fn bad_scalars_in_variables_are_a_400_validation_naming_the_path() {
    let app = TestApp::spawn().await;
    let admin = app.token("root", &["ADMIN"]);
    for (query, variables, field) in [
        (
            "query($id: UUID!) { lead(id: $id) { id } }",
            json!({ "id": "not-a-uuid" }),
            "id",
        ),
        (
            "query($f: LeadFilter) { leads(first: 1, filter: $f) { totalCount } }",
            json!({ "f": { "ownerId": "a\u{0}b" } }),
            "f.ownerId",
        ),
        (
            "query($d: DateTime) { leads(first: 1, filter: {createdAfter: $d}) { totalCount } }",
            json!({ "d": "2024-02-30T00:00:00Z" }),
            "d",
        ),
    ] {
        let (status, body) = app.post(Some(&admin), query, variables).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "VALIDATION",
            "{body}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    // Literals are held to the same rules.
    let (status, body) = app
        .post(Some(&admin), "{ lead(id: \"nope\") { id } }", json!({}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "lead.id",
        "{body}"
    );
}
