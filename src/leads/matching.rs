//! How a lead is matched against what ltc already holds: the original lead
//! or contact with its email (dedupe), and the account base for the score's
//! fit factor.
//!
//! The rules are pure functions of what was found, so that one lead can look
//! its matches up one query at a time ([`dedupe`], [`rescore`]) and a batch
//! (see `batch`) can look up all of its leads' matches at once and still
//! decide exactly alike.

use entity::lead;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{
    repo,
    score::{self, Engagement, Facts, Fit},
};
use crate::{Result, contacts};

/// Points `lead` at the oldest open original lead with its email, or else at
/// the contact with it; `oldest_open` must not be the lead itself.
pub(super) fn mark_duplicate(
    lead: &mut lead::Model,
    oldest_open: Option<Uuid>,
    contact: Option<Uuid>,
) {
    lead.duplicate_of_lead_id = None;
    lead.duplicate_of_contact_id = None;
    if lead.email_normalized.is_none() {
        return;
    }
    match oldest_open {
        // The original may be newer only if it was itself re-pointed; keep
        // the link acyclic by pointing from the younger to the older.
        Some(original) if original < lead.id => lead.duplicate_of_lead_id = Some(original),
        _ => lead.duplicate_of_contact_id = contact,
    }
}

/// Whether `lead` may be the original that later leads with its email point at.
pub(super) fn is_original(lead: &lead::Model) -> bool {
    lead.email_normalized.is_some()
        && lead.duplicate_of_lead_id.is_none()
        && repo::OPEN.contains(&lead.status)
}

/// The domains that make a domain match, in the order they are tried: the
/// website's, then the email's.
pub(super) fn fit_domains(lead: &lead::Model) -> impl Iterator<Item = &str> {
    let email_domain = lead.email_normalized.as_deref().and_then(email_domain);
    [lead.website.as_deref(), email_domain]
        .into_iter()
        .flatten()
}

/// The part of a normalized email after its last `@`.
pub(super) fn email_domain(normalized: &str) -> Option<&str> {
    normalized.rsplit_once('@').map(|(_, d)| d)
}

/// The prefix an account's search text must start with for a company-name
/// match, lower-cased as `input::search_text` lower-cases the account's.
pub(super) fn company_prefix(company: &str) -> String {
    company.trim().to_lowercase()
}

/// Sets the score and its factors from the lead's fields and `fit`.
pub(crate) fn apply_score(lead: &mut lead::Model, fit: Fit) -> Result<()> {
    let base = score::score(&Facts {
        has_email: lead.email.is_some(),
        has_phone: lead.phone.is_some(),
        has_full_name: lead.first_name.is_some() && lead.last_name.is_some(),
        has_company: lead.company.is_some(),
        has_title: lead.title.is_some(),
        source: lead.source,
        budget_stated: lead.budget_amount.is_some_and(|b| !b.0.is_zero()),
        timeline: lead.timeline,
        fit,
    });
    let (total, factors) = score::with_engagement(
        base,
        &Engagement {
            form_fills: lead.form_fills,
            email_clicks: lead.email_clicks,
            meetings_booked: lead.meetings_booked,
        },
    );
    lead.score = total;
    lead.score_factors = serde_json::to_value(factors).map_err(anyhow::Error::from)?;
    Ok(())
}

/// Links the lead to the oldest open lead, or else the contact, with the same email.
pub(super) async fn dedupe(db: &impl ConnectionTrait, lead: &mut lead::Model) -> Result<()> {
    let Some(email) = lead.email_normalized.clone() else {
        mark_duplicate(lead, None, None);
        return Ok(());
    };
    let original = repo::find_open_by_email(db, &email, Some(lead.id))
        .await?
        .map(|l| l.id);
    let contact = if original.is_some_and(|id| id < lead.id) {
        None
    } else {
        contacts::repo::find_by_email(db, &email)
            .await?
            .map(|c| c.id)
    };
    mark_duplicate(lead, original, contact);
    Ok(())
}

pub(super) async fn rescore(db: &impl ConnectionTrait, lead: &mut lead::Model) -> Result<()> {
    let mut fit = Fit::None;
    for domain in fit_domains(lead) {
        if repo::account_with_domain_exists(db, domain).await? {
            fit = Fit::DomainMatch;
            break;
        }
    }
    if fit == Fit::None
        && let Some(company) = &lead.company
        && repo::account_named_exists(db, &company_prefix(company)).await?
    {
        fit = Fit::CompanyNameMatch;
    }
    apply_score(lead, fit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db;

    fn lead(email: Option<&str>) -> lead::Model {
        let mut lead = super::super::service::blank(entity::enums::LeadSource::Web, None, None);
        lead.email_normalized = email.map(str::to_owned);
        lead
    }

    #[test]
    fn a_duplicate_points_at_an_older_lead_before_a_contact() {
        let older = db::new_id();
        let contact = db::new_id();
        let mut young = lead(Some("a@b.io"));
        mark_duplicate(&mut young, Some(older), Some(contact));
        assert_eq!(young.duplicate_of_lead_id, Some(older));
        assert_eq!(young.duplicate_of_contact_id, None);

        // A younger "original" is no original: the contact it is.
        let mut old = lead(Some("a@b.io"));
        let younger = db::new_id();
        mark_duplicate(&mut old, Some(younger), Some(contact));
        assert_eq!(old.duplicate_of_lead_id, None);
        assert_eq!(old.duplicate_of_contact_id, Some(contact));

        let mut without_email = lead(None);
        without_email.duplicate_of_contact_id = Some(contact);
        mark_duplicate(&mut without_email, Some(older), Some(contact));
        assert_eq!(without_email.duplicate_of_contact_id, None);
        assert!(!is_original(&without_email));
    }

    #[test]
    fn the_fit_tries_the_website_then_the_email_domain() {
        let mut lead = lead(Some("ann@mail.acme.io"));
        lead.website = Some("acme.io".into());
        assert_eq!(
            fit_domains(&lead).collect::<Vec<_>>(),
            ["acme.io", "mail.acme.io"]
        );
        assert_eq!(company_prefix("  ÖLWERK AG "), "ölwerk ag");
    }
}
