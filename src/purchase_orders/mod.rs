//! Purchase orders: the customer's POs, the unit of delivery. Each draws
//! quantities from its contract's lines (never more than the contract holds),
//! moves `RECEIVED → IN_FULFILLMENT → DELIVERED → ACCEPTED` (or `CANCELLED`
//! before delivery), and raises the delivery and acceptance receivables.

pub mod drawdown;
pub mod erp_push;
pub mod lifecycle;
pub mod loader;
pub mod repo;
pub mod schema;
pub mod service;
