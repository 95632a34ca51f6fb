//! The live event bus of one instance, and the relay that feeds it with
//! committed events only.
//!
//! - PostgreSQL: `publish` sends `NOTIFY ltc_events, '<event id>'` in the
//!   change's transaction; PostgreSQL delivers it to every listening
//!   instance when (and only if) that transaction commits. The relay LISTENs
//!   on its own connection, reads the event row and broadcasts it. After a
//!   lost connection it re-reads the last minutes of the log, skipping what
//!   it already relayed, so a reconnect loses nothing.
//! - SQLite: one writer at a time, so an event row's `seq` is its commit
//!   order; the relay polls for rows past the last one it relayed. A
//!   rolled-back row was never visible, and its `seq` is reused.

use std::{
    collections::{HashSet, VecDeque},
    sync::Arc,
    time::Duration,
};

use sea_orm::{DatabaseConnection, DbBackend, sqlx::postgres::PgListener};
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use super::{CHANNEL, EventSettings, Published, repo};
use crate::{Result, db};

/// Events buffered per subscriber; one that falls further behind skips the
/// oldest (and is told in the log).
const CAPACITY: usize = 1024;

/// Rows read per poll.
const BATCH: u64 = 500;

/// How far back a reconnected listener looks for events it may have missed.
const CATCH_UP: chrono::Duration = chrono::Duration::minutes(5);

/// This instance's fan-out of committed events to its GraphQL subscribers.
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<Published>>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus {
            sender: broadcast::channel(CAPACITY).0,
        }
    }
}

impl EventBus {
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.sender.subscribe()
    }

    fn send(&self, event: Published) {
        // No receiver is fine: nobody is subscribed on this instance.
        let _ = self.sender.send(Arc::new(event));
    }
}

enum Source {
    /// SQLite: rows after this `seq`.
    Poll { after: i64 },
    /// PostgreSQL: notifications on [`CHANNEL`].
    Listen(Box<PgListener>),
}

/// Reads committed events from the database into an [`EventBus`]; one per
/// instance, running beside the HTTP server.
pub struct Relay {
    bus: EventBus,
    db: DatabaseConnection,
    source: Source,
    poll: Duration,
    retention: chrono::Duration,
    recent: Recent,
}

impl Relay {
    /// Starts listening now (on PostgreSQL the `LISTEN` is in place when this
    /// returns), so no event committed after it is missed; nothing is relayed
    /// until [`Relay::run`].
    pub async fn connect(
        db: &DatabaseConnection,
        database_url: &str,
        settings: &EventSettings,
    ) -> anyhow::Result<Relay> {
        let source = match db.get_database_backend() {
            DbBackend::Postgres => {
                let mut listener = PgListener::connect(database_url).await?;
                listener.listen(CHANNEL).await?;
                Source::Listen(Box::new(listener))
            }
            _ => Source::Poll {
                after: repo::last_seq(db).await?,
            },
        };
        Ok(Relay {
            bus: EventBus::default(),
            db: db.clone(),
            source,
            poll: settings.poll(),
            retention: settings.retention(),
            recent: Recent::default(),
        })
    }

    pub fn bus(&self) -> EventBus {
        self.bus.clone()
    }

    /// Relays events until `stop` turns true; also deletes events older than
    /// the retention now and then.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let pruner = tokio::spawn(prune(self.db.clone(), self.retention));
        let relay = tokio::spawn(self.relay());
        while !*stop.borrow() {
            if stop.changed().await.is_err() {
                break;
            }
        }
        relay.abort();
        pruner.abort();
    }

    async fn relay(mut self) {
        tracing::info!("event relay started");
        loop {
            let outcome = match &mut self.source {
                Source::Poll { after } => {
                    tokio::time::sleep(self.poll).await;
                    poll(&self.db, &self.bus, after).await
                }
                Source::Listen(listener) => {
                    listen(&self.db, &self.bus, listener, &mut self.recent).await
                }
            };
            if let Err(error) = outcome {
                tracing::error!(error = ?error, "event relay");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn poll(db: &DatabaseConnection, bus: &EventBus, after: &mut i64) -> Result<()> {
    loop {
        let rows = repo::events_after(db, *after, BATCH).await?;
        let full = rows.len() as u64 == BATCH;
        for row in rows {
            *after = row.seq;
            bus.send(row.into());
        }
        if !full {
            return Ok(());
        }
    }
}

async fn listen(
    db: &DatabaseConnection,
    bus: &EventBus,
    listener: &mut PgListener,
    recent: &mut Recent,
) -> Result<()> {
    match listener.try_recv().await {
        Ok(Some(notification)) => {
            let Ok(id) = notification.payload().parse::<Uuid>() else {
                tracing::warn!(
                    payload = notification.payload(),
                    "ignoring a malformed event notification"
                );
                return Ok(());
            };
            if recent.seen(id) {
                return Ok(());
            }
            match repo::event(db, id).await? {
                Some(row) => bus.send(row.into()),
                None => tracing::warn!(event = %id, "a notified event is no longer in the log"),
            }
            Ok(())
        }
        Ok(None) => {
            // The connection dropped and is back: notifications sent
            // meanwhile are lost, so read what the log has from that time.
            tracing::warn!("event listener reconnected; catching up from the log");
            for row in repo::events_since(db, db::now() - CATCH_UP, 10_000).await? {
                if !recent.seen(row.id) {
                    bus.send(row.into());
                }
            }
            Ok(())
        }
        Err(error) => Err(crate::Error::Internal(
            anyhow::Error::new(error).context("waiting for event notifications"),
        )),
    }
}

/// The ids relayed lately, so a catch-up after a reconnect sends none twice.
#[derive(Default)]
struct Recent {
    order: VecDeque<Uuid>,
    ids: HashSet<Uuid>,
}

impl Recent {
    const SIZE: usize = 4096;

    /// Records `id`; true if it was there already.
    fn seen(&mut self, id: Uuid) -> bool {
        if !self.ids.insert(id) {
            return true;
        }
        self.order.push_back(id);
        if self.order.len() > Self::SIZE
            && let Some(old) = self.order.pop_front()
        {
            self.ids.remove(&old);
        }
        false
    }
}

/// Deletes events past the retention every few minutes.
async fn prune(db: DatabaseConnection, retention: chrono::Duration) {
    let mut every = tokio::time::interval(Duration::from_secs(300));
    loop {
        every.tick().await;
        match repo::prune_events(&db, db::now() - retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "pruned old events"),
            Err(error) => tracing::warn!(error = ?error, "pruning old events"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_ids_are_remembered_up_to_a_bound() {
        let mut recent = Recent::default();
        let first = Uuid::now_v7();
        assert!(!recent.seen(first));
        assert!(recent.seen(first));
        for _ in 0..Recent::SIZE {
            recent.seen(Uuid::now_v7());
        }
        assert!(!recent.seen(first), "the oldest id is forgotten");
        assert!(recent.ids.len() <= Recent::SIZE + 1);
    }
}
