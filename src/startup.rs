//! Building the application from settings: database, migrations, keys,
//! schema, and the bound listener.

use std::{future::Future, sync::Arc};

use anyhow::Context;
use tokio::net::TcpListener;

use crate::{
    auth::TokenVerifier,
    config::Settings,
    db, graphql,
    http::{AppState, router},
    metrics::Metrics,
};

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    port: u16,
}

impl Application {
    /// Connects and migrates the database, loads the token keys and binds the
    /// listener; nothing is served until [`Application::run_until_stopped`].
    pub async fn build(settings: &Settings) -> anyhow::Result<Application> {
        let metrics = Metrics::new();
        let db = db::connect(&settings.store, Some(metrics.clone())).await?;
        db::migrate(&db).await?;
        let verifier = TokenVerifier::from_settings(&settings.jwt, &settings.store.data_dir)?;
        let schema = graphql::build(
            db.clone(),
            graphql::Limits {
                depth: settings.max_query_depth,
                complexity: settings.max_query_complexity,
            },
            settings.quotes,
        );
        let state = AppState {
            sdl: Arc::from(schema.sdl()),
            schema,
            db,
            verifier: Arc::new(verifier),
            metrics,
        };
        let listener = TcpListener::bind(settings.bind)
            .await
            .with_context(|| format!("binding {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        Ok(Application {
            listener,
            router: router(state, settings.request_timeout()),
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
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
