//! What the webhook endpoints answer: JSON bodies, and errors as
//! `{"error": {"code", "message", "field"?, "index"?}}` with the status a
//! sender's retry logic understands (4xx: do not retry as is; 5xx: retry).

use axum::{
    Json,
    extract::rejection::BytesRejection,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use crate::Error;

/// A refused webhook request; nothing it carried was stored.
#[derive(Debug)]
pub struct Reject {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The offending field, as a path into the body: `leads[3].email`.
    pub field: Option<String>,
    /// The offending item of a batch, counted from 0.
    pub index: Option<usize>,
}

impl Reject {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Reject {
        Reject {
            status,
            code,
            message: message.into(),
            field: None,
            index: None,
        }
    }

    /// The endpoint is switched off (its secret is not set).
    pub fn not_configured() -> Reject {
        Reject::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "this webhook is not configured",
        )
    }

    /// No signature, a bad one, or a stale one.
    pub fn unauthenticated(message: impl Into<String>) -> Reject {
        Reject::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message)
    }

    pub fn bad_request(message: impl Into<String>) -> Reject {
        Reject::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Reject {
        Reject {
            field: Some(field.into()),
            ..Reject::new(StatusCode::BAD_REQUEST, "VALIDATION", message)
        }
    }

    pub fn too_large(field: Option<&str>, message: impl Into<String>) -> Reject {
        Reject {
            field: field.map(str::to_owned),
            ..Reject::new(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", message)
        }
    }

    /// Names the batch item the error is about.
    pub fn at_index(mut self, index: Option<usize>) -> Reject {
        self.index = index;
        self
    }

    /// An error from a service, about the item whose fields sit under
    /// `prefix` (`leads[3].`, or nothing for a single lead).
    pub fn from_item(error: Error, prefix: &str, index: Option<usize>) -> Reject {
        let mut reject = Reject::from(error);
        if let Some(field) = &reject.field {
            reject.field = Some(format!("{prefix}{field}"));
        }
        reject.at_index(index)
    }

    /// The body could not be read: too large, or the connection failed.
    pub fn from_body(rejection: BytesRejection) -> Reject {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Reject::too_large(None, "the body is larger than this endpoint accepts")
        } else {
            Reject::bad_request("the body could not be read")
        }
    }
}

impl From<Error> for Reject {
    fn from(error: Error) -> Reject {
        let status = match &error {
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::Validation { .. } => StatusCode::BAD_REQUEST,
            Error::Conflict(_) | Error::InvalidTransition { .. } => StatusCode::CONFLICT,
            Error::Upstream { .. } => StatusCode::BAD_GATEWAY,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match &error {
            Error::Internal(source) => {
                tracing::error!(error = ?source, "internal error in a webhook");
                "internal error".to_owned()
            }
            Error::Validation { message, .. } => message.clone(),
            other => other.to_string(),
        };
        let field = match &error {
            Error::Validation { field, .. } => Some(field.clone()),
            _ => None,
        };
        Reject {
            field,
            ..Reject::new(status, error.code(), message)
        }
    }
}

impl From<sea_orm::DbErr> for Reject {
    fn from(error: sea_orm::DbErr) -> Reject {
        Reject::from(Error::from(error))
    }
}

impl IntoResponse for Reject {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(field) = self.field {
            error["field"] = json!(field);
        }
        if let Some(index) = self.index {
            error["index"] = json!(index);
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}

/// Refuses a body that does not say it is JSON (`application/json`, with or
/// without parameters such as a charset).
pub fn require_json(headers: &HeaderMap) -> Result<(), Reject> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if is_json {
        Ok(())
    } else {
        Err(Reject::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "the body must be application/json",
        ))
    }
}

/// A 200 with a JSON body.
pub fn ok(body: Value) -> Response {
    (StatusCode::OK, Json(body)).into_response()
}
