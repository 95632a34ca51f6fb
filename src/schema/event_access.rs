//! Who may receive an event on a GraphQL subscription: whoever could read
//! its subject right now, through the same capability and row rules as the
//! queries (a `SALES` user gets events about their own leads and deals only).

use sea_orm::ConnectionTrait;

use crate::{
    Result,
    auth::{Actor, Visibility},
    events::{
        Published,
        catalog::{self, Subject},
    },
};

/// Whether `actor` may receive `event`.
pub async fn may_receive(db: &impl ConnectionTrait, actor: &Actor, event: &Published) -> bool {
    match check(db, actor, event).await {
        Ok(allowed) => allowed,
        Err(error) => {
            // Fail closed: an event nobody can vouch for is not sent.
            tracing::warn!(error = ?error, event = %event.envelope.id, "checking access to an event");
            false
        }
    }
}

async fn check(db: &impl ConnectionTrait, actor: &Actor, event: &Published) -> Result<bool> {
    let Some(kind) = catalog::find(&event.envelope.kind) else {
        return Ok(false);
    };
    // The event's rows are those its capability reaches for this actor.
    let Ok(visibility) = actor.visibility(kind.capability) else {
        return Ok(false);
    };
    if visibility == Visibility::All {
        return Ok(true);
    }
    let id = event.subject_id;
    Ok(match kind.subject {
        Subject::Lead => crate::leads::repo::find_visible(db, &visibility, id)
            .await?
            .is_some(),
        Subject::Opportunity => crate::opportunities::repo::find_visible(db, &visibility, id)
            .await?
            .is_some(),
        Subject::Contract => crate::contracts::repo::find_visible(db, &visibility, id)
            .await?
            .is_some(),
        Subject::PurchaseOrder => crate::purchase_orders::repo::find_visible(db, &visibility, id)
            .await?
            .is_some(),
        Subject::Receivable => crate::receivables::repo::find_visible(db, &visibility, id)
            .await?
            .is_some(),
    })
}

/// Whether `actor` could receive any event of type `name` at all (its
/// capability), to refuse a subscription that would never yield anything.
pub fn may_subscribe(actor: &Actor, name: &str) -> bool {
    catalog::find(name).is_some_and(|kind| actor.can(kind.capability))
}
