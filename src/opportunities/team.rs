//! The deal team (the iron triangle): any number of SRs and FRs, and exactly
//! one AR at all times. A new AR replaces the old one in the same
//! transaction; the last AR cannot be removed. Team changes are not stage
//! transitions and are not recorded in the history.

use entity::{enums::TeamRole, opportunity, team_member};
use sea_orm::{ActiveValue::Set, DatabaseConnection, DatabaseTransaction};
use uuid::Uuid;

use super::{repo, service};
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    db,
    input::{self, REF_MAX},
};

/// Opens a transaction holding the deal for a team change. The deal's row
/// is written first (its `updated_at`), which locks it: concurrent team
/// changes of one deal run one after the other, so the one-AR rule holds
/// on PostgreSQL as on SQLite.
async fn begin(
    db: &DatabaseConnection,
    actor: &Actor,
    opportunity_id: Uuid,
) -> Result<(DatabaseTransaction, opportunity::Model)> {
    let txn = db::begin_write(db).await?;
    let before = crate::db::visible::get_as::<opportunity::Entity>(
        &txn,
        actor,
        Capability::ChangeTeams,
        opportunity_id,
    )
    .await?;
    let touched = service::save(&txn, actor, &before, before.clone(), None).await?;
    Ok((txn, touched))
}

fn holds(team: &[team_member::Model], user_id: &str, role: TeamRole) -> bool {
    team.iter().any(|m| m.user_id == user_id && m.role == role)
}

/// Puts `user_id` on the deal in `role`. An AR replaces the current AR.
pub async fn add_member(
    db: &DatabaseConnection,
    actor: &Actor,
    opportunity_id: Uuid,
    user_id: &str,
    role: TeamRole,
) -> Result<opportunity::Model> {
    let user_id = input::required("userId", user_id, REF_MAX)?;
    let (txn, opp) = begin(db, actor, opportunity_id).await?;
    let team = repo::teams(&txn, &[opp.id]).await?;
    if holds(&team, &user_id, role) {
        return Err(Error::Conflict(format!(
            "{user_id} already has this role on the opportunity"
        )));
    }
    if role == TeamRole::Ar {
        repo::delete_role(&txn, opp.id, TeamRole::Ar).await?;
    }
    repo::insert_member(
        &txn,
        team_member::ActiveModel {
            opportunity_id: Set(opp.id),
            user_id: Set(user_id),
            role: Set(role),
            added_at: Set(db::now()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(opp)
}

/// Takes `role` away from `user_id` on the deal. The AR cannot be removed,
/// only replaced (by adding the new AR).
pub async fn remove_member(
    db: &DatabaseConnection,
    actor: &Actor,
    opportunity_id: Uuid,
    user_id: &str,
    role: TeamRole,
) -> Result<opportunity::Model> {
    let user_id = input::required("userId", user_id, REF_MAX)?;
    let (txn, opp) = begin(db, actor, opportunity_id).await?;
    let team = repo::teams(&txn, &[opp.id]).await?;
    if !holds(&team, &user_id, role) {
        return Err(Error::NotFound("team member"));
    }
    let ars = team.iter().filter(|m| m.role == TeamRole::Ar).count();
    if role == TeamRole::Ar && ars <= 1 {
        return Err(Error::validation(
            "role",
            "an opportunity always has one AR; add the new AR instead, which replaces this one",
        ));
    }
    repo::delete_member(&txn, opp.id, &user_id, role).await?;
    txn.commit().await?;
    Ok(opp)
}
