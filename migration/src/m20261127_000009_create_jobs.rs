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
                    .table("jobs")
                    .col(pk_uuid("id"))
                    .col(string("kind"))
                    .col(json("payload"))
                    .col(string_null("dedupe_key").unique_key())
                    .col(string("status"))
                    .col(integer("attempts"))
                    .col(integer("max_attempts"))
                    .col(timestamp_with_time_zone("run_at"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(string_null("locked_by"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("finished_at"))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_jobs_due", &["status", "run_at"][..]),
            ("idx_jobs_lease", &["status", "locked_until"][..]),
            ("idx_jobs_created", &["created_at", "id"][..]),
        ] {
            manager.create_index(index("jobs", name, cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("jobs").to_owned())
            .await
    }
}
