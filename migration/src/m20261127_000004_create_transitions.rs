use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261127_000001_create_accounts_and_contacts::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("transitions")
                    .col(pk_uuid("id"))
                    .col(string("subject_kind"))
                    .col(uuid("subject_id"))
                    .col(string_null("from_state"))
                    .col(string("to_state"))
                    .col(string_null("reason"))
                    .col(string("actor_id"))
                    .col(string_null("actor_name"))
                    .col(timestamp_with_time_zone("at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "transitions",
                "idx_transitions_subject",
                &["subject_kind", "subject_id", "id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("transitions").to_owned())
            .await
    }
}
