//! GraphQL over HTTP, per the GraphQL-over-HTTP spec: `POST` with a JSON
//! body, `GET` for queries only, `application/graphql-response+json` answers
//! with 4xx for requests that never executed, and the legacy
//! `application/json` (always 200) for clients that ask for it.

use std::{collections::BTreeMap, sync::Arc};

use async_graphql::{
    ErrorExtensionValues, ServerError, Value as GqlValue,
    parser::types::{DocumentOperations, OperationType},
};
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::FutureExt;
use serde_json::{Value, json};
use tracing::Instrument;

use super::{
    AppState, graphiql,
    idempotency::{self, Claim},
};
use crate::{
    auth::Actor,
    db::cost,
    error::TokenReason,
    graphql::{batch::Batcher, guard},
    schema::with_request_data,
};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";

/// The media type the answer is written in, from the `Accept` header.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    GraphqlResponse,
    LegacyJson,
}

fn negotiate(headers: &HeaderMap) -> Option<Format> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Format::GraphqlResponse);
    };
    let types: Vec<&str> = accept
        .split(',')
        .map(|part| part.split(';').next().unwrap_or_default().trim())
        .collect();
    if types
        .iter()
        .any(|t| *t == GRAPHQL_RESPONSE_JSON || *t == "*/*" || *t == "application/*")
    {
        Some(Format::GraphqlResponse)
    } else if types.contains(&APPLICATION_JSON) {
        Some(Format::LegacyJson)
    } else {
        None
    }
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// A response whose request never executed: `errors` only, no `data`.
fn request_error(format: Format, status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    write(format, status, &body)
}

fn write(format: Format, status: StatusCode, body: &Value) -> Response {
    write_text(format, status, body.to_string())
}

/// Writes a JSON body already serialized (a replayed response, byte for byte).
fn write_text(format: Format, status: StatusCode, body: String) -> Response {
    let (status, content_type) = match format {
        Format::GraphqlResponse => (status, GRAPHQL_RESPONSE_JSON),
        // Legacy clients read errors from the body, never from the status,
        // except when the server refuses to serve at all.
        Format::LegacyJson if status == StatusCode::UNAUTHORIZED => (status, APPLICATION_JSON),
        Format::LegacyJson => (StatusCode::OK, APPLICATION_JSON),
    };
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The caller from the bearer token; `None` without an Authorization header.
fn authenticate(state: &AppState, headers: &HeaderMap) -> crate::Result<Option<Arc<Actor>>> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| crate::Error::Unauthenticated(TokenReason::Invalid))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or(crate::Error::Unauthenticated(TokenReason::Invalid))?;
    state
        .verifier
        .verify(token.trim())
        .map(|a| Some(Arc::new(a)))
}

/// Queries (and GraphiQL for a browser); a WebSocket upgrade serves
/// subscriptions instead.
pub async fn get_graphql(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Response {
    let (mut parts, _) = request.into_parts();
    if super::websocket::is_upgrade(&parts.headers) {
        return super::websocket::upgrade(state, &mut parts).await;
    }
    let headers = parts.headers;
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let has_query = query.split('&').any(|pair| pair.starts_with("query="));
    if !has_query && accepts_html(&headers) {
        return graphiql::page("/graphql").into_response();
    }
    let Some(format) = negotiate(&headers) else {
        return not_acceptable();
    };
    let admitted = match admit(&state, &headers, format).await {
        Ok(admitted) => admitted,
        Err(refused) => return refused,
    };
    match async_graphql::http::parse_query_string(&query) {
        Ok(request) => execute(state, &headers, format, request, true, admitted).await,
        Err(_) => request_error(
            format,
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "a GET request needs a `query` parameter (and optionally `operationName` and JSON `variables`)",
        ),
    }
}

pub async fn post_graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(format) = negotiate(&headers) else {
        return not_acceptable();
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with(APPLICATION_JSON)
    {
        return request_error(
            format,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_REQUEST",
            "send the request as Content-Type: application/json",
        );
    }
    // The caller and its rate before the body is read: a refused request
    // costs no JSON parsing.
    let admitted = match admit(&state, &headers, format).await {
        Ok(admitted) => admitted,
        Err(refused) => return refused,
    };
    match serde_json::from_slice::<async_graphql::Request>(&body) {
        Ok(request) => execute(state, &headers, format, request, false, admitted).await,
        Err(_) => request_error(
            format,
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "the body must be a JSON object with `query`, and optionally `operationName` and `variables`",
        ),
    }
}

fn not_acceptable() -> Response {
    let mut response = (
        StatusCode::NOT_ACCEPTABLE,
        "ltc answers application/graphql-response+json or application/json",
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// A 401: the caller must (re)authenticate; `extensions.reason` tells a
/// client whether to refresh its token or to log in.
fn unauthenticated(format: Format, error: crate::Error) -> Response {
    let mut server = ServerError::new(error.to_string(), None);
    error.annotate(&mut server);
    let mut response = write(
        format,
        StatusCode::UNAUTHORIZED,
        &json!({ "errors": [server] }),
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

/// A 429: the caller sends more, or more at once, than it may.
fn too_many_requests(format: Format, retry_after_secs: u64) -> Response {
    let mut response = request_error(
        format,
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        "too many requests from this caller; retry after the Retry-After seconds",
    );
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// A caller let in: who it is (none without a token), and its turn, held
/// until the response is written.
struct Admitted {
    actor: Option<Arc<Actor>>,
    _turn: tokio::sync::OwnedSemaphorePermit,
}

/// The token, then the caller's rate and turns: both before any of the
/// request's body is parsed.
async fn admit(
    state: &AppState,
    headers: &HeaderMap,
    format: Format,
) -> Result<Admitted, Response> {
    let actor = authenticate(state, headers).map_err(|error| unauthenticated(format, error))?;
    let caller = actor.as_ref().map_or("", |a| a.sub.as_str());
    match state.throttle.turn(caller).await {
        Ok(turn) => Ok(Admitted { actor, _turn: turn }),
        Err(refused) => Err(too_many_requests(format, refused.retry_after_secs)),
    }
}

async fn execute(
    state: AppState,
    headers: &HeaderMap,
    format: Format,
    mut request: async_graphql::Request,
    via_get: bool,
    admitted: Admitted,
) -> Response {
    let Admitted { actor, _turn } = admitted;
    // Bounded before parsing, so the parser never sees a hostile document.
    if let Err(message) = guard::prescan(&request.query, &state.limits.document()) {
        return request_error(
            format,
            StatusCode::BAD_REQUEST,
            "GRAPHQL_VALIDATION_FAILED",
            &message,
        );
    }
    let operation_name = request.operation_name.clone();
    let (operation, schema_only, introspects) = match request.parsed_query() {
        Ok(document) => match guard::root(document, operation_name.as_deref()) {
            Some(root) => (
                Some(root.ty),
                root.asks_only_about_the_schema(),
                root.introspects(),
            ),
            None => (None, false, false),
        },
        Err(error) => {
            return request_error(
                format,
                StatusCode::BAD_REQUEST,
                "GRAPHQL_PARSE_FAILED",
                &error.message,
            );
        }
    };
    // Without a token nothing runs but questions about the schema.
    if actor.is_none() && !schema_only {
        return unauthenticated(format, crate::Error::Unauthenticated(TokenReason::Missing));
    }
    if !state.limits.allows_introspection(actor.is_some()) {
        if introspects && actor.is_none() {
            return unauthenticated(format, crate::Error::Unauthenticated(TokenReason::Missing));
        }
        if introspects {
            return request_error(
                format,
                StatusCode::BAD_REQUEST,
                "GRAPHQL_VALIDATION_FAILED",
                "introspection is turned off on this server (LTC_INTROSPECTION)",
            );
        }
        request = request.disable_introspection();
    }
    if via_get && operation == Some(OperationType::Mutation) {
        let mut response = request_error(
            format,
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_REQUEST",
            "mutations are sent with POST",
        );
        *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let claim = match operation {
        Some(OperationType::Mutation) => {
            idempotency::claim(&state.db, headers, actor.as_deref(), &mut request).await
        }
        _ => None,
    };
    let batcher = Batcher::new();
    let request = with_request_data(request, &state.db, actor, &batcher);
    let request = request.data(state.sealer.clone());
    let budget = state.limits.max_sql_statements;
    match claim {
        None => {
            let run = batcher.run(state.schema.execute(request));
            let (status, body) = unwound(within_budget(budget, run)).await;
            write_text(format, status, body)
        }
        Some(Claim::Refuse {
            status,
            code,
            message,
        }) => request_error(format, status, code, &message),
        Some(Claim::Replay { status, body }) => {
            let mut response = write_text(format, status, body);
            response
                .headers_mut()
                .insert(idempotency::REPLAYED, HeaderValue::from_static("true"));
            response
        }
        Some(Claim::Run(ticket)) => {
            let (schema, db) = (state.schema.clone(), state.db.clone());
            let spent = cost::current().unwrap_or_default();
            // On its own task, so it finishes and stores its outcome even if
            // the client goes away: the retry must find it.
            let run = tokio::spawn(cost::measure(
                spent,
                async move {
                    let run = batcher.run(schema.execute(request));
                    let (status, body) = unwound(within_budget(budget, run)).await;
                    // A panic answers 500, which gives the key back.
                    ticket.settle(&db, status, &body).await;
                    (status, body)
                }
                .instrument(tracing::Span::current()),
            ));
            match run.await {
                Ok((status, body)) => write_text(format, status, body),
                Err(error) => {
                    tracing::error!(error = ?error, "running a keyed mutation");
                    request_error(
                        format,
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "INTERNAL",
                        "internal error",
                    )
                }
            }
        }
    }
}

/// The status and body of a request's run; a panic anywhere in it is an
/// `INTERNAL` 500 (logged), never a dropped connection or a key left in
/// progress.
async fn unwound(
    run: impl std::future::Future<Output = async_graphql::Response>,
) -> (StatusCode, String) {
    match std::panic::AssertUnwindSafe(run).catch_unwind().await {
        Ok(response) => outcome(response),
        Err(_) => {
            tracing::error!("a GraphQL request panicked");
            let body = json!({ "errors": [{ "message": "internal error", "extensions": { "code": "INTERNAL" } }] });
            (StatusCode::INTERNAL_SERVER_ERROR, body.to_string())
        }
    }
}

/// Runs a request, stopping it once it has run more SQL statements than
/// `budget`: what it left undone is dropped, and a write in progress rolls
/// back with its transaction.
async fn within_budget(
    budget: u64,
    run: impl std::future::Future<Output = async_graphql::Response>,
) -> async_graphql::Response {
    let Some(spent) = cost::current() else {
        return run.await;
    };
    spent.limit(budget);
    tokio::select! {
        // A request that went over its budget is refused even when its last
        // statements finished in the same instant.
        biased;
        () = spent.exhausted() => {
            let mut error = ServerError::new(
                format!("the request ran more than {budget} SQL statements and was stopped; ask for less per request"),
                None,
            );
            error
                .extensions
                .get_or_insert_with(ErrorExtensionValues::default)
                .set("code", "COST_LIMIT_EXCEEDED");
            let mut response = async_graphql::Response::from_errors(vec![error]);
            // It ran: a response with `data`, so not a 400 for a request
            // that never executed.
            response.data = GqlValue::Object(Default::default());
            response
        }
        response = run => response,
    }
}

pub(crate) fn operation_type(
    operations: &DocumentOperations,
    name: Option<&str>,
) -> Option<OperationType> {
    guard::selected(operations, name).map(|op| op.node.ty)
}

/// Every error gets a code: ours carry one already; what async-graphql
/// raised itself is a validation failure when the request never ran
/// (no path), and an internal error otherwise.
fn ensure_code(error: &mut ServerError, executed: bool) {
    if let Some(source) = error.source.clone()
        && let Some(ours) = crate::Error::behind(source.as_ref())
    {
        ours.annotate(error);
        return;
    }
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some());
    if has_code {
        return;
    }
    let code = if !executed {
        "GRAPHQL_VALIDATION_FAILED"
    } else if error.path.is_empty() {
        "BAD_REQUEST"
    } else {
        "INTERNAL"
    };
    error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default)
        .set("code", code);
}

/// The status and body (as `application/graphql-response+json` has them) of
/// an executed request, or of one that failed validation.
fn outcome(mut response: async_graphql::Response) -> (StatusCode, String) {
    // A request that failed validation or its limits never executed: its
    // errors have no path and it has no data.
    let executed =
        response.data != GqlValue::Null || response.errors.iter().any(|e| !e.path.is_empty());
    for error in &mut response.errors {
        ensure_code(error, executed);
    }
    // Written straight from the response: going through a `serde_json::Value`
    // first costs a copy of every field of a large page.
    let written = if executed {
        serde_json::to_string(&response)
    } else {
        serde_json::to_string(&Unexecuted {
            extensions: &response.extensions,
            errors: &response.errors,
        })
    };
    let body = match written {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(error = ?error, "serializing a GraphQL response");
            let body = json!({ "errors": [{ "message": "internal error", "extensions": { "code": "INTERNAL" } }] });
            return (StatusCode::INTERNAL_SERVER_ERROR, body.to_string());
        }
    };
    let status = if executed {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    (status, body)
}

/// A request that never executed has no `data` member at all.
#[derive(serde::Serialize)]
struct Unexecuted<'a> {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: &'a BTreeMap<String, GqlValue>,
    errors: &'a [ServerError],
}

/// The SDL, to whoever may introspect (`LTC_INTROSPECTION`).
pub async fn schema_sdl(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let authenticated = matches!(authenticate(&state, &headers), Ok(Some(_)));
    if !state.limits.allows_introspection(authenticated) {
        let reason = if headers.contains_key(header::AUTHORIZATION) {
            TokenReason::Invalid
        } else {
            TokenReason::Missing
        };
        let status = if authenticated {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::UNAUTHORIZED
        };
        let mut response =
            unauthenticated(Format::LegacyJson, crate::Error::Unauthenticated(reason));
        *response.status_mut() = status;
        return response;
    }
    let mut response = state.sdl.to_string().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_while_running_is_an_internal_500_with_a_code() {
        let (status, body) = unwound(async {
            panic!("a bug");
            #[allow(unreachable_code)]
            async_graphql::Response::new(GqlValue::Null)
        })
        .await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "INTERNAL");
    }
}
