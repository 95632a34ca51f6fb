//! GraphQL subscriptions over WebSocket on `GET /graphql` (a request with
//! `Upgrade: websocket`), speaking `graphql-transport-ws` (and the legacy
//! `graphql-ws`).
//!
//! **Only subscriptions travel over WebSocket.** Queries and mutations are
//! sent with HTTP POST, where the body limit, the request timeout, the
//! per-request loaders and `Idempotency-Key` apply; a `subscribe` message
//! holding one gets an `error` message (`BAD_REQUEST`) and nothing runs.
//!
//! - The caller authenticates in the `connection_init` payload,
//!   `{"Authorization": "Bearer <token>"}`, verified like the
//!   `Authorization` header of a POST; a refused token closes the socket
//!   with 4403 (Forbidden; the close reason names the token's
//!   `TOKEN_*` reason). A connection lives as long as its token: when a POST
//!   would refuse it, the server closes with 4403 too, and the client
//!   reconnects with a fresh one.
//! - A socket that sends no `connection_init` within
//!   `LTC_WS_INIT_TIMEOUT_SECS` is closed with 4408.
//! - A message is at most [`MAX_MESSAGE_BYTES`]; a longer one closes the
//!   socket with 1009 before anything parses it.
//! - One caller (`sub`) holds at most `LTC_WS_MAX_CONNECTIONS_PER_CALLER`
//!   sockets (the next is closed with 4429), and an instance at most
//!   `LTC_WS_MAX_CONNECTIONS` (past that the upgrade is answered 503).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use async_graphql::{
    Data,
    http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols},
    parser::types::OperationType,
};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    extract::{
        FromRequestParts, WebSocketUpgrade,
        ws::{CloseFrame, Message, WebSocket},
    },
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use futures::{SinkExt, StreamExt, channel::mpsc, stream::SplitStream};
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use super::{AppState, TransportSettings};
use crate::{auth::TokenVerifier, graphql::context::Caller};

/// Longest message (and frame) a client may send: far below the HTTP body
/// limit, and ample for any subscription document.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// graphql-transport-ws close codes.
const FORBIDDEN: u16 = 4403;
const INIT_TIMEOUT: u16 = 4408;
const TOO_MANY: u16 = 4429;
const BAD_MESSAGE: u16 = 4400;
/// RFC 6455: a message too big to process.
const TOO_BIG: u16 = 1009;

/// The WebSockets of one instance: how many are open, and per caller.
pub struct Sockets {
    init_timeout: Duration,
    per_caller: usize,
    open: Arc<Semaphore>,
    callers: Mutex<HashMap<String, usize>>,
}

impl Sockets {
    pub fn new(settings: &TransportSettings) -> Arc<Sockets> {
        Arc::new(Sockets {
            init_timeout: settings.ws_init_timeout(),
            per_caller: settings.ws_max_connections_per_caller.max(1),
            open: Arc::new(Semaphore::new(settings.ws_max_connections.max(1))),
            callers: Mutex::new(HashMap::new()),
        })
    }

    /// A place for one more socket of `sub`, held until dropped; `None`
    /// when the caller has all its sockets open already.
    fn enter(self: &Arc<Self>, sub: &str) -> Option<CallerTurn> {
        let mut callers = self.callers.lock().unwrap_or_else(PoisonError::into_inner);
        let open = callers.entry(sub.to_owned()).or_insert(0);
        if *open >= self.per_caller {
            return None;
        }
        *open += 1;
        Some(CallerTurn {
            sockets: self.clone(),
            sub: sub.to_owned(),
        })
    }
}

/// One open socket of a caller.
struct CallerTurn {
    sockets: Arc<Sockets>,
    sub: String,
}

impl Drop for CallerTurn {
    fn drop(&mut self) {
        let mut callers = self
            .sockets
            .callers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(open) = callers.get_mut(&self.sub) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                callers.remove(&self.sub);
            }
        }
    }
}

/// What one connection learnt at `connection_init`: why it was refused (to
/// close with the protocol's code rather than GraphQL's 1002), and the
/// caller's place, held as long as the connection.
#[derive(Default)]
struct Session {
    refusal: Mutex<Option<(u16, String)>>,
    turn: Mutex<Option<CallerTurn>>,
}

impl Session {
    fn refuse(&self, code: u16, reason: impl Into<String>) -> async_graphql::Error {
        let reason = reason.into();
        *self.refusal.lock().unwrap_or_else(PoisonError::into_inner) = Some((code, reason.clone()));
        async_graphql::Error::new(reason)
    }

    fn refusal(&self) -> Option<(u16, String)> {
        self.refusal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

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
    // As `GraphQLProtocol` chose it: the first one named that we speak.
    let dialect = parts
        .headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|names| {
            names
                .split(',')
                .find_map(|name| name.trim().parse::<WebSocketProtocols>().ok())
        })
        .unwrap_or(WebSocketProtocols::GraphQLWS);
    let upgrade = match WebSocketUpgrade::from_request_parts(parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let Ok(open) = state.sockets.open.clone().try_acquire_owned() else {
        let mut response = (
            StatusCode::SERVICE_UNAVAILABLE,
            "this instance has all the WebSockets it serves open; retry later",
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return response;
    };
    let schema = state.schema.clone();
    let verifier = state.verifier.clone();
    let sockets = state.sockets.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| {
            serve(socket, schema, (protocol, dialect), verifier, sockets, open)
        })
        .into_response()
}

/// Serves subscriptions until the client leaves or its token ends. Client
/// messages pass a screen before GraphQL sees them, and GraphQL writes into
/// a channel rather than the socket, so that the socket can be closed (at
/// the token's end, or without `connection_init`) whatever GraphQL is doing.
async fn serve(
    socket: WebSocket,
    schema: crate::schema::AppSchema,
    (protocol, dialect): (GraphQLProtocol, WebSocketProtocols),
    verifier: Arc<TokenVerifier>,
    sockets: Arc<Sockets>,
    _open: OwnedSemaphorePermit,
) {
    let (socket_sink, socket_stream) = socket.split();
    let (outgoing, to_send) = mpsc::channel::<Message>(16);
    let (screened, to_graphql) = mpsc::channel::<Message>(16);
    let (token_end_tx, token_end) = oneshot::channel::<u64>();
    let (init_seen_tx, init_seen) = oneshot::channel::<()>();
    let session = Arc::new(Session::default());
    let init_timeout = sockets.init_timeout;
    let authenticating = session.clone();
    let graphql = GraphQLWebSocket::new_with_pair(
        outgoing.clone(),
        to_graphql.map(Ok::<_, axum::Error>),
        schema,
        protocol,
    )
    .on_connection_init(move |payload| {
        authenticate(verifier, sockets, authenticating, token_end_tx, payload)
    })
    .serve();
    let screen = tokio::spawn(screen(
        socket_stream,
        screened,
        outgoing,
        dialect,
        init_seen_tx,
    ));
    let forward = forward_until(
        socket_sink,
        to_send,
        Ends {
            token_end,
            init_seen,
            init_timeout,
        },
        session.clone(),
    );
    tokio::pin!(graphql, forward);
    tokio::select! {
        // The socket is closing (or the client went away): GraphQL stops with it.
        () = &mut forward => {
            screen.abort();
            return;
        }
        // GraphQL is done: what it still wrote (a close frame) goes out first.
        () = &mut graphql => {}
    }
    screen.abort();
    forward.await;
}

/// Passes the client's messages on to GraphQL, except a `subscribe` for a
/// query or mutation, which is answered with an `error` here. Notes the
/// `connection_init`. A read error (a message over the size limit) closes
/// the socket with 1009.
async fn screen(
    mut incoming: SplitStream<WebSocket>,
    to_graphql: mpsc::Sender<Message>,
    mut outgoing: mpsc::Sender<Message>,
    protocol: WebSocketProtocols,
    init_seen: oneshot::Sender<()>,
) {
    let mut init_seen = Some(init_seen);
    let mut to_graphql = to_graphql;
    while let Some(message) = incoming.next().await {
        let message = match message {
            Ok(message) => message,
            Err(error) => {
                tracing::debug!(error = %error, "reading a WebSocket message");
                let close = CloseFrame {
                    code: TOO_BIG,
                    reason: "message too big or malformed".into(),
                };
                let _ = outgoing.send(Message::Close(Some(close))).await;
                return;
            }
        };
        let parsed: Option<Value> = match &message {
            Message::Text(text) => serde_json::from_str(text.as_str()).ok(),
            Message::Binary(bytes) => serde_json::from_slice(bytes).ok(),
            _ => None,
        };
        if let Some(parsed) = &parsed {
            match parsed.get("type").and_then(Value::as_str) {
                Some("connection_init") => {
                    if let Some(seen) = init_seen.take() {
                        let _ = seen.send(());
                    }
                }
                Some("subscribe" | "start") if !is_subscription(parsed) => {
                    let id = parsed.get("id").cloned().unwrap_or(Value::Null);
                    if outgoing
                        .send(Message::text(not_over_websocket(protocol, id).to_string()))
                        .await
                        .is_err()
                    {
                        return;
                    }
                    continue;
                }
                _ => {}
            }
        }
        if to_graphql.send(message).await.is_err() {
            return;
        }
    }
}

/// Whether a `subscribe` message's document holds a subscription to run.
/// A document that does not parse passes: GraphQL answers it with its error.
fn is_subscription(message: &Value) -> bool {
    let payload = message.get("payload");
    let Some(query) = payload.and_then(|p| p.get("query")).and_then(Value::as_str) else {
        return true;
    };
    let name = payload
        .and_then(|p| p.get("operationName"))
        .and_then(Value::as_str);
    match async_graphql::parser::parse_query(query) {
        Ok(document) => !matches!(
            super::operation_type(&document.operations, name),
            Some(OperationType::Query | OperationType::Mutation)
        ),
        Err(_) => true,
    }
}

/// The `error` message refusing a query or mutation sent over WebSocket.
fn not_over_websocket(protocol: WebSocketProtocols, id: Value) -> Value {
    let error = json!({
        "message": "only subscriptions are served over WebSocket: queries and mutations are sent over HTTP POST",
        "extensions": { "code": "BAD_REQUEST" },
    });
    match protocol {
        WebSocketProtocols::GraphQLWS => json!({ "id": id, "type": "error", "payload": [error] }),
        WebSocketProtocols::SubscriptionsTransportWS => {
            json!({ "id": id, "type": "error", "payload": error })
        }
    }
}

/// What ends a connection besides GraphQL: its token's end, and no
/// `connection_init` in time.
struct Ends {
    token_end: oneshot::Receiver<u64>,
    init_seen: oneshot::Receiver<()>,
    init_timeout: Duration,
}

/// Sends GraphQL's messages to the client until GraphQL is done; closes the
/// socket with 4403 when the token is no longer accepted, and with 4408 when
/// no `connection_init` came in time. GraphQL's own 1002 for a refused
/// `connection_init` becomes the refusal's code.
async fn forward_until(
    mut socket: futures::stream::SplitSink<WebSocket, Message>,
    mut to_send: mpsc::Receiver<Message>,
    ends: Ends,
    session: Arc<Session>,
) {
    let Ends {
        token_end,
        init_seen,
        init_timeout,
    } = ends;
    let expiry = async {
        match token_end.await {
            Ok(refused_from) => tokio::time::sleep(until(refused_from)).await,
            // No caller yet (or none will come): only GraphQL ends the connection.
            Err(_) => std::future::pending().await,
        }
    };
    let no_init = async {
        match tokio::time::timeout(init_timeout, init_seen).await {
            Err(_) => {}
            // Sent, or the client left before: nothing to time out.
            Ok(_) => std::future::pending().await,
        }
    };
    tokio::pin!(expiry, no_init);
    let (code, reason) = loop {
        tokio::select! {
            message = to_send.next() => match message {
                Some(Message::Close(Some(frame))) if frame.code == 1002 => {
                    break session
                        .refusal()
                        .unwrap_or_else(|| (BAD_MESSAGE, "Invalid message".into()));
                }
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
            () = &mut expiry => break (FORBIDDEN, "Forbidden: TOKEN_EXPIRED".into()),
            () = &mut no_init => break (INIT_TIMEOUT, "Connection initialisation timeout".into()),
        }
    };
    let close = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(close))).await;
    let _ = socket.close().await;
}

/// How long from now until the Unix second `at`; zero if it has passed.
fn until(at: u64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Duration::from_secs(at).saturating_sub(now)
}

/// The caller from `connection_init`'s `Authorization` entry, if its token
/// is accepted and it has a socket to spare.
async fn authenticate(
    verifier: Arc<TokenVerifier>,
    sockets: Arc<Sockets>,
    session: Arc<Session>,
    token_end: oneshot::Sender<u64>,
    payload: Value,
) -> async_graphql::Result<Data> {
    let value = payload
        .as_object()
        .and_then(|fields| {
            fields
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        })
        .and_then(|(_, value)| value.as_str());
    let Some(token) = value.and_then(|v| {
        v.strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
    }) else {
        return Err(session.refuse(FORBIDDEN, "Forbidden: TOKEN_MISSING"));
    };
    let (actor, refused_from) = match verifier.verify_until(token.trim()) {
        Ok(verified) => verified,
        Err(crate::Error::Unauthenticated(reason)) => {
            return Err(session.refuse(FORBIDDEN, format!("Forbidden: {}", reason.code())));
        }
        Err(_) => return Err(session.refuse(FORBIDDEN, "Forbidden")),
    };
    let Some(turn) = sockets.enter(&actor.sub) else {
        return Err(session.refuse(TOO_MANY, "Too many connections"));
    };
    *session.turn.lock().unwrap_or_else(PoisonError::into_inner) = Some(turn);
    // The forwarder may be gone with the client already; nothing to tell then.
    let _ = token_end.send(refused_from);
    let mut data = Data::default();
    data.insert(Caller(Some(Arc::new(actor))));
    Ok(data)
}
