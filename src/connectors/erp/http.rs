//! HTTP plumbing the adapters share: a client with timeouts, reading a reply
//! whole, and what a status, a transport error or `Retry-After` means for a
//! push (retry later, or give up until a person acts).

use std::time::Duration;

use chrono::Utc;
use reqwest::{RequestBuilder, StatusCode, header::HeaderMap, redirect};
use serde::de::DeserializeOwned;

use crate::outbox::JobFailure;

/// Longest `Retry-After` honoured; a longer one is read as this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// A client whose every call ends within `timeout`. Redirects are not
/// followed: a POST redirected would arrive as a GET somewhere else.
pub fn client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(redirect::Policy::none())
        .user_agent(concat!("ltc/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub retry_after: Option<Duration>,
    pub body: String,
}

impl Reply {
    pub fn json<T: DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_str(&self.body).ok()
    }

    /// The body as a short single line, for messages.
    pub fn excerpt(&self) -> String {
        excerpt(&self.body)
    }
}

pub fn excerpt(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 300 {
        format!("{}…", line.chars().take(300).collect::<String>())
    } else {
        line
    }
}

/// Sends and reads the reply; a call that fails on the way (timeout, refused
/// connection, reset) is worth another try: the next try of an idempotent
/// push finds an order the ERP made before we stopped waiting.
pub async fn send(system: &str, request: RequestBuilder) -> Result<Reply, JobFailure> {
    let response = request.send().await.map_err(|e| transport(system, e))?;
    let status = response.status();
    let retry_after = retry_after(response.headers());
    let body = response.text().await.map_err(|e| transport(system, e))?;
    Ok(Reply {
        status,
        retry_after,
        body,
    })
}

fn transport(system: &str, error: reqwest::Error) -> JobFailure {
    let what = if error.is_timeout() {
        "did not answer in time"
    } else if error.is_connect() {
        "could not be reached"
    } else {
        "call failed"
    };
    JobFailure::retry(format!("{system} {what}: {}", error.without_url()))
}

/// What a failed status means when the adapter knows nothing better:
/// 408, 425, 429 and 5xx pass (retry, not before `Retry-After`); 401 and
/// 403 need a person to fix the key or the API user's rights; any other
/// 4xx is the ERP refusing the data, and sending it again cannot help;
/// a redirect means `LTC_ERP_URL` points to the wrong place.
pub fn failure(system: &str, reply: &Reply, detail: &str) -> JobFailure {
    let status = reply.status;
    let message = if detail.is_empty() {
        format!("{system} answered {status}")
    } else {
        format!("{system} answered {status}: {detail}")
    };
    match status.as_u16() {
        408 | 425 | 429 | 500..=599 => JobFailure::Retry {
            message,
            after: reply.retry_after,
        },
        401 | 403 => JobFailure::permanent(format!(
            "{message} (the ERP refused our credentials or rights; fix the API key or \
             the API user, then retry)"
        )),
        300..=399 => JobFailure::permanent(format!(
            "{message} (a redirect: set LTC_ERP_URL to the address it points to)"
        )),
        _ => JobFailure::permanent(message),
    }
}

/// `Retry-After` as seconds or as an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let delay = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
            (at.with_timezone(&Utc) - Utc::now())
                .to_std()
                .unwrap_or_default()
        }
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderValue, RETRY_AFTER};

    use super::*;

    fn reply(status: u16, retry_after: Option<u64>) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: retry_after.map(Duration::from_secs),
            body: String::new(),
        }
    }

    #[test]
    fn passing_failures_retry_and_the_rest_need_a_person() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(
                matches!(
                    failure("ERP", &reply(status, None), ""),
                    JobFailure::Retry { .. }
                ),
                "{status}"
            );
        }
        for status in [301, 400, 401, 403, 404, 417, 422] {
            assert!(
                matches!(
                    failure("ERP", &reply(status, None), ""),
                    JobFailure::Permanent(_)
                ),
                "{status}"
            );
        }
        match failure("ERP", &reply(429, Some(7)), "slow down") {
            JobFailure::Retry { message, after } => {
                assert_eq!(after, Some(Duration::from_secs(7)));
                assert_eq!(message, "ERP answered 429 Too Many Requests: slow down");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_a_date() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(120)));
        let soon = (Utc::now() + chrono::Duration::seconds(90)).to_rfc2822();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&soon).unwrap());
        let delay = retry_after(&headers).unwrap();
        assert!(delay > Duration::from_secs(80) && delay <= Duration::from_secs(90));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }
}
