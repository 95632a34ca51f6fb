//! GraphQL subscriptions over WebSocket on `GET /graphql` (a request with
//! `Upgrade: websocket`), speaking `graphql-transport-ws` (and the legacy
//! `graphql-ws`). The caller authenticates in the `connection_init`
//! payload, `{"Authorization": "Bearer <token>"}`, verified like the
//! `Authorization` header of a POST; a connection without a valid token is
//! closed. A connection lives as long as its token: when a POST would refuse
//! the token, the server closes the socket with code 4403 (`token expired`),
//! and the client reconnects with a fresh one.

use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use async_graphql::{Data, http::ALL_WEBSOCKET_PROTOCOLS};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    extract::{
        FromRequestParts, WebSocketUpgrade,
        ws::{CloseFrame, Message, WebSocket},
    },
    http::{HeaderMap, header, request::Parts},
    response::{IntoResponse, Response},
};
use futures::{SinkExt, StreamExt, channel::mpsc};
use tokio::sync::oneshot;

use crate::{auth::TokenVerifier, graphql::context::Caller, http::AppState};

/// The close code for a connection whose token ran out (graphql-transport-ws
/// uses 4403 for a refused caller; clients do not retry it with the same token).
const TOKEN_EXPIRED: u16 = 4403;

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
        .on_upgrade(move |socket| serve(socket, schema, protocol, verifier))
        .into_response()
}

/// Serves subscriptions until the client leaves or its token ends. GraphQL
/// writes into a channel rather than the socket, so that the socket can be
/// closed at the token's end whatever GraphQL is doing.
async fn serve(
    socket: WebSocket,
    schema: crate::graphql::AppSchema,
    protocol: GraphQLProtocol,
    verifier: Arc<TokenVerifier>,
) {
    let (socket_sink, socket_stream) = socket.split();
    let (outgoing, to_send) = mpsc::channel::<Message>(16);
    let (token_end_tx, token_end) = oneshot::channel::<u64>();
    let graphql = GraphQLWebSocket::new_with_pair(outgoing, socket_stream, schema, protocol)
        .on_connection_init(move |payload| authenticate(verifier, token_end_tx, payload))
        .serve();
    let forward = forward_until(socket_sink, to_send, token_end);
    tokio::pin!(graphql, forward);
    tokio::select! {
        // The token ended (or the client went away): GraphQL stops with it.
        () = &mut forward => {}
        // GraphQL is done: what it still wrote (a close frame) goes out first.
        () = &mut graphql => forward.await,
    }
}

/// Sends GraphQL's messages to the client until GraphQL is done, or closes
/// the socket with [`TOKEN_EXPIRED`] when the token is no longer accepted.
async fn forward_until(
    mut socket: futures::stream::SplitSink<WebSocket, Message>,
    mut to_send: mpsc::Receiver<Message>,
    token_end: oneshot::Receiver<u64>,
) {
    let expiry = async {
        match token_end.await {
            Ok(refused_from) => tokio::time::sleep(until(refused_from)).await,
            // No caller yet (or none will come): only GraphQL ends the connection.
            Err(_) => std::future::pending().await,
        }
    };
    tokio::pin!(expiry);
    loop {
        tokio::select! {
            message = to_send.next() => match message {
                Some(message) => {
                    if socket.send(message).await.is_err() {
                        return;
                    }
                }
                None => {
                    let _ = socket.close().await;
                    return;
                }
            },
            () = &mut expiry => {
                let close = CloseFrame { code: TOKEN_EXPIRED, reason: "token expired".into() };
                let _ = socket.send(Message::Close(Some(close))).await;
                let _ = socket.close().await;
                return;
            }
        }
    }
}

/// How long from now until the Unix second `at`; zero if it has passed.
fn until(at: u64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Duration::from_secs(at).saturating_sub(now)
}

/// The caller from `connection_init`'s `Authorization` entry.
async fn authenticate(
    verifier: Arc<TokenVerifier>,
    token_end: oneshot::Sender<u64>,
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
    let (actor, refused_from) = verifier
        .verify_until(token.trim())
        .map_err(|e| async_graphql::Error::new(e.to_string()))?;
    // The forwarder may be gone with the client already; nothing to tell then.
    let _ = token_end.send(refused_from);
    let mut data = Data::default();
    data.insert(Caller(Some(Arc::new(actor))));
    Ok(data)
}
