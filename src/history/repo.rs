//! Transition rows: append-only.

use entity::{enums::SubjectKind, transition};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, Iterable,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::{Result, auth::Actor, db};

/// A state change about to be recorded.
pub struct Transition<'a> {
    pub kind: SubjectKind,
    pub subject_id: Uuid,
    pub from: Option<&'a str>,
    pub to: &'a str,
    pub reason: Option<&'a str>,
}

pub async fn record(db: &impl ConnectionTrait, actor: &Actor, t: Transition<'_>) -> Result<()> {
    row(actor, &t).insert(db).await?;
    Ok(())
}

/// Records many changes by one actor in as few statements as the bind
/// limit allows.
pub async fn record_many(
    db: &impl ConnectionTrait,
    actor: &Actor,
    transitions: &[Transition<'_>],
) -> Result<()> {
    let per_statement = db::MAX_BINDS / transition::Column::iter().count();
    for chunk in transitions.chunks(per_statement) {
        transition::Entity::insert_many(chunk.iter().map(|t| row(actor, t)))
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

fn row(actor: &Actor, t: &Transition<'_>) -> transition::ActiveModel {
    transition::ActiveModel {
        id: Set(db::new_id()),
        subject_kind: Set(t.kind),
        subject_id: Set(t.subject_id),
        from_state: Set(t.from.map(str::to_owned)),
        to_state: Set(t.to.to_owned()),
        reason: Set(t.reason.map(str::to_owned)),
        actor_id: Set(actor.sub.clone()),
        actor_name: Set(actor.name.clone()),
        at: Set(db::now()),
    }
}

pub async fn for_subjects(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<transition::Model>> {
    Ok(transition::Entity::find()
        .filter(transition::Column::SubjectId.is_in(ids.iter().copied()))
        .order_by_asc(transition::Column::Id)
        .all(db)
        .await?)
}
