//! Bulk inserts: rows are buffered per table and written with one multi-row
//! `INSERT` per chunk, each chunk in its own transaction, with a progress
//! line now and then.
//!
//! A chunk holds as many rows as the bind-parameter limit allows: rows ×
//! columns stays under 65,535 on PostgreSQL and 32,766 on SQLite.

use std::time::Instant;

use sea_orm::{
    ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel, Iterable, TransactionTrait,
};

/// Most rows in one statement, whatever the parameter limit allows: larger
/// statements gain little and hold more memory.
const MAX_ROWS: usize = 5_000;

/// Where rows go and where progress is told.
pub struct Sink<'a> {
    pub db: &'a DatabaseConnection,
    pub report: &'a (dyn Fn(&str) + Sync),
    pub started: Instant,
}

impl Sink<'_> {
    pub fn say(&self, line: &str) {
        (self.report)(line);
    }
}

pub struct Writer<E: EntityTrait> {
    table: &'static str,
    rows: Vec<E::Model>,
    chunk: usize,
    written: u64,
    total: Option<u64>,
    started: Instant,
    last_report: Instant,
}

impl<E> Writer<E>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E>,
{
    /// A writer for `table`; `total`, when known, is shown as `written/total`.
    pub fn new(sink: &Sink<'_>, table: &'static str, total: Option<u64>) -> Self {
        let columns = <E::Column as Iterable>::iter().count().max(1);
        let limit = crate::db::max_binds(sink.db.get_database_backend());
        let chunk = (limit / columns).clamp(1, MAX_ROWS);
        Writer {
            table,
            rows: Vec::with_capacity(chunk),
            chunk,
            written: 0,
            total,
            started: Instant::now(),
            last_report: Instant::now(),
        }
    }

    /// Buffers a row; true once a chunk is full and should be flushed.
    pub fn push(&mut self, row: E::Model) -> bool {
        self.rows.push(row);
        self.rows.len() >= self.chunk
    }

    pub fn is_full(&self) -> bool {
        self.rows.len() >= self.chunk
    }

    /// Writes the buffered rows, in one transaction.
    pub async fn flush(&mut self, sink: &Sink<'_>) -> anyhow::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::replace(&mut self.rows, Vec::with_capacity(self.chunk));
        let n = rows.len() as u64;
        let txn = sink.db.begin().await?;
        E::insert_many(rows.into_iter().map(|m| m.into_active_model().reset_all()))
            .exec_without_returning(&txn)
            .await
            .map_err(|e| anyhow::anyhow!("inserting into {}: {e}", self.table))?;
        txn.commit().await?;
        self.written += n;
        if self.last_report.elapsed().as_secs_f64() >= 2.0 {
            self.last_report = Instant::now();
            sink.say(&self.line(sink));
        }
        Ok(())
    }

    /// Writes what is left and reports the table done; returns the rows written.
    pub async fn finish(mut self, sink: &Sink<'_>) -> anyhow::Result<u64> {
        // The line below tells the end; no progress line just before it.
        self.last_report = Instant::now();
        self.flush(sink).await?;
        let rate = self.written as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        sink.say(&format!("{}  done, {rate:.0} rows/s", self.line(sink)));
        Ok(self.written)
    }

    fn line(&self, sink: &Sink<'_>) -> String {
        let count = match self.total {
            Some(total) => format!("{}/{}", self.written, total),
            None => self.written.to_string(),
        };
        format!(
            "{:<22} {:>17}  {:>7.1}s",
            self.table,
            count,
            sink.started.elapsed().as_secs_f64()
        )
    }
}
