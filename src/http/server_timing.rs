//! Every response says what it cost the database, in a `Server-Timing`
//! header (`sql;dur=1.84;desc="7 statements"`), which browsers' developer
//! tools show per request: a frontend team sees the price of its query, and
//! tests and benchmarks count a request's statements without background
//! work mixed in.

use std::sync::Arc;

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};

use crate::db::cost::{self, Cost};

const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

pub async fn measure(request: Request, next: Next) -> Response {
    let spent = Arc::new(Cost::default());
    let mut response = cost::measure(spent.clone(), next.run(request)).await;
    if spent.statements() > 0
        && let Ok(value) = HeaderValue::from_str(&spent.server_timing())
    {
        response.headers_mut().append(SERVER_TIMING, value);
    }
    response
}
