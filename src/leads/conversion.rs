//! Converting a qualified lead: the account (reused or created), the contact
//! and an opportunity in `DISCOVER` with the converting user as its AR, and
//! the lead marked `CONVERTED` and linked to all three, in one transaction.

use entity::{account, contact, enums::LeadStatus, lead, opportunity};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::lifecycle;
use crate::{
    Error, Result,
    accounts::{self, service::NewAccount},
    auth::{Actor, Capability},
    contacts::{self, service::NewContact},
    db,
    input::{self, NAME_MAX},
    opportunities::service::{Opening, open},
};

/// Where the converted lead's account comes from.
pub enum AccountChoice {
    Existing(Uuid),
    New(NewAccount),
    /// Reuse the account whose domain matches the lead's website or email,
    /// else create one from the lead's company.
    FromLead,
}

pub struct Conversion {
    pub account: AccountChoice,
    pub opportunity_name: Option<String>,
}

pub struct Converted {
    pub lead: lead::Model,
    pub account: account::Model,
    pub contact: contact::Model,
    pub opportunity: opportunity::Model,
}

pub async fn convert(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    conversion: Conversion,
) -> Result<Converted> {
    // Converting changes the lead and writes accounts: each under its own rows.
    let visibility = actor.visibility(Capability::WriteAccounts)?;
    let txn = db::begin_write(db).await?;
    let before =
        crate::db::visible::get_as::<lead::Entity>(&txn, actor, Capability::WriteLeads, id).await?;
    lifecycle::check(before.status, LeadStatus::Converted)?;
    let opportunity_name = match &conversion.opportunity_name {
        Some(name) => input::required("opportunityName", name, NAME_MAX)?,
        None => default_opportunity_name(&before),
    };
    let Some(last_name) = before.last_name.clone() else {
        return Err(Error::validation(
            "lastName",
            "the lead needs a last name before it becomes a contact",
        ));
    };

    let account = match conversion.account {
        AccountChoice::Existing(account_id) => {
            crate::db::visible::find::<entity::account::Entity>(&txn, &visibility, account_id)
                .await?
                .ok_or_else(|| Error::validation("accountId", "no such account"))?
        }
        AccountChoice::New(new) => {
            let row = accounts::service::prepare(&txn, actor, new).await?;
            accounts::repo::insert(&txn, row).await?
        }
        AccountChoice::FromLead => match matching_account(&txn, &before).await? {
            Some(found) => crate::db::visible::find::<entity::account::Entity>(&txn, &visibility, found.id)
                .await?
                .ok_or_else(|| {
                    Error::Conflict(
                        "an account with this lead's domain exists and belongs to someone else; name an accountId".into(),
                    )
                })?,
            None => {
                let Some(company) = before.company.clone() else {
                    return Err(Error::validation(
                        "company",
                        "the lead has no company to make an account from; give accountId or newAccount",
                    ));
                };
                let row = accounts::service::prepare(
                    &txn,
                    actor,
                    NewAccount {
                        name: company,
                        website: before.website.clone(),
                        industry: None,
                        owner_id: None,
                        erp_customer_ref: None,
                        billing_customer_ref: None,
                    },
                )
                .await?;
                accounts::repo::insert(&txn, row).await?
            }
        },
    };

    let contact_row = contacts::service::new_row(NewContact {
        account_id: account.id,
        first_name: before.first_name.clone(),
        last_name,
        email: before.email.clone(),
        phone: before.phone.clone(),
        title: before.title.clone(),
    })?;
    let contact = contacts::repo::insert(&txn, contact_row).await?;
    let opportunity = open(
        &txn,
        actor,
        Opening {
            account_id: account.id,
            name: opportunity_name,
            lead_id: Some(before.id),
        },
    )
    .await?;

    let mut after = before.clone();
    after.status = LeadStatus::Converted;
    after.account_id = Some(account.id);
    after.contact_id = Some(contact.id);
    after.opportunity_id = Some(opportunity.id);
    after.converted_at = Some(db::now());
    let lead = lifecycle::commit_transition(&txn, actor, &before, after, None).await?;
    txn.commit().await?;
    Ok(Converted {
        lead,
        account,
        contact,
        opportunity,
    })
}

fn default_opportunity_name(lead: &lead::Model) -> String {
    let who = lead
        .company
        .clone()
        .or_else(|| lead.last_name.clone())
        .unwrap_or_else(|| "New deal".to_owned());
    let name: String = who.chars().take(NAME_MAX - 10).collect();
    format!("{name} opportunity")
}

async fn matching_account(
    db: &impl sea_orm::ConnectionTrait,
    lead: &lead::Model,
) -> Result<Option<account::Model>> {
    let email_domain = lead
        .email_normalized
        .as_deref()
        .and_then(|e| e.rsplit_once('@'))
        .map(|(_, d)| d.to_owned());
    for domain in [lead.website.as_deref(), email_domain.as_deref()]
        .into_iter()
        .flatten()
    {
        if let Some(found) = accounts::repo::find_by_domain(db, domain).await? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}
