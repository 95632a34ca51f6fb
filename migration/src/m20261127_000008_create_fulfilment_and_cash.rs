use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261127_000001_create_accounts_and_contacts::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    table: &'static str,
    column: &'static str,
    target: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("purchase_orders")
                    .col(pk_uuid("id"))
                    .col(uuid("contract_id"))
                    .col(uuid("account_id"))
                    .col(string("po_number"))
                    .col(string("status"))
                    .col(string("currency"))
                    .col(string("total"))
                    .col(timestamp_with_time_zone_null("delivered_at"))
                    .col(timestamp_with_time_zone_null("accepted_at"))
                    .col(string_null("cancelled_reason"))
                    .col(string("erp_sync_status"))
                    .col(string_null("erp_order_ref"))
                    .col(integer("erp_attempts"))
                    .col(text_null("erp_last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("purchase_orders", "contract_id", "contracts"))
                    .foreign_key(&mut fk("purchase_orders", "account_id", "accounts"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_purchase_orders_account_number")
                    .table("purchase_orders")
                    .col("account_id")
                    .col("po_number")
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_purchase_orders_contract", &["contract_id", "id"][..]),
            ("idx_purchase_orders_created", &["created_at", "id"][..]),
            ("idx_purchase_orders_erp", &["erp_sync_status", "id"][..]),
        ] {
            manager
                .create_index(index("purchase_orders", name, cols))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("purchase_order_lines")
                    .col(pk_uuid("id"))
                    .col(uuid("purchase_order_id"))
                    .col(uuid("contract_line_id"))
                    .col(string("quantity"))
                    .col(string("net"))
                    .foreign_key(&mut fk(
                        "purchase_order_lines",
                        "purchase_order_id",
                        "purchase_orders",
                    ))
                    .foreign_key(&mut fk(
                        "purchase_order_lines",
                        "contract_line_id",
                        "contract_lines",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "purchase_order_lines",
                "idx_purchase_order_lines_order",
                &["purchase_order_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "purchase_order_lines",
                "idx_purchase_order_lines_contract_line",
                &["contract_line_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("receivables")
                    .col(pk_uuid("id"))
                    .col(uuid("contract_id"))
                    .col(uuid("account_id"))
                    .col(uuid_null("purchase_order_id"))
                    .col(uuid("milestone_id"))
                    .col(string("trigger"))
                    .col(string("status"))
                    .col(string("currency"))
                    .col(big_integer("amount_minor"))
                    .col(big_integer("paid_minor"))
                    .col(date("due_date"))
                    .col(string_null("billing_invoice_id"))
                    .col(timestamp_with_time_zone_null("invoiced_at"))
                    .col(string_null("billing_status"))
                    .col(timestamp_with_time_zone_null("billing_synced_at"))
                    .col(text_null("billing_flag"))
                    .col(string_null("closed_reason"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("receivables", "contract_id", "contracts"))
                    .foreign_key(&mut fk("receivables", "account_id", "accounts"))
                    .foreign_key(&mut fk(
                        "receivables",
                        "purchase_order_id",
                        "purchase_orders",
                    ))
                    .foreign_key(&mut fk("receivables", "milestone_id", "payment_milestones"))
                    .to_owned(),
            )
            .await?;
        // One receivable per milestone of the contract (no PO), and per
        // milestone of each PO: the rules never make one twice.
        manager
            .create_index(
                Index::create()
                    .name("uq_receivables_milestone_order")
                    .table("receivables")
                    .col("milestone_id")
                    .col("purchase_order_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_receivables_contract_milestone ON receivables (milestone_id) WHERE purchase_order_id IS NULL",
            )
            .await?;
        for (name, cols) in [
            ("idx_receivables_contract", &["contract_id", "id"][..]),
            ("idx_receivables_account", &["account_id", "id"][..]),
            (
                "idx_receivables_status_due",
                &["status", "due_date", "id"][..],
            ),
            ("idx_receivables_due", &["due_date", "id"][..]),
            ("idx_receivables_invoice", &["billing_invoice_id"][..]),
        ] {
            manager
                .create_index(index("receivables", name, cols))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("payments")
                    .col(pk_uuid("id"))
                    .col(uuid("receivable_id"))
                    .col(big_integer("amount_minor"))
                    .col(string("currency"))
                    .col(timestamp_with_time_zone("received_at"))
                    .col(string("reference"))
                    .col(string("source"))
                    .col(string("recorded_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("payments", "receivable_id", "receivables"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_payments_receivable_reference")
                    .table("payments")
                    .col("receivable_id")
                    .col("reference")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "payments",
                "idx_payments_received",
                &["received_at", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("service_cases")
                    .col(pk_uuid("id"))
                    .col(uuid("account_id"))
                    .col(string("subject"))
                    .col(string("kind"))
                    .col(text_null("description"))
                    .col(uuid_null("lead_id"))
                    .col(string("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("service_cases", "account_id", "accounts"))
                    .foreign_key(&mut fk("service_cases", "lead_id", "leads"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "service_cases",
                "idx_service_cases_account",
                &["account_id", "id"],
            ))
            .await?;

        // Contract terms, for renewals.
        for column in [date_null("term_start"), date_null("term_end")] {
            manager
                .alter_table(
                    Table::alter()
                        .table("contracts")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("contracts")
                    .add_column(uuid_null("renewal_opportunity_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "contracts",
                "idx_contracts_term_end",
                &["term_end", "id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "service_cases",
            "payments",
            "receivables",
            "purchase_order_lines",
            "purchase_orders",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
