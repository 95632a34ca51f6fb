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

/// A converted lead's deal is expected to close by the end of the quarter
/// until someone says otherwise (a common CRM default).
pub fn end_of_quarter(today: chrono::NaiveDate) -> chrono::NaiveDate {
    use chrono::Datelike;
    let (year, next_quarter_month) = match today.month() {
        1..=3 => (today.year(), 4),
        4..=6 => (today.year(), 7),
        7..=9 => (today.year(), 10),
        _ => (today.year() + 1, 1),
    };
    chrono::NaiveDate::from_ymd_opt(year, next_quarter_month, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(today)
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
            amount_minor: Set(None),
            currency: Set(None),
            expected_close_date: Set(end_of_quarter(now.date_naive())),
            probability_override: Set(None),
            lead_id: Set(opening.lead_id),
            lost_reason: Set(None),
            lost_from_stage: Set(None),
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

/// The schema's spelling of a stage, as the history stores it.
pub fn stage_name(stage: OpportunityStage) -> &'static str {
    match stage {
        OpportunityStage::Discover => "DISCOVER",
        OpportunityStage::Qualify => "QUALIFY",
        OpportunityStage::Propose => "PROPOSE",
        OpportunityStage::Negotiate => "NEGOTIATE",
        OpportunityStage::Won => "WON",
        OpportunityStage::Lost => "LOST",
    }
}

/// Writes `after` (whose stage may differ from `before`'s) inside the
/// caller's transaction, provided nobody moved the deal meanwhile, and
/// records the stage change if there is one. Quotes (acceptance moves a deal
/// to at least NEGOTIATE) and contracts (signing wins it) use this too.
pub async fn save(
    db: &impl ConnectionTrait,
    actor: &Actor,
    before: &opportunity::Model,
    mut after: opportunity::Model,
    reason: Option<&str>,
) -> Result<opportunity::Model> {
    after.updated_at = db::now();
    if !repo::update_if_stage(db, after.clone(), before.stage).await? {
        return Err(Error::Conflict(
            "the opportunity changed meanwhile; read it again".into(),
        ));
    }
    if after.stage != before.stage {
        record(
            db,
            actor,
            Transition {
                kind: SubjectKind::Opportunity,
                subject_id: after.id,
                from: Some(stage_name(before.stage)),
                to: stage_name(after.stage),
                reason,
            },
        )
        .await?;
    }
    Ok(after)
}
