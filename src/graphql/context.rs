//! What resolvers read from the request: the caller and the database.

use std::sync::Arc;

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use crate::{Error, Result, auth::Actor, error::TokenReason};

/// The verified caller of this request, or `None` for a request without a token.
#[derive(Clone)]
pub struct Caller(pub Option<Arc<Actor>>);

pub trait ContextExt {
    /// The caller; `UNAUTHENTICATED` when the request carried no token.
    fn actor(&self) -> Result<&Actor>;
    fn db(&self) -> Result<&DatabaseConnection>;
}

impl ContextExt for Context<'_> {
    fn actor(&self) -> Result<&Actor> {
        match self.data::<Caller>() {
            Ok(Caller(Some(actor))) => Ok(actor),
            _ => Err(Error::Unauthenticated(TokenReason::Missing)),
        }
    }

    fn db(&self) -> Result<&DatabaseConnection> {
        self.data::<DatabaseConnection>().map_err(|e| {
            Error::Internal(anyhow::anyhow!(
                "database missing from schema data: {}",
                e.message
            ))
        })
    }
}
