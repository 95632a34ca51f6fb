//! Batch loading for quotes: quotes by id (a contract's quote, a revision's
//! predecessor) and the lines of a page of quotes. Line products come
//! through the catalogue's own loader (`products::schema::load_product`).

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::{quote, quote_line};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{Error, auth::Visibility, graphql::batch::Batcher};

pub struct QuoteLoader {
    pub db: DatabaseConnection,
    pub visibility: Visibility,
}

impl Loader<Uuid> for QuoteLoader {
    type Value = quote::Model;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = crate::db::visible::find_many::<quote::Entity>(&self.db, &self.visibility, keys)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|q| (q.id, q)).collect())
    }
}

/// Keyed by opportunity id: the deal's accepted quote. Callers already see the deal.
pub struct AcceptedQuoteLoader {
    pub db: DatabaseConnection,
}

impl Loader<Uuid> for AcceptedQuoteLoader {
    type Value = quote::Model;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = repo::accepted_of(&self.db, keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|q| (q.opportunity_id, q)).collect())
    }
}

/// Keyed by quote id: its lines in order. Callers already see the quote.
pub struct QuoteLinesLoader {
    pub db: DatabaseConnection,
}

impl Loader<Uuid> for QuoteLinesLoader {
    type Value = Vec<quote_line::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = repo::lines_of(&self.db, keys).await.map_err(Arc::new)?;
        Ok(crate::graphql::batch::grouped(rows, |r| Some(r.quote_id)))
    }
}

/// Adds this aggregate's batch loaders to a request.
pub fn register(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    actor: &crate::auth::Actor,
    batcher: &Batcher,
) -> async_graphql::Request {
    let visibility = &actor.loader_visibility(crate::auth::Capability::ReadAccounts);
    request
        .data(batcher.loader(QuoteLoader {
            db: db.clone(),
            visibility: visibility.clone(),
        }))
        .data(batcher.loader(QuoteLinesLoader { db: db.clone() }))
        .data(batcher.loader(AcceptedQuoteLoader { db: db.clone() }))
}
