//! Who is calling and what they may do: JWT verification, the `Actor`, and
//! the capability rules of LTC.md's "Who may do what".

mod actor;
mod jwt;
mod secret;
mod settings;

pub use actor::{Actor, Capability, Role, Visibility};
pub use jwt::{Audience, Claims, TokenSigner, TokenVerifier};
pub use secret::{load_or_create_key, load_or_create_secret};
pub use settings::{JwtAlgorithm, JwtSettings};
