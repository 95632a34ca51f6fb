//! Receivables and payments: what customers owe per payment milestone, made
//! by the rules (never by hand), invoiced, paid in part or in full, or
//! written off; and the views finance reads (aging, DSO).

pub mod aging;
pub mod billing_sync;
pub mod loader;
pub mod repo;
pub mod rules;
pub mod schema;
pub mod service;
