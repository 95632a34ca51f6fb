use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Engagement counters on leads, one per kind of signal.
const ENGAGEMENT: [&str; 3] = ["form_fills", "email_clicks", "meetings_booked"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("webhook_receipts")
                    .col(pk_uuid("id"))
                    .col(string("endpoint"))
                    .col(string("message_id"))
                    .col(string("body_sha256"))
                    .col(json("response"))
                    .col(timestamp_with_time_zone("received_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_webhook_receipts_message")
                    .table("webhook_receipts")
                    .col("endpoint")
                    .col("message_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per ALTER TABLE.
        for column in ENGAGEMENT {
            manager
                .alter_table(
                    Table::alter()
                        .table("leads")
                        .add_column(integer(column).default(0))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ENGAGEMENT {
            manager
                .alter_table(Table::alter().table("leads").drop_column(column).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table("webhook_receipts").to_owned())
            .await
    }
}
