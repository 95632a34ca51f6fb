//! The GraphQL face of contract terms and renewals.

use async_graphql::{Context, Object, SimpleObject};
use chrono::NaiveDate;
use uuid::Uuid;

use super::service;
use crate::{
    contracts::schema::Contract, graphql::context::ContextExt, opportunities::schema::Opportunity,
    quotes::schema::Quote,
};

#[derive(SimpleObject)]
pub struct RenewalPayload {
    pub opportunity: Opportunity,
    /// The starting quote with the contract's lines; null when none of its
    /// products is still active.
    pub quote: Option<Quote>,
}

#[derive(Default)]
pub struct RenewalMutation;

#[Object]
impl RenewalMutation {
    /// Sets when a contract's term starts and ends (renewals follow the end).
    async fn set_contract_term(
        &self,
        ctx: &Context<'_>,
        contract_id: Uuid,
        term_start: NaiveDate,
        term_end: NaiveDate,
    ) -> async_graphql::Result<Contract> {
        Ok(
            service::set_term(ctx.db()?, ctx.actor()?, contract_id, term_start, term_end)
                .await?
                .into(),
        )
    }

    /// Makes the contract's renewal opportunity now (once per contract).
    async fn create_renewal_opportunity(
        &self,
        ctx: &Context<'_>,
        contract_id: Uuid,
    ) -> async_graphql::Result<RenewalPayload> {
        let renewal = service::renew(ctx.db()?, ctx.actor()?, contract_id).await?;
        Ok(RenewalPayload {
            opportunity: renewal.opportunity.into(),
            quote: renewal.quote.map(Into::into),
        })
    }
}
