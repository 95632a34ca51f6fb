//! The GraphQL schema: the merged root types, its limits, and the data each
//! request carries (the caller and its batch loaders).

pub mod context;
pub mod money;
pub mod pagination;
mod viewer;

use std::sync::Arc;

use async_graphql::{EmptySubscription, MergedObject, Schema};
use sea_orm::DatabaseConnection;

use crate::{
    accounts::schema::{AccountMutation, AccountQuery},
    auth::Actor,
    config::QuotePolicy,
    contacts::schema::{ContactMutation, ContactQuery},
    contracts::schema::{ContractMutation, ContractQuery},
    leads::schema::{LeadMutation, LeadQuery},
    opportunities::schema::{OpportunityMutation, OpportunityQuery},
    outbox::schema::{JobMutation, JobQuery},
    products::schema::{ProductMutation, ProductQuery},
    purchase_orders::schema::{PurchaseOrderMutation, PurchaseOrderQuery},
    quotes::schema::{QuoteMutation, QuoteQuery},
    receivables::schema::{ReceivableMutation, ReceivableQuery},
    reports::schema::ReportQuery,
    service_cases::schema::{ServiceCaseMutation, ServiceCaseQuery},
};
use context::Caller;

#[derive(MergedObject, Default)]
pub struct Query(
    viewer::ViewerQuery,
    AccountQuery,
    ContactQuery,
    LeadQuery,
    OpportunityQuery,
    ProductQuery,
    QuoteQuery,
    ContractQuery,
    PurchaseOrderQuery,
    ReceivableQuery,
    ReportQuery,
    ServiceCaseQuery,
    JobQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    AccountMutation,
    ContactMutation,
    LeadMutation,
    OpportunityMutation,
    ProductMutation,
    QuoteMutation,
    ContractMutation,
    PurchaseOrderMutation,
    ReceivableMutation,
    ServiceCaseMutation,
    JobMutation,
);

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Limits every query must stay within.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub depth: usize,
    pub complexity: usize,
}

pub fn build(db: DatabaseConnection, limits: Limits, quotes: QuotePolicy) -> AppSchema {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(db)
        .data(quotes)
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity)
        .limit_recursive_depth(64)
        .limit_directives(16)
        .finish()
}

/// The SDL, exactly as served at `/schema.graphql` and committed as `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}

/// Adds the caller and fresh per-request batch loaders to a request. Loaders
/// live for one request only: they cache, and what they may return depends
/// on who asks. Each aggregate registers its own.
pub fn with_request_data(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    actor: Option<Arc<Actor>>,
) -> async_graphql::Request {
    let mut request = request.data(Caller(actor.clone()));
    let Some(actor) = actor else {
        return request;
    };
    let visibility = actor.visibility();
    for register in [
        crate::accounts::loader::register,
        crate::contacts::loader::register,
        crate::leads::loader::register,
        crate::opportunities::loader::register,
        crate::products::loader::register,
        crate::quotes::loader::register,
        crate::contracts::loader::register,
        crate::purchase_orders::loader::register,
        crate::receivables::loader::register,
        crate::history::loader::register,
    ] {
        request = register(request, db, &visibility);
    }
    request
}
