//! The GraphQL face of leads: the `Lead` type, its queries and mutations.

use async_graphql::{
    ComplexObject, Context, Enum, InputObject, MaybeUndefined, Object, SimpleObject,
    dataloader::DataLoader,
};
use chrono::{DateTime, Utc};
use entity::{enums, lead};
use uuid::Uuid;

use super::{
    conversion::{self, AccountChoice, Conversion},
    lifecycle,
    loader::{DuplicatesLoader, LeadLoader},
    repo::ListFilter,
    score::Factor,
    service::{self, Capture, LeadFields, LeadOrder},
};
use crate::{
    accounts::{
        schema::{Account, CreateAccountInput, load_account},
        service::NewAccount,
    },
    auth::Capability,
    contacts::schema::{Contact, load_contact},
    graphql::{
        context::ContextExt,
        money::{MoneyInput, MoneyOut},
        pagination::{Conn, SortDirection, cost, page_request, paged},
    },
    history::schema::{Transition, history_of},
    opportunities::schema::{Opportunity, load_opportunity},
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::LeadStatus")]
pub enum LeadStatus {
    New,
    Working,
    Qualified,
    Disqualified,
    Converted,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::LeadSource")]
pub enum LeadSource {
    Web,
    Event,
    Referral,
    Social,
    MarketingAutomation,
    Partner,
    Other,
}

/// When the lead expects to buy.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::PurchaseTimeline")]
pub enum PurchaseTimeline {
    WithinMonth,
    WithinQuarter,
    WithinYear,
    Later,
    Unknown,
}

/// One rule's contribution to a lead's score.
#[derive(SimpleObject)]
pub struct ScoreFactor {
    /// `completeness`, `source`, `budget`, `timeline`, `fit` or `engagement`.
    pub factor: String,
    pub points: i32,
    pub max_points: i32,
    pub reason: String,
}

impl From<Factor> for ScoreFactor {
    fn from(f: Factor) -> Self {
        ScoreFactor {
            factor: f.factor,
            points: f.points,
            max_points: f.max_points,
            reason: f.reason,
        }
    }
}

/// A prospective buyer, from first signal to conversion.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Lead {
    pub id: Uuid,
    pub status: LeadStatus,
    pub source: LeadSource,
    /// The lead's id in its source system.
    pub external_ref: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub title: Option<String>,
    /// The company website's normalized domain.
    pub website: Option<String>,
    pub budget: Option<MoneyOut>,
    pub timeline: PurchaseTimeline,
    pub notes: Option<String>,
    /// The user working the lead; null while unassigned.
    pub owner_id: Option<String>,
    /// 0–100, the sum of `scoreFactors`.
    pub score: i32,
    pub disqualify_reason: Option<String>,
    pub converted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub model: lead::Model,
}

impl From<lead::Model> for Lead {
    fn from(m: lead::Model) -> Self {
        Lead {
            id: m.id,
            status: m.status.into(),
            source: m.source.into(),
            external_ref: m.external_ref.clone(),
            first_name: m.first_name.clone(),
            last_name: m.last_name.clone(),
            email: m.email.clone(),
            phone: m.phone.clone(),
            company: m.company.clone(),
            title: m.title.clone(),
            website: m.website.clone(),
            budget: MoneyOut::from_parts(m.budget_amount, m.budget_currency.as_deref()),
            timeline: m.timeline.into(),
            notes: m.notes.clone(),
            owner_id: m.owner_id.clone(),
            score: m.score,
            disqualify_reason: m.disqualify_reason.clone(),
            converted_at: m.converted_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            model: m,
        }
    }
}

#[ComplexObject]
impl Lead {
    /// How the score is made up, one entry per rule.
    async fn score_factors(&self) -> async_graphql::Result<Vec<ScoreFactor>> {
        // Read in place: a page of leads would otherwise copy every lead's factors.
        let factors = <Vec<Factor> as serde::Deserialize>::deserialize(&self.model.score_factors)
            .map_err(|e| crate::Error::Internal(e.into()))?;
        Ok(factors.into_iter().map(ScoreFactor::from).collect())
    }

    /// True when another open lead or a contact already had this email.
    async fn is_duplicate(&self) -> bool {
        self.model.duplicate_of_lead_id.is_some() || self.model.duplicate_of_contact_id.is_some()
    }

    /// The earlier open lead with the same email, if the caller sees it.
    async fn duplicate_of_lead(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Lead>> {
        load_lead(ctx, self.model.duplicate_of_lead_id).await
    }

    /// The existing contact with the same email, if the caller sees it.
    async fn duplicate_of_contact(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Contact>> {
        load_contact(ctx, self.model.duplicate_of_contact_id).await
    }

    /// Later leads marked as duplicates of this one.
    #[graphql(complexity = "crate::graphql::pagination::nested_list_cost(child_complexity)")]
    async fn duplicates(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Lead>> {
        let loader = ctx.data::<DataLoader<DuplicatesLoader>>()?;
        Ok(loader
            .load_one(self.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Lead::from)
            .collect())
    }

    /// Set once converted.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        load_account(ctx, self.model.account_id).await
    }

    /// Set once converted.
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        load_contact(ctx, self.model.contact_id).await
    }

    /// Set once converted.
    async fn opportunity(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Opportunity>> {
        load_opportunity(ctx, self.model.opportunity_id).await
    }

    /// Every status change, oldest first.
    #[graphql(complexity = "crate::graphql::pagination::nested_list_cost(child_complexity)")]
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Transition>> {
        history_of(ctx, self.id).await
    }
}

/// The descriptive fields of a lead. On update, fields left out stay as they
/// are and `null` clears one.
#[derive(InputObject, Default)]
pub struct LeadFieldsInput {
    pub first_name: MaybeUndefined<String>,
    pub last_name: MaybeUndefined<String>,
    pub email: MaybeUndefined<String>,
    pub phone: MaybeUndefined<String>,
    pub company: MaybeUndefined<String>,
    pub title: MaybeUndefined<String>,
    /// A URL or domain; stored as its normalized domain.
    pub website: MaybeUndefined<String>,
    pub budget: MaybeUndefined<MoneyInput>,
    pub timeline: Option<PurchaseTimeline>,
    pub notes: MaybeUndefined<String>,
}

impl From<LeadFieldsInput> for LeadFields {
    fn from(i: LeadFieldsInput) -> Self {
        LeadFields {
            first_name: i.first_name,
            last_name: i.last_name,
            email: i.email,
            phone: i.phone,
            company: i.company,
            title: i.title,
            website: i.website,
            budget: i.budget.map_value(|m| (m.amount, m.currency)),
            timeline: i.timeline.map(Into::into),
            notes: i.notes,
        }
    }
}

#[derive(InputObject)]
pub struct CaptureLeadInput {
    pub source: LeadSource,
    /// The lead's id in the source system. With it, capturing again returns
    /// (and updates) the same lead instead of making a second one.
    pub external_ref: Option<String>,
    /// Defaults to the caller for sales users and to unassigned otherwise.
    pub owner_id: Option<String>,
    #[graphql(flatten)]
    pub fields: LeadFieldsInput,
}

#[derive(SimpleObject)]
pub struct CaptureLeadPayload {
    pub lead: Lead,
    /// False when the source and external ref named an existing lead.
    pub created: bool,
    /// True when the email matched an open lead or a contact; see `lead.duplicateOfLead`.
    pub duplicate: bool,
}

#[derive(InputObject, Default)]
pub struct ConvertLeadInput {
    /// Convert into this existing account.
    pub account_id: Option<Uuid>,
    /// Or create this account. With neither, the account matching the lead's
    /// domain is reused, else one is made from the lead's company.
    pub new_account: Option<CreateAccountInput>,
    /// Defaults to "<company> opportunity".
    pub opportunity_name: Option<String>,
}

#[derive(SimpleObject)]
pub struct ConvertLeadPayload {
    pub lead: Lead,
    pub account: Account,
    pub contact: Contact,
    pub opportunity: Opportunity,
}

#[derive(InputObject, Default)]
pub struct LeadFilter {
    /// Any of these statuses.
    #[graphql(default)]
    pub status: Vec<LeadStatus>,
    /// Any of these sources.
    #[graphql(default)]
    pub source: Vec<LeadSource>,
    pub owner_id: Option<String>,
    pub unassigned: Option<bool>,
    pub is_duplicate: Option<bool>,
    /// Matches name, company or email, case-insensitively.
    pub text: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum LeadOrderField {
    CreatedAt,
    UpdatedAt,
    Score,
}

#[derive(InputObject)]
pub struct LeadOrderBy {
    pub field: LeadOrderField,
    #[graphql(default)]
    pub direction: SortDirection,
}

#[derive(Default)]
pub struct LeadQuery;

#[Object]
impl LeadQuery {
    async fn lead(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Lead> {
        Ok(service::get(ctx.db()?, ctx.actor()?, id).await?.into())
    }

    /// Leads the caller sees; newest first unless `orderBy` says otherwise.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn leads(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<LeadFilter>,
        order_by: Option<LeadOrderBy>,
    ) -> async_graphql::Result<Conn<Lead>> {
        let page = page_request(first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let (order, direction) = match order_by {
            Some(o) => (
                match o.field {
                    LeadOrderField::CreatedAt => LeadOrder::CreatedAt,
                    LeadOrderField::UpdatedAt => LeadOrder::UpdatedAt,
                    LeadOrderField::Score => LeadOrder::Score,
                },
                o.direction,
            ),
            None => (LeadOrder::CreatedAt, SortDirection::Desc),
        };
        let filter = ListFilter {
            statuses: f.status.into_iter().map(Into::into).collect(),
            sources: f.source.into_iter().map(Into::into).collect(),
            owner_id: f.owner_id,
            unassigned: f.unassigned,
            is_duplicate: f.is_duplicate,
            text: f.text,
            created_after: f.created_after,
            created_before: f.created_before,
        };
        paged(
            service::list(
                ctx.db()?,
                ctx.actor()?,
                filter,
                order,
                direction.into(),
                page,
            ),
            |r| service::sort_key(order, r),
            Lead::from,
        )
        .await
    }
}

#[derive(Default)]
pub struct LeadMutation;

#[Object]
impl LeadMutation {
    /// Records a lead from any channel; idempotent on `source` + `externalRef`.
    async fn capture_lead(
        &self,
        ctx: &Context<'_>,
        input: CaptureLeadInput,
    ) -> async_graphql::Result<CaptureLeadPayload> {
        let captured = service::capture(
            ctx.db()?,
            ctx.actor()?,
            Capture {
                source: input.source.into(),
                external_ref: input.external_ref,
                owner_id: input.owner_id,
                fields: input.fields.into(),
            },
        )
        .await?;
        let duplicate = captured.lead.duplicate_of_lead_id.is_some()
            || captured.lead.duplicate_of_contact_id.is_some();
        Ok(CaptureLeadPayload {
            lead: captured.lead.into(),
            created: captured.created,
            duplicate,
        })
    }

    /// Edits an open lead; the score and duplicate link follow.
    async fn update_lead(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: LeadFieldsInput,
    ) -> async_graphql::Result<Lead> {
        Ok(service::update(ctx.db()?, ctx.actor()?, id, input.into())
            .await?
            .into())
    }

    /// `NEW → WORKING`.
    async fn start_working_lead(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Lead> {
        Ok(lifecycle::start_working(ctx.db()?, ctx.actor()?, id)
            .await?
            .into())
    }

    /// `WORKING → QUALIFIED`.
    async fn qualify_lead(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Lead> {
        Ok(lifecycle::qualify(ctx.db()?, ctx.actor()?, id)
            .await?
            .into())
    }

    /// `NEW | WORKING → DISQUALIFIED`.
    async fn disqualify_lead(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        reason: String,
    ) -> async_graphql::Result<Lead> {
        Ok(lifecycle::disqualify(ctx.db()?, ctx.actor()?, id, &reason)
            .await?
            .into())
    }

    /// Gives an open lead to a user.
    async fn assign_lead(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        user_id: String,
    ) -> async_graphql::Result<Lead> {
        Ok(lifecycle::assign(ctx.db()?, ctx.actor()?, id, &user_id)
            .await?
            .into())
    }

    /// `QUALIFIED → CONVERTED`: account, contact and opportunity in one transaction.
    async fn convert_lead(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        #[graphql(default)] input: ConvertLeadInput,
    ) -> async_graphql::Result<ConvertLeadPayload> {
        let account = match (input.account_id, input.new_account) {
            (Some(_), Some(_)) => {
                return Err(crate::Error::validation(
                    "newAccount",
                    "give accountId or newAccount, not both",
                )
                .into());
            }
            (Some(id), None) => AccountChoice::Existing(id),
            (None, Some(a)) => AccountChoice::New(NewAccount {
                name: a.name,
                website: a.website,
                industry: a.industry,
                owner_id: a.owner_id,
                erp_customer_ref: a.erp_customer_ref,
                billing_customer_ref: a.billing_customer_ref,
            }),
            (None, None) => AccountChoice::FromLead,
        };
        let converted = conversion::convert(
            ctx.db()?,
            ctx.actor()?,
            id,
            Conversion {
                account,
                opportunity_name: input.opportunity_name,
            },
        )
        .await?;
        Ok(ConvertLeadPayload {
            lead: converted.lead.into(),
            account: converted.account.into(),
            contact: converted.contact.into(),
            opportunity: converted.opportunity.into(),
        })
    }
}

/// Resolves a related lead through the batch loader; `None` when hidden.
pub async fn load_lead(ctx: &Context<'_>, id: Option<Uuid>) -> async_graphql::Result<Option<Lead>> {
    let Some(id) = id else { return Ok(None) };
    if !ctx.actor()?.can(Capability::ReadLeads) {
        return Ok(None);
    }
    let loader = ctx.data::<DataLoader<LeadLoader>>()?;
    Ok(loader.load_one(id).await?.map(Lead::from))
}
