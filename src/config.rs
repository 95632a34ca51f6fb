//! Settings: the only place that reads the environment. Each setting lives
//! with the module it configures; `Settings` only assembles them.
//!
//! Every setting is a command-line flag with an `LTC_*` variable behind it and a
//! default that runs the embedded setup (SQLite in `./ltc-data`, 127.0.0.1:8080)
//! with no configuration at all.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Args;

use crate::{
    auth::JwtSettings, db::StoreSettings, http::TransportSettings, metrics::MetricsBind,
    outbox::WorkerSettings, quotes::QuotePolicy, secrets::SecretKeySettings, telemetry::LogFormat,
};

#[derive(Clone, Debug, Args)]
pub struct Settings {
    /// Address the HTTP server listens on.
    #[arg(long, env = "LTC_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Where `/metrics` is served: an address of its own (so a public API
    /// listener does not publish it), or `off`.
    #[arg(long, env = "LTC_METRICS_BIND", default_value = "127.0.0.1:9464", value_parser = crate::metrics::parse_bind)]
    pub metrics_bind: MetricsBind,

    #[command(flatten)]
    pub store: StoreSettings,

    #[command(flatten)]
    pub jwt: JwtSettings,

    /// Log format: human-readable text or one JSON object per line.
    #[arg(long, env = "LTC_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Longest time one HTTP request may take, in seconds.
    #[arg(long, env = "LTC_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    #[command(flatten)]
    pub limits: crate::graphql::limits::RequestLimits,

    #[command(flatten)]
    pub quotes: QuotePolicy,

    #[command(flatten)]
    pub worker: WorkerSettings,

    #[command(flatten)]
    pub renewals: crate::renewals::RenewalSettings,

    #[command(flatten)]
    pub erp: crate::connectors::erp::ErpSettings,

    #[command(flatten)]
    pub billing: crate::connectors::billing::BillingSettings,

    #[command(flatten)]
    pub webhooks: crate::webhooks::WebhookSettings,

    #[command(flatten)]
    pub events: crate::events::EventSettings,

    #[command(flatten)]
    pub transport: TransportSettings,

    #[command(flatten)]
    pub secrets: SecretKeySettings,
}

impl Settings {
    /// The embedded defaults with data in `data_dir`, as if no flag or variable were set.
    pub fn embedded(data_dir: impl Into<PathBuf>) -> Self {
        Settings {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            metrics_bind: MetricsBind::At(SocketAddr::from(([127, 0, 0, 1], 9464))),
            store: StoreSettings {
                data_dir: data_dir.into(),
                database_url: None,
                db_max_connections: 10,
            },
            jwt: JwtSettings {
                jwt_secret: None,
                jwt_public_key: None,
                jwt_algorithm: None,
                jwt_issuer: None,
                jwt_audience: None,
            },
            log_format: LogFormat::Text,
            request_timeout_secs: 30,
            limits: Default::default(),
            quotes: QuotePolicy::default(),
            worker: WorkerSettings::default(),
            renewals: Default::default(),
            erp: Default::default(),
            billing: Default::default(),
            webhooks: Default::default(),
            events: Default::default(),
            transport: Default::default(),
            secrets: Default::default(),
        }
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }
}
