//! The database: connecting (SQLite embedded or PostgreSQL), migrating, and
//! the few helpers every repo shares (ids, clock, write transactions).

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, SubsecRound, Utc};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};
use uuid::Uuid;

pub mod cost;
pub mod keyset;
mod settings;
pub mod visible;
pub use keyset::{Page, PageRequest, SortValue, fetch_page};

pub use settings::StoreSettings;

/// Most bind parameters one statement may carry on either database
/// (SQLite's limit); multi-row writes and long `IN` lists chunk by it.
pub const MAX_BINDS: usize = 32_766;

/// Most bind parameters one statement may carry on this database.
pub fn max_binds(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Postgres => 65_535,
        _ => MAX_BINDS,
    }
}

/// Connects to the configured database; every statement is counted in `metrics`.
pub async fn connect(
    settings: &StoreSettings,
    metrics: Option<std::sync::Arc<crate::metrics::Metrics>>,
) -> anyhow::Result<DatabaseConnection> {
    let url = settings.database_url();
    if url.starts_with("sqlite:") && settings.database_url.is_none() {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating data directory {}", settings.data_dir.display()))?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(settings.db_max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    let mut db = Database::connect(options)
        .await
        .context("connecting to the database")?;
    db.set_metric_callback(move |info| {
        cost::record(info.elapsed);
        if let Some(metrics) = &metrics {
            metrics.observe_statement(info);
        }
    });
    Ok(db)
}

/// Applies every pending migration; safe to run on every start.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("applying database migrations")
}

/// Starts a transaction for a write. On SQLite it takes the write lock at
/// `BEGIN`, so two writers queue on the busy timeout instead of one failing
/// when it upgrades a read lock.
pub async fn begin_write(db: &DatabaseConnection) -> crate::Result<DatabaseTransaction> {
    let mode = match db.get_database_backend() {
        DbBackend::Sqlite => Some(SqliteTransactionMode::Immediate),
        _ => None,
    };
    Ok(db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: mode,
            ..Default::default()
        })
        .await?)
}

/// Current time at microsecond precision, the finest both databases keep,
/// so a value read back equals the value written (cursors depend on it).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// New ids are UUIDv7: unique without coordination, and sorted by creation.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

pub async fn ping(db: &DatabaseConnection) -> anyhow::Result<()> {
    db.execute_unprepared("SELECT 1").await?;
    Ok(())
}

/// `search_text LIKE '%text%'`, the text lower-cased and its wildcards escaped.
/// Search columns are lower-cased in Rust when written (see
/// `input::search_text`), because SQLite's `lower()` knows only ASCII.
pub fn contains(column: impl sea_orm::ColumnTrait, text: &str) -> sea_orm::sea_query::Expr {
    use sea_orm::{
        ExprTrait,
        sea_query::{Expr, LikeExpr},
    };
    Expr::col(column).like(LikeExpr::new(crate::input::like_contains(text)).escape('\\'))
}

/// Counts a list's matches later, and only if asked (`totalCount`).
pub type Counter =
    Box<dyn Fn() -> futures::future::BoxFuture<'static, crate::Result<u64>> + Send + Sync>;

pub fn counter<E>(db: &DatabaseConnection, select: sea_orm::Select<E>) -> Counter
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
{
    use sea_orm::PaginatorTrait;
    let db = db.clone();
    Box::new(move || {
        let db = db.clone();
        let select = select.clone();
        Box::pin(async move { Ok(select.count(&db).await?) })
    })
}
