//! The GraphQL face of accounts: the `Account` type, its queries and mutations.

use async_graphql::{
    ComplexObject, Context, InputObject, MaybeUndefined, Object, SimpleObject,
    dataloader::DataLoader,
};
use chrono::{DateTime, Utc};
use entity::account;
use uuid::Uuid;

use super::{
    repo::ListFilter,
    service::{self, AccountOrder, AccountPatch, NewAccount},
};
use crate::{
    auth::Capability,
    contacts::{loader::ContactsByAccount, schema::Contact},
    graphql::{
        context::ContextExt,
        pagination::{Conn, SortDirection, cost, page_request, paged},
    },
    opportunities::{loader::OpportunitiesByAccount, schema::Opportunity},
};

/// A customer.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Account {
    pub id: Uuid,
    pub name: String,
    /// The website's normalized domain, unique across accounts.
    pub domain: Option<String>,
    pub industry: Option<String>,
    /// The user who owns the relationship.
    pub owner_id: String,
    /// The customer's id in the ERP.
    pub erp_customer_ref: Option<String>,
    /// The customer's id in the billing system.
    pub billing_customer_ref: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<account::Model> for Account {
    fn from(m: account::Model) -> Self {
        Account {
            id: m.id,
            name: m.name,
            domain: m.domain,
            industry: m.industry,
            owner_id: m.owner_id,
            erp_customer_ref: m.erp_customer_ref,
            billing_customer_ref: m.billing_customer_ref,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[ComplexObject]
impl Account {
    /// The account's contacts, oldest first.
    #[graphql(complexity = "crate::graphql::pagination::nested_list_cost(child_complexity)")]
    async fn contacts(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::contacts::schema::Contact>> {
        let loader = ctx.data::<DataLoader<ContactsByAccount>>()?;
        let rows = loader.load_one(self.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Contact::from).collect())
    }

    /// The account's opportunities the caller sees, oldest first.
    #[graphql(complexity = "crate::graphql::pagination::nested_list_cost(child_complexity)")]
    async fn opportunities(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Opportunity>> {
        let loader = ctx.data::<DataLoader<OpportunitiesByAccount>>()?;
        let rows = loader.load_one(self.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Opportunity::from).collect())
    }
}

#[derive(InputObject)]
pub struct CreateAccountInput {
    pub name: String,
    /// A URL or domain; stored as its normalized domain.
    pub website: Option<String>,
    pub industry: Option<String>,
    /// Defaults to the caller; only managers may name someone else.
    pub owner_id: Option<String>,
    pub erp_customer_ref: Option<String>,
    pub billing_customer_ref: Option<String>,
}

/// Fields left out stay as they are; `null` clears an optional field.
#[derive(InputObject)]
pub struct UpdateAccountInput {
    pub name: Option<String>,
    pub website: MaybeUndefined<String>,
    pub industry: MaybeUndefined<String>,
    pub owner_id: Option<String>,
    pub erp_customer_ref: MaybeUndefined<String>,
    pub billing_customer_ref: MaybeUndefined<String>,
}

#[derive(InputObject, Default)]
pub struct AccountFilter {
    /// Matches name or domain, case-insensitively.
    pub text: Option<String>,
    pub owner_id: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum AccountOrderField {
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(InputObject)]
pub struct AccountOrderBy {
    pub field: AccountOrderField,
    #[graphql(default)]
    pub direction: SortDirection,
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    async fn account(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Account> {
        Ok(service::get(ctx.db()?, ctx.actor()?, id).await?.into())
    }

    /// Accounts the caller sees; newest first unless `orderBy` says otherwise.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<AccountFilter>,
        order_by: Option<AccountOrderBy>,
    ) -> async_graphql::Result<Conn<Account>> {
        let page = page_request(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let (order, direction) = match order_by {
            Some(o) => (
                match o.field {
                    AccountOrderField::Name => AccountOrder::Name,
                    AccountOrderField::CreatedAt => AccountOrder::CreatedAt,
                    AccountOrderField::UpdatedAt => AccountOrder::UpdatedAt,
                },
                o.direction,
            ),
            None => (AccountOrder::CreatedAt, SortDirection::Desc),
        };
        let filter = ListFilter {
            text: filter.text,
            owner_id: filter.owner_id,
            created_after: filter.created_after,
            created_before: filter.created_before,
        };
        paged(
            service::list(
                ctx.db()?,
                ctx.actor()?,
                filter,
                order,
                direction.into(),
                page,
            ),
            |r| service::sort_key(order, r),
            Account::from,
        )
        .await
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    async fn create_account(
        &self,
        ctx: &Context<'_>,
        input: CreateAccountInput,
    ) -> async_graphql::Result<Account> {
        let new = NewAccount {
            name: input.name,
            website: input.website,
            industry: input.industry,
            owner_id: input.owner_id,
            erp_customer_ref: input.erp_customer_ref,
            billing_customer_ref: input.billing_customer_ref,
        };
        Ok(service::create(ctx.db()?, ctx.actor()?, new).await?.into())
    }

    async fn update_account(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateAccountInput,
    ) -> async_graphql::Result<Account> {
        let patch = AccountPatch {
            name: input.name,
            website: input.website,
            industry: input.industry,
            owner_id: input.owner_id,
            erp_customer_ref: input.erp_customer_ref,
            billing_customer_ref: input.billing_customer_ref,
        };
        Ok(service::update(ctx.db()?, ctx.actor()?, id, patch)
            .await?
            .into())
    }
}

/// Resolves a related account through the batch loader; `None` when the
/// caller may not see it (or may not read accounts at all).
pub async fn load_account(
    ctx: &Context<'_>,
    id: Option<Uuid>,
) -> async_graphql::Result<Option<Account>> {
    let Some(id) = id else { return Ok(None) };
    if !ctx.actor()?.can(Capability::ReadAccounts) {
        return Ok(None);
    }
    let loader = ctx.data::<DataLoader<super::loader::AccountLoader>>()?;
    Ok(loader.load_one(id).await?.map(Account::from))
}
