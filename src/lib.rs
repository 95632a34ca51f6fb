//! ltc: one GraphQL API over the whole Lead to Cash flow.
//!
//! The modules follow the domain: one folder per aggregate (`leads`,
//! `accounts`, ...) with its GraphQL schema, service rules and repository,
//! around a thin HTTP edge (`http`), the merged schema (`schema`), auth and the database.
//! ARCHITECTURE.md describes the layers.

pub mod accounts;
pub mod auth;
pub mod config;
pub mod connectors;
pub mod contacts;
pub mod contracts;
pub mod db;
pub mod error;
pub mod events;
pub mod graphql;
pub mod history;
pub mod http;
pub mod input;
pub mod leads;
pub mod metrics;
pub mod money;
pub mod opportunities;
pub mod outbox;
pub mod products;
pub mod purchase_orders;
pub mod quotes;
pub mod receivables;
pub mod renewals;
pub mod reports;
pub mod schema;
pub mod secrets;
pub mod seed;
pub mod service_cases;
pub mod startup;
pub mod telemetry;
pub mod webhooks;

pub use error::{Error, Result};
