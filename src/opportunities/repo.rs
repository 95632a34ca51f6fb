//! Opportunity and team rows.

use entity::{account, opportunity, team_member};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Select,
    sea_query::{Query, SelectStatement},
};
use uuid::Uuid;

use crate::{Result, auth::Visibility};

fn team_opportunity_ids(user: &str) -> SelectStatement {
    Query::select()
        .column(team_member::Column::OpportunityId)
        .from(team_member::Entity)
        .and_where(team_member::Column::UserId.eq(user))
        .to_owned()
}

fn owned_account_ids(user: &str) -> SelectStatement {
    Query::select()
        .column(account::Column::Id)
        .from(account::Entity)
        .and_where(account::Column::OwnerId.eq(user))
        .to_owned()
}

/// A sales user sees the opportunities they are on the team of, or whose account they own.
pub fn visible(visibility: &Visibility) -> Condition {
    match visibility {
        Visibility::All => Condition::all(),
        Visibility::OwnedBy(user) => Condition::any()
            .add(opportunity::Column::Id.in_subquery(team_opportunity_ids(user)))
            .add(opportunity::Column::AccountId.in_subquery(owned_account_ids(user))),
    }
}

pub async fn find_visible(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    id: Uuid,
) -> Result<Option<opportunity::Model>> {
    Ok(opportunity::Entity::find_by_id(id)
        .filter(visible(visibility))
        .one(db)
        .await?)
}

pub async fn find_visible_many(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    ids: &[Uuid],
) -> Result<Vec<opportunity::Model>> {
    Ok(opportunity::Entity::find()
        .filter(opportunity::Column::Id.is_in(ids.iter().copied()))
        .filter(visible(visibility))
        .all(db)
        .await?)
}

pub async fn visible_for_accounts(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    account_ids: &[Uuid],
) -> Result<Vec<opportunity::Model>> {
    Ok(opportunity::Entity::find()
        .filter(opportunity::Column::AccountId.is_in(account_ids.iter().copied()))
        .filter(visible(visibility))
        .order_by_asc(opportunity::Column::Id)
        .all(db)
        .await?)
}

pub async fn teams(
    db: &impl ConnectionTrait,
    opportunity_ids: &[Uuid],
) -> Result<Vec<team_member::Model>> {
    Ok(team_member::Entity::find()
        .filter(team_member::Column::OpportunityId.is_in(opportunity_ids.iter().copied()))
        .order_by_asc(team_member::Column::AddedAt)
        .all(db)
        .await?)
}

pub struct ListFilter {
    pub stage: Option<entity::enums::OpportunityStage>,
    pub account_id: Option<Uuid>,
}

pub fn list_query(visibility: &Visibility, filter: &ListFilter) -> Select<opportunity::Entity> {
    let mut cond = Condition::all().add(visible(visibility));
    if let Some(stage) = filter.stage {
        cond = cond.add(opportunity::Column::Stage.eq(stage));
    }
    if let Some(account) = filter.account_id {
        cond = cond.add(opportunity::Column::AccountId.eq(account));
    }
    opportunity::Entity::find().filter(cond)
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: opportunity::ActiveModel,
) -> Result<opportunity::Model> {
    Ok(row.insert(db).await?)
}

/// Writes the whole row if its stage is still `expected`; false when a
/// concurrent change got there first.
pub async fn update_if_stage(
    db: &impl ConnectionTrait,
    row: opportunity::Model,
    expected: entity::enums::OpportunityStage,
) -> Result<bool> {
    use sea_orm::{ActiveModelTrait, IntoActiveModel};
    let id = row.id;
    let result = opportunity::Entity::update_many()
        .set(row.into_active_model().reset_all())
        .filter(opportunity::Column::Id.eq(id))
        .filter(opportunity::Column::Stage.eq(expected))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn insert_member(db: &impl ConnectionTrait, row: team_member::ActiveModel) -> Result<()> {
    row.insert(db).await?;
    Ok(())
}
