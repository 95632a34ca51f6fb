//! The GraphQL face of history entries.

use async_graphql::{Context, SimpleObject, dataloader::DataLoader};
use chrono::{DateTime, Utc};
use entity::transition;
use uuid::Uuid;

use super::loader::HistoryLoader;

/// One recorded state change.
#[derive(SimpleObject)]
pub struct Transition {
    /// The state before; null for the record's creation.
    #[graphql(name = "from")]
    pub from_state: Option<String>,
    pub to: String,
    /// Why, where the transition takes a reason (disqualify, lose, ...).
    pub reason: Option<String>,
    /// The `sub` of who made the change.
    pub actor_id: String,
    pub actor_name: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<transition::Model> for Transition {
    fn from(m: transition::Model) -> Self {
        Transition {
            from_state: m.from_state,
            to: m.to_state,
            reason: m.reason,
            actor_id: m.actor_id,
            actor_name: m.actor_name,
            at: m.at,
        }
    }
}

/// The history of a record the caller already sees, oldest first.
pub async fn history_of(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Vec<Transition>> {
    let loader = ctx.data::<DataLoader<HistoryLoader>>()?;
    Ok(loader
        .load_one(id)
        .await?
        .unwrap_or_default()
        .into_iter()
        .map(Transition::from)
        .collect())
}
