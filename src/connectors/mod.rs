//! Typed clients for the systems around ltc (the ERP, the billing system),
//! each off until configured, and the outbox job handlers that use them.

pub mod billing;
pub mod erp;
