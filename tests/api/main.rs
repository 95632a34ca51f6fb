//! The API through its real edges: each test starts the server on a random
//! port with a fresh database (SQLite, or PostgreSQL when `DATABASE_URL`
//! names one) and speaks HTTP to it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// A test may tell the person running it why it skipped or what it measured.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod accounts;
mod aging;
mod auth;
mod batched_leads;
mod billing;
mod contracts;
mod erp;
mod events;
mod fixtures;
mod graphiql;
mod helpers;
mod hostile_inputs;
mod http;
mod idempotency;
mod lead_to_cash;
mod leads;
mod limits;
mod loaders;
mod opportunities;
mod outbox;
mod products;
mod purchase_orders;
mod quotes;
mod role_pairs;
mod schema;
mod service_cases;
mod transport;
mod visibility_walk;
mod webhooks;
