//! Settings: the only place that reads the environment.
//!
//! Every setting is a command-line flag with an `LTC_*` variable behind it and a
//! default that runs the embedded setup (SQLite in `./ltc-data`, 127.0.0.1:8080)
//! with no configuration at all.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, ValueEnum};
use secrecy::{ExposeSecret, SecretString};

#[derive(Clone, Debug, Args)]
pub struct Settings {
    /// Address the HTTP server listens on.
    #[arg(long, env = "LTC_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Where `/metrics` is served: an address of its own (so a public API
    /// listener does not publish it), or `off`.
    #[arg(long, env = "LTC_METRICS_BIND", default_value = "127.0.0.1:9464", value_parser = parse_metrics_bind)]
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

/// Limits on connections: how long a client may take to send its headers,
/// and how many connections and WebSockets one instance serves.
#[derive(Clone, Debug, Args)]
pub struct TransportSettings {
    /// Longest time a client may take to send a request's headers, in seconds.
    #[arg(long, env = "LTC_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,

    /// Most HTTP connections served at once; more wait to be accepted.
    #[arg(long, env = "LTC_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// Seconds a WebSocket may stay open without sending `connection_init`.
    #[arg(long, env = "LTC_WS_INIT_TIMEOUT_SECS", default_value_t = 10)]
    pub ws_init_timeout_secs: u64,

    /// Most WebSockets open at once for one caller (token `sub`).
    #[arg(long, env = "LTC_WS_MAX_CONNECTIONS_PER_CALLER", default_value_t = 16)]
    pub ws_max_connections_per_caller: usize,

    /// Most WebSockets open at once on this instance.
    #[arg(long, env = "LTC_WS_MAX_CONNECTIONS", default_value_t = 1024)]
    pub ws_max_connections: usize,
}

impl Default for TransportSettings {
    fn default() -> Self {
        TransportSettings {
            header_read_timeout_secs: 10,
            max_connections: 1024,
            ws_init_timeout_secs: 10,
            ws_max_connections_per_caller: 16,
            ws_max_connections: 1024,
        }
    }
}

impl TransportSettings {
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs.max(1))
    }

    pub fn max_connections(&self) -> usize {
        self.max_connections.max(1)
    }

    pub fn ws_init_timeout(&self) -> Duration {
        Duration::from_secs(self.ws_init_timeout_secs.max(1))
    }
}

/// The key webhook signing secrets are encrypted with in the database.
#[derive(Clone, Debug, Default, Args)]
pub struct SecretKeySettings {
    /// 32 bytes, base64: encrypts secrets stored in the database; default: a
    /// random key generated once in the data directory (`secret-key`).
    #[arg(long, env = "LTC_SECRET_KEY", value_parser = parse_secret)]
    pub secret_key: Option<SecretString>,

    /// Keys replaced by `LTC_SECRET_KEY`, comma-separated: still decrypt,
    /// and what they encrypted is re-encrypted with the current key at start.
    #[arg(long, env = "LTC_SECRET_KEY_PREVIOUS", value_parser = parse_secret)]
    pub secret_key_previous: Option<SecretString>,
}

/// The outbox worker that `ltc serve` runs (and `ltc worker` runs alone).
#[derive(Clone, Copy, Debug, Args)]
pub struct WorkerSettings {
    /// Run an outbox worker inside `ltc serve`.
    #[arg(long, env = "LTC_WORKER_ENABLED", default_value_t = true, action = clap::ArgAction::Set)]
    pub worker_enabled: bool,

    /// Jobs a worker claims and runs at once.
    #[arg(long, env = "LTC_WORKER_CONCURRENCY", default_value_t = 8)]
    pub worker_concurrency: u64,

    /// Pause between polls when no job is due, in milliseconds.
    #[arg(long, env = "LTC_WORKER_POLL_MS", default_value_t = 500)]
    pub worker_poll_ms: u64,

    /// How long a claimed job belongs to its worker; a job held longer (its
    /// worker died) is taken again.
    #[arg(long, env = "LTC_JOB_LEASE_SECS", default_value_t = 60)]
    pub job_lease_secs: u64,

    /// First retry delay in milliseconds; doubles per attempt, with jitter.
    #[arg(long, env = "LTC_JOB_BACKOFF_BASE_MS", default_value_t = 2000)]
    pub job_backoff_base_ms: u64,

    /// Longest retry delay in seconds.
    #[arg(long, env = "LTC_JOB_BACKOFF_CAP_SECS", default_value_t = 3600)]
    pub job_backoff_cap_secs: u64,

    /// Days a finished job is kept before housekeeping deletes it.
    #[arg(long, env = "LTC_JOB_RETENTION_DAYS", default_value_t = 7)]
    pub job_retention_days: i64,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            worker_enabled: true,
            worker_concurrency: 8,
            worker_poll_ms: 500,
            job_lease_secs: 60,
            job_backoff_base_ms: 2000,
            job_backoff_cap_secs: 3600,
            job_retention_days: 7,
        }
    }
}

impl WorkerSettings {
    pub fn options(&self) -> crate::outbox::worker::WorkerOptions {
        crate::outbox::worker::WorkerOptions {
            concurrency: self.worker_concurrency.max(1),
            poll: Duration::from_millis(self.worker_poll_ms.max(10)),
            lease: Duration::from_secs(self.job_lease_secs.max(1)),
            backoff: crate::outbox::backoff::Backoff {
                base: Duration::from_millis(self.job_backoff_base_ms.max(1)),
                cap: Duration::from_secs(self.job_backoff_cap_secs.max(1)),
            },
        }
    }
}

/// When a quote needs a sales manager's approval.
#[derive(Clone, Copy, Debug, Args)]
pub struct QuotePolicy {
    /// A line discount above this percent needs approval.
    #[arg(long = "quote-line-discount-threshold", env = "LTC_QUOTE_LINE_DISCOUNT_THRESHOLD", default_value_t = rust_decimal::Decimal::from(15))]
    pub line_discount_threshold: rust_decimal::Decimal,

    /// An overall discount (total discount over subtotal) above this percent needs approval.
    #[arg(long = "quote-total-discount-threshold", env = "LTC_QUOTE_TOTAL_DISCOUNT_THRESHOLD", default_value_t = rust_decimal::Decimal::from(10))]
    pub total_discount_threshold: rust_decimal::Decimal,
}

impl Default for QuotePolicy {
    fn default() -> Self {
        QuotePolicy {
            line_discount_threshold: rust_decimal::Decimal::from(15),
            total_discount_threshold: rust_decimal::Decimal::from(10),
        }
    }
}

/// Where data lives: the database and the generated secrets.
#[derive(Clone, Debug, Args)]
pub struct StoreSettings {
    /// Directory for the embedded SQLite database and the generated signing secret.
    #[arg(long, env = "LTC_DATA_DIR", default_value = "./ltc-data")]
    pub data_dir: PathBuf,

    /// Database URL (`postgres://...` or `sqlite://...`); default: SQLite in the data directory.
    #[arg(long, env = "LTC_DATABASE_URL", value_parser = parse_secret)]
    pub database_url: Option<SecretString>,

    /// Connections in the database pool of this instance.
    #[arg(long, env = "LTC_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,
}

/// How bearer tokens are verified.
#[derive(Clone, Debug, Args)]
pub struct JwtSettings {
    /// Shared secret for HS256 tokens; default: a random secret generated once in the data directory.
    #[arg(long, env = "LTC_JWT_SECRET", value_parser = parse_secret)]
    pub jwt_secret: Option<SecretString>,

    /// PEM public key of an identity provider (RS256 or ES256); replaces the shared secret.
    #[arg(long, env = "LTC_JWT_PUBLIC_KEY")]
    pub jwt_public_key: Option<PathBuf>,

    /// Signature algorithm tokens must use; default HS256, or RS256 with a public key.
    #[arg(long, env = "LTC_JWT_ALGORITHM", value_enum)]
    pub jwt_algorithm: Option<JwtAlgorithm>,

    /// Required `iss` claim, when set.
    #[arg(long, env = "LTC_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,

    /// Required `aud` claim, when set.
    #[arg(long, env = "LTC_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum JwtAlgorithm {
    Hs256,
    Rs256,
    Es256,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// The address `/metrics` is served on, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricsBind {
    Off,
    At(SocketAddr),
}

fn parse_metrics_bind(value: &str) -> Result<MetricsBind, String> {
    match value.trim() {
        "off" => Ok(MetricsBind::Off),
        address => address
            .parse()
            .map(MetricsBind::At)
            .map_err(|_| "an address like 127.0.0.1:9464, or off".into()),
    }
}

fn parse_secret(value: &str) -> Result<SecretString, String> {
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    Ok(SecretString::from(value.to_owned()))
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

impl StoreSettings {
    /// The database to use: the configured URL, else SQLite in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose_secret().to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("ltc.sqlite3").display()
            ),
        }
    }
}
