//! Opportunities: the MO stream's deals. Opened by hand or by lead
//! conversion, moved forward through the pipeline stages, lost and reopened,
//! with the iron-triangle team (exactly one AR) and a probability that
//! defaults per stage.

pub mod lifecycle;
pub mod listing;
pub mod loader;
pub mod repo;
pub mod schema;
pub mod service;
pub mod stage;
pub mod team;
