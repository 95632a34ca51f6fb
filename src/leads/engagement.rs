//! Engagement signals from marketing automation (a form filled, an email
//! clicked, a meeting booked): counted on the lead, they raise its score
//! through the `engagement` factor (see `score`).

use entity::{enums::LeadSource, lead};
use sea_orm::ConnectionTrait;

pub use super::score::EngagementKind;
use super::{repo, service};
use crate::{
    Result,
    auth::{Actor, Capability},
    input::{Email, REF_MAX},
};

/// The lead a signal is about: the one with this source and external ref,
/// else the open lead (the original, not a duplicate) with this email.
pub async fn find_target(
    db: &impl ConnectionTrait,
    source: LeadSource,
    external_ref: Option<&str>,
    email: Option<&str>,
) -> Result<Option<lead::Model>> {
    if let Some(external_ref) = crate::input::optional("externalRef", external_ref, REF_MAX)?
        && let Some(lead) = repo::find_by_external_ref(db, source, &external_ref).await?
    {
        return Ok(Some(lead));
    }
    match Email::parse_optional("email", email)? {
        Some(email) => repo::find_open_by_email(db, &email.normalized, None).await,
        None => Ok(None),
    }
}

/// Counts one signal on `lead` and rescores it. A converted or disqualified
/// lead is past scoring: it is left alone and `None` returned.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    lead: lead::Model,
    kind: EngagementKind,
) -> Result<Option<lead::Model>> {
    actor.require(Capability::WriteLeads)?;
    if !repo::OPEN.contains(&lead.status) {
        return Ok(None);
    }
    let mut changed = lead.clone();
    let counter = match kind {
        EngagementKind::FormFill => &mut changed.form_fills,
        EngagementKind::EmailClick => &mut changed.email_clicks,
        EngagementKind::MeetingBooked => &mut changed.meetings_booked,
    };
    *counter = counter.saturating_add(1);
    service::save(db, &lead, changed).await.map(Some)
}
