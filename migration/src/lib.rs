//! The schema's history: every change to the tables is one migration here,
//! applied in order by `ltc migrate` or at server start.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_create_accounts_and_contacts;
mod m20261127_000002_create_leads;
mod m20261127_000003_create_opportunities;
mod m20261127_000004_create_transitions;
mod m20261127_000005_create_catalogue;
mod m20261127_000006_create_quotes;
mod m20261127_000007_create_contracts;
mod m20261127_000008_create_fulfilment_and_cash;
mod m20261127_000009_create_jobs;
mod m20261127_000010_create_webhook_receipts;
mod m20261127_000011_create_idempotency_and_subscriptions;
mod m20261127_000012_add_list_indexes;
mod m20261127_000013_index_account_search_text;
mod m20261127_000014_add_receivable_settled_at;
mod m20261127_000015_add_webhook_secret_rotation;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_accounts_and_contacts::Migration),
            Box::new(m20261127_000002_create_leads::Migration),
            Box::new(m20261127_000003_create_opportunities::Migration),
            Box::new(m20261127_000004_create_transitions::Migration),
            Box::new(m20261127_000005_create_catalogue::Migration),
            Box::new(m20261127_000006_create_quotes::Migration),
            Box::new(m20261127_000007_create_contracts::Migration),
            Box::new(m20261127_000008_create_fulfilment_and_cash::Migration),
            Box::new(m20261127_000009_create_jobs::Migration),
            Box::new(m20261127_000010_create_webhook_receipts::Migration),
            Box::new(m20261127_000011_create_idempotency_and_subscriptions::Migration),
            Box::new(m20261127_000012_add_list_indexes::Migration),
            Box::new(m20261127_000013_index_account_search_text::Migration),
            Box::new(m20261127_000014_add_receivable_settled_at::Migration),
            Box::new(m20261127_000015_add_webhook_secret_rotation::Migration),
        ]
    }
}
