//! The `webhook_receipts` table: inbound webhooks already handled, so a redelivery is ignored.

use sea_orm::entity::prelude::*;

/// The inbound endpoint a receipt belongs to; message ids are unique per endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum WebhookEndpoint {
    /// `POST /webhooks/leads` (Standard Webhooks): one receipt per `webhook-id`.
    #[sea_orm(string_value = "LEADS")]
    Leads,
    /// `POST /webhooks/hubspot`: one receipt per HubSpot event.
    #[sea_orm(string_value = "HUBSPOT")]
    Hubspot,
}

/// An inbound webhook message ltc accepted, written in the same transaction
/// as what the message changed, so a replay is recognised and answered with
/// the first response.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_receipts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub endpoint: WebhookEndpoint,
    /// The sender's message id (`webhook-id`), or the key of a HubSpot event.
    pub message_id: String,
    /// Hex SHA-256 of the signed body (or of the HubSpot event), to tell a
    /// replay from a different message reusing an id.
    pub body_sha256: String,
    /// What ltc answered the first time; a replay gets it again.
    pub response: Json,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
