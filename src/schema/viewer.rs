//! `me`: who the API thinks the caller is, so a UI can show it and decide
//! what to offer.

use async_graphql::{Context, Object, SimpleObject};

use crate::auth::Role;
use crate::graphql::context::ContextExt;

#[derive(SimpleObject)]
pub struct Viewer {
    /// The token's `sub`.
    pub id: String,
    pub name: Option<String>,
    pub roles: Vec<Role>,
    /// The token's scopes, when it has a `scope` claim.
    pub scopes: Option<Vec<String>>,
}

#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// The caller, from the bearer token.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Viewer> {
        let actor = ctx.actor()?;
        Ok(Viewer {
            id: actor.sub.clone(),
            name: actor.name.clone(),
            roles: actor.roles.iter().copied().collect(),
            scopes: actor.scopes.as_ref().map(|s| s.iter().cloned().collect()),
        })
    }
}
