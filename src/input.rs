//! Parsers for free-text input: each returns a clean value or a `VALIDATION`
//! error naming the field, so code past the boundary never sees bad text.

use crate::{Error, Result};

pub const NAME_MAX: usize = 200;
pub const TEXT_MAX: usize = 10_000;
pub const REF_MAX: usize = 255;

/// A trimmed, non-empty string of at most `max` characters.
pub fn required(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::validation(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(Error::validation(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Error::validation(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.to_owned())
}

/// Like [`required`], but blank means absent.
pub fn optional(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required(field, v, max).map(Some),
    }
}

/// An email address as given, and its normalized form (trimmed, lower-cased)
/// that dedupe compares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    pub address: String,
    pub normalized: String,
}

impl Email {
    pub fn parse(field: &str, value: &str) -> Result<Email> {
        let address = required(field, value, 254)?;
        let email = Email {
            normalized: address.to_lowercase(),
            address,
        };
        // Syntax alone accepts `ann@acme`; mail to a real company needs a dotted domain.
        if !email_address::EmailAddress::is_valid(&email.address) || !email.domain().contains('.') {
            return Err(Error::validation(field, "is not a valid email address"));
        }
        Ok(email)
    }

    pub fn parse_optional(field: &str, value: Option<&str>) -> Result<Option<Email>> {
        match value.map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => Email::parse(field, v).map(Some),
        }
    }

    /// The part after `@`, for matching a lead to an account's domain.
    pub fn domain(&self) -> &str {
        self.normalized.rsplit('@').next().unwrap_or_default()
    }
}

/// A website's host, normalized so `https://www.Example.com/about` and
/// `example.com` are the same company: lower-cased, no scheme, port, path or `www.`.
pub fn domain(field: &str, website: &str) -> Result<String> {
    let raw = required(field, website, 2048)?.to_lowercase();
    let without_scheme = raw.split_once("://").map(|(_, rest)| rest).unwrap_or(&raw);
    let host = without_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let host = host.rsplit_once('@').map(|(_, h)| h).unwrap_or(host);
    let host = host.split(':').next().unwrap_or_default();
    let host = host
        .strip_prefix("www.")
        .unwrap_or(host)
        .trim_end_matches('.');
    let labels_ok = host.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if !host.contains('.') || host.len() > 253 || !labels_ok {
        return Err(Error::validation(field, "is not a website or domain name"));
    }
    Ok(host.to_owned())
}

/// The lower-cased words a list's text filter searches, joined by spaces.
pub fn search_text(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Escapes `%`, `_` and `\` so user text matches literally inside a LIKE pattern.
pub fn like_contains(text: &str) -> String {
    format!("%{}%", like_escape(text))
}

/// `text` lower-cased, trimmed, with `%`, `_` and `\\` escaped for LIKE.
pub fn like_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// A secret given as a flag or variable: any text but the empty one (which
/// would otherwise pass for "set").
pub(crate) fn parse_secret(value: &str) -> std::result::Result<secrecy::SecretString, String> {
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    Ok(secrecy::SecretString::from(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websites_normalize_to_one_domain() {
        for w in [
            "https://www.Example.com/about",
            "example.com",
            "http://example.com:8080",
            "EXAMPLE.COM.",
        ] {
            assert_eq!(domain("w", w).ok().as_deref(), Some("example.com"), "{w}");
        }
        for bad in ["", "localhost", "exa mple.com", "-x.com", "http://"] {
            assert!(domain("w", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(required("n", "  Acme ", 10).ok().as_deref(), Some("Acme"));
        assert!(required("n", "   ", 10).is_err());
        assert!(required("n", &"x".repeat(11), 10).is_err());
        assert_eq!(optional("n", Some("  "), 10).ok(), Some(None));
    }

    #[test]
    fn emails_are_checked_and_normalized() {
        let e = Email::parse("email", " Ann@Example.COM ").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.normalized, "ann@example.com");
        assert_eq!(e.domain(), "example.com");
        assert!(Email::parse("email", "not-an-email").is_err());
        assert!(Email::parse("email", "a@b").is_err());
        assert!(Email::parse("email", "ann.lee@acme").is_err());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_contains("50%_A"), "%50\\%\\_a%");
    }
}
