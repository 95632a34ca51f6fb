//! Account rows: the only code that queries the `accounts` table.

use entity::{account, opportunity, team_member};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter, Select,
    sea_query::{Expr, Query, SelectStatement},
};

use crate::{Result, auth::Visibility, db::contains, db::visible::Visible};

/// Ids of the accounts where `user` sits on the team of one of its opportunities.
pub fn team_account_ids(user: &str) -> SelectStatement {
    Query::select()
        .column((opportunity::Entity, opportunity::Column::AccountId))
        .from(opportunity::Entity)
        .inner_join(
            team_member::Entity,
            Expr::col((team_member::Entity, team_member::Column::OpportunityId))
                .equals((opportunity::Entity, opportunity::Column::Id)),
        )
        .and_where(Expr::col((team_member::Entity, team_member::Column::UserId)).eq(user))
        .to_owned()
}

/// Ids of every account `user` sees: owned, or on a deal team there.
pub fn visible_account_ids(user: &str) -> SelectStatement {
    Query::select()
        .column(account::Column::Id)
        .from(account::Entity)
        .cond_where(visible(&Visibility::OwnedBy(user.to_owned())))
        .to_owned()
}

/// The accounts a caller with this visibility may see.
pub fn visible(visibility: &Visibility) -> Condition {
    match visibility {
        Visibility::All => Condition::all(),
        Visibility::OwnedBy(user) => Condition::any()
            .add(account::Column::OwnerId.eq(user.as_str()))
            .add(account::Column::Id.in_subquery(team_account_ids(user))),
    }
}

impl Visible for account::Entity {
    const NAME: &'static str = "account";
    const ID: account::Column = account::Column::Id;

    fn visible(visibility: &Visibility) -> Condition {
        visible(visibility)
    }
}

pub async fn find_by_domain(
    db: &impl ConnectionTrait,
    domain: &str,
) -> Result<Option<account::Model>> {
    Ok(account::Entity::find()
        .filter(account::Column::Domain.eq(domain))
        .one(db)
        .await?)
}

pub async fn domain_exists(db: &impl ConnectionTrait, domain: &str) -> Result<bool> {
    Ok(account::Entity::find()
        .filter(account::Column::Domain.eq(domain))
        .count(db)
        .await?
        > 0)
}

pub struct ListFilter {
    pub text: Option<String>,
    pub owner_id: Option<String>,
    pub created_after: Option<chrono::DateTime<chrono::Utc>>,
    pub created_before: Option<chrono::DateTime<chrono::Utc>>,
}

pub fn list_query(visibility: &Visibility, filter: &ListFilter) -> Select<account::Entity> {
    let mut cond = Condition::all().add(visible(visibility));
    if let Some(text) = &filter.text {
        cond = cond.add(contains(account::Column::SearchText, text));
    }
    if let Some(owner) = &filter.owner_id {
        cond = cond.add(account::Column::OwnerId.eq(owner.as_str()));
    }
    if let Some(after) = filter.created_after {
        cond = cond.add(account::Column::CreatedAt.gte(after));
    }
    if let Some(before) = filter.created_before {
        cond = cond.add(account::Column::CreatedAt.lt(before));
    }
    account::Entity::find().filter(cond)
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: account::ActiveModel,
) -> Result<account::Model> {
    Ok(row.insert(db).await?)
}

pub async fn update(
    db: &impl ConnectionTrait,
    row: account::ActiveModel,
) -> Result<account::Model> {
    Ok(row.update(db).await?)
}
