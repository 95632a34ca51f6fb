//! The outbox on a real database: retries with backoff, the dead letter,
//! leases that survive a dead worker, and two workers sharing 500 jobs
//! without running any twice.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::future::BoxFuture;
use ltc::outbox::{
    JobFailure, JobHandler,
    backoff::Backoff,
    enqueue,
    worker::{Worker, WorkerOptions},
};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::json;

use crate::helpers::{TestApp, test_settings};

/// Counts runs per job; fails the first `failures` runs of each job.
struct Counting {
    runs: Mutex<HashMap<String, u32>>,
    failures: u32,
    permanent: bool,
}

impl Counting {
    fn new(failures: u32, permanent: bool) -> Arc<Self> {
        Arc::new(Counting {
            runs: Mutex::new(HashMap::new()),
            failures,
            permanent,
        })
    }
}

impl JobHandler for Counting {
    fn kind(&self) -> &'static str {
        "test.count"
    }

    fn run<'a>(&'a self, job: &'a entity::job::Model) -> BoxFuture<'a, Result<(), JobFailure>> {
        Box::pin(async move {
            let n = {
                let mut runs = self.runs.lock().unwrap();
                let n = runs.entry(job.payload["n"].to_string()).or_default();
                *n += 1;
                *n
            };
            if n <= self.failures {
                return Err(if self.permanent {
                    JobFailure::permanent("rejected")
                } else {
                    JobFailure::retry(format!("down (run {n})"))
                });
            }
            Ok(())
        })
    }
}

fn options(concurrency: u64) -> WorkerOptions {
    WorkerOptions {
        concurrency,
        poll: Duration::from_millis(10),
        lease: Duration::from_secs(30),
        backoff: Backoff {
            base: Duration::from_millis(2),
            cap: Duration::from_millis(10),
        },
    }
}

async fn database() -> (DatabaseConnection, tempfile::TempDir) {
    let (settings, dir) = test_settings().await;
    let db = ltc::db::connect(&settings.store, None).await.unwrap();
    ltc::db::migrate(&db).await.unwrap();
    (db, dir)
}

async fn statuses(db: &DatabaseConnection) -> Vec<(String, i32)> {
    use sea_orm::{EntityTrait, QueryOrder};
    entity::job::Entity::find()
        .order_by_asc(entity::job::Column::CreatedAt)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|j| (format!("{:?}", j.status), j.attempts))
        .collect()
}

/// Runs rounds until nothing is due or `limit` passes.
async fn drain(worker: &Worker, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    let mut idle = 0;
    while tokio::time::Instant::now() < deadline && idle < 20 {
        if worker.run_once().await.unwrap() == 0 {
            idle += 1;
            tokio::time::sleep(Duration::from_millis(15)).await;
        } else {
            idle = 0;
        }
    }
}

#[tokio::test]
async fn a_failing_job_is_retried_until_it_succeeds() {
    let (db, _dir) = database().await;
    let handler = Counting::new(3, false);
    enqueue(&db, "test.count", json!({"n": 1}), None)
        .await
        .unwrap();
    let worker = Worker::new(db.clone(), vec![handler.clone()], options(4));
    drain(&worker, Duration::from_secs(10)).await;
    assert_eq!(statuses(&db).await, vec![("Done".to_owned(), 4)]);
}

#[tokio::test]
async fn a_job_out_of_attempts_or_rejected_is_dead_and_an_admin_retries_it() {
    // The server's own worker stays off: it would take the test's jobs.
    let (mut settings, dir) = test_settings().await;
    settings.worker.worker_enabled = false;
    let app = TestApp::spawn_with(settings, dir).await;
    let db = ltc::db::connect(&app.settings.store, None).await.unwrap();
    let always = Counting::new(u32::MAX, false);
    let job = enqueue(&db, "test.count", json!({"n": 7}), Some("k-7".into()))
        .await
        .unwrap();
    // Enqueueing the same work again is a no-op.
    let again = enqueue(&db, "test.count", json!({"n": 7}), Some("k-7".into()))
        .await
        .unwrap();
    assert_eq!(job.id, again.id);
    let worker = Worker::new(db.clone(), vec![always], options(4));
    drain(&worker, Duration::from_secs(10)).await;
    assert_eq!(
        statuses(&db).await,
        vec![("Dead".to_owned(), ltc::outbox::repo::MAX_ATTEMPTS)]
    );

    let admin = app.token("root", &["ADMIN"]);
    let manager = app.token("mia", &["SALES_MANAGER"]);
    let sales = app.token("sam", &["SALES"]);
    for token in [&manager, &sales] {
        let (code, _) = app
            .gql_error(token, "{ jobs { totalCount } }", json!({}))
            .await;
        assert_eq!(code, "FORBIDDEN");
    }
    let dead = app
        .gql(&admin, "{ jobs(filter: {status: [DEAD]}) { totalCount edges { node { id attempts lastError } } } }", json!({}))
        .await;
    assert_eq!(dead["jobs"]["totalCount"], 1);
    assert!(
        dead["jobs"]["edges"][0]["node"]["lastError"]
            .as_str()
            .unwrap()
            .contains("down")
    );
    let retried = app
        .gql(
            &admin,
            "mutation($id: UUID!) { retryJob(id: $id) { status attempts } }",
            json!({"id": job.id}),
        )
        .await;
    assert_eq!(
        retried["retryJob"],
        json!({"status": "QUEUED", "attempts": 0})
    );
    let (code, _) = app
        .gql_error(
            &admin,
            "mutation($id: UUID!) { retryJob(id: $id) { status } }",
            json!({"id": job.id}),
        )
        .await;
    assert_eq!(code, "INVALID_TRANSITION");

    // A permanent failure is dead at once.
    let rejecting = Counting::new(1, true);
    enqueue(&db, "test.count", json!({"n": 8}), None)
        .await
        .unwrap();
    let worker = Worker::new(db.clone(), vec![rejecting], options(4));
    drain(&worker, Duration::from_secs(10)).await;
    let all = statuses(&db).await;
    assert_eq!(all[1], ("Dead".to_owned(), 1));
}

#[tokio::test]
async fn a_job_whose_worker_died_is_taken_again_after_its_lease() {
    let (db, _dir) = database().await;
    let handler = Counting::new(0, false);
    let job = enqueue(&db, "test.count", json!({"n": 3}), None)
        .await
        .unwrap();
    // A worker claimed it and died: running, its lease already over.
    let past = ltc::db::now() - chrono::Duration::seconds(5);
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        db.get_database_backend(),
        match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => "UPDATE jobs SET status = 'RUNNING', attempts = 1, locked_by = 'dead', locked_until = $1 WHERE id = $2",
            _ => "UPDATE jobs SET status = 'RUNNING', attempts = 1, locked_by = 'dead', locked_until = ? WHERE id = ?",
        },
        [past.into(), job.id.into()],
    ))
    .await
    .unwrap();
    let worker = Worker::new(db.clone(), vec![handler.clone()], options(4));
    drain(&worker, Duration::from_secs(10)).await;
    assert_eq!(statuses(&db).await, vec![("Done".to_owned(), 2)]);
}

#[tokio::test]
async fn two_workers_drain_500_jobs_and_run_each_once() {
    let (db, _dir) = database().await;
    for n in 0..500 {
        enqueue(&db, "test.count", json!({"n": n}), None)
            .await
            .unwrap();
    }
    let handler = Counting::new(0, false);
    let a = Worker::new(db.clone(), vec![handler.clone()], options(16));
    let b = Worker::new(db.clone(), vec![handler.clone()], options(16));
    tokio::join!(
        drain(&a, Duration::from_secs(60)),
        drain(&b, Duration::from_secs(60))
    );
    let runs = handler.runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 500);
    assert!(runs.values().all(|n| *n == 1), "some job ran twice");
    assert!(
        statuses(&db)
            .await
            .iter()
            .all(|(s, a)| s == "Done" && *a == 1)
    );
}

#[tokio::test]
async fn housekeeping_deletes_old_finished_jobs_and_keeps_dead_ones() {
    let (db, _dir) = database().await;
    let old_done = enqueue(&db, "test.count", json!({"n": 1}), None)
        .await
        .unwrap();
    let old_dead = enqueue(&db, "test.count", json!({"n": 2}), None)
        .await
        .unwrap();
    let new_done = enqueue(&db, "test.count", json!({"n": 3}), None)
        .await
        .unwrap();
    let long_ago = ltc::db::now() - chrono::Duration::days(30);
    let backend = db.get_database_backend();
    for (job, status, finished) in [
        (&old_done, "DONE", long_ago),
        (&old_dead, "DEAD", long_ago),
        (&new_done, "DONE", ltc::db::now()),
    ] {
        let sql = match backend {
            sea_orm::DbBackend::Postgres => {
                "UPDATE jobs SET status = $1, finished_at = $2 WHERE id = $3"
            }
            _ => "UPDATE jobs SET status = ?, finished_at = ? WHERE id = ?",
        };
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [status.into(), finished.into(), job.id.into()],
        ))
        .await
        .unwrap();
    }
    ltc::outbox::repo::enqueue(&db, ltc::outbox::prune::KIND, json!({}), None)
        .await
        .unwrap();
    let worker = Worker::new(
        db.clone(),
        ltc::outbox::prune::handlers(&db, 7, Vec::new()),
        options(4),
    );
    worker.run_once().await.unwrap();
    use sea_orm::EntityTrait;
    let left: Vec<(uuid::Uuid, String)> = entity::job::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|j| (j.id, j.kind))
        .collect();
    let ids: Vec<uuid::Uuid> = left.iter().map(|(id, _)| *id).collect();
    assert!(!ids.contains(&old_done.id));
    assert!(ids.contains(&old_dead.id) && ids.contains(&new_done.id));
    // The round ran and scheduled the next one.
    let prunes = left
        .iter()
        .filter(|(_, k)| k == ltc::outbox::prune::KIND)
        .count();
    assert_eq!(prunes, 2);
}
