use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("accounts")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    .col(string_null("domain").unique_key())
                    .col(string_null("industry"))
                    .col(string("owner_id"))
                    .col(string_null("erp_customer_ref"))
                    .col(string_null("billing_customer_ref"))
                    .col(text("search_text"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_accounts_owner", &["owner_id", "id"][..]),
            ("idx_accounts_name", &["name", "id"][..]),
            ("idx_accounts_created", &["created_at", "id"][..]),
            ("idx_accounts_updated", &["updated_at", "id"][..]),
        ] {
            manager.create_index(index("accounts", name, cols)).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("contacts")
                    .col(pk_uuid("id"))
                    .col(uuid("account_id"))
                    .col(string_null("first_name"))
                    .col(string("last_name"))
                    .col(string_null("email"))
                    .col(string_null("email_normalized"))
                    .col(string_null("phone"))
                    .col(string_null("title"))
                    .col(text("search_text"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contacts_account")
                            .from("contacts", "account_id")
                            .to("accounts", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "contacts",
                "idx_contacts_account",
                &["account_id", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                "contacts",
                "idx_contacts_email",
                &["email_normalized"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("contacts").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("accounts").to_owned())
            .await
    }
}

pub(crate) fn index(
    table: &'static str,
    name: &'static str,
    cols: &[&'static str],
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(*col);
    }
    index.to_owned()
}
