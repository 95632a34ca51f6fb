use sea_orm_migration::{prelude::*, schema::*};

/// A webhook subscription's previous signing secret, kept for a while after
/// a rotation: deliveries are signed with both until it expires, so the
/// receiver can switch keys without missing or refusing a delivery.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table("webhook_subscriptions")
                    .add_column(text_null("previous_secret"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("webhook_subscriptions")
                    .add_column(timestamp_with_time_zone_null("previous_secret_expires_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["previous_secret_expires_at", "previous_secret"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("webhook_subscriptions")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
