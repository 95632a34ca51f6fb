//! HubSpot's v3 request signature: base64 of HMAC-SHA256, keyed with the
//! app's client secret, over `method + URI + body + timestamp`, where the URI
//! is the full URL HubSpot called with a few URL-encoded characters decoded,
//! and the timestamp (Unix milliseconds) is at most 5 minutes old.

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "x-hubspot-signature-v3";
pub const TIMESTAMP_HEADER: &str = "x-hubspot-request-timestamp";

/// How far a request's timestamp may be from now.
pub const TOLERANCE_MS: i64 = 5 * 60 * 1000;

/// Why a request was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    Stale,
    Mismatch,
}

impl Refusal {
    pub fn message(&self) -> &'static str {
        match self {
            Refusal::Missing => {
                "X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp are required"
            }
            Refusal::Stale => "X-HubSpot-Request-Timestamp is more than 5 minutes away from now",
            Refusal::Mismatch => "the X-HubSpot-Signature-v3 does not match",
        }
    }
}

/// The URI as HubSpot signs it: `%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A
/// %2C %3B` decoded, everything else as sent.
pub fn signed_uri(uri: &str) -> String {
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let code = rest.get(at + 1..at + 3).unwrap_or_default();
        let decoded = match code.to_ascii_uppercase().as_str() {
            "3A" => Some(':'),
            "2F" => Some('/'),
            "3F" => Some('?'),
            "40" => Some('@'),
            "21" => Some('!'),
            "24" => Some('$'),
            "27" => Some('\''),
            "28" => Some('('),
            "29" => Some(')'),
            "2A" => Some('*'),
            "2C" => Some(','),
            "3B" => Some(';'),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[at + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The signature HubSpot sends for this request.
#[cfg(test)]
pub fn sign(secret: &[u8], method: &str, uri: &str, body: &[u8], timestamp: &str) -> String {
    mac(secret, method, uri, body, timestamp)
        .map(|mac| STANDARD.encode(mac.finalize().into_bytes()))
        .unwrap_or_default()
}

/// `None` never happens in practice: HMAC takes a key of any length.
fn mac(
    secret: &[u8],
    method: &str,
    uri: &str,
    body: &[u8],
    timestamp: &str,
) -> Option<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).ok()?;
    mac.update(method.as_bytes());
    mac.update(signed_uri(uri).as_bytes());
    mac.update(body);
    mac.update(timestamp.as_bytes());
    Some(mac)
}

/// Checks a request's signature and freshness; `uri` is the full URL called.
pub fn verify(
    secret: &[u8],
    method: &str,
    uri: &str,
    body: &[u8],
    signature: Option<&str>,
    timestamp: Option<&str>,
    now_ms: i64,
) -> Result<(), Refusal> {
    let (Some(signature), Some(timestamp)) = (signature, timestamp) else {
        return Err(Refusal::Missing);
    };
    let sent_at: i64 = timestamp.trim().parse().map_err(|_| Refusal::Stale)?;
    if (now_ms - sent_at).abs() > TOLERANCE_MS {
        return Err(Refusal::Stale);
    }
    let given = STANDARD
        .decode(signature.trim())
        .map_err(|_| Refusal::Mismatch)?;
    mac(secret, method, uri, body, timestamp)
        .ok_or(Refusal::Mismatch)?
        .verify_slice(&given)
        .map_err(|_| Refusal::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "https://ltc.example.com/webhooks/hubspot";

    #[test]
    fn a_signed_request_verifies_and_anything_changed_does_not() {
        let now = 1_700_000_000_000_i64;
        let ts = now.to_string();
        let sig = sign(b"secret", "POST", URI, b"[]", &ts);
        assert_eq!(
            verify(b"secret", "POST", URI, b"[]", Some(&sig), Some(&ts), now),
            Ok(())
        );
        for (secret, uri, body) in [
            (&b"other"[..], URI, &b"[]"[..]),
            (
                b"secret",
                "https://evil.example.com/webhooks/hubspot",
                b"[]",
            ),
            (b"secret", URI, b"[{}]"),
        ] {
            assert_eq!(
                verify(secret, "POST", uri, body, Some(&sig), Some(&ts), now),
                Err(Refusal::Mismatch)
            );
        }
        let late = now + TOLERANCE_MS + 1;
        assert_eq!(
            verify(b"secret", "POST", URI, b"[]", Some(&sig), Some(&ts), late),
            Err(Refusal::Stale)
        );
        assert_eq!(
            verify(b"secret", "POST", URI, b"[]", None, Some(&ts), now),
            Err(Refusal::Missing)
        );
    }

    #[test]
    fn the_listed_escapes_are_decoded_before_signing() {
        assert_eq!(
            signed_uri("https://x.io/h?a=b%3Ac%2Cd%20e%2a%"),
            "https://x.io/h?a=b:c,d%20e*%"
        );
    }
}
