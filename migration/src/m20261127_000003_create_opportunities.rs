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
                    .table("opportunities")
                    .col(pk_uuid("id"))
                    .col(uuid("account_id"))
                    .col(string("name"))
                    .col(string("stage"))
                    .col(big_integer_null("amount_minor"))
                    .col(string_null("currency"))
                    .col(date("expected_close_date"))
                    .col(integer_null("probability_override"))
                    .col(uuid_null("lead_id"))
                    .col(string_null("lost_reason"))
                    .col(string_null("lost_from_stage"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_opportunities_account")
                            .from("opportunities", "account_id")
                            .to("accounts", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_opportunities_lead")
                            .from("opportunities", "lead_id")
                            .to("leads", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "opportunities",
                "idx_opportunities_account",
                &["account_id", "id"],
            ))
            .await?;
        for (name, cols) in [
            ("idx_opportunities_stage", &["stage", "id"][..]),
            (
                "idx_opportunities_close",
                &["expected_close_date", "id"][..],
            ),
            ("idx_opportunities_amount", &["amount_minor", "id"][..]),
            ("idx_opportunities_created", &["created_at", "id"][..]),
            ("idx_opportunities_updated", &["updated_at", "id"][..]),
        ] {
            manager
                .create_index(index("opportunities", name, cols))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("opportunity_team_members")
                    .col(uuid("opportunity_id"))
                    .col(string("user_id"))
                    .col(string("role"))
                    .col(timestamp_with_time_zone("added_at"))
                    .primary_key(
                        Index::create()
                            .col("opportunity_id")
                            .col("user_id")
                            .col("role"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_team_members_opportunity")
                            .from("opportunity_team_members", "opportunity_id")
                            .to("opportunities", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        // Exactly one AR per deal: the database refuses a second one.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_team_members_one_ar ON opportunity_team_members (opportunity_id) WHERE role = 'AR'",
            )
            .await?;
        manager
            .create_index(index(
                "opportunity_team_members",
                "idx_team_members_user",
                &["user_id", "opportunity_id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("opportunity_team_members").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("opportunities").to_owned())
            .await
    }
}
