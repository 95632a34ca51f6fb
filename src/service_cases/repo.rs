//! Service case rows.

use entity::service_case;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, Select,
};

use crate::{Result, accounts::repo::visible_account_ids, auth::Visibility, db::visible::Visible};

/// The cases of the accounts a caller with this visibility sees.
pub fn visible(visibility: &Visibility) -> Condition {
    match visibility {
        Visibility::All => Condition::all(),
        Visibility::OwnedBy(user) => Condition::all()
            .add(service_case::Column::AccountId.in_subquery(visible_account_ids(user))),
    }
}

pub fn visible_query(visibility: &Visibility) -> Select<service_case::Entity> {
    service_case::Entity::find().filter(visible(visibility))
}

impl Visible for service_case::Entity {
    const NAME: &'static str = "service case";
    const ID: service_case::Column = service_case::Column::Id;

    fn visible(visibility: &Visibility) -> Condition {
        visible(visibility)
    }
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: service_case::Model,
) -> Result<service_case::Model> {
    Ok(row.into_active_model().reset_all().insert(db).await?)
}
