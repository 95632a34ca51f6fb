use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

use crate::m20261127_000001_create_accounts_and_contacts::index;

/// An index for the lead score's company-name fit, which asks whether an
/// account's search text starts with a company name as the range
/// `search_text >= name AND search_text < name || U+10FFFF`. Such a range
/// holds exactly the strings with that prefix only in byte order: SQLite's
/// default BINARY collation is, PostgreSQL's database collation (en_US and
/// the like) need not be, so there the column is made `COLLATE "C"`. The
/// column is lower-cased in Rust when written, so no other query depends on
/// a linguistic collation of it.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE accounts ALTER COLUMN search_text TYPE text COLLATE \"C\"",
                )
                .await?;
        }
        manager
            .create_index(index(
                "accounts",
                "idx_accounts_search_text",
                &["search_text"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_accounts_search_text")
                    .table("accounts")
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE accounts ALTER COLUMN search_text TYPE text COLLATE \"default\"",
                )
                .await?;
        }
        Ok(())
    }
}
