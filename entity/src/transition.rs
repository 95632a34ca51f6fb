//! The `transitions` table: the status history of every aggregate.

use sea_orm::entity::prelude::*;

use crate::enums::SubjectKind;

/// One recorded state change of a lead, opportunity, quote, ...
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "transitions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub subject_kind: SubjectKind,
    pub subject_id: Uuid,
    /// `None` for the record's creation.
    pub from_state: Option<String>,
    pub to_state: String,
    pub reason: Option<String>,
    pub actor_id: String,
    pub actor_name: Option<String>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
