//! Logging service cases, and turning upsell signals into leads.

use entity::{
    enums::{LeadSource, ServiceCaseKind},
    service_case,
};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use super::repo;
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    db,
    db::visible,
    input::{self, NAME_MAX, TEXT_MAX},
    leads::service::{Capture, LeadFields, capture_by_rule},
};

pub struct NewCase {
    pub account_id: Uuid,
    pub subject: String,
    pub kind: ServiceCaseKind,
    pub description: Option<String>,
}

/// For reads: [`visible::get_as`] with the aggregate's read capability.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<service_case::Model> {
    visible::get_as::<service_case::Entity>(db, actor, Capability::ReadAccounts, id).await
}

/// Logs a case; an `UPSELL_SIGNAL` also captures a lead (source `OTHER`) owned
/// by the account's owner and linked from the case, in the same transaction.
pub async fn log(
    db: &DatabaseConnection,
    actor: &Actor,
    new: NewCase,
) -> Result<service_case::Model> {
    let visibility = actor.visibility(Capability::WriteAccounts)?;
    let subject = input::required("subject", &new.subject, NAME_MAX)?;
    let description = input::optional("description", new.description.as_deref(), TEXT_MAX)?;
    let txn = db::begin_write(db).await?;
    let account =
        crate::db::visible::find::<entity::account::Entity>(&txn, &visibility, new.account_id)
            .await?
            .ok_or_else(|| Error::validation("accountId", "no such account"))?;
    let id = db::new_id();
    let lead_id = if new.kind == ServiceCaseKind::UpsellSignal {
        let fields = LeadFields {
            company: async_graphql::MaybeUndefined::Value(account.name.clone()),
            notes: async_graphql::MaybeUndefined::Value(format!(
                "Upsell signal from service case {id}: {subject}"
            )),
            ..Default::default()
        };
        let lead = capture_by_rule(
            &txn,
            actor,
            Capture {
                source: LeadSource::Other,
                external_ref: Some(format!("service-case:{id}")),
                owner_id: Some(account.owner_id.clone()),
                fields,
            },
        )
        .await?;
        Some(lead.id)
    } else {
        None
    };
    let case = repo::insert(
        &txn,
        service_case::Model {
            id,
            account_id: account.id,
            subject,
            kind: new.kind,
            description,
            lead_id,
            created_by: actor.sub.clone(),
            created_at: db::now(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(case)
}
