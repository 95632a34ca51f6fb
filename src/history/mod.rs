//! The audit trail: every state transition of every aggregate (who, when,
//! from, to, why), written in the same transaction as the change itself.

pub mod loader;
pub mod repo;
pub mod schema;
