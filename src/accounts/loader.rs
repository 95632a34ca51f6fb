//! Batch loading of accounts for nested fields (lead → account, contact →
//! account, ...): one statement per batch, filtered by what the caller sees.

use entity::account;
use sea_orm::DatabaseConnection;

use crate::{
    auth::{Actor, Capability},
    graphql::batch::{Batcher, ById, Each},
};

pub type AccountLoader = Each<ById<account::Entity>>;

/// Adds this aggregate's batch loaders to a request.
pub fn register(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    actor: &Actor,
    batcher: &Batcher,
) -> async_graphql::Request {
    let visibility = &actor.loader_visibility(Capability::ReadAccounts);
    request.data(batcher.loader(AccountLoader::new(db, visibility)))
}
