//! What resolvers read from the request: the caller and the database, and
//! what they tell the transport about their response (a secret shown once).

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

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

/// Request data of a keyed mutation: set when its response holds a secret
/// shown once, which must not be kept for a replay.
#[derive(Clone, Default)]
pub struct SecretShown(Arc<AtomicBool>);

impl SecretShown {
    /// Whether a resolver called [`shown_once`] in this request.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Marks the request as answering with a secret shown once, so that its
/// response is not kept for replays. Resolvers returning such a secret call it.
pub fn shown_once(ctx: &async_graphql::Context<'_>) {
    if let Some(SecretShown(flag)) = ctx.data_opt::<SecretShown>() {
        flag.store(true, Ordering::Relaxed);
    }
}
