//! Contract, contract-line, payment-milestone and counter rows: the only
//! code of this aggregate that touches `sea_orm`.

use entity::{contract, contract_line, counter, enums::ContractStatus, payment_milestone};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    ExprTrait, IntoActiveModel, QueryFilter, QueryOrder, Select, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    Error, Result,
    auth::Visibility,
    db::visible::{self, Visible},
    opportunities::repo::follows_deal,
};

impl Visible for contract::Entity {
    const NAME: &'static str = "contract";
    const ID: contract::Column = contract::Column::Id;

    fn visible(visibility: &Visibility) -> Condition {
        follows_deal(contract::Column::OpportunityId, visibility)
    }
}

/// [`visible::find`] for this table; `events::access` calls it.
pub async fn find_visible(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    id: Uuid,
) -> Result<Option<contract::Model>> {
    visible::find::<contract::Entity>(db, visibility, id).await
}

pub async fn find_by_quote(
    db: &impl ConnectionTrait,
    quote_id: Uuid,
) -> Result<Option<contract::Model>> {
    Ok(contract::Entity::find()
        .filter(contract::Column::QuoteId.eq(quote_id))
        .one(db)
        .await?)
}

pub async fn lines_of(
    db: &impl ConnectionTrait,
    contract_ids: &[Uuid],
) -> Result<Vec<contract_line::Model>> {
    Ok(contract_line::Entity::find()
        .filter(contract_line::Column::ContractId.is_in(contract_ids.iter().copied()))
        .order_by_asc(contract_line::Column::ContractId)
        .order_by_asc(contract_line::Column::Position)
        .all(db)
        .await?)
}

pub async fn milestones_of(
    db: &impl ConnectionTrait,
    contract_ids: &[Uuid],
) -> Result<Vec<payment_milestone::Model>> {
    Ok(payment_milestone::Entity::find()
        .filter(payment_milestone::Column::ContractId.is_in(contract_ids.iter().copied()))
        .order_by_asc(payment_milestone::Column::ContractId)
        .order_by_asc(payment_milestone::Column::Position)
        .all(db)
        .await?)
}

/// The next value of the named sequence, counting from 1. Made inside the
/// caller's transaction: the row is created if missing, then incremented in
/// place, which locks it until the transaction ends, so concurrent callers
/// each get their own value (on SQLite the write transaction already
/// serializes them).
pub async fn next_in_sequence(db: &impl ConnectionTrait, name: &str) -> Result<i64> {
    counter::Entity::insert(counter::ActiveModel {
        name: Set(name.to_owned()),
        value: Set(0),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(db)
    .await?;
    counter::Entity::update_many()
        .col_expr(
            counter::Column::Value,
            Expr::col(counter::Column::Value).add(1),
        )
        .filter(counter::Column::Name.eq(name))
        .exec(db)
        .await?;
    counter::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
        .map(|c| c.value)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("counter {name} vanished")))
}

pub async fn insert(db: &impl ConnectionTrait, row: contract::Model) -> Result<contract::Model> {
    Ok(row.into_active_model().reset_all().insert(db).await?)
}

pub async fn insert_lines(
    db: &impl ConnectionTrait,
    lines: Vec<contract_line::Model>,
) -> Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    contract_line::Entity::insert_many(
        lines.into_iter().map(|l| l.into_active_model().reset_all()),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn insert_milestones(
    db: &impl ConnectionTrait,
    milestones: Vec<payment_milestone::Model>,
) -> Result<()> {
    if milestones.is_empty() {
        return Ok(());
    }
    payment_milestone::Entity::insert_many(
        milestones
            .into_iter()
            .map(|m| m.into_active_model().reset_all()),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Writes the whole row if its status is still `expected`; false when a
/// concurrent change got there first.
pub async fn update_if_status(
    db: &impl ConnectionTrait,
    row: contract::Model,
    expected: ContractStatus,
) -> Result<bool> {
    let id = row.id;
    let result = contract::Entity::update_many()
        .set(row.into_active_model().reset_all())
        .filter(contract::Column::Id.eq(id))
        .filter(contract::Column::Status.eq(expected))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Writes the handover if the contract is still `SIGNED` and not yet handed
/// over; false when a concurrent change got there first.
pub async fn update_if_not_handed_over(
    db: &impl ConnectionTrait,
    row: contract::Model,
) -> Result<bool> {
    let id = row.id;
    let result = contract::Entity::update_many()
        .set(row.into_active_model().reset_all())
        .filter(contract::Column::Id.eq(id))
        .filter(contract::Column::Status.eq(ContractStatus::Signed))
        .filter(contract::Column::HandedOverAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub struct ListFilter {
    pub opportunity_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub quote_id: Option<Uuid>,
    pub status: Option<ContractStatus>,
}

pub fn list_query(visibility: &Visibility, filter: &ListFilter) -> Select<contract::Entity> {
    let mut cond = Condition::all().add(follows_deal(contract::Column::OpportunityId, visibility));
    if let Some(id) = filter.opportunity_id {
        cond = cond.add(contract::Column::OpportunityId.eq(id));
    }
    if let Some(id) = filter.account_id {
        cond = cond.add(contract::Column::AccountId.eq(id));
    }
    if let Some(id) = filter.quote_id {
        cond = cond.add(contract::Column::QuoteId.eq(id));
    }
    if let Some(status) = filter.status {
        cond = cond.add(contract::Column::Status.eq(status));
    }
    contract::Entity::find().filter(cond)
}
