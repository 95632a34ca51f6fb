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
                    .table("leads")
                    .col(pk_uuid("id"))
                    .col(string("status"))
                    .col(string("source"))
                    .col(string_null("external_ref"))
                    .col(string_null("first_name"))
                    .col(string_null("last_name"))
                    .col(string_null("email"))
                    .col(string_null("email_normalized"))
                    .col(string_null("phone"))
                    .col(string_null("company"))
                    .col(string_null("title"))
                    .col(string_null("website"))
                    .col(string_null("budget_amount"))
                    .col(string_null("budget_currency"))
                    .col(string("timeline"))
                    .col(text_null("notes"))
                    .col(text("search_text"))
                    .col(string_null("owner_id"))
                    .col(integer("score"))
                    .col(json("score_factors"))
                    .col(string_null("disqualify_reason"))
                    .col(uuid_null("duplicate_of_lead_id"))
                    .col(uuid_null("duplicate_of_contact_id"))
                    .col(uuid_null("account_id"))
                    .col(uuid_null("contact_id"))
                    .col(uuid_null("opportunity_id"))
                    .col(timestamp_with_time_zone_null("converted_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "fk_leads_duplicate_lead",
                        "duplicate_of_lead_id",
                        "leads",
                    ))
                    .foreign_key(&mut fk(
                        "fk_leads_duplicate_contact",
                        "duplicate_of_contact_id",
                        "contacts",
                    ))
                    .foreign_key(&mut fk("fk_leads_account", "account_id", "accounts"))
                    .foreign_key(&mut fk("fk_leads_contact", "contact_id", "contacts"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_leads_source_external_ref")
                    .table("leads")
                    .col("source")
                    .col("external_ref")
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_leads_email", &["email_normalized"][..]),
            ("idx_leads_owner", &["owner_id", "id"][..]),
            ("idx_leads_status_score", &["status", "score", "id"][..]),
            ("idx_leads_score", &["score", "id"][..]),
            ("idx_leads_created", &["created_at", "id"][..]),
            ("idx_leads_updated", &["updated_at", "id"][..]),
            ("idx_leads_duplicate_of", &["duplicate_of_lead_id"][..]),
        ] {
            manager.create_index(index("leads", name, cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("leads").to_owned())
            .await
    }
}

fn fk(name: &'static str, column: &'static str, target: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from("leads", column)
        .to(target, "id")
        .to_owned()
}
