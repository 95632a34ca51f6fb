//! Where data lives (`LTC_DATA_DIR`, `LTC_DATABASE_URL`, `LTC_DB_MAX_CONNECTIONS`).

use std::path::PathBuf;

use clap::Args;
use secrecy::{ExposeSecret, SecretString};

use crate::input::parse_secret;

/// Where data lives: the database and the generated secrets.
#[derive(Clone, Debug, Args)]
pub struct StoreSettings {
    /// Directory for the embedded SQLite database and the generated signing secret.
    #[arg(long, env = "LTC_DATA_DIR", default_value = "./ltc-data")]
    pub data_dir: PathBuf,

    /// Database URL (`postgres://...` or `sqlite://...`); default: SQLite in the data directory.
    #[arg(long, env = "LTC_DATABASE_URL", value_parser = parse_secret)]
    pub database_url: Option<SecretString>,

    /// Connections in the database pool of this instance.
    #[arg(long, env = "LTC_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,
}

impl StoreSettings {
    /// The database to use: the configured URL, else SQLite in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose_secret().to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("ltc.sqlite3").display()
            ),
        }
    }
}
