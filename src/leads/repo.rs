//! Lead rows: the only code that queries the `leads` table.

use entity::{
    account,
    enums::{LeadSource, LeadStatus},
    lead,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Select,
    sea_query::{Expr, LikeExpr},
};
use uuid::Uuid;

use crate::{Result, auth::Visibility, db::contains};

/// Open leads are the ones still being worked; only they attract duplicates.
pub const OPEN: [LeadStatus; 3] = [LeadStatus::New, LeadStatus::Working, LeadStatus::Qualified];

/// A sales user sees the leads they own and the unassigned ones.
pub fn visible(visibility: &Visibility) -> Condition {
    match visibility {
        Visibility::All => Condition::all(),
        Visibility::OwnedBy(user) => Condition::any()
            .add(lead::Column::OwnerId.eq(user.as_str()))
            .add(lead::Column::OwnerId.is_null()),
    }
}

pub async fn find_visible(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    id: Uuid,
) -> Result<Option<lead::Model>> {
    Ok(lead::Entity::find_by_id(id)
        .filter(visible(visibility))
        .one(db)
        .await?)
}

pub async fn find_visible_many(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    ids: &[Uuid],
) -> Result<Vec<lead::Model>> {
    Ok(lead::Entity::find()
        .filter(lead::Column::Id.is_in(ids.iter().copied()))
        .filter(visible(visibility))
        .all(db)
        .await?)
}

/// Leads marked as duplicates of any of `ids`, that the caller sees.
pub async fn duplicates_of(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    ids: &[Uuid],
) -> Result<Vec<lead::Model>> {
    Ok(lead::Entity::find()
        .filter(lead::Column::DuplicateOfLeadId.is_in(ids.iter().copied()))
        .filter(visible(visibility))
        .order_by_asc(lead::Column::Id)
        .all(db)
        .await?)
}

pub async fn find_by_external_ref(
    db: &impl ConnectionTrait,
    source: LeadSource,
    external_ref: &str,
) -> Result<Option<lead::Model>> {
    Ok(lead::Entity::find()
        .filter(lead::Column::Source.eq(source))
        .filter(lead::Column::ExternalRef.eq(external_ref))
        .one(db)
        .await?)
}

/// The oldest open lead with this normalized email, other than `except`.
pub async fn find_open_by_email(
    db: &impl ConnectionTrait,
    normalized: &str,
    except: Option<Uuid>,
) -> Result<Option<lead::Model>> {
    let mut query = lead::Entity::find()
        .filter(lead::Column::EmailNormalized.eq(normalized))
        .filter(lead::Column::Status.is_in(OPEN))
        // A duplicate points at the original, never at another duplicate.
        .filter(lead::Column::DuplicateOfLeadId.is_null());
    if let Some(id) = except {
        query = query.filter(lead::Column::Id.ne(id));
    }
    Ok(query.order_by_asc(lead::Column::Id).one(db).await?)
}

pub async fn account_with_domain_exists(db: &impl ConnectionTrait, domain: &str) -> Result<bool> {
    Ok(account::Entity::find()
        .filter(account::Column::Domain.eq(domain))
        .count(db)
        .await?
        > 0)
}

pub async fn account_named_exists(db: &impl ConnectionTrait, name: &str) -> Result<bool> {
    Ok(account::Entity::find()
        .filter(
            Expr::col(account::Column::SearchText)
                .like(LikeExpr::new(format!("{}%", crate::input::like_escape(name))).escape('\\')),
        )
        .count(db)
        .await?
        > 0)
}

pub struct ListFilter {
    pub statuses: Vec<LeadStatus>,
    pub sources: Vec<LeadSource>,
    pub owner_id: Option<String>,
    pub unassigned: Option<bool>,
    pub is_duplicate: Option<bool>,
    pub text: Option<String>,
    pub created_after: Option<chrono::DateTime<chrono::Utc>>,
    pub created_before: Option<chrono::DateTime<chrono::Utc>>,
}

pub fn list_query(visibility: &Visibility, filter: &ListFilter) -> Select<lead::Entity> {
    let mut cond = Condition::all().add(visible(visibility));
    if !filter.statuses.is_empty() {
        cond = cond.add(lead::Column::Status.is_in(filter.statuses.iter().copied()));
    }
    if !filter.sources.is_empty() {
        cond = cond.add(lead::Column::Source.is_in(filter.sources.iter().copied()));
    }
    if let Some(owner) = &filter.owner_id {
        cond = cond.add(lead::Column::OwnerId.eq(owner.as_str()));
    }
    match filter.unassigned {
        Some(true) => cond = cond.add(lead::Column::OwnerId.is_null()),
        Some(false) => cond = cond.add(lead::Column::OwnerId.is_not_null()),
        None => {}
    }
    match filter.is_duplicate {
        Some(true) => {
            cond = cond.add(
                Condition::any()
                    .add(lead::Column::DuplicateOfLeadId.is_not_null())
                    .add(lead::Column::DuplicateOfContactId.is_not_null()),
            )
        }
        Some(false) => {
            cond = cond
                .add(lead::Column::DuplicateOfLeadId.is_null())
                .add(lead::Column::DuplicateOfContactId.is_null())
        }
        None => {}
    }
    if let Some(text) = &filter.text {
        cond = cond.add(contains(lead::Column::SearchText, text));
    }
    if let Some(after) = filter.created_after {
        cond = cond.add(lead::Column::CreatedAt.gte(after));
    }
    if let Some(before) = filter.created_before {
        cond = cond.add(lead::Column::CreatedAt.lt(before));
    }
    lead::Entity::find().filter(cond)
}

pub async fn insert(db: &impl ConnectionTrait, row: lead::ActiveModel) -> Result<lead::Model> {
    Ok(row.insert(db).await?)
}

pub async fn update(db: &impl ConnectionTrait, row: lead::ActiveModel) -> Result<lead::Model> {
    Ok(row.update(db).await?)
}

/// Writes the whole row if its status is still `expected`; false when a
/// concurrent change got there first.
pub async fn update_if_status(
    db: &impl ConnectionTrait,
    row: lead::Model,
    expected: LeadStatus,
) -> Result<bool> {
    use sea_orm::IntoActiveModel;
    let id = row.id;
    let result = lead::Entity::update_many()
        .set(row.into_active_model().reset_all())
        .filter(lead::Column::Id.eq(id))
        .filter(lead::Column::Status.eq(expected))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
