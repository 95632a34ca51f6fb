//! What the batch loaders share: one batch per loader and level of a query,
//! grouping a batch's rows under the keys they were asked for, and the one
//! loader shape every aggregate uses ([`Loading`] of a [`Batch`]: by id under
//! the row rule, or by parent id), one statement per batch.
//!
//! async-graphql's `DataLoader` sends a batch a fixed delay (1 ms) after its
//! first key. When resolving a level's siblings takes longer than that (a
//! busy machine, a page of 100 rows), the level's keys split over several
//! batches, and the statements per request vary with CPU load. Instead, a
//! [`Batcher`] watches the request's execution: a batch waits until the
//! execution has nothing left to run (it is not being polled, and nothing
//! woke it since), so every sibling of a level has registered its key, and
//! then takes them all at once. The joins async-graphql resolves siblings
//! with yield now and then (waking themselves to be polled again), so "the
//! poll ended" alone is not enough. Waiting for idleness also saves the fixed
//! delay on every level.

use std::{
    future::Future,
    marker::PhantomData,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll, Wake, Waker},
    time::Duration,
};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use futures::future::BoxFuture;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::{
    Error,
    auth::Visibility,
    db::{
        cost,
        visible::{self, Visible},
    },
};

/// Rows grouped by the key they belong to (`None`: under no key), in order.
pub fn grouped<M>(rows: Vec<M>, key: impl Fn(&M) -> Option<Uuid>) -> HashMap<Uuid, Vec<M>> {
    let mut groups: HashMap<Uuid, Vec<M>> = HashMap::new();
    for row in rows {
        if let Some(k) = key(&row) {
            groups.entry(k).or_default().push(row);
        }
    }
    groups
}

/// What one loader reads: the rows answering a batch of keys, in one
/// statement. The SQL stays in the aggregate's repo; a batch names it and
/// says which key each row answers.
pub trait Batch: Send + Sync + 'static {
    type Row: Clone + Send + Sync + 'static;

    /// The rows for `keys` that `visibility` lets through. A batch under a
    /// parent the caller already saw (a quote's lines) may ignore it.
    fn rows(
        db: &DatabaseConnection,
        visibility: &Visibility,
        keys: &[Uuid],
    ) -> impl Future<Output = crate::Result<Vec<Self::Row>>> + Send;

    /// The key a row answers: its own id, or its parent's.
    fn key(row: &Self::Row) -> Option<Uuid>;
}

/// Records by id under their table's row rule ([`Visible`]).
pub struct ById<E>(PhantomData<fn() -> E>);

impl<E: Visible> Batch for ById<E>
where
    E::Model: Sync,
{
    type Row = E::Model;

    async fn rows(
        db: &DatabaseConnection,
        visibility: &Visibility,
        keys: &[Uuid],
    ) -> crate::Result<Vec<E::Model>> {
        visible::find_many::<E>(db, visibility, keys).await
    }

    fn key(row: &E::Model) -> Option<Uuid> {
        visible::id_of::<E>(row)
    }
}

/// A request's loader of one [`Batch`] for one actor's row rule.
pub struct Loading<B> {
    db: DatabaseConnection,
    visibility: Visibility,
    batch: PhantomData<fn() -> B>,
}

impl<B> Loading<B> {
    pub fn new(db: &DatabaseConnection, visibility: &Visibility) -> Self {
        Self {
            db: db.clone(),
            visibility: visibility.clone(),
            batch: PhantomData,
        }
    }

    /// For a batch with no row rule of its own: rows under a parent the
    /// caller was already allowed to see, or the catalogue.
    pub fn unfiltered(db: &DatabaseConnection) -> Self {
        Self::new(db, &Visibility::All)
    }
}

/// One row per key (a record by id, a deal's accepted quote).
pub type Each<B> = Loading<(B, One)>;
/// Every row under each key, in the batch's order (an account's contacts).
pub type Grouped<B> = Loading<(B, Many)>;

#[doc(hidden)]
pub struct One;
#[doc(hidden)]
pub struct Many;

impl<B: Batch> Loader<Uuid> for Loading<(B, One)> {
    type Value = B::Row;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, B::Row>, Self::Error> {
        let rows = B::rows(&self.db, &self.visibility, keys)
            .await
            .map_err(Arc::new)?;
        Ok(rows
            .into_iter()
            .filter_map(|row| B::key(&row).map(|key| (key, row)))
            .collect())
    }
}

impl<B: Batch> Loader<Uuid> for Loading<(B, Many)> {
    type Value = Vec<B::Row>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<B::Row>>, Self::Error> {
        let rows = B::rows(&self.db, &self.visibility, keys)
            .await
            .map_err(Arc::new)?;
        Ok(grouped(rows, B::key))
    }
}

/// The largest batch one statement asks for; more keys make another batch.
/// A page holds at most 100 rows, so only reports over many rows reach it.
const MAX_BATCH: usize = 2_000;

/// Makes a request's loaders and tells them when a level is complete.
#[derive(Clone, Default)]
pub struct Batcher(Arc<State>);

/// Runs a batch once its level is complete, counting its statements to the
/// request that asked for it.
fn spawn_batch(batcher: &Batcher, batch: BoxFuture<'static, ()>) {
    let batcher = batcher.clone();
    let work = async move {
        batcher.level_complete().await;
        batch.await;
    };
    match cost::current() {
        Some(cost) => tokio::spawn(cost::measure(cost, work)),
        None => tokio::spawn(work),
    };
}

#[derive(Default)]
struct State {
    /// True while the request's resolvers are being polled.
    polling: AtomicBool,
    /// True when something woke the execution since its last poll began.
    woken: AtomicBool,
    /// True once the request runs inside [`Batcher::run`].
    tracked: AtomicBool,
    idle: Notify,
}

impl Batcher {
    pub fn new() -> Self {
        Self::default()
    }

    /// A loader for one request whose batches go out once the current level
    /// of that request has registered all its keys.
    pub fn loader<T: Send + Sync + 'static>(&self, loader: T) -> DataLoader<T> {
        let batcher = self.clone();
        DataLoader::new(loader, move |batch| spawn_batch(&batcher, batch))
            .delay(Duration::ZERO)
            .max_batch_size(MAX_BATCH)
    }

    /// Like [`Batcher::loader`], remembering what it loaded for the rest of
    /// the request, so a resolver that already read some values can hand
    /// them over with `feed_many` instead of having them read again.
    pub fn caching_loader<T: Send + Sync + 'static>(
        &self,
        loader: T,
    ) -> DataLoader<T, HashMapCache> {
        let batcher = self.clone();
        DataLoader::with_cache(
            loader,
            move |batch| spawn_batch(&batcher, batch),
            HashMapCache::default(),
        )
        .delay(Duration::ZERO)
        .max_batch_size(MAX_BATCH)
    }

    /// Runs the request's execution, marking when it is being polled.
    pub fn run<F: Future>(&self, execution: F) -> Tracked<F> {
        self.0.tracked.store(true, Ordering::Release);
        Tracked {
            execution: Box::pin(execution),
            state: self.0.clone(),
            waker: None,
        }
    }

    async fn level_complete(&self) {
        if !self.0.tracked.load(Ordering::Acquire) {
            // Not run through `run` (a test, a subscription): fall back to
            // the loader's usual short wait.
            tokio::time::sleep(Duration::from_millis(1)).await;
            return;
        }
        loop {
            let idle = self.0.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.0.is_idle() {
                return;
            }
            idle.await;
        }
    }
}

impl State {
    fn is_idle(&self) -> bool {
        !self.polling.load(Ordering::Acquire) && !self.woken.load(Ordering::Acquire)
    }
}

/// The execution's waker, noting each wake before passing it on.
struct NotingWaker {
    state: Arc<State>,
    inner: Waker,
}

impl Wake for NotingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.state.woken.store(true, Ordering::Release);
        self.inner.wake_by_ref();
    }
}

/// A request's execution that records when it is being polled or woken.
pub struct Tracked<F: Future> {
    execution: Pin<Box<F>>,
    state: Arc<State>,
    /// The noting waker of the last poll, kept while the task's own waker
    /// stays the same (it usually does), so a poll allocates none.
    waker: Option<(Waker, Waker)>,
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.state.polling.store(true, Ordering::Release);
        self.state.woken.store(false, Ordering::Release);
        let this = &mut *self;
        let waker = match &this.waker {
            Some((inner, noting)) if inner.will_wake(cx.waker()) => noting.clone(),
            _ => {
                let noting = Waker::from(Arc::new(NotingWaker {
                    state: this.state.clone(),
                    inner: cx.waker().clone(),
                }));
                this.waker = Some((cx.waker().clone(), noting.clone()));
                noting
            }
        };
        let outcome = this
            .execution
            .as_mut()
            .poll(&mut Context::from_waker(&waker));
        self.state.polling.store(false, Ordering::Release);
        if self.state.is_idle() {
            self.state.idle.notify_waiters();
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use std::{collections::HashSet, sync::Mutex};

    use super::*;

    /// Records the size of every batch it is asked for.
    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<usize>>>);

    impl Loader<u32> for Recorder {
        type Value = u32;
        type Error = std::convert::Infallible;

        async fn load(&self, keys: &[u32]) -> Result<HashMap<u32, u32>, Self::Error> {
            self.0.lock().unwrap().push(keys.len());
            Ok(keys.iter().map(|k| (*k, *k)).collect())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slow_level_still_goes_out_as_one_batch() {
        let recorder = Recorder::default();
        let batcher = Batcher::new();
        let loader = batcher.loader(recorder.clone());
        let level = futures::future::join_all((0..50u32).map(|k| {
            let loader = &loader;
            async move {
                // Siblings that take far longer than the loader's old 1 ms
                // delay to reach their load.
                std::thread::sleep(Duration::from_micros(100));
                loader.load_one(k).await.unwrap()
            }
        }));
        let values = batcher.run(level).await;
        assert_eq!(values.len(), 50);
        assert_eq!(*recorder.0.lock().unwrap(), vec![50]);
        let distinct: HashSet<_> = values.into_iter().flatten().collect();
        assert_eq!(distinct.len(), 50);
    }
}
