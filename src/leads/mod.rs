//! Leads: the ML stream. Capture from every channel (idempotent per source
//! and external ref), dedupe on email, an explainable score, working and
//! qualifying, and conversion into account, contact and opportunity.

pub mod batch;
pub mod conversion;
pub mod engagement;
pub mod lifecycle;
pub mod loader;
pub(crate) mod matching;
pub mod repo;
pub mod schema;
pub mod score;
pub mod service;
