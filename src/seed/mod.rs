//! `ltc seed`: fills an empty database with a realistic, deterministic book
//! of business, for demos and benchmarks.
//!
//! At `--scale 1`: 50 sales users, 200 products with EUR and USD prices,
//! 2,000 accounts with 1–3 contacts each, 50,000 leads, 10,000
//! opportunities with their teams and stage history, 15,000 quotes with
//! 5–20 lines, 4,000 contracts with payment milestones, 8,000 purchase
//! orders, and the receivables (about 17,000) and payments the rules make
//! of them. Every count but the catalogue's grows with the scale;
//! `--scale 0.01` makes a small book for a quick look.
//!
//! The same `--seed`, `--scale` and `--as-of` give the same rows, ids
//! included. Dates spread over the two years up to `--as-of` (default:
//! today), with more activity recently.
//!
//! The figures follow the domain's own rules, by calling them: lead scores
//! and their factors come from `leads::score`, quote and line amounts from
//! `quotes::pricing`, PO shares from `purchase_orders::drawdown`, milestone
//! shares and receivables from `receivables::rules`. So a contract's
//! receivables add up to its total once all its POs are accepted, and a
//! receivable's payments add up to its `paid` amount.
//!
//! Rows go in with multi-row inserts, a chunk per transaction, not one
//! GraphQL call per row. The seed refuses a database that already has
//! accounts: it never mixes with real data, and its unique keys (domains,
//! SKUs, contract numbers) would collide with an earlier seed. Start from
//! an empty database (a new PostgreSQL database, or a new SQLite file).

mod cash;
mod catalogue;
mod crm;
mod deals;
mod names;
mod rng;
mod writer;

#[cfg(test)]
mod tests;

use std::time::Instant;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use entity::account;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::db::StoreSettings;

/// `ltc seed` flags.
#[derive(Clone, Debug, clap::Args)]
pub struct SeedArgs {
    /// Size of the book: 1 is 2,000 accounts, 50,000 leads, 10,000
    /// opportunities, 15,000 quotes, 4,000 contracts, 8,000 POs; 10 is ten
    /// times that; 0.01 a hundredth.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,

    /// Seed of the random generator: the same seed, scale and day give the same rows.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// The book's last day (UTC), `YYYY-MM-DD`; default today.
    #[arg(long)]
    pub as_of: Option<NaiveDate>,

    #[command(flatten)]
    pub store: StoreSettings,
}

/// What to make.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub scale: f64,
    pub seed: u64,
    pub as_of: NaiveDate,
}

impl SeedArgs {
    pub fn options(&self) -> anyhow::Result<Options> {
        if !(self.scale > 0.0 && self.scale <= 100.0) {
            bail!("--scale must be above 0 and at most 100");
        }
        Ok(Options {
            scale: self.scale,
            seed: self.seed,
            as_of: self
                .as_of
                .unwrap_or_else(|| chrono::Utc::now().date_naive()),
        })
    }
}

/// How many of each thing a scale makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub users: usize,
    pub products: usize,
    pub accounts: usize,
    pub leads: usize,
    pub opportunities: usize,
    pub quotes: usize,
    pub contracts: usize,
    pub purchase_orders: usize,
}

impl Counts {
    pub fn at(scale: f64) -> Counts {
        let n = |base: f64| ((base * scale).round() as usize).max(1);
        let opportunities = n(10_000.0);
        Counts {
            users: n(50.0),
            products: 200,
            accounts: n(2_000.0),
            leads: n(50_000.0),
            opportunities,
            quotes: n(15_000.0),
            contracts: n(4_000.0).min(opportunities),
            purchase_orders: n(8_000.0),
        }
    }
}

/// The user id of sales user number `index` (from 0).
fn user(index: usize) -> String {
    format!("user-{:04}", index + 1)
}

/// Fills `db` (migrated, with no accounts) with the book `options` describe,
/// telling progress through `report`, one line at a time.
pub async fn run(
    db: &DatabaseConnection,
    options: &Options,
    report: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<Counts> {
    let existing = account::Entity::find()
        .count(db)
        .await
        .context("counting accounts")?;
    if existing > 0 {
        bail!(
            "the database already has {existing} accounts; seed an empty database (a new \
             PostgreSQL database or SQLite file)"
        );
    }
    let counts = Counts::at(options.scale);
    let sink = writer::Sink {
        db,
        report,
        started: Instant::now(),
    };
    sink.say(&format!(
        "seeding scale {} (seed {}, as of {}): {} accounts, {} leads, {} opportunities, {} quotes, \
         {} contracts, {} purchase orders",
        options.scale,
        options.seed,
        options.as_of,
        counts.accounts,
        counts.leads,
        counts.opportunities,
        counts.quotes,
        counts.contracts,
        counts.purchase_orders
    ));
    let mut rng = rng::Seeded::new(options.seed, options.as_of);
    let products = catalogue::seed(&mut rng, &sink, counts.products).await?;
    let accounts = crm::seed_accounts(&mut rng, &sink, counts.accounts, counts.users).await?;
    let mut deals = deals::plan(
        &mut rng,
        &accounts,
        counts.users,
        counts.opportunities,
        counts.contracts,
        counts.quotes,
    );
    crm::seed_leads(
        &mut rng,
        &sink,
        counts.leads,
        counts.users,
        &accounts,
        &mut deals,
    )
    .await?;
    deals::seed(&mut rng, &sink, &mut deals, &accounts, &products).await?;
    cash::seed(&mut rng, &sink, &deals, &accounts, counts.purchase_orders).await?;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        // Fresh statistics, so the first queries get good plans.
        use sea_orm::ConnectionTrait;
        db.execute_unprepared("ANALYZE").await?;
    }
    sink.say(&format!(
        "seeded in {:.1}s",
        sink.started.elapsed().as_secs_f64()
    ));
    Ok(counts)
}
