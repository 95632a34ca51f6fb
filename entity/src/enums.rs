//! Every status, source and role the tables store, as closed enums stored as text.

use sea_orm::entity::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum LeadStatus {
    #[sea_orm(string_value = "NEW")]
    New,
    #[sea_orm(string_value = "WORKING")]
    Working,
    #[sea_orm(string_value = "QUALIFIED")]
    Qualified,
    #[sea_orm(string_value = "DISQUALIFIED")]
    Disqualified,
    #[sea_orm(string_value = "CONVERTED")]
    Converted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum LeadSource {
    #[sea_orm(string_value = "WEB")]
    Web,
    #[sea_orm(string_value = "EVENT")]
    Event,
    #[sea_orm(string_value = "REFERRAL")]
    Referral,
    #[sea_orm(string_value = "SOCIAL")]
    Social,
    #[sea_orm(string_value = "MARKETING_AUTOMATION")]
    MarketingAutomation,
    #[sea_orm(string_value = "PARTNER")]
    Partner,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum PurchaseTimeline {
    #[sea_orm(string_value = "WITHIN_MONTH")]
    WithinMonth,
    #[sea_orm(string_value = "WITHIN_QUARTER")]
    WithinQuarter,
    #[sea_orm(string_value = "WITHIN_YEAR")]
    WithinYear,
    #[sea_orm(string_value = "LATER")]
    Later,
    #[sea_orm(string_value = "UNKNOWN")]
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum OpportunityStage {
    #[sea_orm(string_value = "DISCOVER")]
    Discover,
    #[sea_orm(string_value = "QUALIFY")]
    Qualify,
    #[sea_orm(string_value = "PROPOSE")]
    Propose,
    #[sea_orm(string_value = "NEGOTIATE")]
    Negotiate,
    #[sea_orm(string_value = "WON")]
    Won,
    #[sea_orm(string_value = "LOST")]
    Lost,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum TeamRole {
    /// Account responsible: the customer, the relationship, collection.
    #[sea_orm(string_value = "AR")]
    Ar,
    /// Solution responsible: the solution and the quote.
    #[sea_orm(string_value = "SR")]
    Sr,
    /// Fulfilment responsible: delivery and contract execution.
    #[sea_orm(string_value = "FR")]
    Fr,
}

/// The kinds of record whose transitions the history table holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum SubjectKind {
    #[sea_orm(string_value = "LEAD")]
    Lead,
    #[sea_orm(string_value = "OPPORTUNITY")]
    Opportunity,
    #[sea_orm(string_value = "QUOTE")]
    Quote,
    #[sea_orm(string_value = "CONTRACT")]
    Contract,
    #[sea_orm(string_value = "PURCHASE_ORDER")]
    PurchaseOrder,
    #[sea_orm(string_value = "RECEIVABLE")]
    Receivable,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum QuoteStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "PENDING_APPROVAL")]
    PendingApproval,
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    #[sea_orm(string_value = "SENT")]
    Sent,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
    #[sea_orm(string_value = "SUPERSEDED")]
    Superseded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ContractStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "SIGNED")]
    Signed,
    #[sea_orm(string_value = "EXECUTING")]
    Executing,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "TERMINATED")]
    Terminated,
}

/// What makes a payment milestone due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum MilestoneTrigger {
    #[sea_orm(string_value = "ON_SIGNING")]
    OnSigning,
    #[sea_orm(string_value = "ON_DELIVERY")]
    OnDelivery,
    #[sea_orm(string_value = "ON_ACCEPTANCE")]
    OnAcceptance,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum HandoverMethod {
    #[sea_orm(string_value = "MEETING")]
    Meeting,
    #[sea_orm(string_value = "EMAIL")]
    Email,
    #[sea_orm(string_value = "DOCUMENT")]
    Document,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum PurchaseOrderStatus {
    #[sea_orm(string_value = "RECEIVED")]
    Received,
    #[sea_orm(string_value = "IN_FULFILLMENT")]
    InFulfillment,
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// Where a purchase order stands in the ERP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ErpSyncStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "SYNCED")]
    Synced,
    /// Failed, and will be retried.
    #[sea_orm(string_value = "FAILED")]
    Failed,
    /// Gave up; a person may retry.
    #[sea_orm(string_value = "DEAD")]
    Dead,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ReceivableStatus {
    #[sea_orm(string_value = "PLANNED")]
    Planned,
    #[sea_orm(string_value = "INVOICED")]
    Invoiced,
    #[sea_orm(string_value = "PARTIALLY_PAID")]
    PartiallyPaid,
    #[sea_orm(string_value = "PAID")]
    Paid,
    #[sea_orm(string_value = "WRITTEN_OFF")]
    WrittenOff,
    /// Its purchase order or contract was cancelled before it was invoiced.
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum PaymentSource {
    /// Recorded by a person.
    #[sea_orm(string_value = "MANUAL")]
    Manual,
    /// Pulled from the billing system.
    #[sea_orm(string_value = "BILLING")]
    Billing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ServiceCaseKind {
    #[sea_orm(string_value = "ISSUE")]
    Issue,
    #[sea_orm(string_value = "REQUEST")]
    Request,
    /// A sign the customer could buy more: becomes a lead for the account's AR.
    #[sea_orm(string_value = "UPSELL_SIGNAL")]
    UpsellSignal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum JobStatus {
    /// Waiting for its run time (first run or a retry).
    #[sea_orm(string_value = "QUEUED")]
    Queued,
    /// Claimed by a worker until its lease ends.
    #[sea_orm(string_value = "RUNNING")]
    Running,
    #[sea_orm(string_value = "DONE")]
    Done,
    /// Out of attempts, or failed for good; a person may retry it.
    #[sea_orm(string_value = "DEAD")]
    Dead,
}
