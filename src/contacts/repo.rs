//! Contact rows: the only code that queries the `contacts` table.

use entity::contact;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Select,
};
use uuid::Uuid;

use crate::{
    Result, accounts::repo::visible_account_ids, auth::Visibility, db::contains,
    db::visible::Visible,
};

pub fn visible(visibility: &Visibility) -> Condition {
    match visibility {
        Visibility::All => Condition::all(),
        Visibility::OwnedBy(user) => {
            Condition::all().add(contact::Column::AccountId.in_subquery(visible_account_ids(user)))
        }
    }
}

impl Visible for contact::Entity {
    const NAME: &'static str = "contact";
    const ID: contact::Column = contact::Column::Id;

    fn visible(visibility: &Visibility) -> Condition {
        visible(visibility)
    }
}

pub async fn for_accounts(
    db: &impl ConnectionTrait,
    account_ids: &[Uuid],
) -> Result<Vec<contact::Model>> {
    Ok(contact::Entity::find()
        .filter(contact::Column::AccountId.is_in(account_ids.iter().copied()))
        .order_by_asc(contact::Column::Id)
        .all(db)
        .await?)
}

/// The oldest contact with this normalized email, if any.
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    normalized: &str,
) -> Result<Option<contact::Model>> {
    Ok(contact::Entity::find()
        .filter(contact::Column::EmailNormalized.eq(normalized))
        .order_by_asc(contact::Column::Id)
        .one(db)
        .await?)
}

pub struct ListFilter {
    pub account_id: Option<Uuid>,
    pub text: Option<String>,
}

pub fn list_query(visibility: &Visibility, filter: &ListFilter) -> Select<contact::Entity> {
    let mut cond = Condition::all().add(visible(visibility));
    if let Some(account) = filter.account_id {
        cond = cond.add(contact::Column::AccountId.eq(account));
    }
    if let Some(text) = &filter.text {
        cond = cond.add(contains(contact::Column::SearchText, text));
    }
    contact::Entity::find().filter(cond)
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: contact::ActiveModel,
) -> Result<contact::Model> {
    Ok(row.insert(db).await?)
}

pub async fn update(
    db: &impl ConnectionTrait,
    row: contact::ActiveModel,
) -> Result<contact::Model> {
    Ok(row.update(db).await?)
}
