//! Account rules: who may create and change accounts, and what a valid one is.

use async_graphql::MaybeUndefined;
use entity::account;
use sea_orm::{ActiveValue::Set, DatabaseConnection, IntoActiveModel};
use uuid::Uuid;

use super::repo::{self, ListFilter};
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    db::visible,
    db::{self, Counter, Page, PageRequest, SortValue},
    input::{self, NAME_MAX, REF_MAX},
};

pub struct NewAccount {
    pub name: String,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub owner_id: Option<String>,
    pub erp_customer_ref: Option<String>,
    pub billing_customer_ref: Option<String>,
}

#[derive(Default)]
pub struct AccountPatch {
    pub name: Option<String>,
    pub website: MaybeUndefined<String>,
    pub industry: MaybeUndefined<String>,
    pub owner_id: Option<String>,
    pub erp_customer_ref: MaybeUndefined<String>,
    pub billing_customer_ref: MaybeUndefined<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountOrder {
    Name,
    CreatedAt,
    UpdatedAt,
}

/// For reads: [`visible::get_as`] with the aggregate's read capability.
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> Result<account::Model> {
    visible::get_as::<account::Entity>(db, actor, Capability::ReadAccounts, id).await
}

/// Only a supervisor (manager, admin) hands an account to someone else; a
/// sales user's accounts are their own.
fn check_owner(actor: &Actor, owner: &str) -> Result<String> {
    let owner = input::required("ownerId", owner, REF_MAX)?;
    if owner != actor.sub && !actor.can(Capability::SuperviseSales) {
        return Err(Error::forbidden(
            "only a sales manager or admin assigns accounts to others",
        ));
    }
    Ok(owner)
}

async fn checked_domain(
    db: &impl sea_orm::ConnectionTrait,
    website: &str,
    except: Option<Uuid>,
) -> Result<String> {
    let domain = input::domain("website", website)?;
    if let Some(existing) = repo::find_by_domain(db, &domain).await?
        && Some(existing.id) != except
    {
        return Err(Error::Conflict(format!(
            "an account with the domain {domain} exists"
        )));
    }
    Ok(domain)
}

/// Checks a new account and builds its row; `createAccount` inserts it, lead
/// conversion inserts it inside its own transaction.
pub async fn prepare(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    new: NewAccount,
) -> Result<account::ActiveModel> {
    actor.require(Capability::WriteAccounts)?;
    let name = input::required("name", &new.name, NAME_MAX)?;
    let owner_id = match new.owner_id {
        Some(owner) => check_owner(actor, &owner)?,
        None => actor.sub.clone(),
    };
    let industry = input::optional("industry", new.industry.as_deref(), NAME_MAX)?;
    let erp_ref = input::optional("erpCustomerRef", new.erp_customer_ref.as_deref(), REF_MAX)?;
    let billing_ref = input::optional(
        "billingCustomerRef",
        new.billing_customer_ref.as_deref(),
        REF_MAX,
    )?;
    let domain = match new.website.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(w) => Some(checked_domain(db, w, None).await?),
    };
    let now = db::now();
    Ok(account::ActiveModel {
        search_text: Set(input::search_text(&[Some(&name), domain.as_deref()])),
        id: Set(db::new_id()),
        name: Set(name),
        domain: Set(domain),
        industry: Set(industry),
        owner_id: Set(owner_id),
        erp_customer_ref: Set(erp_ref),
        billing_customer_ref: Set(billing_ref),
        created_at: Set(now),
        updated_at: Set(now),
    })
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    new: NewAccount,
) -> Result<account::Model> {
    let row = prepare(db, actor, new).await?;
    repo::insert(db, row).await
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    patch: AccountPatch,
) -> Result<account::Model> {
    let current =
        visible::get_as::<account::Entity>(db, actor, Capability::WriteAccounts, id).await?;
    let mut row = current.clone().into_active_model();
    if let Some(name) = &patch.name {
        row.name = Set(input::required("name", name, NAME_MAX)?);
    }
    match &patch.website {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => row.domain = Set(None),
        MaybeUndefined::Value(w) if w.trim().is_empty() => row.domain = Set(None),
        MaybeUndefined::Value(w) => row.domain = Set(Some(checked_domain(db, w, Some(id)).await?)),
    }
    if let Some(v) = optional_patch("industry", &patch.industry, NAME_MAX)? {
        row.industry = Set(v);
    }
    if let Some(v) = optional_patch("erpCustomerRef", &patch.erp_customer_ref, REF_MAX)? {
        row.erp_customer_ref = Set(v);
    }
    if let Some(v) = optional_patch("billingCustomerRef", &patch.billing_customer_ref, REF_MAX)? {
        row.billing_customer_ref = Set(v);
    }
    if let Some(owner) = &patch.owner_id {
        let owner = input::required("ownerId", owner, REF_MAX)?;
        if owner != current.owner_id && !actor.can(Capability::SuperviseSales) {
            return Err(Error::forbidden(
                "only a sales manager or admin reassigns accounts",
            ));
        }
        row.owner_id = Set(owner);
    }
    row.search_text = Set(input::search_text(&[
        Some(row.name.as_ref()),
        row.domain.as_ref().as_deref(),
    ]));
    row.updated_at = Set(db::now());
    repo::update(db, row).await
}

/// A patch of an optional text field: `None` leaves it, `Some(None)` clears it.
pub fn optional_patch(
    field: &str,
    value: &MaybeUndefined<String>,
    max: usize,
) -> Result<Option<Option<String>>> {
    Ok(match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(input::optional(field, Some(v), max)?),
    })
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: ListFilter,
    order: AccountOrder,
    direction: sea_orm::Order,
    page: PageRequest,
) -> Result<(Page<account::Model>, Counter)> {
    let visibility = actor.visibility(Capability::ReadAccounts)?;
    if let Some(text) = &filter.text {
        input::required("filter.text", text, NAME_MAX)?;
    }
    let select = repo::list_query(&visibility, &filter);
    let sort_col = match order {
        AccountOrder::Name => account::Column::Name,
        AccountOrder::CreatedAt => account::Column::CreatedAt,
        AccountOrder::UpdatedAt => account::Column::UpdatedAt,
    };
    let page = page.ordered(order, &direction, |k| match order {
        AccountOrder::Name => matches!(k, SortValue::Text(_)),
        _ => matches!(k, SortValue::Time(_)),
    })?;
    let rows = db::fetch_page(
        db,
        select.clone(),
        sort_col,
        account::Column::Id,
        direction,
        &page,
    )
    .await?;
    Ok((rows, db::counter(db, select)))
}

pub fn sort_key(order: AccountOrder, row: &account::Model) -> (SortValue, Uuid) {
    let key = match order {
        AccountOrder::Name => SortValue::Text(row.name.clone()),
        AccountOrder::CreatedAt => SortValue::Time(row.created_at),
        AccountOrder::UpdatedAt => SortValue::Time(row.updated_at),
    };
    (key, row.id)
}
