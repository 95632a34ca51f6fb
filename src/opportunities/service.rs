//! Opportunity rules available so far: reading, listing, and the opening of a
//! deal (with its AR) when a lead converts.

use entity::{
    enums::{OpportunityStage, SubjectKind, TeamRole},
    opportunity, team_member,
};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use super::repo::{self, ListFilter};
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    db::{self, Counter, Page, PageRequest, SortValue},
    history::repo::{Transition, record},
};

pub async fn get(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> Result<opportunity::Model> {
    actor.require(Capability::ReadAccounts)?;
    repo::find_visible(db, &actor.visibility(), id)
        .await?
        .ok_or(Error::NotFound("opportunity"))
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: ListFilter,
    direction: sea_orm::Order,
    page: PageRequest,
) -> Result<(Page<opportunity::Model>, Counter)> {
    actor.require(Capability::ReadAccounts)?;
    let page = page.ordered("CreatedAt", &direction, |k| matches!(k, SortValue::Time(_)))?;
    let select = repo::list_query(&actor.visibility(), &filter);
    let rows = db::fetch_page(
        db,
        select.clone(),
        opportunity::Column::CreatedAt,
        opportunity::Column::Id,
        direction,
        &page,
    )
    .await?;
    Ok((rows, db::counter(db, select)))
}

pub struct Opening {
    pub account_id: Uuid,
    pub name: String,
    pub lead_id: Option<Uuid>,
}

/// Opens an opportunity in `DISCOVER` with `actor` as its AR, inside the
/// caller's transaction, and records its creation.
pub async fn open(
    db: &impl ConnectionTrait,
    actor: &Actor,
    opening: Opening,
) -> Result<opportunity::Model> {
    let now = db::now();
    let opp = repo::insert(
        db,
        opportunity::ActiveModel {
            id: Set(db::new_id()),
            account_id: Set(opening.account_id),
            name: Set(opening.name),
            stage: Set(OpportunityStage::Discover),
            amount: Set(None),
            currency: Set(None),
            expected_close_date: Set(None),
            probability_override: Set(None),
            lead_id: Set(opening.lead_id),
            lost_reason: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await?;
    repo::insert_member(
        db,
        team_member::ActiveModel {
            opportunity_id: Set(opp.id),
            user_id: Set(actor.sub.clone()),
            role: Set(TeamRole::Ar),
            added_at: Set(now),
        },
    )
    .await?;
    record(
        db,
        actor,
        Transition {
            kind: SubjectKind::Opportunity,
            subject_id: opp.id,
            from: None,
            to: "DISCOVER",
            reason: None,
        },
    )
    .await?;
    Ok(opp)
}
