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
                    .table("products")
                    .col(pk_uuid("id"))
                    .col(string_uniq("sku"))
                    .col(string("name"))
                    .col(string("unit"))
                    .col(boolean("active"))
                    .col(string_null("erp_item_code"))
                    .col(text("search_text"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "products",
                "idx_products_created",
                &["created_at", "id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("prices")
                    .col(uuid("product_id"))
                    .col(string("currency"))
                    .col(string("list_price"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("product_id").col("currency"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_prices_product")
                            .from("prices", "product_id")
                            .to("products", "id"),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("prices").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("products").to_owned())
            .await
    }
}
