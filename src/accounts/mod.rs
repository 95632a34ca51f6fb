//! Accounts: the customers, with the ERP and billing references that tie them
//! to the systems around ltc.

pub mod loader;
pub mod repo;
pub mod schema;
pub mod service;
