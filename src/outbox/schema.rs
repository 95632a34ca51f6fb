//! The outbox seen by admins: jobs with their state, and retrying dead ones.

use async_graphql::{Context, Enum, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{enums, job};
use uuid::Uuid;

use super::repo::{self, ListFilter};
use crate::{
    Error,
    auth::Capability,
    db::{self, SortValue},
    graphql::{
        context::ContextExt,
        pagination::{Conn, SortDirection, connection, cost, page_request},
    },
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::JobStatus")]
pub enum JobStatus {
    /// Waiting for its run time (first run or a retry).
    Queued,
    /// Claimed by a worker.
    Running,
    Done,
    /// Given up on; `retryJob` queues it again.
    Dead,
}

/// A unit of outbound work.
#[derive(SimpleObject)]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    pub payload: Json<serde_json::Value>,
    pub status: JobStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    /// When it runs next, while queued.
    pub run_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<job::Model> for Job {
    fn from(m: job::Model) -> Self {
        Job {
            id: m.id,
            kind: m.kind,
            payload: Json(m.payload),
            status: m.status.into(),
            attempts: m.attempts,
            max_attempts: m.max_attempts,
            run_at: m.run_at,
            locked_until: m.locked_until,
            locked_by: m.locked_by,
            last_error: m.last_error,
            created_at: m.created_at,
            updated_at: m.updated_at,
            finished_at: m.finished_at,
        }
    }
}

#[derive(InputObject, Default)]
pub struct JobFilter {
    #[graphql(default)]
    pub status: Vec<JobStatus>,
    pub kind: Option<String>,
}

#[derive(Default)]
pub struct JobQuery;

#[Object]
impl JobQuery {
    /// One outbox job (admins).
    async fn job(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Job> {
        ctx.actor()?.require(Capability::Administer)?;
        Ok(repo::find(ctx.db()?, id)
            .await?
            .ok_or(Error::NotFound("job"))?
            .into())
    }

    /// Outbox jobs, newest first by default (admins).
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<JobFilter>,
        #[graphql(default)] direction: SortDirection,
    ) -> async_graphql::Result<Conn<Job>> {
        ctx.actor()?.require(Capability::Administer)?;
        let direction: sea_orm::Order = direction.into();
        let page =
            page_request(first, after, last, before)?
                .ordered("CreatedAt", &direction, |k| matches!(k, SortValue::Time(_)))?;
        let f = filter.unwrap_or_default();
        let select = repo::list_query(&ListFilter {
            statuses: f.status.into_iter().map(Into::into).collect(),
            kind: f.kind,
        });
        let database = ctx.db()?;
        let rows = db::fetch_page(
            database,
            select.clone(),
            job::Column::CreatedAt,
            job::Column::Id,
            direction,
            &page,
        )
        .await?;
        Ok(connection(
            rows,
            db::counter(database, select),
            |r| (SortValue::Time(r.created_at), r.id),
            Job::from,
        ))
    }
}

#[derive(Default)]
pub struct JobMutation;

#[Object]
impl JobMutation {
    /// Queues a dead job again with fresh attempts (admins).
    async fn retry_job(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Job> {
        ctx.actor()?.require(Capability::Administer)?;
        let database = ctx.db()?;
        match repo::requeue(database, id).await? {
            Some(job) => Ok(job.into()),
            None => {
                let job = repo::find(database, id)
                    .await?
                    .ok_or(Error::NotFound("job"))?;
                Err(Error::InvalidTransition {
                    from: format!("{:?}", job.status).to_uppercase(),
                    to: "QUEUED".into(),
                }
                .into())
            }
        }
    }
}
