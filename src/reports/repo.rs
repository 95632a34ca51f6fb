//! The aggregate queries behind the reports.

use chrono::{DateTime, Utc};
use entity::{
    contract,
    enums::{LeadStatus, OpportunityStage, SubjectKind},
    lead, opportunity, payment, receivable, team_member, transition,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, Query},
};
use uuid::Uuid;

use crate::{Result, auth::Visibility, leads, opportunities};

/// (stage, probability override, count, sum of amounts in minor units) for
/// the visible opportunities in `currency` (or without an amount).
pub async fn stage_totals(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    currency: &str,
    extra: Condition,
) -> Result<Vec<(OpportunityStage, Option<i32>, i64, Option<i64>)>> {
    Ok(opportunity::Entity::find()
        .select_only()
        .column(opportunity::Column::Stage)
        .column(opportunity::Column::ProbabilityOverride)
        .column_as(
            Expr::col(opportunity::Column::Id).count().cast_as("BIGINT"),
            "n",
        )
        .column_as(
            Expr::col(opportunity::Column::AmountMinor)
                .sum()
                .cast_as("BIGINT"),
            "amount",
        )
        .filter(opportunities::repo::visible(visibility))
        .filter(
            Condition::any()
                .add(opportunity::Column::Currency.eq(currency))
                .add(opportunity::Column::AmountMinor.is_null()),
        )
        .filter(extra)
        .group_by(opportunity::Column::Stage)
        .group_by(opportunity::Column::ProbabilityOverride)
        .into_tuple()
        .all(db)
        .await?)
}

/// (leads created in the period, of which converted), among the visible ones.
pub async fn lead_conversion(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(u64, u64)> {
    let base = lead::Entity::find()
        .filter(leads::repo::visible(visibility))
        .filter(lead::Column::CreatedAt.gte(from))
        .filter(lead::Column::CreatedAt.lt(to));
    let created = base.clone().count(db).await?;
    let converted = base
        .filter(lead::Column::Status.eq(LeadStatus::Converted))
        .count(db)
        .await?;
    Ok((created, converted))
}

/// Visible opportunities that closed in the period and are still in the state
/// they closed in: (won, lost).
pub async fn closed_deals(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(u64, u64)> {
    let mut counts = [0_u64; 2];
    for (i, (stage, name)) in [
        (OpportunityStage::Won, "WON"),
        (OpportunityStage::Lost, "LOST"),
    ]
    .into_iter()
    .enumerate()
    {
        let closed_in_period = Query::select()
            .column(transition::Column::SubjectId)
            .from(transition::Entity)
            .and_where(transition::Column::SubjectKind.eq(SubjectKind::Opportunity))
            .and_where(transition::Column::ToState.eq(name))
            .and_where(transition::Column::At.gte(from))
            .and_where(transition::Column::At.lt(to))
            .to_owned();
        counts[i] = opportunity::Entity::find()
            .filter(opportunities::repo::visible(visibility))
            .filter(opportunity::Column::Stage.eq(stage))
            .filter(opportunity::Column::Id.in_subquery(closed_in_period))
            .count(db)
            .await?;
    }
    Ok((counts[0], counts[1]))
}

/// (user, role, currency, won amount in minor units): deals won in the period,
/// counted in full for every member of their team.
pub async fn won_by_member(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(String, entity::enums::TeamRole, String, i64)>> {
    let won_in_period = Query::select()
        .column(transition::Column::SubjectId)
        .from(transition::Entity)
        .and_where(transition::Column::SubjectKind.eq(SubjectKind::Opportunity))
        .and_where(transition::Column::ToState.eq("WON"))
        .and_where(transition::Column::At.gte(from))
        .and_where(transition::Column::At.lt(to))
        .to_owned();
    Ok(team_member::Entity::find()
        .select_only()
        .column(team_member::Column::UserId)
        .column(team_member::Column::Role)
        .column_as(
            Expr::col((opportunity::Entity, opportunity::Column::Currency)),
            "currency",
        )
        .column_as(
            Expr::col((opportunity::Entity, opportunity::Column::AmountMinor))
                .sum()
                .cast_as("BIGINT"),
            "won",
        )
        .join(sea_orm::JoinType::InnerJoin, member_to_opportunity())
        .filter(opportunities::repo::visible(visibility))
        .filter(opportunity::Column::Stage.eq(OpportunityStage::Won))
        .filter(opportunity::Column::Id.in_subquery(won_in_period))
        .filter(opportunity::Column::AmountMinor.is_not_null())
        .group_by(team_member::Column::UserId)
        .group_by(team_member::Column::Role)
        .group_by(Expr::col((
            opportunity::Entity,
            opportunity::Column::Currency,
        )))
        .into_tuple()
        .all(db)
        .await?)
}

fn member_to_opportunity() -> sea_orm::RelationDef {
    team_member::Entity::belongs_to(opportunity::Entity)
        .from(team_member::Column::OpportunityId)
        .to(opportunity::Column::Id)
        .into()
}

/// (opportunity id, currency, cash in minor units) received in the period on
/// the contracts of visible deals.
pub async fn cash_by_opportunity(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(Uuid, String, i64)>> {
    Ok(payment::Entity::find()
        .select_only()
        .column_as(
            Expr::col((contract::Entity, contract::Column::OpportunityId)),
            "opportunity_id",
        )
        .column_as(
            Expr::col((payment::Entity, payment::Column::Currency)),
            "currency",
        )
        .column_as(
            Expr::col((payment::Entity, payment::Column::AmountMinor))
                .sum()
                .cast_as("BIGINT"),
            "cash",
        )
        .join(
            sea_orm::JoinType::InnerJoin,
            payment::Entity::belongs_to(receivable::Entity)
                .from(payment::Column::ReceivableId)
                .to(receivable::Column::Id)
                .into(),
        )
        .join(
            sea_orm::JoinType::InnerJoin,
            receivable::Entity::belongs_to(contract::Entity)
                .from(receivable::Column::ContractId)
                .to(contract::Column::Id)
                .into(),
        )
        .filter(
            contract::Column::OpportunityId.in_subquery(
                Query::select()
                    .column(opportunity::Column::Id)
                    .from(opportunity::Entity)
                    .cond_where(opportunities::repo::visible(visibility))
                    .to_owned(),
            ),
        )
        .filter(payment::Column::ReceivedAt.gte(from))
        .filter(payment::Column::ReceivedAt.lt(to))
        .group_by(Expr::col((
            contract::Entity,
            contract::Column::OpportunityId,
        )))
        .group_by(Expr::col((payment::Entity, payment::Column::Currency)))
        .into_tuple()
        .all(db)
        .await?)
}

/// Team members of the given opportunities: (opportunity, user, role).
pub async fn members_of(
    db: &impl ConnectionTrait,
    opportunity_ids: &[Uuid],
) -> Result<Vec<team_member::Model>> {
    Ok(team_member::Entity::find()
        .filter(team_member::Column::OpportunityId.is_in(opportunity_ids.iter().copied()))
        .all(db)
        .await?)
}

/// Every quote version of a deal, oldest first.
pub async fn quotes_of(
    db: &impl ConnectionTrait,
    opportunity_id: Uuid,
) -> Result<Vec<entity::quote::Model>> {
    use sea_orm::QueryOrder;
    Ok(entity::quote::Entity::find()
        .filter(entity::quote::Column::OpportunityId.eq(opportunity_id))
        .order_by_asc(entity::quote::Column::Version)
        .all(db)
        .await?)
}

/// The deal's contracts, oldest first.
pub async fn contracts_of(
    db: &impl ConnectionTrait,
    opportunity_id: Uuid,
) -> Result<Vec<contract::Model>> {
    use sea_orm::QueryOrder;
    Ok(contract::Entity::find()
        .filter(contract::Column::OpportunityId.eq(opportunity_id))
        .order_by_asc(contract::Column::CreatedAt)
        .all(db)
        .await?)
}

/// The POs of these contracts the caller sees, oldest first.
pub async fn orders_of(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    contract_ids: &[Uuid],
) -> Result<Vec<entity::purchase_order::Model>> {
    use sea_orm::QueryOrder;
    Ok(entity::purchase_order::Entity::find()
        .filter(entity::purchase_order::Column::ContractId.is_in(contract_ids.iter().copied()))
        .filter(crate::purchase_orders::repo::visible(visibility))
        .order_by_asc(entity::purchase_order::Column::CreatedAt)
        .all(db)
        .await?)
}

/// The receivables of these contracts the caller sees, by due date.
pub async fn receivables_of(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    contract_ids: &[Uuid],
) -> Result<Vec<receivable::Model>> {
    use sea_orm::QueryOrder;
    Ok(receivable::Entity::find()
        .filter(receivable::Column::ContractId.is_in(contract_ids.iter().copied()))
        .filter(crate::receivables::repo::visible(visibility))
        .order_by_asc(receivable::Column::DueDate)
        .order_by_asc(receivable::Column::Id)
        .all(db)
        .await?)
}

/// The payments on the receivables of these contracts the caller sees.
pub async fn payments_under(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    contract_ids: &[Uuid],
) -> Result<Vec<payment::Model>> {
    use sea_orm::{QueryOrder, QuerySelect, QueryTrait};
    let receivables = receivable::Entity::find()
        .select_only()
        .column(receivable::Column::Id)
        .filter(receivable::Column::ContractId.is_in(contract_ids.iter().copied()))
        .filter(crate::receivables::repo::visible(visibility))
        .into_query();
    Ok(payment::Entity::find()
        .filter(payment::Column::ReceivableId.in_subquery(receivables))
        .order_by_asc(payment::Column::ReceivedAt)
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await?)
}
