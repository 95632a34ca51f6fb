//! Service cases: what customer service logs for an account after the sale.
//! Sales and service share the same data, so an upsell signal becomes a lead
//! for the account's owner straight away.

pub mod repo;
pub mod schema;
pub mod service;
