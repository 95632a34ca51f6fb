//! Idempotency keys for retried mutations, outbound webhook subscriptions,
//! and the domain event log the live event relay reads.

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
                    .table("idempotency_keys")
                    .col(pk_uuid("id"))
                    .col(string("caller"))
                    .col(string_len("key", 255))
                    .col(string("request_hash"))
                    .col(string("state"))
                    .col(integer_null("response_status"))
                    .col(text_null("response_body"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("completed_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_idempotency_keys_caller_key")
                    .table("idempotency_keys")
                    .col("caller")
                    .col("key")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idempotency_keys",
                "idx_idempotency_keys_expires",
                &["expires_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("webhook_subscriptions")
                    .col(pk_uuid("id"))
                    .col(text("url"))
                    .col(json("events"))
                    .col(text_null("description"))
                    .col(string("secret"))
                    .col(string("status"))
                    .col(text_null("disabled_reason"))
                    .col(timestamp_with_time_zone_null("disabled_at"))
                    .col(string("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "webhook_subscriptions",
                "idx_webhook_subscriptions_created",
                &["created_at", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("domain_events")
                    .col(big_pk_auto("seq"))
                    .col(uuid("id").unique_key())
                    .col(string("event_type"))
                    .col(uuid("subject_id"))
                    .col(uuid_null("account_id"))
                    .col(json("data"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "domain_events",
                "idx_domain_events_occurred",
                &["occurred_at"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["domain_events", "webhook_subscriptions", "idempotency_keys"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
