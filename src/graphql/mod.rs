//! GraphQL infrastructure every aggregate's schema builds on: pagination,
//! batch loading, the request context, guards, limits and shared value types.
//! The merged schema root lives at the edge, in `crate::schema`.

pub mod batch;
pub mod context;
pub(crate) mod guard;
pub mod limits;
pub mod money;
pub mod pagination;
mod values;
