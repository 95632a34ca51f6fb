//! The `webhook_subscriptions` table: outbound webhook endpoints and the events they receive.

use sea_orm::entity::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum SubscriptionStatus {
    /// Receives the events it subscribed to.
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Receives nothing: disabled by an admin, or by its receiver answering 410 Gone.
    #[sea_orm(string_value = "DISABLED")]
    Disabled,
}

/// An outbound webhook: where to POST which events, signed with its secret
/// per the Standard Webhooks spec.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub url: String,
    /// Event type names, e.g. `["lead.qualified", "contract.signed"]`.
    pub events: Json,
    pub description: Option<String>,
    /// `whsec_` + base64 of the signing key; shown to the admin once, at
    /// creation or rotation.
    pub secret: String,
    /// The secret before the last rotation, still signing deliveries (beside
    /// `secret`) until `previous_secret_expires_at`.
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<DateTimeUtc>,
    pub status: SubscriptionStatus,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTimeUtc>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
