//! The HTTP edge: routes, middleware, and the shared state handlers read.

pub mod graphiql;
mod graphql;
mod health;
pub mod idempotency;
mod server_timing;
mod settings;
pub(crate) mod throttle;
pub(crate) mod websocket;

pub(crate) use graphql::operation_type;
pub use settings::TransportSettings;

use std::sync::Arc;

use axum::{Router, extract::DefaultBodyLimit, routing::get};
use sea_orm::DatabaseConnection;
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{auth::TokenVerifier, schema::AppSchema};

/// What every handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    pub db: DatabaseConnection,
    pub verifier: Arc<TokenVerifier>,
    pub sdl: Arc<str>,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Secrets and URLs of the inbound webhooks.
    pub webhooks: Arc<crate::webhooks::WebhookSettings>,
    /// What one request may ask and spend.
    pub limits: crate::graphql::limits::RequestLimits,
    /// Requests each caller may run at once.
    pub throttle: Arc<throttle::Throttle>,
    /// Turns for capturing lead batches (`leads_webhook_concurrency`).
    pub lead_batches: Arc<tokio::sync::Semaphore>,
    /// The WebSockets open on this instance, in all and per caller.
    pub sockets: Arc<websocket::Sockets>,
    /// Seals and opens secrets stored in the database.
    pub sealer: Arc<crate::secrets::Sealer>,
}

/// Largest GraphQL request body accepted.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// `/metrics` alone, for its own listener (`LTC_METRICS_BIND`).
pub fn metrics_router(metrics: Arc<crate::metrics::Metrics>) -> Router {
    Router::new()
        .route("/metrics", get(crate::metrics::endpoint))
        .with_state(metrics)
}

pub fn router(state: AppState, timeout: std::time::Duration) -> Router {
    let request_id = http::HeaderName::from_static("x-request-id");
    Router::new()
        .route(
            "/graphql",
            get(graphql::get_graphql).post(graphql::post_graphql),
        )
        .route("/schema.graphql", get(graphql::schema_sdl))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(graphiql::routes())
        .merge(crate::webhooks::routes())
        .with_state(state.clone())
        .route_layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::track,
        ))
        .route_layer(axum::middleware::from_fn(server_timing::measure))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(
            http::StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &http::Request<_>| {
                let id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id = %id,
                )
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}
