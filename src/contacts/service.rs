//! Contact rules: a contact belongs to an account the caller may change.

use async_graphql::MaybeUndefined;
use entity::contact;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, IntoActiveModel};
use uuid::Uuid;

use super::repo::{self, ListFilter};
use crate::{
    Error, Result,
    accounts::service::optional_patch,
    auth::{Actor, Capability},
    db::visible,
    db::{self, Counter, Page, PageRequest, SortValue},
    input::{self, Email, NAME_MAX},
};

pub struct NewContact {
    pub account_id: Uuid,
    pub first_name: Option<String>,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
}

pub struct ContactPatch {
    pub first_name: MaybeUndefined<String>,
    pub last_name: Option<String>,
    pub email: MaybeUndefined<String>,
    pub phone: MaybeUndefined<String>,
    pub title: MaybeUndefined<String>,
}

/// For reads: [`visible::get_as`] with the aggregate's read capability.
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> Result<contact::Model> {
    visible::get_as::<contact::Entity>(db, actor, Capability::ReadAccounts, id).await
}

/// Builds a checked new contact row; used by `createContact` and lead conversion.
pub fn new_row(new: NewContact) -> Result<contact::ActiveModel> {
    let email = Email::parse_optional("email", new.email.as_deref())?;
    let now = db::now();
    let first_name = input::optional("firstName", new.first_name.as_deref(), NAME_MAX)?;
    let last_name = input::required("lastName", &new.last_name, NAME_MAX)?;
    Ok(contact::ActiveModel {
        search_text: Set(input::search_text(&[
            first_name.as_deref(),
            Some(&last_name),
            email.as_ref().map(|e| e.normalized.as_str()),
        ])),
        id: Set(db::new_id()),
        account_id: Set(new.account_id),
        first_name: Set(first_name),
        last_name: Set(last_name),
        email_normalized: Set(email.as_ref().map(|e| e.normalized.clone())),
        email: Set(email.map(|e| e.address)),
        phone: Set(input::optional("phone", new.phone.as_deref(), 50)?),
        title: Set(input::optional("title", new.title.as_deref(), NAME_MAX)?),
        created_at: Set(now),
        updated_at: Set(now),
    })
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    new: NewContact,
) -> Result<contact::Model> {
    actor.require(Capability::WriteAccounts)?;
    let row = new_row(new)?;
    insert_checked(db, actor, row).await
}

/// Inserts a contact after checking the caller sees its account.
pub async fn insert_checked(
    db: &impl ConnectionTrait,
    actor: &Actor,
    row: contact::ActiveModel,
) -> Result<contact::Model> {
    let account_id = *row.account_id.as_ref();
    if crate::db::visible::find::<entity::account::Entity>(
        db,
        &actor.visibility(Capability::WriteAccounts)?,
        account_id,
    )
    .await?
    .is_none()
    {
        return Err(Error::validation("accountId", "no such account"));
    }
    repo::insert(db, row).await
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    patch: ContactPatch,
) -> Result<contact::Model> {
    let mut row = visible::get_as::<contact::Entity>(db, actor, Capability::WriteAccounts, id)
        .await?
        .into_active_model();
    if let Some(v) = optional_patch("firstName", &patch.first_name, NAME_MAX)? {
        row.first_name = Set(v);
    }
    if let Some(last) = &patch.last_name {
        row.last_name = Set(input::required("lastName", last, NAME_MAX)?);
    }
    match &patch.email {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => {
            row.email = Set(None);
            row.email_normalized = Set(None);
        }
        MaybeUndefined::Value(v) => {
            let email = Email::parse_optional("email", Some(v))?;
            row.email_normalized = Set(email.as_ref().map(|e| e.normalized.clone()));
            row.email = Set(email.map(|e| e.address));
        }
    }
    if let Some(v) = optional_patch("phone", &patch.phone, 50)? {
        row.phone = Set(v);
    }
    if let Some(v) = optional_patch("title", &patch.title, NAME_MAX)? {
        row.title = Set(v);
    }
    row.search_text = Set(input::search_text(&[
        row.first_name.as_ref().as_deref(),
        Some(row.last_name.as_ref()),
        row.email_normalized.as_ref().as_deref(),
    ]));
    row.updated_at = Set(db::now());
    repo::update(db, row).await
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: ListFilter,
    direction: sea_orm::Order,
    page: PageRequest,
) -> Result<(Page<contact::Model>, Counter)> {
    let visibility = actor.visibility(Capability::ReadAccounts)?;
    if let Some(text) = &filter.text {
        input::required("filter.text", text, NAME_MAX)?;
    }
    let page = page.ordered("CreatedAt", &direction, |k| matches!(k, SortValue::Time(_)))?;
    let select = repo::list_query(&visibility, &filter);
    let rows = db::fetch_page(
        db,
        select.clone(),
        entity::contact::Column::CreatedAt,
        entity::contact::Column::Id,
        direction,
        &page,
    )
    .await?;
    Ok((rows, db::counter(db, select)))
}
