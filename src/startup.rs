//! Building the application from settings: database, migrations, keys,
//! schema, and the bound listener.

use std::{future::Future, sync::Arc};

use anyhow::Context;
use sea_orm::DatabaseConnection;
use tokio::{net::TcpListener, sync::watch};

use crate::{
    auth::TokenVerifier,
    config::Settings,
    db, graphql,
    http::{AppState, router},
    metrics::Metrics,
    outbox::{JobHandler, worker::Worker},
};

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    port: u16,
    worker: Option<Worker>,
    relay: crate::events::Relay,
}

/// The job handlers the configured connectors provide.
pub fn job_handlers(
    settings: &Settings,
    db: &DatabaseConnection,
) -> anyhow::Result<Vec<Arc<dyn JobHandler>>> {
    let mut handlers = crate::connectors::handlers(settings, db)?;
    handlers.extend(crate::renewals::job::handlers(&settings.renewals, db));
    handlers.extend(crate::outbox::prune::handlers(
        db,
        settings.worker.job_retention_days,
    ));
    Ok(handlers)
}

/// A worker for the outbox, with the handlers of the configured connectors.
pub fn worker(settings: &Settings, db: &DatabaseConnection) -> anyhow::Result<Worker> {
    Ok(Worker::new(
        db.clone(),
        job_handlers(settings, db)?,
        settings.worker.options(),
    ))
}

impl Application {
    /// Connects and migrates the database, loads the token keys and binds the
    /// listener; nothing is served until [`Application::run_until_stopped`].
    pub async fn build(settings: &Settings) -> anyhow::Result<Application> {
        let metrics = Metrics::new();
        let db = db::connect(&settings.store, Some(metrics.clone())).await?;
        db::migrate(&db).await?;
        crate::connectors::billing::seed(&settings.billing, &db).await?;
        let verifier = TokenVerifier::from_settings(&settings.jwt, &settings.store.data_dir)?;
        let relay =
            crate::events::Relay::connect(&db, &settings.store.database_url(), &settings.events)
                .await?;
        let schema = graphql::build(
            db.clone(),
            settings.limits,
            settings.quotes,
            settings.erp.checked()?,
            crate::connectors::billing::Billing::from_settings(&settings.billing)?,
            relay.bus(),
        );
        let worker = if settings.worker.worker_enabled {
            crate::renewals::job::schedule(&db, &settings.renewals, db::now()).await?;
            crate::outbox::prune::schedule(&db).await?;
            Some(worker(settings, &db)?)
        } else {
            None
        };
        let state = AppState {
            limits: settings.limits,
            throttle: Arc::new(crate::http::throttle::Throttle::new(
                settings.limits.max_concurrent_requests_per_caller,
            )),
            sdl: Arc::from(schema.sdl()),
            schema,
            db,
            verifier: Arc::new(verifier),
            metrics,
            webhooks: Arc::new(settings.webhooks.clone()),
            lead_batches: Arc::new(tokio::sync::Semaphore::new(
                settings.webhooks.leads_webhook_concurrency as usize,
            )),
        };
        let listener = TcpListener::bind(settings.bind)
            .await
            .with_context(|| format!("binding {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        Ok(Application {
            listener,
            router: router(state, settings.request_timeout()),
            port,
            worker,
            relay,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves (and runs the outbox worker) until `shutdown` resolves, then
    /// lets in-flight requests and the worker's current round finish.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop, stopped) = watch::channel(false);
        let relay = tokio::spawn(self.relay.run(stopped.clone()));
        let worker = self.worker.map(|w| tokio::spawn(w.run(stopped)));
        let served = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(async move {
                shutdown.await;
                let _ = stop.send(true);
            })
            .await;
        if let Some(worker) = worker
            && let Err(error) = worker.await
        {
            tracing::error!(error = ?error, "outbox worker ended abnormally");
        }
        if let Err(error) = relay.await {
            tracing::error!(error = ?error, "event relay ended abnormally");
        }
        served
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(error = ?error, "listening for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(error = ?error, "listening for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
