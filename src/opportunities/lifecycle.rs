//! The opportunity's state machine:
//! `DISCOVER → QUALIFY → PROPOSE → NEGOTIATE` (forward only, skipping allowed),
//! any open stage `→ LOST(reason)`, `LOST →` the stage it was lost in.
//! WON is reached only by signing a contract (see `contracts`). Each change is
//! checked, written only if the stage is still the one read, and recorded,
//! all in one transaction.

use entity::{enums::OpportunityStage, opportunity};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::{service, stage};
use crate::{
    Result,
    auth::Actor,
    db,
    input::{self, TEXT_MAX},
};

/// Reads the deal for writing, lets `change` check and apply the move, and
/// saves it with its history entry.
async fn transition(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    reason: Option<&str>,
    change: impl FnOnce(&mut opportunity::Model) -> Result<()>,
) -> Result<opportunity::Model> {
    let txn = db::begin_write(db).await?;
    let before = service::get_for_write(&txn, actor, id).await?;
    let mut after = before.clone();
    change(&mut after)?;
    let saved = service::save(&txn, actor, &before, after, reason).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Moves an open deal forward to a later open stage, one stage or several.
pub async fn advance(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    to: OpportunityStage,
) -> Result<opportunity::Model> {
    transition(db, actor, id, None, |opp| {
        stage::check_advance(opp.stage, to)?;
        opp.stage = to;
        Ok(())
    })
    .await
}

/// Any open stage `→ LOST`, keeping the reason and the stage it was lost in.
pub async fn lose(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> Result<opportunity::Model> {
    let reason = input::required("reason", reason, TEXT_MAX)?;
    let kept = reason.clone();
    transition(db, actor, id, Some(&reason), move |opp| {
        if !stage::is_open(opp.stage) {
            return Err(stage::refused(opp.stage, OpportunityStage::Lost));
        }
        opp.lost_from_stage = Some(opp.stage);
        opp.lost_reason = Some(kept);
        opp.stage = OpportunityStage::Lost;
        Ok(())
    })
    .await
}

/// `LOST →` the stage the deal was lost in; the reason is cleared (the
/// history keeps it).
pub async fn reopen(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<opportunity::Model> {
    transition(db, actor, id, None, |opp| {
        if opp.stage != OpportunityStage::Lost {
            // Only a lost deal reopens; anything else is already open, or won.
            return Err(stage::refused(opp.stage, opp.stage));
        }
        // Losing always keeps the stage; DISCOVER only guards rows written otherwise.
        opp.stage = opp
            .lost_from_stage
            .filter(|s| stage::is_open(*s))
            .unwrap_or(OpportunityStage::Discover);
        opp.lost_from_stage = None;
        opp.lost_reason = None;
        Ok(())
    })
    .await
}
