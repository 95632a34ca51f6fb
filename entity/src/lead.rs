//! The `leads` table: prospects before conversion, with score and status.

use sea_orm::entity::prelude::*;

use crate::{
    DecimalText,
    enums::{LeadSource, LeadStatus, PurchaseTimeline},
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub status: LeadStatus,
    pub source: LeadSource,
    /// The id the source system gave this lead; unique per source.
    pub external_ref: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub email_normalized: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub title: Option<String>,
    pub website: Option<String>,
    pub budget_amount: Option<DecimalText>,
    pub budget_currency: Option<String>,
    pub timeline: PurchaseTimeline,
    pub notes: Option<String>,
    /// Lower-cased names, company and email, for the text filter.
    pub search_text: String,
    pub owner_id: Option<String>,
    pub score: i32,
    /// The score's factors as JSON, so the API can explain the number.
    pub score_factors: Json,
    /// Engagement signals received for the lead, counted for the score's
    /// `engagement` factor.
    pub form_fills: i32,
    pub email_clicks: i32,
    pub meetings_booked: i32,
    pub disqualify_reason: Option<String>,
    pub duplicate_of_lead_id: Option<Uuid>,
    pub duplicate_of_contact_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub opportunity_id: Option<Uuid>,
    pub converted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
