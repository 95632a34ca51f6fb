//! Inbound signed webhooks: leads from marketing automation and HubSpot.

use std::sync::Arc;

use axum::Router;
use clap::Args;
use sea_orm::DatabaseConnection;

use crate::{http::AppState, outbox::JobHandler};

/// Webhook settings; each endpoint is off until its secret is set.
#[derive(Clone, Debug, Args, Default)]
pub struct WebhookSettings {}

/// The webhook routes, merged into the server's router.
pub fn routes() -> Router<AppState> {
    Router::new()
}

pub fn handlers(
    _settings: &WebhookSettings,
    _db: &DatabaseConnection,
) -> anyhow::Result<Vec<Arc<dyn JobHandler>>> {
    Ok(Vec::new())
}
