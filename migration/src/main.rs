//! The sea-orm migration CLI for developers (`cargo run -p migration -- status`).
//! The server applies the same migrations itself; see `ltc migrate`.

use sea_orm_migration::prelude::*;

#[tokio::main]
async fn main() {
    cli::run_cli(migration::Migrator).await;
}
