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
                    .table("counters")
                    .col(string("name").primary_key())
                    .col(big_integer("value"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("contracts")
                    .col(pk_uuid("id"))
                    .col(string_uniq("number"))
                    .col(uuid("opportunity_id"))
                    .col(uuid("account_id"))
                    .col(uuid_uniq("quote_id"))
                    .col(string("status"))
                    .col(string("currency"))
                    .col(string("subtotal"))
                    .col(string("discount_total"))
                    .col(string("tax"))
                    .col(string("total"))
                    .col(timestamp_with_time_zone_null("signed_at"))
                    .col(string_null("handover_method"))
                    .col(text_null("handover_notes"))
                    .col(string_null("handed_over_by"))
                    .col(timestamp_with_time_zone_null("handed_over_at"))
                    .col(timestamp_with_time_zone_null("execution_started_at"))
                    .col(timestamp_with_time_zone_null("completed_at"))
                    .col(string_null("terminated_reason"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contracts_opportunity")
                            .from("contracts", "opportunity_id")
                            .to("opportunities", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contracts_account")
                            .from("contracts", "account_id")
                            .to("accounts", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contracts_quote")
                            .from("contracts", "quote_id")
                            .to("quotes", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_contracts_opportunity", &["opportunity_id", "id"][..]),
            ("idx_contracts_account", &["account_id", "id"][..]),
            ("idx_contracts_created", &["created_at", "id"][..]),
        ] {
            manager.create_index(index("contracts", name, cols)).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("contract_lines")
                    .col(pk_uuid("id"))
                    .col(uuid("contract_id"))
                    .col(integer("position"))
                    .col(uuid("product_id"))
                    .col(string("quantity"))
                    .col(string("unit_price"))
                    .col(string("discount_percent"))
                    .col(string("gross"))
                    .col(string("net"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contract_lines_contract")
                            .from("contract_lines", "contract_id")
                            .to("contracts", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contract_lines_product")
                            .from("contract_lines", "product_id")
                            .to("products", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "contract_lines",
                "idx_contract_lines_contract",
                &["contract_id", "position"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("payment_milestones")
                    .col(pk_uuid("id"))
                    .col(uuid("contract_id"))
                    .col(integer("position"))
                    .col(string("trigger"))
                    .col(string("percent"))
                    .col(integer("due_days"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_payment_milestones_contract")
                            .from("payment_milestones", "contract_id")
                            .to("contracts", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "payment_milestones",
                "idx_payment_milestones_contract",
                &["contract_id", "position"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "payment_milestones",
            "contract_lines",
            "contracts",
            "counters",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
