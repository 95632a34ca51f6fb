//! GraphQL subscriptions over WebSocket on `GET /graphql` (a request with
//! `Upgrade: websocket`), speaking `graphql-transport-ws` (and the legacy
//! `graphql-ws`). The caller authenticates in the `connection_init`
//! payload, `{"Authorization": "Bearer <token>"}`, verified like the
//! `Authorization` header of a POST; a connection without a valid token is
//! closed.

use std::sync::Arc;

use async_graphql::{Data, http::ALL_WEBSOCKET_PROTOCOLS};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    extract::{FromRequestParts, WebSocketUpgrade},
    http::{HeaderMap, header, request::Parts},
    response::{IntoResponse, Response},
};

use crate::{auth::TokenVerifier, graphql::context::Caller, http::AppState};

/// Whether a request asks to become a WebSocket.
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Upgrades the request and serves GraphQL subscriptions on it.
pub async fn upgrade(state: AppState, parts: &mut Parts) -> Response {
    let protocol = match GraphQLProtocol::from_request_parts(parts, &()).await {
        Ok(protocol) => protocol,
        Err(status) => {
            return (
                status,
                "name the subprotocol: Sec-WebSocket-Protocol: graphql-transport-ws",
            )
                .into_response();
        }
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let schema = state.schema.clone();
    let verifier = state.verifier.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| authenticate(verifier, payload))
                .serve()
        })
        .into_response()
}

/// The caller from `connection_init`'s `Authorization` entry.
async fn authenticate(
    verifier: Arc<TokenVerifier>,
    payload: serde_json::Value,
) -> async_graphql::Result<Data> {
    let value = payload
        .as_object()
        .and_then(|fields| {
            fields
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        })
        .and_then(|(_, value)| value.as_str())
        .ok_or_else(|| {
            async_graphql::Error::new(
                "send {\"Authorization\": \"Bearer <token>\"} as the connection_init payload",
            )
        })?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| async_graphql::Error::new("expected a Bearer token"))?;
    let actor = verifier
        .verify(token.trim())
        .map_err(|e| async_graphql::Error::new(e.to_string()))?;
    let mut data = Data::default();
    data.insert(Caller(Some(Arc::new(actor))));
    Ok(data)
}
