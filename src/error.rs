//! The one error type of the API and its mapping to `extensions.code`.
//!
//! Every failure a client can see is one of these variants; the code string is
//! part of the public contract (see the README's error table), the message is not.

use sea_orm::{DbErr, SqlErr};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("authentication required: {0}")]
    Unauthenticated(TokenReason),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("cannot go from {from} to {to}")]
    InvalidTransition { from: String, to: String },
    #[error("{service} failed: {message}")]
    Upstream {
        service: &'static str,
        message: String,
    },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// Why a request has no caller, in `extensions.reason`: whether a client
/// should refresh its token (`TOKEN_EXPIRED`) or sign in again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenReason {
    /// The operation needs a token and the request carried none.
    Missing,
    /// The token was valid once; its `exp` has passed.
    Expired,
    /// Anything else: malformed, wrongly signed, wrong issuer or audience,
    /// not yet valid, or with claims ltc refuses.
    Invalid,
}

impl TokenReason {
    /// The stable value clients branch on.
    pub fn code(self) -> &'static str {
        match self {
            TokenReason::Missing => "TOKEN_MISSING",
            TokenReason::Expired => "TOKEN_EXPIRED",
            TokenReason::Invalid => "TOKEN_INVALID",
        }
    }
}

impl std::fmt::Display for TokenReason {
    /// Fixed words: what the token parser said stays in the server's log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenReason::Missing => "send a bearer token in the Authorization header",
            TokenReason::Expired => "the token has expired",
            TokenReason::Invalid => "the token is not valid",
        })
    }
}

impl Error {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Error::Forbidden(message.into())
    }

    pub fn transition(from: impl std::fmt::Debug, to: impl std::fmt::Debug) -> Self {
        Error::InvalidTransition {
            from: screaming(&format!("{from:?}")),
            to: screaming(&format!("{to:?}")),
        }
    }

    /// The stable code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound(_) => "NOT_FOUND",
            Error::Unauthenticated(_) => "UNAUTHENTICATED",
            Error::Forbidden(_) => "FORBIDDEN",
            Error::Validation { .. } => "VALIDATION",
            Error::Conflict(_) => "CONFLICT",
            Error::InvalidTransition { .. } => "INVALID_TRANSITION",
            Error::Upstream { .. } => "UPSTREAM",
            Error::Internal(_) => "INTERNAL",
        }
    }
}

/// `Negotiate` -> `NEGOTIATE`, `MarketingAutomation` -> `MARKETING_AUTOMATION`:
/// the spelling the schema uses for enum values.
fn screaming(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_uppercase());
    }
    out
}

impl From<DbErr> for Error {
    /// Constraint violations are the caller's fault and say so; everything else
    /// is ours, logged with its chain and shown only as `INTERNAL`.
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                Error::Conflict("a record with the same unique value already exists".into())
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                Error::validation("id", "refers to a record that does not exist")
            }
            _ => Error::Internal(anyhow::Error::new(err)),
        }
    }
}

impl From<anyhow::Error> for Error {
    fn from(err: anyhow::Error) -> Self {
        Error::Internal(err)
    }
}

impl Error {
    /// Writes this error's code (and field, or transition) into a GraphQL
    /// error's extensions; an internal error is logged here, once, with its
    /// whole chain, and reaches the client only as `INTERNAL`.
    pub fn annotate(&self, error: &mut async_graphql::ServerError) {
        match self {
            Error::Internal(source) => {
                tracing::error!(error = ?source, "internal error");
                error.message = "internal error".into();
            }
            Error::Upstream { service, message } => {
                tracing::warn!(service, message, "upstream error");
                error.message = format!("{service} is unavailable");
            }
            _ => {}
        }
        let ext = error
            .extensions
            .get_or_insert_with(async_graphql::ErrorExtensionValues::default);
        ext.set("code", self.code());
        match self {
            Error::Validation { field, .. } => ext.set("field", field.as_str()),
            Error::Unauthenticated(reason) => ext.set("reason", reason.code()),
            Error::InvalidTransition { from, to } => {
                ext.set("from", from.as_str());
                ext.set("to", to.as_str());
            }
            _ => {}
        }
    }

    /// Finds ltc's error behind a GraphQL error raised with `?` in a resolver
    /// (directly, or shared by a batch loader).
    pub fn behind(source: &(dyn std::any::Any + Send + Sync)) -> Option<&Error> {
        source.downcast_ref::<Error>().or_else(|| {
            source
                .downcast_ref::<std::sync::Arc<Error>>()
                .map(|e| e.as_ref())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_names_are_spelled_as_in_the_schema() {
        assert_eq!(screaming("MarketingAutomation"), "MARKETING_AUTOMATION");
        assert_eq!(screaming("New"), "NEW");
    }
}
