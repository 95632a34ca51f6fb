//! The contract rows renewals read and mark.

use chrono::NaiveDate;
use entity::{contract, enums::ContractStatus};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::Result;

/// Contracts whose term ends by `until`, still running, with no renewal yet.
pub async fn due_for_renewal(
    db: &impl ConnectionTrait,
    until: NaiveDate,
    limit: u64,
) -> Result<Vec<contract::Model>> {
    Ok(contract::Entity::find()
        .filter(contract::Column::TermEnd.lte(until))
        .filter(contract::Column::RenewalOpportunityId.is_null())
        .filter(contract::Column::Status.is_in([
            ContractStatus::Signed,
            ContractStatus::Executing,
            ContractStatus::Completed,
        ]))
        .order_by_asc(contract::Column::TermEnd)
        .limit(limit)
        .all(db)
        .await?)
}

/// Records the renewal, unless another one got there first.
pub async fn mark_renewed(
    db: &impl ConnectionTrait,
    contract_id: Uuid,
    opportunity_id: Uuid,
) -> Result<bool> {
    let result = contract::Entity::update_many()
        .col_expr(
            contract::Column::RenewalOpportunityId,
            Expr::value(opportunity_id),
        )
        .col_expr(contract::Column::UpdatedAt, Expr::value(crate::db::now()))
        .filter(contract::Column::Id.eq(contract_id))
        .filter(contract::Column::RenewalOpportunityId.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn set_term(
    db: &impl ConnectionTrait,
    contract_id: Uuid,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<()> {
    contract::Entity::update_many()
        .col_expr(contract::Column::TermStart, Expr::value(start))
        .col_expr(contract::Column::TermEnd, Expr::value(end))
        .col_expr(contract::Column::UpdatedAt, Expr::value(crate::db::now()))
        .filter(contract::Column::Id.eq(contract_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn find(db: &impl ConnectionTrait, contract_id: Uuid) -> Result<Option<contract::Model>> {
    Ok(contract::Entity::find_by_id(contract_id).one(db).await?)
}

pub async fn quote(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<entity::quote::Model>> {
    Ok(entity::quote::Entity::find_by_id(id).one(db).await?)
}

/// Active products among `ids`.
pub async fn active_products(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Uuid>> {
    Ok(entity::product::Entity::find()
        .select_only()
        .column(entity::product::Column::Id)
        .filter(entity::product::Column::Id.is_in(ids.iter().copied()))
        .filter(entity::product::Column::Active.eq(true))
        .into_tuple()
        .all(db)
        .await?)
}
