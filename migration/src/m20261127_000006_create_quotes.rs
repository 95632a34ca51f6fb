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
                    .table("quotes")
                    .col(pk_uuid("id"))
                    .col(uuid("opportunity_id"))
                    .col(integer("version"))
                    .col(string("status"))
                    .col(string("currency"))
                    .col(date("valid_until"))
                    .col(string("tax_rate"))
                    .col(string("subtotal"))
                    .col(string("discount_total"))
                    .col(string("tax"))
                    .col(string("total"))
                    .col(string("author_id"))
                    .col(string_null("approved_by"))
                    .col(string_null("rejection_reason"))
                    .col(uuid_null("revises_id"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(timestamp_with_time_zone_null("accepted_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_quotes_opportunity")
                            .from("quotes", "opportunity_id")
                            .to("opportunities", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_quotes_opportunity_version")
                    .table("quotes")
                    .col("opportunity_id")
                    .col("version")
                    .unique()
                    .to_owned(),
            )
            .await?;
        // At most one accepted quote per opportunity, even under concurrent accepts.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_quotes_one_accepted ON quotes (opportunity_id) WHERE status = 'ACCEPTED'",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("quote_lines")
                    .col(pk_uuid("id"))
                    .col(uuid("quote_id"))
                    .col(integer("position"))
                    .col(uuid("product_id"))
                    .col(string("quantity"))
                    .col(string("list_price"))
                    .col(string("unit_price"))
                    .col(boolean("price_overridden"))
                    .col(string("discount_percent"))
                    .col(string("gross"))
                    .col(string("net"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_quote_lines_quote")
                            .from("quote_lines", "quote_id")
                            .to("quotes", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_quote_lines_product")
                            .from("quote_lines", "product_id")
                            .to("products", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "quote_lines",
                "idx_quote_lines_quote",
                &["quote_id", "position"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("quote_lines").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("quotes").to_owned())
            .await
    }
}
