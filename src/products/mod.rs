//! The catalogue: products and their list prices per currency. Sales
//! managers and admins manage it; everyone who quotes reads it.

pub mod loader;
pub mod repo;
pub mod schema;
pub mod service;
pub mod values;
