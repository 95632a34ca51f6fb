//! SeaORM entities: one module per table. Nothing here knows about GraphQL;
//! the API types live beside their services in the main crate.

pub mod account;
pub mod contact;
pub mod contract;
pub mod contract_line;
pub mod counter;
pub mod decimal_text;
pub mod domain_event;
pub mod enums;
pub mod idempotency_key;
pub mod job;
pub mod lead;
pub mod opportunity;
pub mod payment;
pub mod payment_milestone;
pub mod price;
pub mod product;
pub mod purchase_order;
pub mod purchase_order_line;
pub mod quote;
pub mod quote_line;
pub mod receivable;
pub mod service_case;
pub mod team_member;
pub mod transition;
pub mod webhook_receipt;
pub mod webhook_subscription;

pub use decimal_text::DecimalText;
