//! Quotes (configure, price, quote): versioned offers per opportunity,
//! priced exactly from the catalogue, approved when a discount passes the
//! configured thresholds, sent, accepted (one per opportunity), revised or
//! expired.
//!
//! `pricing` holds the totals rule, `lines` the line checks and catalogue
//! prices, `lifecycle` the state machine and expiry, `service` access,
//! creating, editing and listing, `transitions` the API's transitions, and
//! `repo` the SQL.

pub mod lifecycle;
pub mod lines;
pub mod loader;
pub mod policy;
pub mod pricing;
pub mod repo;
pub mod schema;
pub mod service;
pub mod transitions;

pub use policy::QuotePolicy;

#[cfg(test)]
mod expiry_tests;
