use sea_orm_migration::{prelude::*, schema::*};

/// `receivables.settled_at`: the moment a receivable stopped owing (paid in
/// full, written off or cancelled), so aging as of a date reads only the
/// receivables still open then instead of the whole settled history.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("receivables")
                    .add_column(timestamp_with_time_zone_null("settled_at"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // Written off and cancelled stopped owing when they were closed.
        db.execute_unprepared(
            "UPDATE receivables SET settled_at = closed_at \
             WHERE status IN ('WRITTEN_OFF', 'CANCELLED')",
        )
        .await?;
        // Paid in full stopped owing when the last payment arrived: payments
        // may be recorded late and out of order, so the latest receipt, not
        // the time the status changed. `updated_at` only for a paid row
        // without payments, which the service never makes.
        db.execute_unprepared(
            "UPDATE receivables SET settled_at = COALESCE(\
               (SELECT MAX(p.received_at) FROM payments p WHERE p.receivable_id = receivables.id), \
               updated_at) \
             WHERE status = 'PAID'",
        )
        .await?;
        // Aging reads the receivables of one currency open at `asOf`
        // (`settled_at IS NULL OR settled_at > asOf`) that were invoiced by
        // then; never-invoiced ones can never count, so they stay out.
        db.execute_unprepared(
            "CREATE INDEX idx_receivables_open_by_currency ON receivables (currency, settled_at) \
             WHERE invoiced_at IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_receivables_open_by_currency")
                    .table("receivables")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("receivables")
                    .drop_column("settled_at")
                    .to_owned(),
            )
            .await
    }
}
