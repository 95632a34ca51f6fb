//! Reading a record under a capability, written once: the capability gives
//! the actor's row rule ([`Visibility`]), the aggregate's repo turns that
//! rule into a condition ([`Visible::visible`]), and a record the condition
//! leaves out is `NOT_FOUND` (never `FORBIDDEN`, so an id outside one's rows
//! says nothing about whether it exists).

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ModelTrait, QueryFilter,
    sea_query::ValueType,
};
use uuid::Uuid;

use crate::{
    Error, Result,
    auth::{Actor, Capability, Visibility},
};

/// An aggregate's table with its row rule. Each aggregate implements it in
/// its own `repo.rs`, next to the rest of its SQL.
pub trait Visible: EntityTrait {
    /// What a `NOT_FOUND` names: "purchase order".
    const NAME: &'static str;

    /// The id column, a `Uuid`.
    const ID: Self::Column;

    /// The rows a caller with this visibility may see.
    fn visible(visibility: &Visibility) -> Condition;
}

/// The record with this id, if `visibility` lets the caller see it.
pub async fn find<E: Visible>(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    id: Uuid,
) -> Result<Option<E::Model>> {
    Ok(E::find()
        .filter(E::ID.eq(id))
        .filter(E::visible(visibility))
        .one(db)
        .await?)
}

/// The records with these ids that `visibility` lets the caller see, in one
/// statement and in no particular order.
pub async fn find_many<E: Visible>(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    ids: &[Uuid],
) -> Result<Vec<E::Model>> {
    Ok(E::find()
        .filter(E::ID.is_in(ids.iter().copied()))
        .filter(E::visible(visibility))
        .all(db)
        .await?)
}

/// The record if `actor` may exercise `capability` on it: `FORBIDDEN`
/// without the capability, `NOT_FOUND` when that capability's row rule
/// leaves the record out. A write asks with its own capability, so a role
/// that only reads (`READONLY`) never widens what a token may change.
pub async fn get_as<E: Visible>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    capability: Capability,
    id: Uuid,
) -> Result<E::Model> {
    let visibility = actor.visibility(capability)?;
    find::<E>(db, &visibility, id)
        .await?
        .ok_or(Error::NotFound(E::NAME))
}

/// A row's id (`None` only if [`Visible::ID`] were not a `Uuid` column).
pub fn id_of<E: Visible>(row: &E::Model) -> Option<Uuid> {
    <Uuid as ValueType>::try_from(row.get(E::ID)).ok()
}
