use sea_orm_migration::prelude::*;

use crate::m20261127_000001_create_accounts_and_contacts::index;

/// Indexes the benchmark showed missing (see BENCHMARKS.md): the pipeline
/// page (open deals by expected close date) and quote lists by status.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_opportunities_open_close ON opportunities (expected_close_date, id) \
                 WHERE stage IN ('DISCOVER', 'QUALIFY', 'PROPOSE', 'NEGOTIATE')",
            )
            .await?;
        manager
            .create_index(index(
                "quotes",
                "idx_quotes_status_created",
                &["status", "created_at", "id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_quotes_status_created")
                    .table("quotes")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_opportunities_open_close")
                    .table("opportunities")
                    .to_owned(),
            )
            .await
    }
}
