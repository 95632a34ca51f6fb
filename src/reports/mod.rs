//! The views users asked for across aggregates: the pipeline, team
//! performance and the lead-to-cash trace of one deal.

pub mod lead_to_cash;
pub mod performance;
pub mod pipeline;
pub mod repo;
pub mod schema;
