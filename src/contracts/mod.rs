//! Contracts made from accepted quotes: payment terms (milestones summing
//! to 100 %), a unique human-readable number, signing (which wins the
//! deal), the handover from sales to delivery, execution, completion and
//! termination.
//!
//! `terms` checks payment terms, `lifecycle` holds the state machine,
//! `service` the rules and transactions, `repo` the SQL.

pub mod lifecycle;
pub mod loader;
pub mod repo;
pub mod schema;
pub mod service;
pub mod terms;
