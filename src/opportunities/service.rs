//! Opportunity rules: reading, opening a deal (by hand or by lead
//! conversion) with its AR, editing it, and the guarded write every change
//! goes through. Stage changes live in `lifecycle`, the deal team in `team`,
//! lists in `listing`.

use async_graphql::MaybeUndefined;
use chrono::NaiveDate;
use entity::{
    enums::{OpportunityStage, SubjectKind, TeamRole},
    opportunity, team_member,
};
use rust_decimal::Decimal;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use super::{repo, stage};
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    db,
    db::visible,
    history::repo::{Transition, record},
    input::{self, NAME_MAX},
    money::Money,
};

/// For reads: [`visible::get_as`] with the aggregate's read capability.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<opportunity::Model> {
    visible::get_as::<opportunity::Entity>(db, actor, Capability::ReadAccounts, id).await
}

/// A deal the caller may change: [`visible::get_as`] with `WriteAccounts`.
pub async fn get_for_write(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<opportunity::Model> {
    visible::get_as::<opportunity::Entity>(db, actor, Capability::WriteAccounts, id).await
}

/// A converted lead's deal is expected to close by the end of the quarter
/// until someone says otherwise (a common CRM default).
pub fn end_of_quarter(today: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    let (year, next_quarter_month) = match today.month() {
        1..=3 => (today.year(), 4),
        4..=6 => (today.year(), 7),
        7..=9 => (today.year(), 10),
        _ => (today.year() + 1, 1),
    };
    NaiveDate::from_ymd_opt(year, next_quarter_month, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(today)
}

/// Who the deal is with and what it is called.
pub struct Opening {
    pub account_id: Uuid,
    pub name: String,
    pub lead_id: Option<Uuid>,
}

/// The commercial terms a deal opens with.
pub struct Terms {
    pub expected_close_date: NaiveDate,
    pub amount: Option<Money>,
    /// An override of the stage's default probability, already checked.
    pub probability: Option<i32>,
}

impl Terms {
    /// What a converted lead's deal starts with: no amount, the stage's
    /// probability, closing at the end of the current quarter.
    pub fn defaults() -> Terms {
        Terms {
            expected_close_date: end_of_quarter(db::now().date_naive()),
            amount: None,
            probability: None,
        }
    }
}

/// Opens an opportunity in `DISCOVER` with `actor` as its AR, inside the
/// caller's transaction, and records its creation. Lead conversion uses
/// this with default terms.
pub async fn open(
    db: &impl ConnectionTrait,
    actor: &Actor,
    opening: Opening,
) -> Result<opportunity::Model> {
    open_with(db, actor, opening, Terms::defaults()).await
}

/// [`open`] with the given terms. The caller has checked the name, the
/// account and the caller's right to use it.
pub async fn open_with(
    db: &impl ConnectionTrait,
    actor: &Actor,
    opening: Opening,
    terms: Terms,
) -> Result<opportunity::Model> {
    let now = db::now();
    let (amount_minor, currency) = match terms.amount {
        Some(money) => (
            Some(money.to_minor()?),
            Some(money.currency.code().to_owned()),
        ),
        None => (None, None),
    };
    let opp = repo::insert(
        db,
        opportunity::ActiveModel {
            id: Set(db::new_id()),
            account_id: Set(opening.account_id),
            name: Set(opening.name),
            stage: Set(OpportunityStage::Discover),
            amount_minor: Set(amount_minor),
            currency: Set(currency),
            expected_close_date: Set(terms.expected_close_date),
            probability_override: Set(terms.probability),
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
            to: stage::name(OpportunityStage::Discover),
            reason: None,
        },
    )
    .await?;
    Ok(opp)
}

/// A money amount as a caller gives it: decimal and currency code.
pub type AmountInput = (Decimal, String);

pub struct NewOpportunity {
    pub account_id: Uuid,
    pub name: String,
    pub expected_close_date: NaiveDate,
    pub amount: Option<AmountInput>,
    pub probability: Option<i32>,
}

/// Checks an entered amount: non-negative, no more digits than the currency
/// has, and small enough to store in minor units.
fn parse_amount(field: &str, (amount, currency): AmountInput) -> Result<Money> {
    let money = Money::parse(field, amount, &currency)?;
    money
        .to_minor()
        .map_err(|_| Error::validation(format!("{field}.amount"), "is too large"))?;
    Ok(money)
}

/// `createOpportunity`: a deal on an account the caller sees, in `DISCOVER`,
/// with the caller as its AR.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    new: NewOpportunity,
) -> Result<opportunity::Model> {
    let visibility = actor.visibility(Capability::WriteAccounts)?;
    let name = input::required("name", &new.name, NAME_MAX)?;
    let amount = new.amount.map(|a| parse_amount("amount", a)).transpose()?;
    let probability = new
        .probability
        .map(|p| stage::parse_probability("probability", p))
        .transpose()?;
    let txn = db::begin_write(db).await?;
    if crate::db::visible::find::<entity::account::Entity>(&txn, &visibility, new.account_id)
        .await?
        .is_none()
    {
        return Err(Error::validation("accountId", "no such account"));
    }
    let opp = open_with(
        &txn,
        actor,
        Opening {
            account_id: new.account_id,
            name,
            lead_id: None,
        },
        Terms {
            expected_close_date: new.expected_close_date,
            amount,
            probability,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(opp)
}

/// `updateOpportunity`: fields left out stay; `null` clears the probability
/// override or the amount.
#[derive(Default)]
pub struct OpportunityPatch {
    pub name: Option<String>,
    pub expected_close_date: Option<NaiveDate>,
    pub probability: MaybeUndefined<i32>,
    pub amount: MaybeUndefined<AmountInput>,
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    patch: OpportunityPatch,
) -> Result<opportunity::Model> {
    let txn = db::begin_write(db).await?;
    let before = get_for_write(&txn, actor, id).await?;
    if !stage::is_open(before.stage) {
        return Err(Error::validation(
            "id",
            format!(
                "a {} opportunity can no longer be edited",
                stage::name(before.stage)
            ),
        ));
    }
    let mut after = before.clone();
    if let Some(name) = &patch.name {
        after.name = input::required("name", name, NAME_MAX)?;
    }
    if let Some(day) = patch.expected_close_date {
        after.expected_close_date = day;
    }
    match patch.probability {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => after.probability_override = None,
        MaybeUndefined::Value(p) => {
            after.probability_override = Some(stage::parse_probability("probability", p)?)
        }
    }
    if !patch.amount.is_undefined() {
        // Once a quote exists the amount is the primary quote's, not typed in.
        if repo::has_quotes(&txn, id).await? {
            return Err(Error::validation(
                "amount",
                "the amount comes from the opportunity's quotes once it has one",
            ));
        }
        match patch.amount {
            MaybeUndefined::Value(a) => {
                let money = parse_amount("amount", a)?;
                after.amount_minor = Some(money.to_minor()?);
                after.currency = Some(money.currency.code().to_owned());
            }
            _ => {
                after.amount_minor = None;
                after.currency = None;
            }
        }
    }
    let saved = save(&txn, actor, &before, after, None).await?;
    txn.commit().await?;
    Ok(saved)
}

/// The schema's spelling of a stage, as the history stores it.
pub fn stage_name(stage: OpportunityStage) -> &'static str {
    stage::name(stage)
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
                from: Some(stage::name(before.stage)),
                to: stage::name(after.stage),
                reason,
            },
        )
        .await?;
    }
    crate::events::publish(db, crate::events::opportunity_saved(before, &after)).await?;
    Ok(after)
}
