//! Opportunities: the deals, their stage, and the iron-triangle team.
//! Lead conversion creates them; their full lifecycle builds on this.

pub mod loader;
pub mod repo;
pub mod schema;
pub mod service;
pub mod stage;
