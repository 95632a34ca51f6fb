//! SeaORM entities: one module per table. Nothing here knows about GraphQL;
//! the API types live beside their services in the main crate.

pub mod account;
pub mod contact;
pub mod decimal_text;
pub mod enums;
pub mod lead;
pub mod opportunity;
pub mod team_member;
pub mod transition;

pub use decimal_text::DecimalText;
