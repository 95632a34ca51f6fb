//! Batch loading for quotes: quotes by id (a contract's quote, a revision's
//! predecessor) and the lines of a page of quotes. Line products come
//! through the catalogue's own loader (`products::schema::load_product`).

use entity::{quote, quote_line};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{
    Result,
    auth::{Actor, Capability, Visibility},
    graphql::batch::{Batch, Batcher, ById, Each, Grouped},
};

pub type QuoteLoader = Each<ById<quote::Entity>>;

/// Keyed by opportunity id: the deal's accepted quote. Callers already see the deal.
pub struct Accepted;

impl Batch for Accepted {
    type Row = quote::Model;

    async fn rows(
        db: &DatabaseConnection,
        _: &Visibility,
        keys: &[Uuid],
    ) -> Result<Vec<quote::Model>> {
        repo::accepted_of(db, keys).await
    }

    fn key(row: &quote::Model) -> Option<Uuid> {
        Some(row.opportunity_id)
    }
}

pub type AcceptedQuoteLoader = Each<Accepted>;

/// Keyed by quote id: its lines in order. Callers already see the quote.
pub struct Lines;

impl Batch for Lines {
    type Row = quote_line::Model;

    async fn rows(
        db: &DatabaseConnection,
        _: &Visibility,
        keys: &[Uuid],
    ) -> Result<Vec<quote_line::Model>> {
        repo::lines_of(db, keys).await
    }

    fn key(row: &quote_line::Model) -> Option<Uuid> {
        Some(row.quote_id)
    }
}

pub type QuoteLinesLoader = Grouped<Lines>;

/// Adds this aggregate's batch loaders to a request.
pub fn register(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    actor: &Actor,
    batcher: &Batcher,
) -> async_graphql::Request {
    let visibility = &actor.loader_visibility(Capability::ReadAccounts);
    request
        .data(batcher.loader(QuoteLoader::new(db, visibility)))
        .data(batcher.loader(QuoteLinesLoader::unfiltered(db)))
        .data(batcher.loader(AcceptedQuoteLoader::unfiltered(db)))
}
