//! The GraphQL face of service cases.

use async_graphql::{ComplexObject, Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{enums, service_case};
use uuid::Uuid;

use super::service::{self, NewCase};
use crate::{
    accounts::schema::{Account, load_account},
    graphql::context::ContextExt,
    leads::schema::{Lead, load_lead},
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::ServiceCaseKind")]
pub enum ServiceCaseKind {
    Issue,
    Request,
    /// The customer could buy more: a lead is made for the account's owner.
    UpsellSignal,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ServiceCase {
    pub id: Uuid,
    pub account_id: Uuid,
    pub subject: String,
    pub kind: ServiceCaseKind,
    pub description: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub lead_id: Option<Uuid>,
}

impl From<service_case::Model> for ServiceCase {
    fn from(m: service_case::Model) -> Self {
        ServiceCase {
            id: m.id,
            account_id: m.account_id,
            subject: m.subject,
            kind: m.kind.into(),
            description: m.description,
            created_by: m.created_by,
            created_at: m.created_at,
            lead_id: m.lead_id,
        }
    }
}

#[ComplexObject]
impl ServiceCase {
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        load_account(ctx, Some(self.account_id)).await
    }

    /// The lead an upsell signal became, if the caller may see it.
    async fn lead(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Lead>> {
        load_lead(ctx, self.lead_id).await
    }
}

#[derive(Default)]
pub struct ServiceCaseQuery;

#[Object]
impl ServiceCaseQuery {
    async fn service_case(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<ServiceCase> {
        Ok(service::get(ctx.db()?, ctx.actor()?, id).await?.into())
    }
}

#[derive(Default)]
pub struct ServiceCaseMutation;

#[Object]
impl ServiceCaseMutation {
    /// Logs a case for an account; an `UPSELL_SIGNAL` becomes a lead for the account's owner.
    async fn log_service_case(
        &self,
        ctx: &Context<'_>,
        account_id: Uuid,
        subject: String,
        kind: ServiceCaseKind,
        description: Option<String>,
    ) -> async_graphql::Result<ServiceCase> {
        let new = NewCase {
            account_id,
            subject,
            kind: kind.into(),
            description,
        };
        Ok(service::log(ctx.db()?, ctx.actor()?, new).await?.into())
    }
}
