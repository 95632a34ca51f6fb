//! What ltc needs from a billing system, whatever its wire format: one
//! invoice read by id. Each adapter (`stripe`, `generic`) turns its own JSON
//! into an [`Invoice`]; the HTTP plumbing they share (timeouts, error
//! classes, `Retry-After`) lives here.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use reqwest::{Response, StatusCode, Url, header::HeaderMap};

/// A billing system ltc can read invoices from. Object safe: the configured
/// adapter travels as `Arc<dyn BillingClient>`.
pub trait BillingClient: Send + Sync {
    /// The adapter's name (`stripe`, `generic`), also the prefix of the
    /// references of the payments it reports.
    fn system(&self) -> &'static str;

    /// The invoice as the billing system sees it now.
    fn fetch_invoice<'a>(
        &'a self,
        invoice_id: &'a str,
    ) -> BoxFuture<'a, Result<Invoice, BillingError>>;
}

/// One invoice, amounts in the currency's minor units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    /// The adapter that read it; payment references start with it.
    pub system: &'static str,
    pub id: String,
    /// Lower case as the billing system spells it: `draft`, `open`, `paid`,
    /// `uncollectible`, `void` (others are kept as they come).
    pub status: String,
    /// ISO 4217, upper case.
    pub currency: String,
    pub amount_due: i64,
    pub paid: Paid,
}

/// What has been paid on an invoice, in the shape the billing system knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Paid {
    /// One running total (Stripe's `amount_paid`), and when the invoice
    /// became paid in full, once it has.
    Cumulative {
        amount: i64,
        paid_at: Option<DateTime<Utc>>,
    },
    /// Each payment with the billing system's own id.
    Itemized(Vec<InvoicePayment>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoicePayment {
    pub id: String,
    pub amount: i64,
    pub paid_at: Option<DateTime<Utc>>,
}

pub const STATUS_PAID: &str = "paid";
pub const STATUS_VOID: &str = "void";
pub const STATUS_UNCOLLECTIBLE: &str = "uncollectible";

/// Why an invoice could not be read. Nothing in ltc changes on any of these.
#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    /// Worth trying again later: timeouts, connection failures, 5xx, 429,
    /// or the billing system said so (`Stripe-Should-Retry: true`);
    /// optionally not before the delay it asked for (`Retry-After`).
    #[error("billing system unavailable: {message}")]
    Unavailable {
        message: String,
        retry_after: Option<Duration>,
    },
    /// Our credentials were refused (401, 403): every invoice will fail the
    /// same way until the settings are fixed.
    #[error("billing system refused our credentials: {0}")]
    Unauthorized(String),
    /// This invoice cannot be read (unknown id, other 4xx, a malformed answer).
    #[error("billing invoice unreadable: {0}")]
    Invoice(String),
}

impl From<BillingError> for crate::Error {
    fn from(error: BillingError) -> Self {
        crate::Error::Upstream {
            service: "billing",
            message: error.to_string(),
        }
    }
}

/// The longest `Retry-After` honoured; a larger one is cut to this, so one
/// odd header cannot stall the sync for days.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// An HTTP client with the connector's timeout on every request.
pub fn http_client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("ltc/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// `base` with `segments` appended, each percent-encoded (an invoice id is
/// one segment whatever it contains).
pub fn endpoint(base: &Url, segments: &[&str]) -> Result<Url, BillingError> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|()| BillingError::Invoice(format!("{base} cannot be a base URL")))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// A request that never got an answer.
pub fn transport(error: reqwest::Error) -> BillingError {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    BillingError::Unavailable {
        message: format!("{what}: {error}"),
        retry_after: None,
    }
}

/// The response if it succeeded; otherwise its error class, from the
/// `Stripe-Should-Retry` header when present, else from the status.
pub async fn check(response: Response) -> Result<Response, BillingError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let should_retry = should_retry(response.headers());
    let retry_after = retry_after(response.headers(), Utc::now());
    let body: String = response
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(500)
        .collect();
    let message = format!("HTTP {status}: {body}");
    let unauthorized = matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN);
    let retry = should_retry.unwrap_or(
        status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::REQUEST_TIMEOUT
            || status.is_server_error(),
    );
    Err(if retry {
        BillingError::Unavailable {
            message,
            retry_after,
        }
    } else if unauthorized {
        BillingError::Unauthorized(message)
    } else {
        BillingError::Invoice(message)
    })
}

/// `Stripe-Should-Retry: true | false`, when sent.
fn should_retry(headers: &HeaderMap) -> Option<bool> {
    match headers.get("stripe-should-retry")?.to_str().ok()?.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// `Retry-After` in seconds or as an HTTP date, capped at an hour.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let delay = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = DateTime::parse_from_rfc2822(value)
                .ok()?
                .with_timezone(&Utc);
            (at - now).to_std().unwrap_or_default()
        }
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderValue, RETRY_AFTER};

    #[test]
    fn retry_after_is_read_as_seconds_or_an_http_date() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(120)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(60)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("99999999"));
        assert_eq!(retry_after(&headers, now), Some(MAX_RETRY_AFTER));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, now), None);
    }

    #[test]
    fn invoice_ids_are_one_encoded_path_segment() {
        let base: Url = "http://billing.test/api/".parse().unwrap();
        let url = endpoint(&base, &["invoices", "in 1/../x"]).unwrap();
        assert_eq!(
            url.as_str(),
            "http://billing.test/api/invoices/in%201%2F..%2Fx"
        );
    }
}
