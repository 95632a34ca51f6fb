//! The top edge: the merged GraphQL root (`Query`, `Mutation`,
//! `Subscription`) over every aggregate's schema, how it is built, its SDL,
//! and the data each request carries (the caller and its batch loaders).

mod event_access;
mod events;
mod viewer;

use std::sync::Arc;

use async_graphql::{MergedObject, MergedSubscription, Schema};
use sea_orm::DatabaseConnection;

use crate::graphql::{batch, context::Caller, limits};
use crate::{
    accounts::schema::{AccountMutation, AccountQuery},
    auth::Actor,
    contacts::schema::{ContactMutation, ContactQuery},
    contracts::schema::{ContractMutation, ContractQuery},
    leads::schema::{LeadMutation, LeadQuery},
    opportunities::schema::{OpportunityMutation, OpportunityQuery},
    outbox::schema::{JobMutation, JobQuery},
    products::schema::{ProductMutation, ProductQuery},
    purchase_orders::schema::{PurchaseOrderMutation, PurchaseOrderQuery},
    quotes::{
        QuotePolicy,
        schema::{QuoteMutation, QuoteQuery},
    },
    receivables::schema::{ReceivableMutation, ReceivableQuery},
    renewals::schema::RenewalMutation,
    reports::schema::ReportQuery,
    service_cases::schema::{ServiceCaseMutation, ServiceCaseQuery},
};
use events::{EventMutation, EventQuery, EventSubscription};

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
    EventQuery,
);

/// Every change. **Retries are safe with an `Idempotency-Key` header**
/// (1 to 255 characters; a fresh key per change you mean to make, e.g. a
/// UUID or your own order id): the first response is kept for 24 hours per
/// caller and key, and a retry with the same key and the same body gets it
/// back (marked `Idempotent-Replayed: true`) without running again. The same
/// key with another body is `CONFLICT` (422); a retry while the first request
/// still runs waits for its response, or gets `CONFLICT` (409). Queries
/// ignore the header. For example:
///
/// ```text
/// curl -X POST https://ltc.example.com/graphql \
///   -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
///   -H "Idempotency-Key: po-4711-create" \
///   -d '{"query": "mutation($e: String!) { captureLead(input: {source: WEB, email: $e}) { lead { id } } }", "variables": {"e": "ann@acme.io"}}'
/// ```
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
    EventMutation,
    RenewalMutation,
);

/// Live events over WebSocket (`graphql-transport-ws` on `GET /graphql`),
/// authenticated by `{"Authorization": "Bearer <token>"}` in the
/// `connection_init` payload.
#[derive(MergedSubscription, Default)]
pub struct Subscription(EventSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

fn builder() -> async_graphql::SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
}

pub fn build(
    db: DatabaseConnection,
    limits: limits::RequestLimits,
    quotes: QuotePolicy,
    erp: crate::connectors::erp::ErpSettings,
    billing: crate::connectors::billing::Billing,
    events: crate::events::EventBus,
) -> AppSchema {
    builder()
        .data(db)
        .data(events)
        .data(quotes)
        .data(erp)
        .data(billing)
        .extension(limits::Guard(limits.document()))
        .limit_depth(limits.max_query_depth)
        .limit_complexity(limits.max_query_complexity)
        // async-graphql's own directive count walks every fragment spread as
        // often as it is spread; `limits::Guard` counts them, memoised.
        .limit_recursive_depth(64)
        .finish()
}

/// The SDL, exactly as served at `/schema.graphql` and committed as `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// Adds the caller and fresh per-request batch loaders to a request. Loaders
/// live for one request only: they cache, and what they may return depends
/// on who asks. Each aggregate registers its own, with the row rule of its
/// read capability (`Actor::loader_visibility`).
pub fn with_request_data(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    actor: Option<Arc<Actor>>,
    batcher: &batch::Batcher,
) -> async_graphql::Request {
    let mut request = request.data(Caller(actor.clone()));
    let Some(actor) = actor else {
        return request;
    };
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
        request = register(request, db, &actor, batcher);
    }
    request
}
