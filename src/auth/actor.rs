//! The `Actor`: the verified identity behind a request, and the rules that say
//! which capabilities and which rows it has.

use std::collections::BTreeSet;

/// A role from the token's `roles` claim.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Admin,
    SalesManager,
    Sales,
    Finance,
    Delivery,
    Integration,
    Readonly,
}

impl Role {
    /// Roles are spelled in tokens as in the schema: `SALES_MANAGER`.
    pub fn parse(name: &str) -> Option<Role> {
        Some(match name {
            "ADMIN" => Role::Admin,
            "SALES_MANAGER" => Role::SalesManager,
            "SALES" => Role::Sales,
            "FINANCE" => Role::Finance,
            "DELIVERY" => Role::Delivery,
            "INTEGRATION" => Role::Integration,
            "READONLY" => Role::Readonly,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::SalesManager => "SALES_MANAGER",
            Role::Sales => "SALES",
            Role::Finance => "FINANCE",
            Role::Delivery => "DELIVERY",
            Role::Integration => "INTEGRATION",
            Role::Readonly => "READONLY",
        }
    }
}

/// Something an actor may do, independent of which rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Capability {
    ReadLeads,
    WriteLeads,
    ReadAccounts,
    WriteAccounts,
    /// Read products and prices.
    ReadCatalogue,
    /// Create products, set prices, deactivate.
    ManageCatalogue,
    /// Approve or reject quotes that need it.
    ApproveQuotes,
    /// Start, complete and terminate contracts (delivery work).
    ExecuteContracts,
    /// Read purchase orders.
    ReadOrders,
    /// Create, fulfil, deliver and cancel purchase orders.
    WriteOrders,
    /// Read receivables and payments.
    ReadReceivables,
    /// Link invoices, record payments, write off: finance work.
    ManageReceivables,
    /// See and retry outbox jobs, manage webhook subscriptions.
    Administer,
}

impl Capability {
    /// The OAuth-style scope that grants this capability to an integration token.
    /// A `:write` scope implies its `:read`.
    fn granted_by_scope(self, scope: &str) -> bool {
        match self {
            Capability::ReadLeads => matches!(scope, "leads:read" | "leads:write"),
            Capability::WriteLeads => scope == "leads:write",
            Capability::ReadAccounts => matches!(scope, "accounts:read" | "accounts:write"),
            Capability::WriteAccounts => scope == "accounts:write",
            Capability::ReadCatalogue => matches!(scope, "products:read" | "products:write"),
            Capability::ManageCatalogue => scope == "products:write",
            Capability::ReadOrders => matches!(scope, "orders:read" | "orders:write"),
            Capability::WriteOrders => scope == "orders:write",
            Capability::ReadReceivables => matches!(scope, "payments:read" | "payments:write"),
            Capability::ManageReceivables => scope == "payments:write",
            Capability::ApproveQuotes | Capability::ExecuteContracts | Capability::Administer => {
                false
            }
        }
    }

    fn granted_by_role(self, role: Role) -> bool {
        use Capability::*;
        match role {
            Role::Admin => true,
            Role::SalesManager => self != Administer,
            Role::Sales => !matches!(
                self,
                ManageCatalogue | ApproveQuotes | ManageReceivables | Administer
            ),
            Role::Readonly => matches!(
                self,
                ReadLeads | ReadAccounts | ReadCatalogue | ReadOrders | ReadReceivables
            ),
            Role::Finance => matches!(
                self,
                ReadAccounts | ReadCatalogue | ReadOrders | ReadReceivables | ManageReceivables
            ),
            Role::Delivery => matches!(
                self,
                ReadAccounts | ReadCatalogue | ExecuteContracts | ReadOrders | WriteOrders
            ),
            // Integration tokens get nothing from their role, only from their scopes.
            Role::Integration => false,
        }
    }
}

/// Which rows of a kind an actor sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Visibility {
    All,
    /// A `SALES` user: rows they own or sit on the team of (and, for leads,
    /// the unassigned ones).
    OwnedBy(String),
}

#[derive(Clone, Debug)]
pub struct Actor {
    pub sub: String,
    pub name: Option<String>,
    pub roles: BTreeSet<Role>,
    /// From the optional `scope` claim. When present it narrows what the token
    /// may do, whatever its roles; for `INTEGRATION` it is the only grant.
    pub scopes: Option<BTreeSet<String>>,
}

impl Actor {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_manager(&self) -> bool {
        self.has_role(Role::Admin) || self.has_role(Role::SalesManager)
    }

    pub fn can(&self, capability: Capability) -> bool {
        let by_scope = || {
            self.scopes
                .iter()
                .flatten()
                .any(|s| capability.granted_by_scope(s))
        };
        let by_role = self
            .roles
            .iter()
            .any(|role| capability.granted_by_role(*role));
        if self.has_role(Role::Integration) && by_scope() {
            return true;
        }
        by_role && (self.scopes.is_none() || by_scope())
    }

    /// Fails with `FORBIDDEN` unless the actor has the capability.
    pub fn require(&self, capability: Capability) -> crate::Result<()> {
        if self.can(capability) {
            Ok(())
        } else {
            Err(crate::Error::forbidden(format!(
                "your token does not allow {capability:?}"
            )))
        }
    }

    /// Rows of leads, accounts and everything under them this actor sees.
    /// Only a plain `SALES` user is limited; managers, admins and read-only,
    /// finance, delivery and integration tokens (within their capabilities) see all.
    pub fn visibility(&self) -> Visibility {
        let sees_all = self.roles.iter().any(|r| *r != Role::Sales);
        if sees_all {
            Visibility::All
        } else {
            Visibility::OwnedBy(self.sub.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(roles: &[Role], scopes: Option<&[&str]>) -> Actor {
        Actor {
            sub: "u".into(),
            name: None,
            roles: roles.iter().copied().collect(),
            scopes: scopes.map(|s| s.iter().map(|x| x.to_string()).collect()),
        }
    }

    #[test]
    fn integration_tokens_act_only_within_their_scopes() {
        let hook = actor(&[Role::Integration], Some(&["leads:write"]));
        assert!(hook.can(Capability::WriteLeads));
        assert!(hook.can(Capability::ReadLeads));
        assert!(!hook.can(Capability::ReadAccounts));
        assert!(!actor(&[Role::Integration], None).can(Capability::ReadLeads));
    }

    #[test]
    fn a_scope_claim_narrows_a_user_token() {
        let narrowed = actor(&[Role::Sales], Some(&["leads:read"]));
        assert!(narrowed.can(Capability::ReadLeads));
        assert!(!narrowed.can(Capability::WriteLeads));
    }

    #[test]
    fn only_admins_administer() {
        assert!(actor(&[Role::Admin], None).can(Capability::Administer));
        for role in [
            Role::SalesManager,
            Role::Sales,
            Role::Finance,
            Role::Delivery,
            Role::Readonly,
            Role::Integration,
        ] {
            assert!(
                !actor(&[role], None).can(Capability::Administer),
                "{role:?}"
            );
        }
    }

    #[test]
    fn readonly_reads_and_never_writes() {
        let ro = actor(&[Role::Readonly], None);
        assert!(ro.can(Capability::ReadLeads) && ro.can(Capability::ReadAccounts));
        assert!(!ro.can(Capability::WriteLeads) && !ro.can(Capability::WriteAccounts));
        assert_eq!(ro.visibility(), Visibility::All);
    }

    #[test]
    fn only_plain_sales_users_are_limited_to_their_rows() {
        assert_eq!(
            actor(&[Role::Sales], None).visibility(),
            Visibility::OwnedBy("u".into())
        );
        assert_eq!(
            actor(&[Role::Sales, Role::SalesManager], None).visibility(),
            Visibility::All
        );
    }
}
