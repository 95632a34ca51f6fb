//! Capturing, editing, reading and listing leads. The state changes live in
//! `lifecycle`, conversion in `conversion`, the dedupe and fit rules in
//! `matching`, capturing many at once in `batch`.

use async_graphql::MaybeUndefined;
use entity::{
    DecimalText,
    enums::{LeadSource, LeadStatus, PurchaseTimeline, SubjectKind},
    lead,
};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, IntoActiveModel};

use uuid::Uuid;

use super::{
    batch, matching,
    repo::{self, ListFilter},
};
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    db::visible,
    db::{self, Counter, Page, PageRequest, SortValue},
    history::repo::{Transition, record},
    input::{self, Email, NAME_MAX, REF_MAX, TEXT_MAX},
    money::Money,
};

/// The descriptive fields of a lead, as given by a caller.
#[derive(Clone, Default)]
pub struct LeadFields {
    pub first_name: MaybeUndefined<String>,
    pub last_name: MaybeUndefined<String>,
    pub email: MaybeUndefined<String>,
    pub phone: MaybeUndefined<String>,
    pub company: MaybeUndefined<String>,
    pub title: MaybeUndefined<String>,
    pub website: MaybeUndefined<String>,
    pub budget: MaybeUndefined<(rust_decimal::Decimal, String)>,
    pub timeline: Option<PurchaseTimeline>,
    pub notes: MaybeUndefined<String>,
}

#[derive(Clone)]
pub struct Capture {
    pub source: LeadSource,
    pub external_ref: Option<String>,
    pub owner_id: Option<String>,
    pub fields: LeadFields,
}

pub struct Captured {
    pub lead: lead::Model,
    /// False when the source and external ref named a lead ltc already had.
    pub created: bool,
}

/// For reads: [`visible::get_as`] with the aggregate's read capability.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<lead::Model> {
    visible::get_as::<lead::Entity>(db, actor, Capability::ReadLeads, id).await
}

/// Applies the given fields to `lead`, refusing bad input field by field.
pub(super) fn apply_fields(lead: &mut lead::Model, fields: LeadFields) -> Result<()> {
    fn text(
        target: &mut Option<String>,
        field: &str,
        value: MaybeUndefined<String>,
        max: usize,
    ) -> Result<()> {
        match value {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => *target = None,
            MaybeUndefined::Value(v) => *target = input::optional(field, Some(&v), max)?,
        }
        Ok(())
    }
    text(
        &mut lead.first_name,
        "firstName",
        fields.first_name,
        NAME_MAX,
    )?;
    text(&mut lead.last_name, "lastName", fields.last_name, NAME_MAX)?;
    text(&mut lead.phone, "phone", fields.phone, 50)?;
    text(&mut lead.company, "company", fields.company, NAME_MAX)?;
    text(&mut lead.title, "title", fields.title, NAME_MAX)?;
    text(&mut lead.notes, "notes", fields.notes, TEXT_MAX)?;
    match fields.email {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => {
            lead.email = None;
            lead.email_normalized = None;
        }
        MaybeUndefined::Value(v) => {
            let email = Email::parse_optional("email", Some(&v))?;
            lead.email_normalized = email.as_ref().map(|e| e.normalized.clone());
            lead.email = email.map(|e| e.address);
        }
    }
    match fields.website {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => lead.website = None,
        MaybeUndefined::Value(v) if v.trim().is_empty() => lead.website = None,
        MaybeUndefined::Value(v) => lead.website = Some(input::domain("website", &v)?),
    }
    match fields.budget {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => {
            lead.budget_amount = None;
            lead.budget_currency = None;
        }
        MaybeUndefined::Value((amount, currency)) => {
            let money = Money::parse("budget", amount, &currency)?;
            lead.budget_amount = Some(DecimalText(money.amount));
            lead.budget_currency = Some(money.currency.code().to_owned());
        }
    }
    if let Some(timeline) = fields.timeline {
        lead.timeline = timeline;
    }
    lead.search_text = input::search_text(&[
        lead.first_name.as_deref(),
        lead.last_name.as_deref(),
        lead.company.as_deref(),
        lead.email_normalized.as_deref(),
    ]);
    if lead.email.is_none() && lead.last_name.is_none() && lead.company.is_none() {
        return Err(Error::validation(
            "email",
            "a lead needs at least an email, a last name or a company",
        ));
    }
    Ok(())
}

/// Only a supervisor (manager, admin) gives a lead to someone else; a sales
/// user's captures are theirs.
pub(super) fn owner_for_capture(
    actor: &Actor,
    requested: Option<String>,
) -> Result<Option<String>> {
    match requested {
        Some(owner) => {
            let owner = input::required("ownerId", &owner, REF_MAX)?;
            if owner != actor.sub && !actor.can(Capability::SuperviseSales) {
                return Err(Error::forbidden(
                    "only a sales manager or admin assigns leads to others",
                ));
            }
            Ok(Some(owner))
        }
        None if actor.visibility(Capability::WriteLeads)? != crate::auth::Visibility::All => {
            Ok(Some(actor.sub.clone()))
        }
        None => Ok(None),
    }
}

/// Captures one lead in its own transaction: a batch of one
/// (`batch::capture_batch`), so a lead from the form and a lead from the
/// webhook follow one set of rules.
pub async fn capture(db: &DatabaseConnection, actor: &Actor, capture: Capture) -> Result<Captured> {
    match capture_once(db, actor, capture.clone()).await {
        // Another request captured the same source and ref a moment ago, or
        // changed the lead this capture upserts: once more, from what is
        // stored now. The capture is idempotent, so it then upserts that
        // lead, or is refused if the lead is another user's.
        Err(Error::Conflict(_)) => capture_once(db, actor, capture).await,
        done => done,
    }
}

async fn capture_once(
    db: &DatabaseConnection,
    actor: &Actor,
    capture: Capture,
) -> Result<Captured> {
    let txn = db::begin_write(db).await?;
    let captured = capture_within(&txn, actor, capture).await?;
    txn.commit().await?;
    Ok(captured)
}

/// [`capture`] inside the caller's transaction, for callers that write more
/// than leads atomically, such as the HubSpot contact job (many leads at once:
/// `batch::capture_batch`, of which this is a batch of one). The same rules:
/// idempotent on source and external ref, deduped on email, scored. A
/// concurrent capture of the same source and ref surfaces as `CONFLICT` (the
/// caller's transaction is spoiled and must be retried whole).
pub async fn capture_within(
    db: &impl ConnectionTrait,
    actor: &Actor,
    capture: Capture,
) -> Result<Captured> {
    let mut captured = batch::capture_batch(db, actor, vec![capture])
        .await
        .map_err(|refused| refused.error)?;
    captured.pop().ok_or_else(|| {
        Error::Internal(anyhow::anyhow!(
            "a batch of one capture answered with no lead"
        ))
    })
}

/// A new lead row from the given fields: checked, deduped and scored, not yet stored.
async fn prepare_new(
    db: &impl ConnectionTrait,
    source: LeadSource,
    external_ref: Option<String>,
    owner_id: Option<String>,
    fields: LeadFields,
) -> Result<lead::Model> {
    let mut lead = blank(source, external_ref, owner_id);
    apply_fields(&mut lead, fields)?;
    matching::dedupe(db, &mut lead).await?;
    matching::rescore(db, &mut lead).await?;
    Ok(lead)
}

/// A new lead with a fresh id, before its fields are applied.
pub(super) fn blank(
    source: LeadSource,
    external_ref: Option<String>,
    owner_id: Option<String>,
) -> lead::Model {
    let now = db::now();
    lead::Model {
        id: db::new_id(),
        status: LeadStatus::New,
        source,
        external_ref,
        first_name: None,
        last_name: None,
        email: None,
        email_normalized: None,
        phone: None,
        company: None,
        title: None,
        website: None,
        budget_amount: None,
        budget_currency: None,
        timeline: PurchaseTimeline::Unknown,
        notes: None,
        search_text: String::new(),
        owner_id,
        score: 0,
        score_factors: serde_json::Value::Array(vec![]),
        form_fills: 0,
        email_clicks: 0,
        meetings_booked: 0,
        disqualify_reason: None,
        duplicate_of_lead_id: None,
        duplicate_of_contact_id: None,
        account_id: None,
        contact_id: None,
        opportunity_id: None,
        converted_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// The history row a new lead starts with.
pub(super) fn creation(id: Uuid) -> Transition<'static> {
    Transition {
        kind: SubjectKind::Lead,
        subject_id: id,
        from: None,
        to: "NEW",
        reason: None,
    }
}

async fn record_creation(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<()> {
    record(db, actor, creation(id)).await
}

/// Captures a lead that a business rule makes (an upsell signal from a
/// service case), inside the caller's transaction: the owner is the one the
/// rule names, and no lead capability is needed.
pub async fn capture_by_rule(
    db: &impl ConnectionTrait,
    actor: &Actor,
    capture: Capture,
) -> Result<lead::Model> {
    let external_ref = input::optional("externalRef", capture.external_ref.as_deref(), REF_MAX)?;
    let lead = prepare_new(
        db,
        capture.source,
        external_ref,
        capture.owner_id,
        capture.fields,
    )
    .await?;
    let inserted = repo::insert(db, lead.into_active_model().reset_all()).await?;
    record_creation(db, actor, inserted.id).await?;
    Ok(inserted)
}

/// A capture naming a lead the caller does not see.
pub(super) fn someone_elses() -> Error {
    Error::Conflict("this source and external ref belong to another user's lead".into())
}

/// Writes `changed` over `before`, rescored and deduped, provided nobody
/// changed the lead's status in between.
pub(super) async fn save(
    db: &impl ConnectionTrait,
    before: &lead::Model,
    mut changed: lead::Model,
) -> Result<lead::Model> {
    if changed.email_normalized != before.email_normalized {
        matching::dedupe(db, &mut changed).await?;
    }
    matching::rescore(db, &mut changed).await?;
    changed.updated_at = db::now();
    if !repo::update_if_status(db, changed.clone(), before.status).await? {
        return Err(Error::Conflict(
            "the lead changed meanwhile; read it again".into(),
        ));
    }
    Ok(changed)
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    fields: LeadFields,
) -> Result<lead::Model> {
    let txn = db::begin_write(db).await?;
    let current = visible::get_as::<lead::Entity>(&txn, actor, Capability::WriteLeads, id).await?;
    if !repo::OPEN.contains(&current.status) {
        return Err(Error::validation(
            "id",
            format!("a {:?} lead can no longer be edited", current.status).to_uppercase(),
        ));
    }
    let mut lead = current.clone();
    apply_fields(&mut lead, fields)?;
    let saved = save(&txn, &current, lead).await?;
    txn.commit().await?;
    Ok(saved)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeadOrder {
    CreatedAt,
    UpdatedAt,
    Score,
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: ListFilter,
    order: LeadOrder,
    direction: sea_orm::Order,
    page: PageRequest,
) -> Result<(Page<lead::Model>, Counter)> {
    let visibility = actor.visibility(Capability::ReadLeads)?;
    if let Some(text) = &filter.text {
        input::required("filter.text", text, NAME_MAX)?;
    }
    let page = page.ordered(order, &direction, |k| match order {
        LeadOrder::Score => matches!(k, SortValue::Int(_)),
        _ => matches!(k, SortValue::Time(_)),
    })?;
    let sort_col = match order {
        LeadOrder::CreatedAt => lead::Column::CreatedAt,
        LeadOrder::UpdatedAt => lead::Column::UpdatedAt,
        LeadOrder::Score => lead::Column::Score,
    };
    let select = repo::list_query(&visibility, &filter);
    let rows = db::fetch_page(
        db,
        select.clone(),
        sort_col,
        lead::Column::Id,
        direction,
        &page,
    )
    .await?;
    Ok((rows, db::counter(db, select)))
}

pub fn sort_key(order: LeadOrder, row: &lead::Model) -> (SortValue, Uuid) {
    let key = match order {
        LeadOrder::CreatedAt => SortValue::Time(row.created_at),
        LeadOrder::UpdatedAt => SortValue::Time(row.updated_at),
        LeadOrder::Score => SortValue::Int(i64::from(row.score)),
    };
    (key, row.id)
}
