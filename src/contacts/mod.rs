//! Contacts: the people at an account.

pub mod loader;
pub mod repo;
pub mod schema;
pub mod service;
