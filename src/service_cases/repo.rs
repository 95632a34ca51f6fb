//! Service case rows.

use entity::service_case;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    Select,
};
use uuid::Uuid;

use crate::{Result, accounts::repo::visible_account_ids, auth::Visibility};

pub fn visible_query(visibility: &Visibility) -> Select<service_case::Entity> {
    match visibility {
        Visibility::All => service_case::Entity::find(),
        Visibility::OwnedBy(user) => service_case::Entity::find()
            .filter(service_case::Column::AccountId.in_subquery(visible_account_ids(user))),
    }
}

pub async fn find_visible(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    id: Uuid,
) -> Result<Option<service_case::Model>> {
    Ok(visible_query(visibility)
        .filter(service_case::Column::Id.eq(id))
        .one(db)
        .await?)
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: service_case::Model,
) -> Result<service_case::Model> {
    Ok(row.into_active_model().reset_all().insert(db).await?)
}
