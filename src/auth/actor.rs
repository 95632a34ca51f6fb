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

/// Something an actor may do, independent of which rows. The one table of
/// who may do what is [`Capability::granted_by_role`] and
/// [`Capability::granted_by_scope`]; the rows each grant reaches are
/// [`Role::row_rule`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Capability {
    ReadLeads,
    WriteLeads,
    ReadAccounts,
    /// Sales work on accounts, contacts, deals and their teams, quotes and contracts.
    WriteAccounts,
    /// Put people on and off deal teams: who sells a deal is a people
    /// decision, never an integration's.
    ChangeTeams,
    /// Give leads and accounts to other users, and act for a deal's team
    /// (hand over any deal's contract): managing sales people, not selling.
    SuperviseSales,
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
    /// Link invoices, record payments, sync billing status: cash work.
    ManageReceivables,
    /// Give up on what is still owed: finance's judgement, never a script's.
    WriteOff,
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
            Capability::ChangeTeams
            | Capability::SuperviseSales
            | Capability::ApproveQuotes
            | Capability::ExecuteContracts
            | Capability::WriteOff
            | Capability::Administer => false,
        }
    }

    /// LTC.md's "Who may do what", one role at a time.
    fn granted_by_role(self, role: Role) -> bool {
        use Capability::*;
        match role {
            Role::Admin => true,
            // Cash belongs to finance: managers run sales, not the books.
            Role::SalesManager => !matches!(self, ManageReceivables | WriteOff | Administer),
            Role::Sales => matches!(
                self,
                ReadLeads
                    | WriteLeads
                    | ReadAccounts
                    | WriteAccounts
                    | ChangeTeams
                    | ReadCatalogue
                    | ExecuteContracts
                    | ReadOrders
                    | WriteOrders
                    | ReadReceivables
            ),
            Role::Readonly => matches!(
                self,
                ReadLeads | ReadAccounts | ReadCatalogue | ReadOrders | ReadReceivables
            ),
            Role::Finance => matches!(
                self,
                ReadAccounts
                    | ReadCatalogue
                    | ReadOrders
                    | ReadReceivables
                    | ManageReceivables
                    | WriteOff
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

impl Role {
    /// Every role, in the schema's order.
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::SalesManager,
        Role::Sales,
        Role::Finance,
        Role::Delivery,
        Role::Integration,
        Role::Readonly,
    ];

    /// The rows a capability this role grants reaches: a `SALES` user works
    /// on their own rows, every other role on all of them.
    fn row_rule(self, sub: &str) -> Visibility {
        match self {
            Role::Sales => Visibility::OwnedBy(sub.to_owned()),
            _ => Visibility::All,
        }
    }
}

/// Which rows of a kind an actor reaches with one capability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Visibility {
    All,
    /// A `SALES` user: rows they own or sit on the team of (and, for leads,
    /// the unassigned ones).
    OwnedBy(String),
}

impl Visibility {
    /// The wider of two rules.
    fn widest(self, other: Visibility) -> Visibility {
        match (self, other) {
            (Visibility::All, _) | (_, Visibility::All) => Visibility::All,
            (own, _) => own,
        }
    }
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

    fn scope_grants(&self, capability: Capability) -> bool {
        self.scopes
            .iter()
            .flatten()
            .any(|s| capability.granted_by_scope(s))
    }

    /// The row rule under which this actor may exercise `capability`, or
    /// `None` when it may not at all. Roles combine per capability: of the
    /// roles that grant it, the widest row rule wins, so a role that does
    /// not grant an action (`READONLY` for any write) never widens it.
    fn rows_for(&self, capability: Capability) -> Option<Visibility> {
        // An integration token's scopes are its grant, over all rows.
        let by_integration = (self.has_role(Role::Integration) && self.scope_grants(capability))
            .then_some(Visibility::All);
        let narrowed_out = self.scopes.is_some() && !self.scope_grants(capability);
        let by_roles = self
            .roles
            .iter()
            .filter(|role| !narrowed_out && capability.granted_by_role(**role))
            .map(|role| role.row_rule(&self.sub))
            .reduce(Visibility::widest);
        match (by_integration, by_roles) {
            (Some(a), Some(b)) => Some(a.widest(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn can(&self, capability: Capability) -> bool {
        self.rows_for(capability).is_some()
    }

    /// Fails with `FORBIDDEN` unless the actor has the capability.
    pub fn require(&self, capability: Capability) -> crate::Result<()> {
        self.visibility(capability).map(|_| ())
    }

    /// The rows this actor may exercise `capability` on; `FORBIDDEN` when it
    /// may not exercise it at all. Every read and write asks with the
    /// capability it exercises, so the rows follow the action.
    pub fn visibility(&self, capability: Capability) -> crate::Result<Visibility> {
        self.rows_for(capability).ok_or_else(|| {
            crate::Error::forbidden(format!("your token does not allow {capability:?}"))
        })
    }

    /// The row rule of a per-request loader serving reads under
    /// `capability`. Resolvers check the capability before they load; an
    /// actor without it gets the narrowest rule, so a forgotten check
    /// cannot widen anything.
    pub(crate) fn loader_visibility(&self, capability: Capability) -> Visibility {
        self.rows_for(capability)
            .unwrap_or_else(|| Visibility::OwnedBy(self.sub.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every capability, to walk the table.
    const CAPABILITIES: [Capability; 16] = [
        Capability::ReadLeads,
        Capability::WriteLeads,
        Capability::ReadAccounts,
        Capability::WriteAccounts,
        Capability::ChangeTeams,
        Capability::SuperviseSales,
        Capability::ReadCatalogue,
        Capability::ManageCatalogue,
        Capability::ApproveQuotes,
        Capability::ExecuteContracts,
        Capability::ReadOrders,
        Capability::WriteOrders,
        Capability::ReadReceivables,
        Capability::ManageReceivables,
        Capability::WriteOff,
        Capability::Administer,
    ];

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
        assert_eq!(
            ro.visibility(Capability::ReadLeads).ok(),
            Some(Visibility::All)
        );
    }

    #[test]
    fn a_plain_sales_user_reads_and_writes_only_their_rows() {
        let sales = actor(&[Role::Sales], None);
        for capability in [Capability::ReadLeads, Capability::WriteAccounts] {
            assert_eq!(
                sales.visibility(capability).ok(),
                Some(Visibility::OwnedBy("u".into()))
            );
        }
    }

    #[test]
    fn a_second_role_widens_only_the_actions_it_grants() {
        for other in [
            Role::Readonly,
            Role::Finance,
            Role::Delivery,
            Role::Integration,
        ] {
            let pair = actor(&[Role::Sales, other], None);
            for write in [Capability::WriteLeads, Capability::WriteAccounts] {
                assert_eq!(
                    pair.visibility(write).ok(),
                    Some(Visibility::OwnedBy("u".into())),
                    "{other:?} {write:?}"
                );
            }
        }
        let with_readonly = actor(&[Role::Sales, Role::Readonly], None);
        assert_eq!(
            with_readonly.visibility(Capability::ReadLeads).ok(),
            Some(Visibility::All)
        );
        let with_delivery = actor(&[Role::Sales, Role::Delivery], None);
        assert_eq!(
            with_delivery.visibility(Capability::WriteOrders).ok(),
            Some(Visibility::All)
        );
        let with_manager = actor(&[Role::Sales, Role::SalesManager], None);
        assert_eq!(
            with_manager.visibility(Capability::WriteLeads).ok(),
            Some(Visibility::All)
        );
    }

    /// What a pair may do, action by action, is the better of what each role may.
    #[test]
    fn every_pair_of_roles_is_the_union_of_its_roles_per_capability() {
        let rank = |v: Option<Visibility>| match v {
            None => 0,
            Some(Visibility::OwnedBy(_)) => 1,
            Some(Visibility::All) => 2,
        };
        for a in Role::ALL {
            for b in Role::ALL {
                for capability in CAPABILITIES {
                    let alone = |r: Role| rank(actor(&[r], None).visibility(capability).ok());
                    let pair = rank(actor(&[a, b], None).visibility(capability).ok());
                    assert_eq!(
                        pair,
                        alone(a).max(alone(b)),
                        "{a:?} + {b:?} on {capability:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_scope_narrows_the_rows_of_no_capability_it_keeps() {
        let narrowed = actor(&[Role::SalesManager], Some(&["leads:read"]));
        assert_eq!(
            narrowed.visibility(Capability::ReadLeads).ok(),
            Some(Visibility::All)
        );
        assert!(narrowed.visibility(Capability::ReadAccounts).is_err());
        assert_eq!(
            narrowed.loader_visibility(Capability::ReadAccounts),
            Visibility::OwnedBy("u".into())
        );
    }

    #[test]
    fn cash_actions_belong_to_finance_and_admins() {
        for capability in [Capability::ManageReceivables, Capability::WriteOff] {
            for role in Role::ALL {
                assert_eq!(
                    actor(&[role], None).can(capability),
                    matches!(role, Role::Finance | Role::Admin),
                    "{role:?} {capability:?}"
                );
            }
        }
        let script = actor(&[Role::Integration], Some(&["payments:write"]));
        assert!(script.can(Capability::ManageReceivables));
        assert!(!script.can(Capability::WriteOff));
    }

    #[test]
    fn only_managers_and_admins_supervise_sales() {
        for role in Role::ALL {
            assert_eq!(
                actor(&[role], None).can(Capability::SuperviseSales),
                matches!(role, Role::SalesManager | Role::Admin),
                "{role:?}"
            );
        }
    }
}
