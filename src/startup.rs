//! Building the application from settings: database, migrations, keys,
//! schema, and the bound listener; and serving it, with a bound on how long
//! a client may take to send its headers and on how many connections are
//! served at once.

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto::Builder, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use sea_orm::DatabaseConnection;
use tokio::{
    net::TcpListener,
    sync::{Semaphore, watch},
};

use crate::{
    auth::TokenVerifier,
    config::Settings,
    db,
    http::{AppState, TransportSettings, router},
    metrics::{Metrics, MetricsBind},
    outbox::{JobHandler, worker::Worker},
};

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    port: u16,
    /// `/metrics` on its own listener, when `LTC_METRICS_BIND` names one.
    metrics: Option<(TcpListener, axum::Router)>,
    worker: Option<Worker>,
    relay: crate::events::Relay,
    transport: TransportSettings,
}

/// The job handlers the configured connectors provide.
pub fn job_handlers(
    settings: &Settings,
    db: &DatabaseConnection,
) -> anyhow::Result<Vec<Arc<dyn JobHandler>>> {
    let mut handlers = crate::purchase_orders::erp_push::handlers(&settings.erp, db)?;
    handlers.extend(crate::receivables::billing_sync::handlers(
        &settings.billing,
        db,
    )?);
    handlers.extend(crate::webhooks::handlers(&settings.webhooks, db)?);
    handlers.extend(crate::events::handlers(
        &settings.events,
        &settings.secrets,
        &settings.store.data_dir,
        db,
    )?);
    handlers.extend(crate::renewals::job::handlers(&settings.renewals, db));
    handlers.extend(crate::outbox::prune::handlers(
        db,
        settings.worker.job_retention_days,
        vec![prune_webhook_receipts],
    ));
    Ok(handlers)
}

/// Webhook receipts are kept a day, for the outbox's hourly housekeeping.
fn prune_webhook_receipts(
    db: &DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
) -> futures::future::BoxFuture<'_, crate::Result<u64>> {
    Box::pin(crate::webhooks::repo::prune(
        db,
        now - chrono::Duration::days(1),
    ))
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
        let sealer =
            crate::secrets::Sealer::from_settings(&settings.secrets, &settings.store.data_dir)?;
        let resealed = sealer.reseal_webhook_secrets(&db).await?;
        if resealed > 0 {
            tracing::info!(
                resealed,
                "webhook secrets sealed with the current LTC_SECRET_KEY"
            );
        }
        crate::receivables::billing_sync::seed(&settings.billing, &db).await?;
        let verifier = TokenVerifier::from_settings(&settings.jwt, &settings.store.data_dir)?;
        let relay =
            crate::events::Relay::connect(&db, &settings.store.database_url(), &settings.events)
                .await?;
        let schema = crate::schema::build(
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
                settings.limits.max_requests_per_second_per_caller,
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
            sockets: crate::http::websocket::Sockets::new(&settings.transport),
            sealer: Arc::new(sealer),
        };
        let metrics = match settings.metrics_bind {
            MetricsBind::Off => None,
            MetricsBind::At(address) => {
                let listener = TcpListener::bind(address).await.with_context(|| {
                    format!("binding {address} for /metrics (LTC_METRICS_BIND; `off` serves none)")
                })?;
                Some((listener, crate::http::metrics_router(state.metrics.clone())))
            }
        };
        let listener = TcpListener::bind(settings.bind)
            .await
            .with_context(|| format!("binding {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        Ok(Application {
            metrics,
            listener,
            router: router(state, settings.request_timeout()),
            port,
            worker,
            relay,
            transport: settings.transport.clone(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port `/metrics` is served on, if it is.
    pub fn metrics_port(&self) -> Option<u16> {
        let (listener, _) = self.metrics.as_ref()?;
        listener.local_addr().ok().map(|a| a.port())
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
        let metrics = self.metrics.map(|(listener, router)| {
            let (transport, mut stopped) = (self.transport.clone(), stop.subscribe());
            tokio::spawn(async move {
                serve(listener, router, &transport, async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .await
            })
        });
        let served = serve(self.listener, self.router, &self.transport, async move {
            shutdown.await;
            let _ = stop.send(true);
        })
        .await;
        if let Some(metrics) = metrics
            && let Err(error) = metrics.await
        {
            tracing::error!(error = ?error, "the metrics listener ended abnormally");
        }
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

/// Accepts connections until `shutdown`, then waits for the requests in
/// flight. A connection is accepted only with a free turn (of
/// `max_connections`): past that, new ones wait in the kernel's backlog,
/// costing this process nothing. A client gets `header_read_timeout` to send
/// a request's headers (from connecting, or from its previous response on a
/// kept-alive connection), so idle or half-sent requests cannot hold turns.
async fn serve(
    listener: TcpListener,
    router: axum::Router,
    transport: &TransportSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(transport.header_read_timeout());
    let turns = Arc::new(Semaphore::new(transport.max_connections()));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&listener, &turns) => accepted,
        };
        let Some((stream, turn)) = accepted else {
            continue;
        };
        let service = TowerToHyperService::new(router.clone());
        let (builder, watcher) = (builder.clone(), graceful.watcher());
        let header_read_timeout = transport.header_read_timeout();
        tokio::spawn(async move {
            if !version_sent(&stream, header_read_timeout).await {
                return;
            }
            let connection = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned();
            if let Err(error) = watcher.watch(connection).await {
                tracing::debug!(error = %error, "connection ended with an error");
            }
            drop(turn);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// The first bytes of an HTTP/2 connection.
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Whether the client sent, within `limit`, enough to tell its HTTP version
/// (or closed). hyper's header timer starts only after that: without this
/// wait a connection that sends nothing would hold its turn forever.
async fn version_sent(stream: &tokio::net::TcpStream, limit: Duration) -> bool {
    tokio::time::timeout(limit, async {
        let mut seen = [0_u8; 24];
        loop {
            match stream.peek(&mut seen).await {
                Ok(0) | Err(_) => return,
                Ok(n) if n == seen.len() || seen[..n] != H2_PREFACE[..n] => return,
                // A partial preface: peeking again returns at once, so pause.
                Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    })
    .await
    .is_ok()
}

/// The next connection, once a turn is free; `None` when accepting failed
/// (after a pause, so that running out of file descriptors does not spin).
async fn accept(
    listener: &TcpListener,
    turns: &Arc<Semaphore>,
) -> Option<(tokio::net::TcpStream, tokio::sync::OwnedSemaphorePermit)> {
    let turn = turns.clone().acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, _)) => {
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(error = %error, "setting TCP_NODELAY");
            }
            Some((stream, turn))
        }
        Err(error) => {
            tracing::warn!(error = %error, "accepting a connection");
            tokio::time::sleep(Duration::from_millis(100)).await;
            None
        }
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
