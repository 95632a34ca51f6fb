//! Team performance: per user and role (AR, SR, FR), the amount won and the
//! cash collected on the deals they sat on in a period. The iron triangle
//! shares one KPI, so every member of a deal's team is credited with the
//! deal's whole figures (they are not split).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::enums::TeamRole;
use sea_orm::DatabaseConnection;

use super::repo;
use crate::{
    Error, Result,
    auth::{Actor, Capability},
};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub user_id: String,
    pub role: RoleKey,
    pub currency: String,
}

/// `TeamRole` in a sortable form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RoleKey {
    Ar,
    Sr,
    Fr,
}

impl From<TeamRole> for RoleKey {
    fn from(r: TeamRole) -> Self {
        match r {
            TeamRole::Ar => RoleKey::Ar,
            TeamRole::Sr => RoleKey::Sr,
            TeamRole::Fr => RoleKey::Fr,
        }
    }
}

impl From<RoleKey> for TeamRole {
    fn from(r: RoleKey) -> Self {
        match r {
            RoleKey::Ar => TeamRole::Ar,
            RoleKey::Sr => TeamRole::Sr,
            RoleKey::Fr => TeamRole::Fr,
        }
    }
}

#[derive(Default, Clone, Copy)]
pub struct Figures {
    pub won_minor: i64,
    pub cash_minor: i64,
}

pub async fn team_performance(
    db: &DatabaseConnection,
    actor: &Actor,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(Key, Figures)>> {
    let visibility = actor.visibility(Capability::ReadAccounts)?;
    if from >= to {
        return Err(Error::validation("period", "from must be before to"));
    }
    let mut figures: BTreeMap<Key, Figures> = BTreeMap::new();
    for (user_id, role, currency, won) in repo::won_by_member(db, &visibility, from, to).await? {
        figures
            .entry(Key {
                user_id,
                role: role.into(),
                currency,
            })
            .or_default()
            .won_minor += won;
    }
    // Cash counts under the receivables' own row rule.
    if let Ok(receivables) = actor.visibility(Capability::ReadReceivables) {
        let cash = repo::cash_by_opportunity(db, &receivables, from, to).await?;
        let ids: Vec<_> = cash.iter().map(|(id, _, _)| *id).collect();
        let members = repo::members_of(db, &ids).await?;
        for (opportunity, currency, amount) in cash {
            for member in members.iter().filter(|m| m.opportunity_id == opportunity) {
                figures
                    .entry(Key {
                        user_id: member.user_id.clone(),
                        role: member.role.into(),
                        currency: currency.clone(),
                    })
                    .or_default()
                    .cash_minor += amount;
            }
        }
    }
    Ok(figures.into_iter().collect())
}
