//! The GraphQL face of contacts.

use async_graphql::{ComplexObject, Context, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::contact;
use uuid::Uuid;

use super::{
    repo::ListFilter,
    service::{self, ContactPatch, NewContact},
};
use crate::{
    accounts::schema::{Account, load_account},
    db::SortValue,
    graphql::{
        context::ContextExt,
        pagination::{Conn, SortDirection, cost, page_request, paged},
    },
};

/// A person at an account.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Contact {
    pub id: Uuid,
    pub account_id: Uuid,
    pub first_name: Option<String>,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<contact::Model> for Contact {
    fn from(m: contact::Model) -> Self {
        Contact {
            id: m.id,
            account_id: m.account_id,
            first_name: m.first_name,
            last_name: m.last_name,
            email: m.email,
            phone: m.phone,
            title: m.title,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[ComplexObject]
impl Contact {
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        load_account(ctx, Some(self.account_id)).await
    }
}

#[derive(InputObject)]
pub struct CreateContactInput {
    pub account_id: Uuid,
    pub first_name: Option<String>,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
}

/// Fields left out stay as they are; `null` clears an optional field.
#[derive(InputObject)]
pub struct UpdateContactInput {
    pub first_name: MaybeUndefined<String>,
    pub last_name: Option<String>,
    pub email: MaybeUndefined<String>,
    pub phone: MaybeUndefined<String>,
    pub title: MaybeUndefined<String>,
}

#[derive(InputObject, Default)]
pub struct ContactFilter {
    pub account_id: Option<Uuid>,
    /// Matches first name, last name or email, case-insensitively.
    pub text: Option<String>,
}

#[derive(Default)]
pub struct ContactQuery;

#[Object]
impl ContactQuery {
    async fn contact(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Contact> {
        Ok(service::get(ctx.db()?, ctx.actor()?, id).await?.into())
    }

    /// Contacts the caller sees, by creation time (newest first by default).
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ContactFilter>,
        #[graphql(default)] direction: SortDirection,
    ) -> async_graphql::Result<Conn<Contact>> {
        let page = page_request(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let filter = ListFilter {
            account_id: filter.account_id,
            text: filter.text,
        };
        paged(
            service::list(ctx.db()?, ctx.actor()?, filter, direction.into(), page),
            |r| (SortValue::Time(r.created_at), r.id),
            Contact::from,
        )
        .await
    }
}

#[derive(Default)]
pub struct ContactMutation;

#[Object]
impl ContactMutation {
    async fn create_contact(
        &self,
        ctx: &Context<'_>,
        input: CreateContactInput,
    ) -> async_graphql::Result<Contact> {
        let new = NewContact {
            account_id: input.account_id,
            first_name: input.first_name,
            last_name: input.last_name,
            email: input.email,
            phone: input.phone,
            title: input.title,
        };
        Ok(service::create(ctx.db()?, ctx.actor()?, new).await?.into())
    }

    async fn update_contact(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateContactInput,
    ) -> async_graphql::Result<Contact> {
        let patch = ContactPatch {
            first_name: input.first_name,
            last_name: input.last_name,
            email: input.email,
            phone: input.phone,
            title: input.title,
        };
        Ok(service::update(ctx.db()?, ctx.actor()?, id, patch)
            .await?
            .into())
    }
}

/// Resolves a related contact through the batch loader; `None` when hidden.
pub async fn load_contact(
    ctx: &Context<'_>,
    id: Option<Uuid>,
) -> async_graphql::Result<Option<Contact>> {
    let Some(id) = id else { return Ok(None) };
    if !ctx.actor()?.can(crate::auth::Capability::ReadAccounts) {
        return Ok(None);
    }
    let loader =
        ctx.data::<async_graphql::dataloader::DataLoader<super::loader::ContactLoader>>()?;
    Ok(loader.load_one(id).await?.map(Contact::from))
}
