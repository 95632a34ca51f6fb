//! Prometheus metrics at `/metrics`: HTTP requests by route and status, and
//! SQL statements with their durations. One registry per application, so
//! several instances in one process (tests) keep separate counts.

use std::{net::SocketAddr, sync::Arc, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

/// The address `/metrics` is served on, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricsBind {
    Off,
    At(SocketAddr),
}

/// `LTC_METRICS_BIND`: an address, or `off`.
pub(crate) fn parse_bind(value: &str) -> Result<MetricsBind, String> {
    match value.trim() {
        "off" => Ok(MetricsBind::Off),
        address => address
            .parse()
            .map(MetricsBind::At)
            .map_err(|_| "an address like 127.0.0.1:9464, or off".into()),
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Family<RouteLabels, Histogram>,
    db_statements: Counter,
    db_failures: Counter,
    db_duration: Histogram,
}

fn latency_buckets() -> impl Iterator<Item = f64> {
    // 0.1 ms to about 6.5 s.
    exponential_buckets(0.0001, 2.0, 17)
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        let mut registry = Registry::with_prefix("ltc");
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(latency_buckets())
        });
        let db_statements = Counter::default();
        let db_failures = Counter::default();
        let db_duration = Histogram::new(latency_buckets());
        registry.register(
            "http_requests",
            "HTTP requests answered",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            http_duration.clone(),
        );
        registry.register(
            "db_statements",
            "SQL statements executed",
            db_statements.clone(),
        );
        registry.register(
            "db_statement_failures",
            "SQL statements that failed",
            db_failures.clone(),
        );
        registry.register(
            "db_statement_duration_seconds",
            "Time one SQL statement took",
            db_duration.clone(),
        );
        Arc::new(Metrics {
            registry,
            http_requests,
            http_duration,
            db_statements,
            db_failures,
            db_duration,
        })
    }

    /// Called by the database driver for every statement.
    pub fn observe_statement(&self, info: &sea_orm::metric::Info<'_>) {
        self.db_statements.inc();
        if info.failed {
            self.db_failures.inc();
        }
        self.db_duration.observe(info.elapsed.as_secs_f64());
    }

    pub fn statements(&self) -> u64 {
        self.db_statements.get()
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(error) = encode(&mut out, &self.registry) {
            tracing::error!(error = ?error, "encoding metrics");
        }
        out
    }
}

/// Middleware: counts and times every request under its route template
/// (`/graphql`, not the raw URI, so label values stay few).
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    metrics
        .http_requests
        .get_or_create(&HttpLabels {
            method: method.clone(),
            route: route.clone(),
            status: response.status().as_u16(),
        })
        .inc();
    metrics
        .http_duration
        .get_or_create(&RouteLabels { method, route })
        .observe(started.elapsed().as_secs_f64());
    response
}

pub async fn endpoint(State(metrics): State<Arc<Metrics>>) -> Response {
    (
        [(
            http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.render(),
    )
        .into_response()
}
