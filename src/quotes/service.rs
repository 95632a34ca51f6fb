//! Quote rules: who works on which quotes, creating, editing, reading and
//! listing them, and how the opportunity's amount follows its primary quote.
//! The transitions live in `transitions`, the line checks in `lines`.
//!
//! **Access.** Quotes follow their opportunity: reading needs `ReadAccounts`
//! and a deal the caller sees (a sales user: on its team or owning its
//! account); a quote on a deal the caller does not see is `NOT_FOUND`.
//! Writing needs `WriteAccounts`; pricing lines needs `ReadCatalogue` too;
//! approving and rejecting need `ApproveQuotes` and someone other than the author.
//!
//! **The opportunity's amount** is its primary quote's total: the accepted
//! quote once there is one, else the latest version. Creating, revising or
//! editing the latest version (while none is accepted) and accepting a quote
//! set the deal's amount and currency; accepting also moves it to
//! `NEGOTIATE` if it was earlier. A WON or LOST deal takes no new quotes,
//! edits, revisions or acceptances (`VALIDATION`): its quotes are settled.
//!
//! All writes of one request happen in one transaction; the one exception
//! is a lapsed quote's expiry, stored in its own step (see `lifecycle`).

use chrono::NaiveDate;
use entity::{
    DecimalText,
    enums::{OpportunityStage, QuoteStatus, SubjectKind},
    opportunity, quote,
};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction};
use uuid::Uuid;

use super::{
    lifecycle::{self, status_name},
    lines::{
        LineRequest, apply_totals, check_lines, check_tax_rate, check_valid_until,
        price_from_catalogue, priced_from_rows, total,
    },
    repo::{self, ListFilter},
};
use crate::{
    Error, Result,
    auth::{Actor, Capability, Visibility},
    db::visible,
    db::{self, Counter, Page, PageRequest, SortValue},
    history::repo::{Transition, record},
    money::{Currency, Money},
    opportunities,
};

pub struct NewQuote {
    pub opportunity_id: Uuid,
    pub currency: String,
    pub valid_until: NaiveDate,
    pub tax_rate: Option<Decimal>,
    pub lines: Vec<LineRequest>,
}

/// What `updateQuote` changes; `None` leaves a field as it is, and `lines`
/// replaces all lines.
#[derive(Default)]
pub struct QuotePatch {
    pub valid_until: Option<NaiveDate>,
    pub tax_rate: Option<Decimal>,
    pub lines: Option<Vec<LineRequest>>,
}

/// For reads: [`visible::get_as`] with the aggregate's read capability.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<quote::Model> {
    visible::get_as::<quote::Entity>(db, actor, Capability::ReadAccounts, id).await
}

pub(super) fn currency_of(quote: &quote::Model) -> Result<Currency> {
    Currency::parse("currency", &quote.currency)
}

/// A WON or LOST deal's quotes are settled: no new ones, edits, revisions or acceptance.
pub(super) fn check_deal_open(opp: &opportunity::Model, field: &str) -> Result<()> {
    match opp.stage {
        OpportunityStage::Won | OpportunityStage::Lost => Err(Error::validation(
            field,
            format!(
                "the opportunity is {}; its quotes are settled",
                if opp.stage == OpportunityStage::Won {
                    "WON"
                } else {
                    "LOST"
                }
            ),
        )),
        _ => Ok(()),
    }
}

/// The quote's deal; the caller has already been shown the quote.
pub(super) async fn deal_of(
    db: &impl ConnectionTrait,
    quote: &quote::Model,
) -> Result<opportunity::Model> {
    crate::db::visible::find::<entity::opportunity::Entity>(
        db,
        &Visibility::All,
        quote.opportunity_id,
    )
    .await?
    .ok_or(Error::NotFound("opportunity"))
}

/// Sets the deal's amount to the quote's total, and its stage to `stage`
/// when given; writes nothing when nothing changes.
pub(super) async fn set_amount(
    txn: &DatabaseTransaction,
    actor: &Actor,
    opp: &opportunity::Model,
    quote: &quote::Model,
    stage: Option<OpportunityStage>,
    reason: Option<&str>,
) -> Result<()> {
    let money = Money {
        amount: quote.total.0,
        currency: currency_of(quote)?,
    };
    let mut after = opp.clone();
    after.amount_minor = Some(money.to_minor().map_err(|_| {
        Error::validation(
            "lines",
            "the quote's total is too large for an opportunity amount",
        )
    })?);
    after.currency = Some(money.currency.code().to_owned());
    if let Some(stage) = stage {
        after.stage = stage;
    }
    if after == *opp {
        return Ok(());
    }
    opportunities::service::save(txn, actor, opp, after, reason).await?;
    Ok(())
}

/// Makes `quote` the deal's amount if it is the primary quote: none is
/// accepted, and it is the latest version.
pub(super) async fn follow_primary(
    txn: &DatabaseTransaction,
    actor: &Actor,
    quote: &quote::Model,
) -> Result<()> {
    if repo::accepted_for(txn, quote.opportunity_id)
        .await?
        .is_some()
        || repo::max_version(txn, quote.opportunity_id).await? != quote.version
    {
        return Ok(());
    }
    let opp = deal_of(txn, quote).await?;
    set_amount(txn, actor, &opp, quote, None, None).await
}

pub(super) async fn record_creation(
    txn: &DatabaseTransaction,
    actor: &Actor,
    quote: &quote::Model,
    reason: Option<&str>,
) -> Result<()> {
    record(
        txn,
        actor,
        Transition {
            kind: SubjectKind::Quote,
            subject_id: quote.id,
            from: None,
            to: status_name(quote.status),
            reason,
        },
    )
    .await
}

/// Creates version n+1 of the deal's quotes as a `DRAFT`.
pub async fn create(db: &DatabaseConnection, actor: &Actor, new: NewQuote) -> Result<quote::Model> {
    let txn = db::begin_write(db).await?;
    let quote = create_in(&txn, actor, new).await?;
    txn.commit().await?;
    Ok(quote)
}

/// [`create`] inside the caller's transaction (a renewal makes its
/// opportunity and starting quote in one).
pub async fn create_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    new: NewQuote,
) -> Result<quote::Model> {
    let visibility = actor.visibility(Capability::WriteAccounts)?;
    actor.require(Capability::ReadCatalogue)?;
    let currency = Currency::parse("currency", &new.currency)?;
    let valid_until = check_valid_until(new.valid_until, lifecycle::today())?;
    let tax_rate = check_tax_rate(new.tax_rate.unwrap_or(Decimal::ZERO))?;
    let lines = check_lines(&new.lines)?;

    let opp = crate::db::visible::find::<entity::opportunity::Entity>(
        txn,
        &visibility,
        new.opportunity_id,
    )
    .await?
    .ok_or(Error::NotFound("opportunity"))?;
    check_deal_open(&opp, "opportunityId")?;
    let priced = price_from_catalogue(txn, currency, lines).await?;
    let id = db::new_id();
    let (rows, totals) = total(id, currency, &priced, tax_rate)?;
    let now = db::now();
    let mut quote = quote::Model {
        id,
        opportunity_id: opp.id,
        version: repo::max_version(txn, opp.id).await? + 1,
        status: QuoteStatus::Draft,
        currency: currency.code().to_owned(),
        valid_until,
        tax_rate: DecimalText(tax_rate),
        subtotal: DecimalText(Decimal::ZERO),
        discount_total: DecimalText(Decimal::ZERO),
        tax: DecimalText(Decimal::ZERO),
        total: DecimalText(Decimal::ZERO),
        author_id: actor.sub.clone(),
        approved_by: None,
        rejection_reason: None,
        revises_id: None,
        sent_at: None,
        accepted_at: None,
        created_at: now,
        updated_at: now,
    };
    apply_totals(&mut quote, &totals);
    let quote = repo::insert(txn, quote).await?;
    repo::insert_lines(txn, rows).await?;
    record_creation(txn, actor, &quote, None).await?;
    follow_primary(txn, actor, &quote).await?;
    Ok(quote)
}

/// Opens a write on a quote the caller may exercise `capability` on. A lapsed quote is first marked
/// `EXPIRED` (and that recorded) in a committed step of its own; the quote
/// returned is then the expired one, for the caller to refuse.
pub(super) async fn open_for_write(
    db: &DatabaseConnection,
    actor: &Actor,
    capability: Capability,
    id: Uuid,
) -> Result<(DatabaseTransaction, quote::Model)> {
    let txn = db::begin_write(db).await?;
    let quote = visible::get_as::<quote::Entity>(&txn, actor, capability, id).await?;
    if !lifecycle::lapsed(quote.status, quote.valid_until, lifecycle::today()) {
        return Ok((txn, quote));
    }
    lifecycle::expire(&txn, &quote).await?;
    txn.commit().await?;
    let txn = db::begin_write(db).await?;
    let quote = visible::get_as::<quote::Entity>(&txn, actor, capability, id).await?;
    Ok((txn, quote))
}

/// Edits a `DRAFT`: its validity, tax rate and (replacing all) lines.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    patch: QuotePatch,
) -> Result<quote::Model> {
    let valid_until = patch
        .valid_until
        .map(|v| check_valid_until(v, lifecycle::today()))
        .transpose()?;
    let tax_rate = patch.tax_rate.map(check_tax_rate).transpose()?;
    let lines = match &patch.lines {
        Some(lines) => {
            actor.require(Capability::ReadCatalogue)?;
            Some(check_lines(lines)?)
        }
        None => None,
    };

    let (txn, before) = open_for_write(db, actor, Capability::WriteAccounts, id).await?;
    if before.status != QuoteStatus::Draft {
        return Err(Error::validation(
            "id",
            format!(
                "only a DRAFT quote can be edited; this one is {}",
                status_name(before.status)
            ),
        ));
    }
    check_deal_open(&deal_of(&txn, &before).await?, "id")?;
    let currency = currency_of(&before)?;
    let mut after = before.clone();
    if let Some(v) = valid_until {
        after.valid_until = v;
    }
    if let Some(rate) = tax_rate {
        after.tax_rate = DecimalText(rate);
    }
    let priced = match lines {
        Some(lines) => price_from_catalogue(&txn, currency, lines).await?,
        None => priced_from_rows(&repo::lines_of(&txn, &[id]).await?),
    };
    let (rows, totals) = total(id, currency, &priced, after.tax_rate.0)?;
    apply_totals(&mut after, &totals);
    after.updated_at = db::now();
    if !repo::update_if_status(&txn, after.clone(), QuoteStatus::Draft).await? {
        return Err(Error::Conflict(
            "the quote changed meanwhile; read it again".into(),
        ));
    }
    if patch.lines.is_some() {
        repo::delete_lines(&txn, id).await?;
        repo::insert_lines(&txn, rows).await?;
    }
    follow_primary(&txn, actor, &after).await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: ListFilter,
    direction: sea_orm::Order,
    page: PageRequest,
) -> Result<(Page<quote::Model>, Counter)> {
    let visibility = actor.visibility(Capability::ReadAccounts)?;
    let page = page.ordered("CreatedAt", &direction, |k| matches!(k, SortValue::Time(_)))?;
    let select = repo::list_query(&visibility, &filter, lifecycle::today());
    let rows = db::fetch_page(
        db,
        select.clone(),
        quote::Column::CreatedAt,
        quote::Column::Id,
        direction,
        &page,
    )
    .await?;
    Ok((rows, db::counter(db, select)))
}
